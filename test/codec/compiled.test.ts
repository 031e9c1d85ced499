// The compiled binary codec on a payload with a field of every kind
// (test/fixtures/proto/fixtures/types/v1/types.proto), against ts-proto's
// generated code: the same values both ways, ts-proto's own bytes (fields in
// declaration order, maps in insertion order) read the same, and our bytes
// are canonical (fields in number order, map entries sorted and complete).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { validate as uuidValidate } from "uuid";
import { createRegistry, DecodeError, EventValidationError, type RegisteredType } from "eventwire";
import { shopRegistry } from "../../examples/shop/events.js";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import { isUuidBytes } from "../../src/wire/uuid.js";
import { AllTypesEvent, protoMetadata } from "../fixtures/gen/fixtures/types/v1/types.js";
import { protoMetadata as miscFile, TaggedEvent } from "../fixtures/gen/fixtures/misc/v1/misc.js";
import { text } from "../support/arbitraries.js";
import { EVENT_ID, isError } from "../support/codec.js";

const registry = createRegistry([AllTypesEvent], { files: [protoMetadata] });
const tagged = createRegistry([TaggedEvent], { files: [miscFile] });
type Schema = RegisteredType["schema"];
type Field = Schema["fields"][number];
type Value = Pick<Field, "type" | "message" | "enumType">;
const schema = registry.require("AllTypesEvent").schema;

const T = { DOUBLE: 1, FLOAT: 2, INT64: 3, UINT64: 4, INT32: 5, FIXED64: 6, FIXED32: 7, BOOL: 8, STRING: 9, MESSAGE: 11, BYTES: 12, UINT32: 13, ENUM: 14, SFIXED32: 15, SFIXED64: 16, SINT32: 17, SINT64: 18 };

const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, -1, 1, -(2 ** 31), 2 ** 31 - 1));
const uint32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 127, 128, 2 ** 31, 2 ** 32 - 1));
const int64 = fc.oneof(fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31) - 1));
const uint64 = fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1));
const noNegativeZero = (d: number) => (Object.is(d, -0) ? 0 : d);

/** Values of a scalar type; `presence`: -0 survives (it is written), otherwise it reads back as 0. */
function scalarOf(type: number, presence: boolean): fc.Arbitrary<unknown> {
  switch (type) {
    case T.DOUBLE:
      return presence ? fc.double() : fc.double().map(noNegativeZero);
    case T.FLOAT:
      return presence ? fc.float() : fc.float().map(noNegativeZero);
    case T.INT64:
    case T.SINT64:
    case T.SFIXED64:
      return int64;
    case T.UINT64:
    case T.FIXED64:
      return uint64;
    case T.INT32:
    case T.SINT32:
    case T.SFIXED32:
      return int32;
    case T.ENUM:
      return fc.oneof(fc.constantFrom(0, 1, 2, -1), int32);
    case T.UINT32:
    case T.FIXED32:
      return uint32;
    case T.BOOL:
      return fc.boolean();
    case T.STRING:
      return text;
    case T.BYTES:
      return fc.uint8Array({ maxLength: 20 });
  }
  throw new Error(`no arbitrary for type ${type}`);
}

function valueOf(value: Value, presence: boolean, depth: number): fc.Arbitrary<unknown> {
  return value.message ? messageOf(value.message, depth + 1) : scalarOf(value.type, presence);
}

function mapKeyOf(type: number): fc.Arbitrary<string | boolean> {
  if (type === T.STRING) return text.filter((k) => k !== "__proto__");
  if (type === T.BOOL) return fc.boolean();
  return (scalarOf(type, false) as fc.Arbitrary<number>).map(String);
}

