// Property tests (fast-check): random valid events of every type survive
// both codecs unchanged, and random or mutated input never makes a decoder
// throw anything but a DecodeError, nor hang.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { isDecodeError } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import { bigOrder, double, int32, shopEvent, text } from "../support/arbitraries.js";

/** The own properties of the built-in prototypes, before any test runs. */
function prototypes(): Record<string, string[]> {
  const of = (o: object) => Reflect.ownKeys(o).map(String).sort();
  return { object: of(Object.prototype), array: of(Array.prototype), function: of(Function.prototype), string: of(String.prototype) };
}
const PROTOTYPES_BEFORE = prototypes();

/** A generous bound: every property here runs in well under a second per hundred runs. */
const NO_HANG = { timeout: 60_000 };

/** An accepted input yields a valid event: it encodes, and its encodings are stable. */
function checkAccepted(e: ShopEvent): void {
  const bin = shopRegistry.toBinary(e);
  assert.deepEqual(shopRegistry.toBinary(shopRegistry.fromBinary(bin)), bin);
  const json = shopRegistry.toJson(e);
  assert.equal(shopRegistry.toJson(shopRegistry.fromJson(json)), json);
}

function decodeBinary(bytes: Uint8Array): void {
  const r = shopRegistry.tryFromBinary(bytes); // rethrows anything that is not a DecodeError
  if (r.ok) checkAccepted(r.event);
  else assert.ok(isDecodeError(r.error), String(r.error));
}

function decodeJson(input: string | Uint8Array): void {
  const r = shopRegistry.tryFromJson(input);
  if (r.ok) checkAccepted(r.event);
  else assert.ok(isDecodeError(r.error), String(r.error));
}

function decodeJsonObject(value: unknown): void {
  try {
    checkAccepted(shopRegistry.fromJsonObject(value));
  } catch (err) {
    assert.ok(isDecodeError(err), String(err));
  }
}

describe("the generators reach the edge values", () => {
  test("NaN, ±Infinity, huge and tiny doubles, int32 bounds, empty and astral strings", () => {
    const doubles = fc.sample(double, { numRuns: 3000, seed: 1 });
    for (const v of [NaN, Infinity, -Infinity, 0, Number.MAX_VALUE, Number.MIN_VALUE]) {
      assert.ok(doubles.some((d) => Object.is(d, v)), `double ${v}`);
    }
    assert.ok(doubles.some((d) => d < 0 && Number.isFinite(d)), "a negative double");
    assert.ok(!doubles.some((d) => Object.is(d, -0)), "no -0");
    const ints = fc.sample(int32, { numRuns: 2000, seed: 1 });
    for (const v of [0, -(2 ** 31), 2 ** 31 - 1]) assert.ok(ints.includes(v), `int32 ${v}`);
    const strings = fc.sample(text, { numRuns: 2000, seed: 1 });
    assert.ok(strings.includes(""), "the empty string");
    assert.ok(strings.some((s) => [...s].some((c) => c.codePointAt(0)! > 0xffff)), "a character outside the BMP");
    assert.ok(strings.every((s) => s.isWellFormed()), "only well-formed strings");
  });
});

describe("round trips of random valid events", () => {
  test("binary → event → binary gives the same bytes; event → binary → event the same event", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, (e) => {
        const bin = shopRegistry.toBinary(e);
        const decoded = shopRegistry.fromBinary(bin);
        assert.deepEqual(decoded, e);
        assert.deepEqual(shopRegistry.toBinary(decoded), bin);
      }),
      { numRuns: 2000 },
    );
  });

  test("JSON → event → JSON gives the same text; event → JSON → event the same event", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, (e) => {
        const json = shopRegistry.toJson(e);
        const decoded = shopRegistry.fromJson(json);
        assert.deepEqual(decoded, e);
        assert.equal(shopRegistry.toJson(decoded), json);
      }),
      { numRuns: 2000 },
    );
  });

  test("binary and JSON agree: each decodes to what the other encodes", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, (e) => {
        const viaJson = shopRegistry.fromJson(shopRegistry.toJson(e));
        assert.deepEqual(shopRegistry.toBinary(viaJson), shopRegistry.toBinary(e));
      }),
      { numRuns: 300 },
    );
  });

  test("orders with hundreds of items, both codecs", NO_HANG, () => {
    fc.assert(
      fc.property(bigOrder, (e) => {
        assert.ok(e.eventType === "OrderCreatedEvent" && e.payload.items.length >= 200);
        const bin = shopRegistry.toBinary(e);
        assert.deepEqual(shopRegistry.fromBinary(bin), e);
        const json = shopRegistry.toJson(e);
        assert.deepEqual(shopRegistry.fromJson(json), e);
        assert.equal(shopRegistry.toJson(shopRegistry.fromJson(json)), json);
      }),
      { numRuns: 20 },
    );
  });
});

/** An edit to a byte string: a bit flip, a truncation, an insertion, a deletion, an overwrite. */
type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number }
  | { kind: "set"; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22, 0x2a) }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = [...input];
  for (const m of mutations) {
    const at = m.at % (bytes.length + 1);
    switch (m.kind) {
      case "flip":
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "insert":
        bytes.splice(at, 0, ...m.bytes);
        break;
      case "delete":
        bytes.splice(at, m.count);
        break;
      case "set":
        if (at < bytes.length) bytes[at] = m.value;
        break;
    }
  }
  return new Uint8Array(bytes);
}

