// Full proto3 fidelity, against the fixtures generated with each of
// ts-proto's representations of 64-bit integers (test/fixtures/gen,
// gen-bigint, gen-string): 64-bit integers beyond 2^53 exact on every path,
// maps of every key kind, field names that look like integers, floats out of
// float range, bare NaN/Infinity only where a float belongs, nesting under
// unknown JSON keys held to maxDepth, the well-known types.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { createRegistry, DecodeError, EventValidationError, pythonJsonLoads, type Event, type EventRegistry } from "eventwire";
import * as numberGen from "../fixtures/gen/fixtures/full/v1/full.js";
import * as bigintGen from "../fixtures/gen-bigint/fixtures/full/v1/full.js";
import * as stringGen from "../fixtures/gen-string/fixtures/full/v1/full.js";
import { AllTypesEvent as BigintAllTypes } from "../fixtures/gen-bigint/fixtures/types/v1/types.js";
import { EVENT_ID, isError } from "../support/codec.js";

type Loose = EventRegistry<Event>;
const registryOf = (gen: typeof numberGen | typeof bigintGen | typeof stringGen): Loose =>
  createRegistry([gen.EverythingEvent, gen.IntegerNamesEvent], { files: [gen.protoMetadata] }) as unknown as Loose;
const registries = { number: registryOf(numberGen), bigint: registryOf(bigintGen), string: registryOf(stringGen) };
const base = { eventId: EVENT_ID, timestamp: 1.5 };
const make = (r: Loose, type: string, payload: object): Event => (r.create as unknown as (t: string, p: object, b: object) => Event)(type, payload, base);
const all = (e: Event): Record<string, unknown> => (e.payload as { all: Record<string, unknown> }).all;

/** An EverythingEvent envelope whose payload is `all` written by ts-proto's bigint code. */
function everything(allFields: Record<string, unknown>): Uint8Array {
  const inner = BigintAllTypes.encode(BigintAllTypes.fromPartial(allFields as never)).finish();
  const payload = new BinaryWriter().uint32(10).bytes(inner).finish();
  return new BinaryWriter().uint32(10).string(EVENT_ID).uint32(17).double(1.5).uint32(26).string("EverythingEvent").uint32(34).bytes(payload).finish();
}

const BIG = 2n ** 60n + 1n; // beyond 2^53, and odd: a double cannot hold it
const json = (fields: string): string => `{"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "EverythingEvent", "all": {${fields}}}`;