/** Any valid message of `schema`, as `create` takes it (any field may be left out). */
function messageOf(s: Schema, depth = 1): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of s.fields) {
    if (depth > 2 && (field.repeated || field.mapKey !== undefined)) continue; // (nesting stops here)
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const entries = fc.array(fc.tuple(mapKeyOf(field.mapKey), valueOf(field.mapValue, false, depth)), { maxLength: 4 });
      parts[field.localName] = field.mapKey === T.BOOL ? entries.map((e) => new Map(e)) : entries.map((e) => Object.fromEntries(e));
    } else if (field.repeated) {
      parts[field.localName] = fc.array(valueOf(field, false, depth), { maxLength: 4 });
    } else if (field.message) {
      parts[field.localName] = depth > 2 ? fc.constant(undefined) : fc.option(messageOf(field.message, depth + 1), { nil: undefined });
    } else if (field.presence) {
      parts[field.localName] = fc.option(scalarOf(field.type, true), { nil: undefined });
    } else {
      parts[field.localName] = scalarOf(field.type, false);
    }
  }
  return fc.record(parts, { requiredKeys: [] }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

const event = messageOf(schema).map((p) => registry.create("AllTypesEvent", p as never, { eventId: EVENT_ID, timestamp: 1.5 }));

/** The payload bytes of one of our envelopes. */
function payloadOf(bytes: Uint8Array): Uint8Array {
  return EventEnvelope.decode(bytes).payload;
}

function envelope(eventType: string, payload: Uint8Array): Uint8Array {
  return EventEnvelope.encode({ eventId: EVENT_ID, timestamp: 1.5, eventType, payload, headers: {} }).finish();
}

const keyOrder = (type: number) => (a: string | number | boolean, b: string | number | boolean): number => {
  if (type === T.STRING) {
    const x = Buffer.from(a as string, "utf8");
    const y = Buffer.from(b as string, "utf8");
    return Buffer.compare(x, y);
  }
  return Number(a) - Number(b);
};

/** Checks bytes are canonical for `s`: fields in number order, map entries sorted by key, each with its key and value. */
function checkCanonical(bytes: Uint8Array, s: Schema): void {
  const r = new BinaryReader(bytes);
  let last = 0;
  const mapKeys = new Map<number, unknown[]>();
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    assert.ok(no >= last, `field ${no} after field ${last}`);
    last = no;
    const field = s.byNumber.get(no);
    assert.ok(field, `unknown field ${no}`);
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const entry = new BinaryReader(r.bytes());
      const [k] = entry.tag();
      assert.equal(k, 1, "a map entry starts with its key");
      const key = readScalar(entry, field.mapKey);
      const [v, vwt] = entry.tag();
      assert.equal(v, 2, "a map entry has its value");
      if (field.mapValue.message) checkCanonical(entry.bytes(), field.mapValue.message);
      else entry.skip(vwt);
      assert.equal(entry.pos, entry.len, "nothing after a map entry's value");
      const keys = mapKeys.get(no) ?? [];
      if (keys.length > 0) assert.ok(keyOrder(field.mapKey)(keys.at(-1) as string, key as string) < 0, `map ${field.name}: keys in order`);
      keys.push(key);
      mapKeys.set(no, keys);
    } else if (field.message) {
      checkCanonical(r.bytes(), field.message);
    } else {
      if (field.repeated && field.type !== T.STRING && field.type !== T.BYTES) assert.equal(wt, 2, `${field.name} is packed`);
      r.skip(wt);
    }
  }
}

function readScalar(r: BinaryReader, type: number): unknown {
  switch (type) {
    case T.STRING:
      return r.string();
    case T.BOOL:
      return r.bool();
    case T.INT32:
      return r.int32();
    case T.SINT32:
      return r.sint32();
    case T.SFIXED32:
      return r.sfixed32();
    case T.UINT32:
      return r.uint32();
    case T.FIXED32:
      return r.fixed32();
    case T.INT64:
      return Number(r.int64());
    case T.SINT64:
      return Number(r.sint64());
    case T.SFIXED64:
      return Number(r.sfixed64());
    case T.UINT64:
      return Number(r.uint64());
    case T.FIXED64:
      return Number(r.fixed64());
  }
  throw new Error(`no reader for ${type}`);
}