describe("binary decoding of random and mutated input throws only DecodeError", () => {
  test("random bytes", NO_HANG, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodeBinary), { numRuns: 2000 });
  });

  test("a well-formed envelope around random payload bytes, for each event type", NO_HANG, () => {
    fc.assert(
      fc.property(fc.constantFrom(...shopRegistry.names), fc.uint8Array({ maxLength: 256 }), (eventType, payload) => {
        decodeBinary(EventEnvelope.encode({ eventId: "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", timestamp: 1, eventType, payload, headers: {} }).finish());
      }),
      { numRuns: 2000 },
    );
  });

  test("bit flips, truncations, insertions, deletions and overwrites of valid encodings", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, fc.array(mutation, { minLength: 1, maxLength: 4 }), (e, mutations) => {
        decodeBinary(mutate(shopRegistry.toBinary(e), mutations));
      }),
      { numRuns: 5000 },
    );
  });

  test("the same mutations applied inside the payload only", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, fc.array(mutation, { minLength: 1, maxLength: 3 }), (e, mutations) => {
        const env = EventEnvelope.decode(shopRegistry.toBinary(e));
        decodeBinary(EventEnvelope.encode({ ...env, payload: mutate(env.payload, mutations) }).finish());
      }),
      { numRuns: 3000 },
    );
  });
});

/** Field names the decoders look for, in both spellings, and keys that must never reach a prototype. */
const KEYS = [
  "event_id", "eventId", "timestamp", "event_type", "eventType", "_headers", "_metadata",
  "order_id", "orderId", "user_id", "total", "items", "product_id", "productId", "name", "price", "quantity",
  "payment_id", "amount", "status", "tracking_number", "trackingNumber", "carrier",
  "__proto__", "constructor", "prototype", "toString",
];

/** JSON-ish values built around the field names, so that decoding gets past the first checks. */
const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom("NaN", "Infinity", "-Infinity", "1e400", "3", "-0", "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", ...shopRegistry.names),
    double.filter(Number.isFinite),
    fc.array(tie("value"), { maxLength: 4 }),
    tie("object"),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie("value")), { maxLength: 8 })
    .map((entries) => {
      // Own data properties, __proto__ included, as JSON.parse makes them.
      const obj: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
      return obj;
    }),
})).value;

/** A base that passes the envelope checks, with random payload fields. */
const jsonEvent = fc
  .tuple(fc.constantFrom(...shopRegistry.names), jsonish, fc.dictionary(fc.constantFrom(...KEYS), jsonish, { noNullPrototype: true }))
  .map(([eventType, extra, fields]) => ({ event_id: "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", timestamp: 1.5, event_type: eventType, ...fields, _extra: extra }));

/** An edit to a text: delete, insert or replace characters, with JSON's own characters favoured. */
const textEdit = fc.tuple(
  fc.constantFrom("delete", "insert", "replace"),
  fc.nat(),
  fc.integer({ min: 1, max: 4 }),
  fc.oneof(fc.constantFrom("{", "}", "[", "]", ":", ",", '"', "\\", "NaN", "-Infinity", "0", "-", "e", ".", " ", "\\u0000", "\\ud800", "null", "__proto__"), fc.string({ unit: "binary", maxLength: 3 })),
);

function editText(input: string, edits: readonly (readonly [string, number, number, string])[]): string {
  let s = input;
  for (const [kind, at0, count, piece] of edits) {
    const at = at0 % (s.length + 1);
    if (kind === "delete") s = s.slice(0, at) + s.slice(at + count);
    else if (kind === "insert") s = s.slice(0, at) + piece + s.slice(at);
    else s = s.slice(0, at) + piece + s.slice(at + count);
  }
  return s;
}

describe("JSON decoding of random and mutated input throws only DecodeError", () => {
  test("random JSON values, as text and as parsed objects", NO_HANG, () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        decodeJsonObject(v);
        decodeJson(JSON.stringify(v) ?? "null");
      }),
      { numRuns: 1000 },
    );
  });

  test("random values of any kind given to fromJsonObject", NO_HANG, () => {
    fc.assert(fc.property(fc.anything(), decodeJsonObject), { numRuns: 1000 });
  });

  test("objects with a valid base and random values under the field names", NO_HANG, () => {
    fc.assert(
      fc.property(jsonEvent, (obj) => {
        decodeJsonObject(obj);
        decodeJson(JSON.stringify(obj));
      }),
      { numRuns: 3000 },
    );
  });

  test("random text and random bytes", NO_HANG, () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), decodeJson), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodeJson), { numRuns: 1000 });
  });

  test("edits of valid JSON texts, and of Python's form with bare NaN and Infinity", NO_HANG, () => {
    fc.assert(
      fc.property(shopEvent, fc.array(textEdit, { minLength: 1, maxLength: 4 }), fc.boolean(), (e, edits, python) => {
        let json = shopRegistry.toJson(e);
        if (python) json = json.replace(/"(NaN|-?Infinity)"/g, "$1");
        decodeJson(editText(json, edits));
      }),
      { numRuns: 5000 },
    );
  });

  test("no decoding above reached a prototype", () => {
    assert.deepEqual(prototypes(), PROTOTYPES_BEFORE);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });
});
