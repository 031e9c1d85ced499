// Cross-language: Debian's Python protobuf (python3-protobuf, with code that
// Debian's protoc generates from proto/) reads the golden vectors and
// re-encodes them to the same bytes, and a model of the seed's Python event
// system (test/python/crosscheck.py) reads our JSON; the JSON that model
// writes (serialize_event + json.dumps) decodes here to the right event.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { vectorEvents } from "../vectors/inputs.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install python3-protobuf protobuf-compiler";
const PROTO_FILES = ["eventwire/envelope/v1/envelope.proto", "eventwire/shop/v1/events.proto"];

interface Line {
  readonly case: string;
  readonly event_type: string;
  readonly json?: string;
}

interface Run {
  readonly lines: readonly Line[];
  readonly startedAt: number;
  readonly endedAt: number;
}

const tmp = mkdtempSync(join(tmpdir(), "eventwire-python-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function protoc(): string {
  for (const candidate of ["/usr/bin/protoc", "protoc"]) {
    const r = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return candidate;
  }
  assert.fail(`protoc is missing: the cross-language test needs Debian's protoc and python3-protobuf (${INSTALL})`);
}

let run: Run | undefined;

/** Generates the Python code and runs the checks once; fails (never skips) when the tools are missing. */
function crosscheck(): Run {
  if (run) return run;
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: the cross-language test needs Debian's python3 with python3-protobuf (${INSTALL})`);
  const probe = spawnSync(PYTHON, ["-c", "import google.protobuf; print(google.protobuf.__version__)"], { encoding: "utf8" });
  assert.equal(probe.status, 0, `${PYTHON} cannot import google.protobuf (${INSTALL}):\n${probe.stderr}`);

  const gen = join(tmp, "gen");
  mkdirSync(gen);
  const compile = spawnSync(protoc(), [`--python_out=${gen}`, `-I${join(root, "proto")}`, ...PROTO_FILES.map((f) => join(root, "proto", f))], {
    encoding: "utf8",
  });
  assert.equal(compile.status, 0, `protoc failed:\n${compile.stderr}`);

  const startedAt = Date.now() / 1000;
  const r = spawnSync(PYTHON, [join(root, "test", "python", "crosscheck.py"), "--gen", gen, "--vectors", join(root, "test", "vectors")], {
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: "", PYTHONIOENCODING: "utf-8" },
    timeout: 60_000,
  });
  const endedAt = Date.now() / 1000;
  assert.equal(r.status, 0, `the Python checks failed:\n${r.stderr}${r.stdout}`);
  const lines = r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Line);
  run = { lines, startedAt, endedAt };
  return run;
}

function seedJson(kind: string, eventType: string): string {
  const line = crosscheck().lines.find((l) => l.case === kind && l.event_type === eventType);
  assert.ok(line?.json, `the Python script wrote no ${kind} line for ${eventType}`);
  return line.json;
}

const inputs = new Map<string, ShopEvent>(vectorEvents().map((e) => [e.eventType, e]));

function input(eventType: string): ShopEvent {
  const e = inputs.get(eventType);
  assert.ok(e, eventType);
  return e;
}

/** What the seed keeps of an event: everything but the headers, which it knows nothing of. */
function withoutHeaders(e: ShopEvent, timestamp = e.timestamp): ShopEvent {
  return { ...e, timestamp, headers: {} } as ShopEvent;
}

describe("Python (python3-protobuf and the seed's event system)", () => {
  test("protobuf re-encodes every .bin vector to the same bytes; the .json vectors and the seed's deserialize_event agree", () => {
    const checked = crosscheck().lines.filter((l) => l.case === "checked").map((l) => l.event_type);
    assert.deepEqual(checked.sort(), [...shopRegistry.names].sort());
  });

  for (const eventType of shopRegistry.names) {
    test(`${eventType}: the seed's serialize_event + json.dumps decodes to the same event (the seed drops _headers)`, () => {
      const e = input(eventType);
      const kept = shopRegistry.fromJson(seedJson("seed-timestamp-kept", eventType));
      assert.deepEqual(kept, withoutHeaders(e));

      // The seed's from_dict stamps a fresh timestamp: it is Python's time.time() of the run.
      const fresh = shopRegistry.fromJson(seedJson("seed-fresh-timestamp", eventType));
      const { startedAt, endedAt } = crosscheck();
      assert.ok(fresh.timestamp >= startedAt - 1 && fresh.timestamp <= endedAt + 1, `${fresh.timestamp} not in [${startedAt}, ${endedAt}]`);
      assert.deepEqual(fresh, withoutHeaders(e, fresh.timestamp));
    });
  }

  test("the seed's bare NaN, Infinity and -Infinity decode as those doubles", () => {
    const text = seedJson("seed-non-finite", "OrderCreatedEvent");
    assert.match(text, /"total": NaN/);
    assert.match(text, /"price": Infinity/);
    assert.match(text, /"price": -Infinity/);
    const e = input("OrderCreatedEvent");
    assert.equal(e.eventType, "OrderCreatedEvent");
    if (e.eventType !== "OrderCreatedEvent") return;
    const [first, second, ...rest] = e.payload.items;
    const expected = {
      ...withoutHeaders(e),
      payload: { ...e.payload, total: NaN, items: [{ ...first!, price: Infinity }, { ...second!, price: -Infinity }, ...rest] },
    };
    assert.deepEqual(shopRegistry.fromJson(text), expected);
  });

  test("a Python int where the proto has a double decodes as that number", () => {
    const text = seedJson("seed-int-amount", "PaymentProcessedEvent");
    assert.match(text, /"amount": 80,/);
    const e = input("PaymentProcessedEvent");
    assert.deepEqual(shopRegistry.fromJson(text), { ...withoutHeaders(e), payload: { ...e.payload, amount: 80 } });
  });
});