describe("the compiled codec, on a payload with a field of every kind", () => {
  test("random payloads: binary → event → binary gives the same bytes, and the same event", () => {
    fc.assert(
      fc.property(event, (e) => {
        const bytes = registry.toBinary(e);
        const decoded = registry.fromBinary(bytes);
        assert.deepEqual(decoded, e);
        assert.deepEqual(registry.toBinary(decoded), bytes);
      }),
      { numRuns: 400 },
    );
  });

  test("ts-proto's generated decoder reads our payload bytes as the same payload", () => {
    fc.assert(
      fc.property(event, (e) => {
        assert.deepEqual(AllTypesEvent.decode(payloadOf(registry.toBinary(e))), { ...e.payload });
      }),
      { numRuns: 400 },
    );
  });

  test("ts-proto's bytes (declaration order, maps in insertion order, defaults in map entries left out) read here as ts-proto reads them", () => {
    fc.assert(
      fc.property(event, (e) => {
        const theirs = AllTypesEvent.encode(e.payload).finish();
        const decoded = registry.fromBinary(envelope("AllTypesEvent", theirs));
        assert.deepEqual(decoded.payload, AllTypesEvent.decode(theirs));
      }),
      { numRuns: 400 },
    );
  });

  test("our bytes are canonical: fields in number order, repeated scalars packed, map entries sorted with key and value", () => {
    fc.assert(
      fc.property(event, (e) => checkCanonical(payloadOf(registry.toBinary(e)), schema)),
      { numRuns: 300 },
    );
  });

  test("decoded payloads are frozen throughout and have ts-proto's properties, in its order", () => {
    const e = registry.fromBinary(registry.toBinary(registry.create("AllTypesEvent", { rMessage: [{ children: [{}] }], mInt64Message: { "7": {} }, fMessage: {} })));
    assert.deepEqual(Object.keys(e.payload), Object.keys(AllTypesEvent.fromPartial({})));
    const seen: unknown[] = [];
    const walk = (v: unknown): void => {
      if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || v instanceof Map) return;
      seen.push(v);
      assert.ok(Object.isFrozen(v));
      for (const x of Object.values(v)) walk(x);
    };
    walk(e);
    assert.ok(seen.length >= 8);
  });

  test("unpacked repeated scalars (as proto2 peers write them) read as packed ones", () => {
    const w = new BinaryWriter();
    for (const v of [1, -2, 300]) w.uint32((25 << 3) | 0).int32(v); // r_int32, unpacked
    w.uint32((21 << 3) | 1).double(1.5); // r_double, unpacked
    w.uint32((21 << 3) | 2).fork().double(2.5).double(3.5).join(); // then packed
    const e = registry.fromBinary(envelope("AllTypesEvent", w.finish()));
    assert.deepEqual(e.payload.rInt32, [1, -2, 300]);
    assert.deepEqual(e.payload.rDouble, [1.5, 2.5, 3.5]);
  });

  test("bytes fields are plain Uint8Arrays of their own, also when the input is a Buffer", () => {
    const e = registry.create("AllTypesEvent", { fBytes: new Uint8Array([1, 2, 3]), rBytes: [new Uint8Array([4])] });
    const input = Buffer.from(registry.toBinary(e));
    const decoded = registry.fromBinary(input);
    assert.deepEqual(decoded.payload.fBytes, new Uint8Array([1, 2, 3]));
    assert.equal(Object.getPrototypeOf(decoded.payload.fBytes), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(decoded.payload.rBytes[0]), Uint8Array.prototype);
    input.fill(0);
    assert.deepEqual(decoded.payload.fBytes, new Uint8Array([1, 2, 3]));
  });

  test("a map entry without a message value is dropped, as ts-proto drops it; one without a key takes the default key", () => {
    const w = new BinaryWriter();
    w.uint32((63 << 3) | 2).fork().uint32(8).int64(5).join(); // m_int64_message: key 5, no value
    w.uint32((62 << 3) | 2).fork().uint32(18).string("v").join(); // m_int32_string: no key, value "v"
    const bytes = w.finish();
    const e = registry.fromBinary(envelope("AllTypesEvent", bytes));
    assert.deepEqual(e.payload, AllTypesEvent.decode(bytes));
    assert.deepEqual(e.payload.mInt64Message, {});
    assert.deepEqual(e.payload.mInt32String, { 0: "v" });
  });
});