describe("64-bit integers beyond 2^53", () => {
  const held = { bigint: BIG, string: String(BIG) } as const;

  for (const kind of ["bigint", "string"] as const) {
    const r = registries[kind];
    test(`forceLong=${kind}: create, binary and JSON keep 2^60 + 1 exactly, at every 64-bit type's range edges`, () => {
      const v = held[kind];
      const edges = kind === "bigint" ? { fInt64: -(2n ** 63n), fUint64: 2n ** 64n - 1n, fSfixed64: 2n ** 63n - 1n, fSint64: -(2n ** 63n), fFixed64: 2n ** 64n - 1n } : { fInt64: String(-(2n ** 63n)), fUint64: String(2n ** 64n - 1n), fSfixed64: String(2n ** 63n - 1n), fSint64: String(-(2n ** 63n)), fFixed64: String(2n ** 64n - 1n) };
      const e = make(r, "EverythingEvent", { all: { ...edges, rInt64: [v, v], mSfixed64Uint64: kind === "bigint" ? new Map([[BIG, BIG]]) : { [String(BIG)]: String(BIG) } } });
      const bin = r.toBinary(e);
      assert.deepEqual(r.fromBinary(bin), e);
      assert.deepEqual(r.fromJson(r.toJson(e)), e);
      assert.deepEqual(r.toBinary(r.fromJson(r.toJson(e))), bin);
      const written = r.toJsonObject(e)["all"] as Record<string, unknown>;
      assert.equal(written["f_uint64"], "18446744073709551615");
      assert.deepEqual(written["r_int64"], [String(BIG), String(BIG)]);
      assert.deepEqual(written["m_sfixed64_uint64"], { [String(BIG)]: String(BIG) });
      // ts-proto's own bytes read the same
      assert.deepEqual(all(r.fromBinary(everything({ fInt64: BIG }))).fInt64, v);
    });

    test(`forceLong=${kind}: Python's bare integer literal 2**60 + 1 is read exactly (never through a number), and strings too`, () => {
      const e = r.fromJson(json(`"f_int64": ${BIG}, "f_uint64": "${BIG}", "r_sint64": [${BIG}, -${BIG}], "m_uint64_sint32": {"${BIG}": 7}`));
      assert.equal(all(e).fInt64, held[kind]);
      assert.equal(all(e).fUint64, held[kind]);
      assert.deepEqual(all(e).rSint64, kind === "bigint" ? [BIG, -BIG] : [String(BIG), String(-BIG)]);
      const m = all(e).mUint64Sint32;
      assert.equal(kind === "bigint" ? (m as Map<bigint, number>).get(BIG) : (m as Record<string, number>)[String(BIG)], 7);
      // and through the transport's reader of LeanMQ's data
      assert.deepEqual(r.fromJsonObject(pythonJsonLoads(json(`"f_int64": ${BIG}`))), r.fromJson(json(`"f_int64": "${BIG}"`)));
    });

    test(`forceLong=${kind}: values out of the 64-bit range are refused with invalid-value naming the field`, () => {
      const over = kind === "bigint" ? 2n ** 64n : String(2n ** 64n);
      assert.throws(() => make(r, "EverythingEvent", { all: { fUint64: over } }), isError(EventValidationError, "invalid-value", "all.f_uint64"));
      assert.throws(() => r.fromJson(json(`"f_int64": 9223372036854775808`)), isError(DecodeError, "invalid-value", "all.f_int64"));
      assert.throws(() => make(r, "EverythingEvent", { all: { fInt64: 5 } }), isError(EventValidationError, "invalid-value", "all.f_int64"));
    });
  }

  test("forceLong=number: beyond 2^53 is a typed error naming the field on every path, never a rounding", () => {
    const r = registries.number;
    assert.throws(() => make(r, "EverythingEvent", { all: { fInt64: 2 ** 53 + 2 } }), (err: unknown) => isError(EventValidationError, "invalid-value", "all.f_int64")(err) && /2\^53/.test((err as Error).message));
    assert.throws(() => r.fromJson(json(`"f_int64": ${BIG}`)), (err: unknown) => isError(DecodeError, "invalid-value", "all.f_int64")(err) && /1152921504606846977/.test((err as Error).message));
    assert.throws(() => r.fromBinary(everything({ fSint64: BIG })), (err: unknown) => isError(DecodeError, "invalid-value")(err) && /f_sint64/.test((err as Error).message) && /1152921504606846977/.test((err as Error).message));
    // within 2^53 all is well, at the edges
    const e = make(r, "EverythingEvent", { all: { fInt64: -(2 ** 53 - 1), fUint64: 2 ** 53 - 1 } });
    assert.deepEqual(r.fromBinary(r.toBinary(e)), e);
    assert.deepEqual(r.fromJson(r.toJson(e)), e);
  });
});

describe("maps of every key kind", () => {
  for (const kind of ["number", "bigint", "string"] as const) {
    const r = registries[kind];
    test(`forceLong=${kind}: map<bool, …> is a Map on every path; an empty one encodes; toJson writes its entries`, () => {
      const empty = make(r, "EverythingEvent", { all: { mBoolInt32: new Map() } });
      assert.ok(r.toBinary(empty).length > 0);
      const e = make(r, "EverythingEvent", { all: { mBoolInt32: new Map([[true, 1], [false, -2]]) } });
      assert.deepEqual([...(all(e).mBoolInt32 as Map<boolean, number>)], [[true, 1], [false, -2]]);
      const back = r.fromBinary(r.toBinary(e));
      assert.ok(all(back).mBoolInt32 instanceof Map);
      assert.deepEqual(new Map(all(back).mBoolInt32 as Map<boolean, number>), new Map([[true, 1], [false, -2]]));
      assert.deepEqual((r.toJsonObject(back)["all"] as Record<string, unknown>)["m_bool_int32"], { false: -2, true: 1 });
      const fromJson = r.fromJson(r.toJson(back));
      assert.deepEqual(fromJson, back);
      assert.throws(() => (all(back).mBoolInt32 as Map<boolean, number>).set(true, 9), TypeError);
      // an object where a Map belongs is an error at create, not a silent loss
      assert.throws(() => make(r, "EverythingEvent", { all: { mBoolInt32: { true: 1 } } }), isError(EventValidationError, "invalid-value", "all.m_bool_int32"));
    });

    test(`forceLong=${kind}: every integer key kind round-trips at its edges, sorted canonically`, () => {
      const k64 = (v: bigint) => (kind === "bigint" ? v : String(v));
      const map64 = (entries: [bigint, unknown][]) => (kind === "bigint" ? new Map(entries) : Object.fromEntries(entries.map(([k, v]) => [String(k), v])));
      const int64Keys: [bigint, unknown][] = kind === "number" ? [[-(2n ** 53n - 1n), {}], [2n ** 53n - 1n, {}]] : [[-(2n ** 63n), {}], [2n ** 63n - 1n, {}]];
      const e = make(r, "EverythingEvent", {
        all: {
          mInt32String: { [-(2 ** 31)]: "min", [2 ** 31 - 1]: "max" },
          mUint32Enum: { 0: 1, [2 ** 32 - 1]: 2 },
          mFixed32Float: { [2 ** 32 - 1]: 1.5 },
          mSfixed32Fixed32: { [-(2 ** 31)]: 2 ** 32 - 1 },
          mSint32Int64: { [-(2 ** 31)]: kind === "number" ? 5 : k64(5n) },
          mInt64Message: kind === "number" ? Object.fromEntries(int64Keys.map(([k, v]) => [String(k), v])) : map64(int64Keys),
          mUint64Sint32: kind === "number" ? { [2 ** 53 - 1]: -1 } : map64([[2n ** 64n - 1n, -1]]),
          mFixed64Bool: kind === "number" ? { 0: true } : map64([[0n, true], [2n ** 64n - 1n, false]]),
        },
      });
      const bin = r.toBinary(e);
      assert.deepEqual(r.fromBinary(bin), e);
      assert.deepEqual(r.toBinary(r.fromJson(r.toJson(e))), bin);
    });
  }
});

