/**
 * The TypeScript side's output for the Python package's cross-checks
 * (python/tests/test_codec.py runs this): one JSON line per event — the
 * golden vectors' events, the all-types fixture's, and a seeded sample of
 * random shop events — with its binary form (base64), its JSON in both
 * styles, and its LeanMQ entry (`data`) for fixed metadata.
 *
 *   node --conditions=eventwire-source --import tsx test/python/ts-cases.ts
 */
import fc from "fast-check";
import type { Event, EventRegistry } from "eventwire";
import { shopRegistry } from "../../examples/shop/events.js";
import { encodeEntry } from "../../src/transport/leanmq/entry.js";
import { shopEvent } from "../support/arbitraries.js";
import { edges, fullRegistry, fullVectorEvents } from "../vectors/full/inputs.js";
import { vectorEvents } from "../vectors/inputs.js";

/** The metadata every case's entry is written with. */
export const CASE_METADATA = { id: "0b6e7f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", timestamp: 1732700000.5, ttl: 60 } as const;

function line(registry: "shop" | "full", name: string, event: Event): string {
  const reg = (registry === "shop" ? shopRegistry : fullRegistry) as unknown as EventRegistry<Event>;
  const bin = reg.toBinary(event);
  const entry = encodeEntry(reg, event, "json", CASE_METADATA);
  return JSON.stringify({
    registry,
    name,
    bin: Buffer.from(bin).toString("base64"),
    compact: reg.toJson(event),
    python: reg.toJson(event, { style: "python" }),
    entry: String(entry[1]),
  });
}

const out: string[] = [];
for (const event of vectorEvents()) out.push(line("shop", `vector ${event.eventType}`, event));
for (const [name, event] of Object.entries(fullVectorEvents())) out.push(line("full", `vector full/${name}`, event));
out.push(line("full", "edges with the largest float", edges(true)));
fc.sample(shopEvent, { numRuns: 300, seed: 1414 }).forEach((event, i) => out.push(line("shop", `random ${i} ${event.eventType}`, event)));
process.stdout.write(out.join("\n") + "\n");