describe("the compiled decoder refuses bad payloads with a typed error", () => {
  const rejects = (payload: Uint8Array, code: string, path?: string) =>
    assert.throws(() => registry.fromBinary(envelope("AllTypesEvent", payload)), isError(DecodeError, code as never, path));
  const w = () => new BinaryWriter();

  test("a packed list whose length is not a whole number of elements, or that ends inside a varint", () => {
    rejects(w().uint32((21 << 3) | 2).bytes(new Uint8Array(12)).finish(), "malformed-binary", "payload");
    rejects(w().uint32((27 << 3) | 2).bytes(new Uint8Array(5)).finish(), "malformed-binary", "payload");
    rejects(w().uint32((25 << 3) | 2).bytes(new Uint8Array([1, 0x80])).finish(), "malformed-binary", "payload");
  });

  test("a 64-bit integer beyond the safe integers is invalid-value", () => {
    rejects(w().uint32((4 << 3) | 0).uint64(2n ** 53n).finish(), "invalid-value", "payload");
    rejects(w().uint32((3 << 3) | 0).int64(-(2n ** 53n)).finish(), "invalid-value", "payload");
    rejects(w().uint32((6 << 3) | 1).fixed64(2n ** 64n - 1n).finish(), "invalid-value", "payload");
    const ok = registry.fromBinary(envelope("AllTypesEvent", w().uint32((18 << 3) | 0).sint64(-(2n ** 53n - 1n)).uint32((16 << 3) | 1).sfixed64(-(2n ** 53n - 1n)).finish()));
    assert.equal(ok.payload.fSint64, -(2 ** 53 - 1));
    assert.equal(ok.payload.fSfixed64, -(2 ** 53 - 1));
  });

  test("errors in nested messages and map entries name the field they are in", () => {
    rejects(w().uint32((11 << 3) | 2).fork().uint32((2 << 3) | 2).bytes(new Uint8Array(1)).join().finish(), "invalid-wire-type", "payload.f_message");
    rejects(w().uint32((11 << 3) | 2).fork().uint32((3 << 3) | 2).fork().uint32((1 << 3) | 0).uint32(1).join().join().finish(), "invalid-wire-type", "payload.f_message.children");
    rejects(w().uint32((63 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(new Uint8Array(1)).join().finish(), "invalid-wire-type", "payload.m_int64_message");
    rejects(w().uint32((63 << 3) | 2).fork().uint32((2 << 3) | 2).fork().uint32((2 << 3) | 2).bytes(new Uint8Array(0)).join().join().finish(), "invalid-wire-type", "payload.m_int64_message");
    rejects(w().uint32((61 << 3) | 2).fork().uint32((1 << 3) | 2).string("__proto__").join().finish(), "forbidden-key", "payload.m_string_string");
    rejects(w().uint32((11 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(new Uint8Array([0xc3])).join().finish(), "invalid-utf8", "payload");
    rejects(w().uint32((61 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(new Uint8Array([0xff])).join().finish(), "invalid-utf8", "payload");
    rejects(w().uint32((11 << 3) | 2).fork().uint32((1 << 3) | 2).uint32(5).join().finish(), "malformed-binary", "payload.f_message");
  });

  test("maxDepth counts map values as one level down, with the map's path", () => {
    const node = (name: string) => w().uint32((1 << 3) | 2).string(name).finish();
    const payload = w().uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).string("k").uint32((2 << 3) | 2).bytes(node("n")).join().finish();
    const bytes = envelope("TaggedEvent", payload);
    assert.equal(tagged.fromBinary(bytes, { maxDepth: 2 }).payload.nodes["k"]?.name, "n");
    assert.throws(() => tagged.fromBinary(bytes, { maxDepth: 1 }), isError(DecodeError, "too-deep", "payload.nodes"));
  });

  test("inputs too large to be read in one piece decode the same (long strings, non-ASCII, many items)", () => {
    const long = "x".repeat(5000);
    const items = Array.from({ length: 300 }, (_, i) => ({ productId: `p-${i}`, name: i % 2 ? "Käse ✨" : long.slice(0, i), price: i / 3, quantity: i }));
    const e = shopRegistry.create("OrderCreatedEvent", { orderId: long, userId: "ü".repeat(200), items }, { eventId: EVENT_ID, timestamp: 2 });
    const bytes = shopRegistry.toBinary(e);
    assert.ok(bytes.length > 10_000);
    assert.deepEqual(shopRegistry.fromBinary(bytes), e);
    assert.deepEqual(shopRegistry.fromBinary(bytes.slice()), e);
    assert.deepEqual(EventEnvelope.decode(bytes).eventId, EVENT_ID);
  });
});

describe("the compiled encoder", () => {
  test("refuses values of the wrong type with an EventValidationError naming the field", () => {
    const good = registry.create("AllTypesEvent", {});
    const withPayload = (p: Record<string, unknown>) => ({ ...good, payload: { ...good.payload, ...p } }) as typeof good;
    assert.throws(() => registry.toBinary(withPayload({ fInt32: 1.5 })), isError(EventValidationError, "invalid-value", "f_int32"));
    assert.throws(() => registry.toBinary(withPayload({ fString: 7 })), isError(EventValidationError, "invalid-value", "f_string"));
    assert.throws(() => registry.toBinary(withPayload({ rMessage: [{ label: 1 }] })), isError(EventValidationError, "invalid-value"));
    assert.throws(() => registry.toBinary(withPayload({ fFloat: 1e39 })), isError(EventValidationError, "invalid-value"));
    assert.throws(() => registry.toBinary(withPayload({ mInt32String: { "1.5": "x" } })), isError(EventValidationError, "invalid-value"));
    assert.throws(() => registry.toBinary(withPayload({ mUint32Enum: { "-1": 0 } })), isError(EventValidationError, "invalid-value"));
    assert.throws(() => registry.toBinary({ ...good, headers: { a: 1 } } as never), isError(EventValidationError, "invalid-value", "headers"));
  });

  test("an encoding started while another is under way (a getter) gets a buffer of its own", () => {
    const inner = shopRegistry.create("OrderShippedEvent", { orderId: "inner" }, { eventId: EVENT_ID, timestamp: 1 });
    const expectedInner = shopRegistry.toBinary(inner);
    let seen: Uint8Array | undefined;
    const payload = {
      get orderId() {
        seen = shopRegistry.toBinary(inner);
        return "outer";
      },
      trackingNumber: "t",
      carrier: "c",
    };
    const outer = { ...shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: 1 }), payload };
    const bytes = shopRegistry.toBinary(outer as never);
    assert.deepEqual(seen, expectedInner);
    assert.deepEqual(shopRegistry.fromBinary(bytes).payload, { orderId: "outer", trackingNumber: "t", carrier: "c" });
  });

  test("results are independent of each other, though small ones may share an ArrayBuffer", () => {
    const events = Array.from({ length: 500 }, (_, i) => shopRegistry.create("OrderShippedEvent", { orderId: `o-${i}` }));
    const bytes = events.map((e) => shopRegistry.toBinary(e));
    bytes.forEach((b, i) => assert.deepEqual(shopRegistry.fromBinary(b), events[i]));
    bytes[0]!.fill(0);
    bytes.slice(1).forEach((b, i) => assert.deepEqual(shopRegistry.fromBinary(b), events[i + 1]));
    for (const b of bytes) assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype);
  });
});

test("the byte-level UUID check agrees with the uuid package", () => {
  const enc = new TextEncoder();
  const uuidish = fc.oneof(
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.constantFrom("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "00000000-0000-0000-0000-00000000000f"),
    fc.tuple(fc.uuid(), fc.nat(35), fc.constantFrom("-", "g", "0", "9", "a", "F", "8", "c", " ", "é")).map(([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1)),
    fc.string({ minLength: 34, maxLength: 38 }),
  );
  fc.assert(
    fc.property(uuidish, (s) => {
      const b = enc.encode(s);
      assert.equal(isUuidBytes(b, 0, b.length), uuidValidate(s), s);
    }),
    { numRuns: 5000 },
  );
});
