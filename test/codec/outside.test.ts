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
import { Timestamp } from "../fixtures/gen-bigint/google/protobuf/timestamp.js";
import { Inner } from "../fixtures/gen-bigint/fixtures/types/v1/types.js";
import { messageOf } from "../support/all-types.js";
import { EVENT_ID } from "../support/codec.js";

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

const anyOf = (typeUrl: string, value: Uint8Array) => ({ typeUrl, value });
const packedInner = anyOf("type.googleapis.com/fixtures.types.v1.Inner", Inner.encode(Inner.fromPartial({ label: "packed", count: -3, children: [{ label: "c" }] } as never)).finish());
const packedTimestamp = anyOf("type.googleapis.com/google.protobuf.Timestamp", Timestamp.encode({ seconds: 1700000000n, nanos: 5000 }).finish());
const anys = fc.constantFrom(packedInner, packedTimestamp, anyOf("", new Uint8Array(0)));

/**
 * Every value at its edges. (`floatMax`: the largest float, which Python's
 * protobuf writes in JSON as 3.4028235e+38 and then refuses to read back as
 * too large; the checks with Python use a smaller one.)
 */
function edges(floatMax = true): Event {
  const inner = { label: "ü🙂", count: -(2 ** 31), children: [{ label: "", count: 2 ** 31 - 1, children: [] }] };
  return make({
    all: {
      last: "last",
      fDouble: -Number.MAX_VALUE,
      fFloat: floatMax ? 3.4028234663852886e38 : Math.fround(3.4e38),
      fInt64: -(2n ** 63n),
      fUint64: 2n ** 64n - 1n,
      fInt32: -(2 ** 31),
      fFixed64: 2n ** 60n + 1n,
      fFixed32: 2 ** 32 - 1,
      fBool: true,
      fString: "\u0000\uffff𝄞",
      fMessage: inner,
      fBytes: new Uint8Array([0, 255, 128]),
      fUint32: 2 ** 32 - 1,
      fEnum: -1,
      fSfixed32: 2 ** 31 - 1,
      fSfixed64: 2n ** 63n - 1n,
      fSint32: -(2 ** 31),
      fSint64: -(2n ** 63n),
      rDouble: [Number.MIN_VALUE, Infinity, -Infinity, NaN, 0.1],
      rFloat: [Math.fround(0.1), -1.401298464324817e-45, Infinity],
      rInt64: [2n ** 53n + 1n, -(2n ** 53n + 1n), 0n],
      rUint64: [2n ** 64n - 1n, 0n],
      rInt32: [-1, 2 ** 31 - 1],
      rFixed64: [2n ** 64n - 1n],
      rFixed32: [0, 2 ** 32 - 1],
      rBool: [true, false],
      rString: ["", "a"],
      rMessage: [inner, {}],
      rBytes: [new Uint8Array(0), new Uint8Array([1])],
      rUint32: [2 ** 32 - 1],
      rEnum: [0, 1, 2, -1, 7],
      rSfixed32: [-(2 ** 31)],
      rSfixed64: [-(2n ** 63n)],
      rSint32: [2 ** 31 - 1, -(2 ** 31)],
      rSint64: [2n ** 63n - 1n, -(2n ** 63n)],
      oInt32: 0,
      oString: "",
      oEnum: 0,
      oDouble: 0,
      oBool: false,
      oBytes: new Uint8Array(0),
      cMessage: inner,
      mStringString: { b: "2", a: "1", "": "empty" },
      mInt32String: { [-(2 ** 31)]: "min", [2 ** 31 - 1]: "max", 0: "zero" },
      mInt64Message: new Map<bigint, object>([[-(2n ** 63n), inner], [2n ** 63n - 1n, {}]]),
      mBoolInt32: new Map([[true, 1], [false, 0]]),
      mUint32Enum: { [2 ** 32 - 1]: 2, 0: -1 },
      mSint64Double: new Map([[-(2n ** 63n), -0.5], [2n ** 60n + 1n, 1e300]]),
      mStringBytes: { k: new Uint8Array([7]) },
      mFixed32Float: { [2 ** 32 - 1]: Math.fround(1.1) },
      mSfixed64Uint64: new Map([[-(2n ** 63n), 2n ** 64n - 1n]]),
      mUint64Sint32: new Map([[2n ** 64n - 1n, -(2 ** 31)]]),
      mFixed64Bool: new Map([[0n, false], [2n ** 64n - 1n, true]]),
      mSfixed32Fixed32: { [-(2 ** 31)]: 2 ** 32 - 1 },
      mSint32Int64: { [-(2 ** 31)]: -(2n ** 63n), [2 ** 31 - 1]: 2n ** 63n - 1n },
    },
    known: {
      ts: new Date("9999-12-31T23:59:59.999Z"),
      duration: { seconds: -315576000000n, nanos: -999999999 },
      struct: { n: 1.5, s: "x", b: false, z: null, l: [1, "two", [null]], o: { deep: { er: true } } },
      value: [1, { a: null }],
      list: ["a", 2, true, null, { x: [] }],
      nullValue: 0,
      doubleValue: 0,
      floatValue: Math.fround(-2.5),
      int64Value: -(2n ** 63n),
      uint64Value: 2n ** 64n - 1n,
      int32Value: -(2 ** 31),
      uint32Value: 2 ** 32 - 1,
      boolValue: false,
      stringValue: "",
      bytesValue: new Uint8Array([1, 2, 3]),
      mask: ["a_b.c", "d"],
      empty: {},
      any: packedInner,
      rTs: [new Date("0001-01-01T00:00:00Z"), new Date(0), new Date(-1500)],
      rDuration: [{ seconds: 0n, nanos: 1 }, { seconds: 315576000000n, nanos: 999999999 }],
      rValue: [null, "s", 0, true, [], {}],
      rInt64Value: [2n ** 53n + 1n, 0n],
      rAny: [packedTimestamp, packedInner],
      mValue: { n: null, s: "v", nested: { a: [1, 2] } },
      mTs: { epoch: new Date(0), later: new Date(1700000000123) },
      mDuration: new Map([[-(2n ** 63n), { seconds: 1n, nanos: 500000000 }]]),
      pickString: "",
    },
    knownList: [{ value: null, pickTs: new Date(86400000) }, {}],
  });
}

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