describe("field names do not depend on object key order", () => {
  for (const kind of ["number", "bigint", "string"] as const) {
    const r = registries[kind];
    test(`forceLong=${kind}: fields named _2 and _10 beside b and z each keep their own values`, () => {
      const nested = { b: "B", 2: 22, 10: "ten", z: "Z" };
      const e = make(r, "IntegerNamesEvent", { a: "A", nested, list: [nested] });
      const written = r.toJsonObject(e);
      assert.deepEqual(written["nested"], { b: "B", _2: 22, _10: "ten", z: "Z" });
      for (const back of [r.fromBinary(r.toBinary(e)), r.fromJson(r.toJson(e))]) assert.deepEqual(back.payload, e.payload);
      const fromJson = r.fromJson(`{"event_id": "${EVENT_ID}", "timestamp": 1.0, "event_type": "IntegerNamesEvent", "nested": {"_10": "ten", "b": "B", "_2": 22}}`);
      assert.deepEqual((fromJson.payload as { nested: unknown }).nested, { b: "B", 2: 22, 10: "ten", z: "" });
      // the bytes ts-proto's own code writes read the same
      const gen = kind === "number" ? numberGen : kind === "bigint" ? bigintGen : stringGen;
      assert.deepEqual(gen.IntegerNamesNested.decode(gen.IntegerNamesNested.encode(gen.IntegerNamesNested.fromPartial(nested as never)).finish()), (e.payload as { nested: unknown }).nested);
    });
  }
});

describe("floats and non-finite values", () => {
  const r = registries.bigint;
  test("a finite double beyond the float range is refused by create and by fromJson, naming the field", () => {
    assert.throws(() => make(r, "EverythingEvent", { all: { fFloat: 1e39 } }), isError(EventValidationError, "invalid-value", "all.f_float"));
    assert.throws(() => make(r, "EverythingEvent", { all: { rFloat: [1, -1e39] } }), isError(EventValidationError, "invalid-value", "all.r_float[1]"));
    assert.throws(() => r.fromJson(json(`"f_float": 1e39`)), isError(DecodeError, "invalid-value", "all.f_float"));
    assert.throws(() => r.fromJson(json(`"m_fixed32_float": {"1": -1e39}`)), isError(DecodeError, "invalid-value", 'all.m_fixed32_float["1"]'));
    // the float range itself, and the non-finite values, are fine
    const e = make(r, "EverythingEvent", { all: { fFloat: 3.4028234663852886e38, rFloat: [Infinity, -Infinity, NaN] } });
    assert.deepEqual(r.fromJson(r.toJson(e)), e);
  });

  test("bare NaN and Infinity are read only into float fields, not into strings or bytes", () => {
    assert.ok(Number.isNaN(all(r.fromJson(json(`"f_double": NaN, "f_float": -Infinity`))).fDouble as number));
    assert.throws(() => r.fromJson(json(`"f_string": NaN`)), isError(DecodeError, "invalid-value", "all.f_string"));
    assert.throws(() => r.fromJson(json(`"r_string": ["a", Infinity]`)), isError(DecodeError, "invalid-value", "all.r_string[1]"));
    assert.throws(() => r.fromJson(json(`"f_bytes": NaN`)), isError(DecodeError, "invalid-value", "all.f_bytes"));
    // the quoted words are what a string holds, and what the proto3 mapping writes for a float
    assert.equal(all(r.fromJson(json(`"f_string": "NaN"`))).fString, "NaN");
    assert.equal(all(r.fromJson(json(`"f_double": "Infinity"`))).fDouble, Infinity);
  });
});

