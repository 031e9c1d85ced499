// Fields a newer peer may add (envelope.proto: "New fields take new numbers")
// must be skipped, whatever their wire type, so that older decoders read the
// event unchanged.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { shopRegistry } from "../../examples/shop/events.js";
import { EVENT_ID, sampleEvents, TIMESTAMP } from "../support/codec.js";

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
