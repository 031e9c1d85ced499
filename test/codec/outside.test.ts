// Checks from outside: the all-types fixture (fixtures.full.v1.EverythingEvent,
// generated with forceLong=bigint: every scalar at its edges, 64-bit values
// beyond 2^53, every map key kind, oneofs, optionals, nested and repeated
// messages, enums, every well-known type) against three other
// implementations. protobufjs, @bufbuild/protobuf and Python's protobuf each
// read eventwire's bytes and eventwire reads theirs; Python re-encodes
// eventwire's bytes (deterministic=True) to the same bytes, parses
// eventwire's JSON to them too, and its MessageToDict gives the same JSON
// values as eventwire's JSON; random all-types events survive both of
// eventwire's codecs. (Run in both codec modes, as all of test/codec.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import protobuf from "protobufjs";
import { createRegistry, type Event, type EventRegistry } from "eventwire";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import * as full from "../fixtures/gen-bigint/fixtures/full/v1/full.js";
import { messageOf } from "../support/all-types.js";
import { EVENT_ID } from "../support/codec.js";
import { anyOf, edges, packedInner, packedTimestamp } from "../vectors/full/inputs.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PYTHON = "/usr/bin/python3";
const WKT_INCLUDE = "/usr/include";
const registry = createRegistry([full.EverythingEvent], { files: [full.protoMetadata] }) as unknown as EventRegistry<Event>;
const schema = registry.require("EverythingEvent").schema;
const tmp = mkdtempSync(join(tmpdir(), "eventwire-outside-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const make = (payload: object): Event => (registry.create as unknown as (t: string, p: object, b: object) => Event)("EverythingEvent", payload, { eventId: EVENT_ID, timestamp: 1.5 });
const payloadBytes = (e: Event): Uint8Array => EventEnvelope.decode(registry.toBinary(e)).payload;
const envelope = (payload: Uint8Array): Uint8Array => EventEnvelope.encode({ eventId: EVENT_ID, timestamp: 1.5, eventType: "EverythingEvent", payload, headers: {} }).finish();

/** The payload's fields of eventwire's JSON form (the envelope's keys left out). */
function payloadJson(e: Event): Record<string, unknown> {
  const { event_id: _id, timestamp: _t, event_type: _type, ...rest } = registry.toJsonObject(e);
  return rest;
}

/** JSON text with object keys sorted, for comparing JSON values whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

const anys = fc.constantFrom(packedInner, packedTimestamp, anyOf("", new Uint8Array(0)));

/** Random all-types events (a seeded run, the same every time), and the edges. */
function cases(floatMax = true): Event[] {
  const random = fc.sample(messageOf(schema, 1, anys), { numRuns: 60, seed: 9 }).map((p) => make(p));
  return [edges(floatMax), make({}), ...random];
}

describe("eventwire's own codecs on all-types events", () => {
  test("random all-types events survive binary and JSON, and their encodings are stable", () => {
    fc.assert(
      fc.property(messageOf(schema, 1, anys), (p) => {
        const e = make(p);
        const bin = registry.toBinary(e);
        const fromBin = registry.fromBinary(bin);
        assert.deepEqual(registry.toBinary(fromBin), bin);
        const json = registry.toJson(fromBin);
        const fromJsonText = registry.fromJson(json);
        assert.deepEqual(registry.toBinary(fromJsonText), bin);
        assert.equal(registry.toJson(fromJsonText), json);
        assert.deepEqual(registry.toBinary(registry.fromJson(registry.toJson(fromBin, { style: "python" }))), bin);
      }),
      { numRuns: 150 },
    );
  });

  test("the edge event survives binary and JSON", () => {
    const e = edges();
    const bin = registry.toBinary(e);
    assert.deepEqual(registry.fromBinary(bin), e);
    assert.deepEqual(registry.toBinary(registry.fromJson(registry.toJson(e))), bin);
  });
});

describe("protobufjs", () => {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of [join(root_, "test/fixtures/proto"), WKT_INCLUDE]) if (existsSync(join(dir, target))) return join(dir, target);
    return target;
  };
  const root_ = fileURLToPath(new URL("../..", import.meta.url));
  root.loadSync("fixtures/full/v1/full.proto", { keepCase: true });
  const Type = root.lookupType("fixtures.full.v1.EverythingEvent");

  test("reads eventwire's bytes, and eventwire reads what protobufjs writes from them", () => {
    for (const e of cases()) {
      const bytes = payloadBytes(e);
      const message = Type.decode(bytes);
      assert.equal(Type.verify(message), null);
      const again = Type.encode(message).finish();
      assert.deepEqual(registry.toBinary(registry.fromBinary(envelope(again))), registry.toBinary(e));
    }
  });
});

describe("@bufbuild/protobuf", () => {
  const set = join(tmp, "set.binpb");
  const built = spawnSync(join(root, "node_modules/.bin/buf"), ["build", "test/fixtures/proto", "-o", set], { cwd: root, encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const files = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(set)));
  const desc = files.getMessage("fixtures.full.v1.EverythingEvent")!;

  test("reads eventwire's bytes and JSON, and eventwire reads the bytes it writes from them", () => {
    for (const e of cases()) {
      const bin = registry.toBinary(e);
      const fromOurBytes = fromBinary(desc, payloadBytes(e));
      assert.deepEqual(registry.toBinary(registry.fromBinary(envelope(toBinary(desc, fromOurBytes)))), bin);
      const fromOurJson = fromJson(desc, payloadJson(e) as JsonValue, { registry: files });
      assert.deepEqual(registry.toBinary(registry.fromBinary(envelope(toBinary(desc, fromOurJson)))), bin);
    }
  });
});

describe("Python's protobuf (python3-protobuf)", () => {
  test("re-encodes eventwire's bytes to the same bytes, parses its JSON to them, and MessageToDict gives the same JSON values", () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is missing (apt-get install python3-protobuf)`);
    assert.ok(existsSync(join(WKT_INCLUDE, "google/protobuf/timestamp.proto")), "the well-known types' .proto files are missing (apt-get install libprotobuf-dev)");
    const gen = join(tmp, "py");
    mkdirSync(gen);
    const protos = ["fixtures/full/v1/full.proto", "fixtures/types/v1/types.proto"];
    const compile = spawnSync("/usr/bin/protoc", [`--python_out=${gen}`, `-I${join(root, "test/fixtures/proto")}`, `-I${WKT_INCLUDE}`, ...protos], { encoding: "utf8" });
    assert.equal(compile.status, 0, compile.stderr);
    const all = cases(false);
    const input = all.map((e) => JSON.stringify({ bin: Buffer.from(payloadBytes(e)).toString("base64"), json: payloadJson(e) })).join("\n");
    const r = spawnSync(PYTHON, [join(root, "test/python/fullcheck.py"), "--gen", gen], {
      input,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: "", PYTHONIOENCODING: "utf-8" },
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `the Python checks failed:\n${r.stderr}`);
    const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.length, all.length);
    lines.forEach((line, i) => {
      const { dict } = JSON.parse(line) as { dict: Record<string, unknown> };
      assert.equal(canonical(dict), canonical(payloadJson(all[i]!)), `case ${i}`);
      // and Python's JSON reads back as the same event
      const fromPython = registry.fromJsonObject({ event_id: EVENT_ID, timestamp: 1.5, event_type: "EverythingEvent", ...dict });
      assert.deepEqual(registry.toBinary(fromPython), registry.toBinary(all[i]!), `case ${i}`);
    });
  });
});
