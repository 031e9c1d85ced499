// Fields a newer peer may add (envelope.proto: "New fields take new numbers")
// are skipped in the envelope, and kept in the payload to be written back.
// must be skipped, whatever their wire type, so that older decoders read the
// event unchanged.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { shopRegistry } from "../../examples/shop/events.js";
import { DecodeError } from "eventwire";
import { EVENT_ID, isError, sampleEvents, TIMESTAMP } from "../support/codec.js";

const tag = (field: number, wireType: number): number => (field << 3) | wireType;
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(parts.flatMap((p) => [...p]));

/** Unknown fields of every wire type: varint, 64-bit, length-delimited (short and with a two-byte length), 32-bit, and a group holding each. */
function unknownFields(first: number): Uint8Array {
  const w = new BinaryWriter();
  w.uint32(tag(first, 0)).uint64(2n ** 63n);
  w.uint32(tag(first + 1, 1)).fixed64(7);
  w.uint32(tag(first + 2, 2)).string("");
  w.uint32(tag(first + 3, 2)).string("future field");
  w.uint32(tag(first + 4, 2)).bytes(new Uint8Array(300).fill(0x0a));
  w.uint32(tag(first + 5, 5)).fixed32(9);
  w.uint32(tag(first + 6, 3));
  w.uint32(tag(1, 0)).uint32(1).uint32(tag(2, 2)).string("inside a group").uint32(tag(3, 1)).fixed64(1);
  w.uint32(tag(first + 6, 4));
  return w.finish();
}

describe("unknown fields are skipped", () => {
  test("in the envelope, after and between the known fields", () => {
    for (const e of sampleEvents()) {
      const bytes = shopRegistry.toBinary(e);
      assert.deepEqual(shopRegistry.fromBinary(concat(bytes, unknownFields(6))), e, "after");
      assert.deepEqual(shopRegistry.fromBinary(concat(unknownFields(100), bytes, unknownFields(2000))), e, "around");
    }
  });

  test("one length-delimited field of any length (a string a newer envelope might carry)", () => {
    const e = sampleEvents()[2]!;
    const bytes = shopRegistry.toBinary(e);
    for (const s of ["", "a", "ab\u0012", "x".repeat(127), "x".repeat(128), "x".repeat(20000)]) {
      const extra = new BinaryWriter().uint32(tag(6, 2)).string(s).finish();
      assert.deepEqual(shopRegistry.fromBinary(concat(bytes, extra)), e, `a string of ${s.length}`);
    }
  });

  test("in a header entry", () => {
    const header = new BinaryWriter().uint32(tag(5, 2)).fork();
    header.uint32(tag(1, 2)).string("k").uint32(tag(3, 2)).string("unknown").uint32(tag(2, 2)).string("v");
    const e = shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: TIMESTAMP, headers: { k: "v" } });
    const bytes = concat(shopRegistry.toBinary(shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: TIMESTAMP })), header.join().finish());
    assert.deepEqual(shopRegistry.fromBinary(bytes), e);
  });

  test("in the payload and in its nested messages", () => {
    const order = shopRegistry.create(
      "OrderCreatedEvent",
      { orderId: "o", items: [{ productId: "p", quantity: 3 }] },
      { eventId: EVENT_ID, timestamp: TIMESTAMP },
    );
    const item = concat(new BinaryWriter().uint32(tag(1, 2)).string("p").uint32(tag(4, 0)).int32(3).finish(), unknownFields(50));
    const payload = concat(
      unknownFields(20),
      new BinaryWriter().uint32(tag(1, 2)).string("o").uint32(tag(4, 2)).bytes(item).finish(),
      unknownFields(30),
    );
    const bytes = new BinaryWriter()
      .uint32(tag(1, 2)).string(EVENT_ID)
      .uint32(tag(2, 1)).double(TIMESTAMP)
      .uint32(tag(3, 2)).string("OrderCreatedEvent")
      .uint32(tag(4, 2)).bytes(payload)
      .finish();
    assert.deepEqual(shopRegistry.fromBinary(bytes), order);
  });
});

