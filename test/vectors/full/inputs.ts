/**
 * The fixed inputs of the all-types golden vectors (test/vectors/full/):
 * events of the all-types fixture, generated with forceLong=bigint
 * (test/fixtures/proto/fixtures/full/v1/full.proto) — every value at its
 * edges, every field at its default, and integers beyond 2^53 in every
 * position. Maps and structs are given in the order of their binary form
 * (keys sorted), so that each `.json` is the one every implementation writes
 * for the event the `.bin` holds. `npm run vectors` writes `<case>.bin` and
 * `<case>.json` from them; test/codec/vectors.test.ts checks the codec still makes exactly
 * those bytes. Changing an input means regenerating and committing the files.
 */
import { createRegistry, type Event, type EventRegistry } from "eventwire";
import * as full from "../../fixtures/gen-bigint/fixtures/full/v1/full.js";
import { Inner } from "../../fixtures/gen-bigint/fixtures/types/v1/types.js";
import { Timestamp } from "../../fixtures/gen-bigint/google/protobuf/timestamp.js";

/** The registry of the all-types fixture's event types. */
export const fullRegistry = createRegistry([full.EverythingEvent, full.IntegerNamesEvent], { files: [full.protoMetadata] }) as unknown as EventRegistry<Event>;

const EVENT_ID = "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c";

/** An EverythingEvent (or another type of the fixture) with a fixed id and time. */
export function makeFull(payload: object, type = "EverythingEvent"): Event {
  return (fullRegistry.create as unknown as (t: string, p: object, b: object) => Event)(type, payload, { eventId: EVENT_ID, timestamp: 1.5 });
}

export const anyOf = (typeUrl: string, value: Uint8Array) => ({ typeUrl, value });
export const packedInner = anyOf("type.googleapis.com/fixtures.types.v1.Inner", Inner.encode(Inner.fromPartial({ label: "packed", count: -3, children: [{ label: "c" }] } as never)).finish());
export const packedTimestamp = anyOf("type.googleapis.com/google.protobuf.Timestamp", Timestamp.encode({ seconds: 1700000000n, nanos: 5000 }).finish());

/**
 * Every value at its edges. (`floatMax`: the largest float, which Python's
 * protobuf writes in JSON as 3.4028235e+38 and then refuses to read back as
 * too large; the checks with Python use a smaller one.)
 */
export function edges(floatMax = true): Event {
  const inner = { label: "ü🙂", count: -(2 ** 31), children: [{ label: "", count: 2 ** 31 - 1, children: [] }] };
  return makeFull({
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
      mStringString: { "": "empty", a: "1", b: "2" },
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
      struct: { b: false, l: [1, "two", [null]], n: 1.5, o: { deep: { er: true } }, s: "x", z: null },
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
      mValue: { n: null, nested: { a: [1, 2] }, s: "v" },
      mTs: { epoch: new Date(0), later: new Date(1700000000123) },
      mDuration: new Map([[-(2n ** 63n), { seconds: 1n, nanos: 500000000 }]]),
      pickString: "",
    },
    knownList: [{ value: null, pickTs: new Date(86400000) }, {}],
  });
}


/** The vectors' cases, by file name. */
export function fullVectorEvents(): Record<string, Event> {
  const big = 2n ** 60n + 1n;
  return {
    edges: edges(false),
    defaults: makeFull({}),
    "big-integers": makeFull({
      all: { fInt64: big, fUint64: 2n ** 64n - 1n, rSint64: [big, -big], mSfixed64Uint64: new Map([[big, big]]), mUint64Sint32: new Map([[2n ** 63n, 1]]) },
      known: { int64Value: -big, uint64Value: big, duration: { seconds: 315576000000n, nanos: 0 }, mDuration: new Map([[big, { seconds: 1n, nanos: 1 }]]) },
    }),
    "integer-names": makeFull({ a: "A", nested: { b: "B", 2: 2, 10: "ten", z: "Z" } }, "IntegerNamesEvent"),
  };
}

/** The two files of a vector, as the codec makes them. */
export function fullVectorFiles(event: Event): { bin: Uint8Array; json: string } {
  return { bin: fullRegistry.toBinary(event), json: fullRegistry.toJson(event) };
}