describe("JSON nesting under unknown keys", () => {
  const r = registries.bigint;
  test("is held to maxDepth, as nesting of known fields is", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    assert.throws(() => r.fromJson(json(`"future": ${deep(10)}`), { maxDepth: 5 }), isError(DecodeError, "too-deep", "all.future"));
    assert.throws(() => r.fromJson(`{"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "EverythingEvent", "x": ${deep(100)}}`), isError(DecodeError, "too-deep", "x"));
    assert.ok(r.fromJson(json(`"future": ${deep(3)}`), { maxDepth: 5 }));
  });
});

describe("well-known types", () => {
  const r = registries.bigint;
  const known = (e: Event): Record<string, unknown> => (e.payload as { known: Record<string, unknown> }).known;
  const knownJson = (e: Event): Record<string, unknown> => r.toJsonObject(e)["known"] as Record<string, unknown>;

  test("are accepted in event payloads, held as ts-proto holds them, and written in the proto3 canonical JSON forms", () => {
    const e = make(r, "EverythingEvent", {
      known: {
        ts: new Date("2026-11-27T10:00:00.125Z"),
        duration: { seconds: 1n, nanos: 500_000_000 },
        struct: { a: [1, "x", null], b: { c: true } },
        value: "text",
        list: [1, 2],
        doubleValue: 1.5,
        int64Value: 2n ** 60n + 1n,
        stringValue: "",
        bytesValue: new Uint8Array([1, 2]),
        mask: ["user_id", "address.zip_code"],
        empty: {},
        rTs: [new Date(0)],
      },
    });
    assert.ok(known(e).ts instanceof Date);
    assert.deepEqual(knownJson(e), {
      ts: "2026-11-27T10:00:00.125Z",
      duration: "1.500s",
      struct: { a: [1, "x", null], b: { c: true } },
      value: "text",
      list: [1, 2],
      null_value: null,
      double_value: 1.5,
      int64_value: "1152921504606846977",
      string_value: "",
      bytes_value: "AQI=",
      mask: "userId,address.zipCode",
      empty: {},
      r_ts: ["1970-01-01T00:00:00Z"],
      r_duration: [],
      r_value: [],
      r_int64_value: [],
      r_any: [],
      m_value: {},
      m_ts: {},
      m_duration: {},
    });
    for (const back of [r.fromBinary(r.toBinary(e)), r.fromJson(r.toJson(e)), r.fromJson(r.toJson(e, { style: "python" }))]) assert.deepEqual(back, e);
  });

  test("timestamps with offsets and up to nine fractional digits are read; out-of-range and malformed ones are refused", () => {
    const withTs = (ts: string) => `{"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "EverythingEvent", "known": {"ts": ${JSON.stringify(ts)}}}`;
    assert.equal((known(r.fromJson(withTs("2026-11-27T12:00:00.123456789+02:00"))).ts as Date).toISOString(), "2026-11-27T10:00:00.123Z");
    for (const bad of ["2026-13-01T00:00:00Z", "2026-11-27 10:00:00Z", "10000-01-01T00:00:00Z", "2026-11-27T10:00:00"]) {
      assert.throws(() => r.fromJson(withTs(bad)), isError(DecodeError, "invalid-value", "known.ts"), bad);
    }
    assert.throws(() => make(r, "EverythingEvent", { known: { ts: new Date(Number.NaN) } }), isError(EventValidationError, "invalid-value", "known.ts"));
  });

  test("an Any of a registered type is written with its fields and @type; of an unknown type, kept as its bytes and re-encoded unchanged", () => {
    // (any message of the registry's files resolves: Inner is declared in a file full.proto imports)
    const typeUrl = "type.googleapis.com/fixtures.types.v1.Inner";
    const bytes = new BinaryWriter().uint32(10).string("packed").uint32(16).int32(7).finish();
    const e = make(r, "EverythingEvent", { known: { any: { typeUrl, value: bytes } } });
    assert.deepEqual(knownJson(e)["any"], { "@type": typeUrl, label: "packed", count: 7, children: [] });
    assert.deepEqual(r.toBinary(r.fromJson(r.toJson(e))), r.toBinary(e));
    const unknownUrl = "type.googleapis.com/acme.v9.Mystery";
    const mystery = make(r, "EverythingEvent", { known: { any: { typeUrl: unknownUrl, value: new Uint8Array([8, 1, 18, 1, 120]) } } });
    assert.deepEqual(knownJson(mystery)["any"], { "@type": unknownUrl, value: "CAESAXg=" });
    assert.deepEqual(r.toBinary(r.fromJson(r.toJson(mystery))), r.toBinary(mystery));
    assert.deepEqual(r.toBinary(r.fromBinary(r.toBinary(mystery))), r.toBinary(mystery));
  });
});