describe("unknown fields are kept and written back", () => {
  /** A newer OrderCreatedEvent's payload: the known fields (canonical), then fields this schema does not know, in the payload and in an item. */
  function newerPayload(): { payload: Uint8Array; unknown: Uint8Array; itemUnknown: Uint8Array } {
    const itemUnknown = unknownFields(50);
    const item = concat(new BinaryWriter().uint32(tag(1, 2)).string("p").uint32(tag(4, 0)).int32(3).finish(), itemUnknown);
    const unknown = unknownFields(20);
    const payload = concat(new BinaryWriter().uint32(tag(1, 2)).string("o").uint32(tag(4, 2)).bytes(item).finish(), unknown);
    return { payload, unknown, itemUnknown };
  }
  const envelopeOf = (payload: Uint8Array): Uint8Array =>
    new BinaryWriter().uint32(tag(1, 2)).string(EVENT_ID).uint32(tag(2, 1)).double(TIMESTAMP).uint32(tag(3, 2)).string("OrderCreatedEvent").uint32(tag(4, 2)).bytes(payload).finish();

  test("binary → event → binary gives the same bytes, the unknown fields after the known ones", () => {
    const bytes = envelopeOf(newerPayload().payload);
    const e = shopRegistry.fromBinary(bytes);
    assert.deepEqual(shopRegistry.toBinary(e), bytes);
    // interleaved unknown fields come out after the known ones, in the order they came, as protoc writes them
    const { unknown } = newerPayload();
    const mixed = concat(unknownFields(100), new BinaryWriter().uint32(tag(1, 2)).string("o").finish(), unknown);
    assert.deepEqual(
      shopRegistry.toBinary(shopRegistry.fromBinary(envelopeOf(mixed))),
      envelopeOf(concat(new BinaryWriter().uint32(tag(1, 2)).string("o").finish(), unknownFields(100), unknown)),
    );
  });

  test("they take no part in equality, and the event stays frozen", () => {
    const e = shopRegistry.fromBinary(envelopeOf(newerPayload().payload));
    const plain = shopRegistry.create("OrderCreatedEvent", { orderId: "o", items: [{ productId: "p", quantity: 3 }] }, { eventId: EVENT_ID, timestamp: TIMESTAMP });
    assert.deepStrictEqual(e, plain);
    assert.ok(Object.isFrozen(e.payload) && Object.isFrozen(e.payload.items[0]));
    assert.deepEqual(Object.keys(e.payload), Object.keys(plain.payload));
  });

  test("the JSON form carries them as base64 under _unknown_fields, and JSON → binary gives the bytes back", () => {
    const bytes = envelopeOf(newerPayload().payload);
    const e = shopRegistry.fromBinary(bytes);
    const json = shopRegistry.toJsonObject(e) as { _unknown_fields?: string; items: { _unknown_fields?: string }[] };
    assert.equal(typeof json._unknown_fields, "string");
    assert.equal(typeof json.items[0]!._unknown_fields, "string");
    for (const style of ["compact", "python"] as const) {
      assert.deepEqual(shopRegistry.toBinary(shopRegistry.fromJson(shopRegistry.toJson(e, { style }))), bytes, style);
    }
  });

  test("_unknown_fields must hold well-formed fields the schema does not know", () => {
    const base = `"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "OrderShippedEvent"`;
    const known = Buffer.from(new BinaryWriter().uint32(tag(1, 2)).string("x").finish()).toString("base64");
    assert.throws(() => shopRegistry.fromJson(`{${base}, "_unknown_fields": "${known}"}`), isError(DecodeError, "invalid-value", "_unknown_fields"));
    assert.throws(() => shopRegistry.fromJson(`{${base}, "_unknown_fields": "SgVh"}`), isError(DecodeError, "malformed-binary", "_unknown_fields"));
    assert.throws(() => shopRegistry.fromJson(`{${base}, "_unknown_fields": 5}`), isError(DecodeError, "invalid-value", "_unknown_fields"));
  });

  test("keys a newer JSON producer adds are written back by toJson (LeanMQ's _-prefixed keys at the top are not)", () => {
    const text = `{"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "OrderCreatedEvent", "order_id": "o", "coupon": {"code": "X", "cents": 1152921504606846977}, "items": [{"name": "n", "gift_wrap": true}], "_metadata": {"id": "m"}}`;
    const e = shopRegistry.fromJson(text);
    const json = shopRegistry.toJsonObject(e);
    assert.deepEqual(json["coupon"], { code: "X", cents: "1152921504606846977" });
    assert.deepEqual((json["items"] as Record<string, unknown>[])[0]!["gift_wrap"], true);
    assert.equal(json["_metadata"], undefined);
    assert.deepEqual(shopRegistry.fromJson(shopRegistry.toJson(e, { style: "python" })), e);
  });
});
