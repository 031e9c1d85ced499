// The binary codec: the envelope as ts-proto's generated EventEnvelope
// writes it, and typed errors for every kind of bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { createRegistry, DecodeError, isDecodeError, isEventwireError, type EventwireErrorCode } from "eventwire";
import { OrderCreatedEvent, OrderShippedEvent, PaymentProcessedEvent, shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import { protoMetadata as shopFile } from "../../gen/eventwire/shop/v1/events.js";
import { protoMetadata as miscFile, TaggedEvent } from "../fixtures/gen/fixtures/misc/v1/misc.js";
import { EVENT_ID, isError, sampleEvents, TIMESTAMP } from "../support/codec.js";

const generated = { OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent } as const;

/** The payload bytes as ts-proto's generated encoder writes them. */
function generatedPayload(e: ShopEvent): Uint8Array {
  switch (e.eventType) {
    case "OrderCreatedEvent":
      return OrderCreatedEvent.encode(e.payload).finish();
    case "PaymentProcessedEvent":
      return PaymentProcessedEvent.encode(e.payload).finish();
    case "OrderShippedEvent":
      return OrderShippedEvent.encode(e.payload).finish();
  }
}

interface EnvelopeParts {
  eventId?: string;
  timestamp?: number;
  eventType?: string;
  payload?: Uint8Array;
  headers?: Record<string, string>;
}

/** An envelope as ts-proto's generated EventEnvelope writes it. */
function envelope(parts: EnvelopeParts = {}): Uint8Array {
  return EventEnvelope.encode({
    eventId: parts.eventId ?? EVENT_ID,
    timestamp: parts.timestamp ?? TIMESTAMP,
    eventType: parts.eventType ?? "OrderShippedEvent",
    payload: parts.payload ?? new Uint8Array(0),
    headers: parts.headers ?? {},
  }).finish();
}

const tag = (field: number, wireType: number): number => (field << 3) | wireType;
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(parts.flatMap((p) => [...p]));

/** Expects decoding to fail with a DecodeError of this code (and path, when given), thrown and as a value. */
function rejects(bytes: Uint8Array, code: EventwireErrorCode, path?: string, options?: Parameters<typeof shopRegistry.fromBinary>[1]): void {
  assert.throws(() => shopRegistry.fromBinary(bytes, options), isError(DecodeError, code, path));
  const r = shopRegistry.tryFromBinary(bytes, options);
  assert.equal(r.ok, false);
  if (!r.ok) isError(DecodeError, code, path)(r.error);
}

describe("binary encoding", () => {
  test("equals ts-proto's generated EventEnvelope.encode for every event type, headers included", () => {
    for (const e of sampleEvents()) {
      assert.ok(Object.keys(e.headers).length >= 2);
      const ours = shopRegistry.toBinary(e);
      // ts-proto writes headers in the object's key order; the samples insert them sorted.
      const theirs = EventEnvelope.encode({
        eventId: e.eventId,
        timestamp: e.timestamp,
        eventType: e.eventType,
        payload: generatedPayload(e),
        headers: { ...e.headers },
      }).finish();
      assert.deepEqual(ours, theirs, e.eventType);
    }
  });

  test("ts-proto's EventEnvelope.decode reads it back, payload included", () => {
    for (const e of sampleEvents()) {
      const env = EventEnvelope.decode(shopRegistry.toBinary(e));
      assert.equal(env.eventId, e.eventId);
      assert.equal(env.timestamp, e.timestamp);
      assert.equal(env.eventType, e.eventType);
      assert.deepEqual(env.headers, { ...e.headers });
      assert.deepEqual(generated[e.eventType].decode(env.payload), { ...e.payload });
    }
  });

  test("decodes ts-proto's bytes to the same event", () => {
    for (const e of sampleEvents()) {
      const bytes = envelope({ eventType: e.eventType, payload: generatedPayload(e), headers: { ...e.headers } });
      assert.deepEqual(shopRegistry.fromBinary(bytes), e);
    }
  });

  test("headers are written sorted by code point, whatever their insertion order", () => {
    // JavaScript iterates integer-like keys first and in numeric order; protoc sorts them as strings.
    // UTF-16 puts U+1F600 (a surrogate pair) before U+FF01; code point order puts it after.
    const keys = ["b", "10", "a", "9", "x-\u{1F600}", "x-\uFF01", "A"];
    const sorted = ["10", "9", "A", "a", "b", "x-\uFF01", "x-\u{1F600}"];
    const make = (order: string[]) =>
      shopRegistry.toBinary(shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: TIMESTAMP, headers: Object.fromEntries(order.map((k) => [k, `v${k}`])) }));
    const forward = make(keys);
    assert.deepEqual(make([...keys].reverse()), forward);
    const written: string[] = [];
    for (let i = 0; i < forward.length; ) {
      // top-level fields: one-byte tags; only headers (5) interest us
      const t = forward[i++]!;
      if (t === tag(2, 1)) { i += 8; continue; }
      const len = forward[i++]!;
      if (t === tag(5, 2)) written.push(new TextDecoder().decode(forward.subarray(i + 2, i + 2 + forward[i + 1]!)));
      i += len;
    }
    assert.deepEqual(written, sorted);
  });

  test("fields ts-proto leaves out (defaults) decode to their defaults; unknown fields are skipped", () => {
    const e = shopRegistry.create("OrderCreatedEvent", { items: [{}] }, { eventId: EVENT_ID, timestamp: TIMESTAMP });
    const unknownInPayload = new BinaryWriter().uint32(tag(15, 0)).uint32(150).uint32(tag(16, 2)).string("A").uint32(tag(17, 5)).fixed32(7).finish();
    const unknownInEnvelope = new BinaryWriter().uint32(tag(9, 5)).fixed32(1).uint32(tag(6, 1)).fixed64(0).uint32(tag(100, 2)).bytes(new Uint8Array(3)).finish();
    const withUnknown = concat(
      envelope({ eventType: "OrderCreatedEvent", payload: concat(OrderCreatedEvent.encode(e.payload).finish(), unknownInPayload) }),
      unknownInEnvelope,
    );
    assert.deepEqual(shopRegistry.fromBinary(withUnknown), e);
  });
});

describe("binary decoding refuses bad input with a typed error", () => {
  const order = sampleEvents()[0]!;
  const good = shopRegistry.toBinary(order);

  test("truncated: a cut inside a field is malformed-binary; a cut between fields decodes or lacks a field", () => {
    // Top-level field boundaries of `good`: its field numbers are below 16 and its lengths below 128,
    // so each tag and each length is one byte.
    const boundaries = new Set<number>([0]);
    for (let i = 0; i < good.length; ) {
      const t = good[i++]!;
      if ((t & 7) === 1) i += 8;
      else {
        assert.ok(good[i]! < 0x80, "a one-byte length");
        i += 1 + good[i]!;
      }
      boundaries.add(i);
    }
    assert.ok(boundaries.has(good.length), "the boundary walk must end at the end");
    for (let cut = 1; cut < good.length; cut++) {
      const r = shopRegistry.tryFromBinary(good.subarray(0, cut));
      if (boundaries.has(cut)) {
        assert.ok(r.ok || isDecodeError(r.error, "missing-field"), `cut at ${cut}: ${r.ok ? "" : r.error.message}`);
      } else {
        assert.ok(!r.ok && isDecodeError(r.error, "malformed-binary"), `cut at ${cut}: ${r.ok ? "decoded" : r.error.code}`);
      }
    }
  });

  test("garbage is malformed-binary", () => {
    const garbage = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // a tag longer than 32 bits
      new Uint8Array([0x00, 0x01]), // field number 0
      new Uint8Array([tag(7, 4)]), // an end-group with no group open
      new Uint8Array([tag(7, 6)]), // wire type 6 does not exist
      new Uint8Array([tag(4, 2), 0x05, 0x01]), // a length past the end
      concat(new Uint8Array([tag(7, 0)]), new Uint8Array(11).fill(0xff)), // a varint longer than 64 bits
      concat(envelope(), new Uint8Array([tag(7, 3), tag(8, 0), 0x01])), // a group never closed
    ];
    for (const bytes of garbage) rejects(bytes, "malformed-binary");
  });

  test("an envelope field with the wrong wire type is invalid-wire-type", () => {
    rejects(concat(envelope({ eventId: "" }), new Uint8Array([tag(1, 0), 0x01])), "invalid-wire-type"); // event_id as varint
    rejects(concat(envelope(), new Uint8Array([tag(2, 2), 0x00])), "invalid-wire-type"); // timestamp as LEN
    rejects(concat(envelope(), new Uint8Array([tag(2, 5), 0, 0, 0, 0])), "invalid-wire-type"); // timestamp as 32-bit
    rejects(concat(envelope(), new Uint8Array([tag(4, 0), 0x01])), "invalid-wire-type"); // payload as varint
    rejects(concat(envelope(), new Uint8Array([tag(5, 2), 0x02, tag(1, 0), 0x01])), "invalid-wire-type", "headers"); // header key as varint
  });

  test("a payload field with the wrong wire type is invalid-wire-type, with its path", () => {
    const item = (body: number[]) => concat(new Uint8Array([tag(4, 2), body.length]), new Uint8Array(body));
    const asOrder = (payload: Uint8Array) => envelope({ eventType: "OrderCreatedEvent", payload });
    // quantity (int32, field 4 of OrderItem) sent as LEN
    rejects(asOrder(concat(item([tag(1, 2), 1, 0x70]), item([tag(4, 2), 0x01, 0x05]))), "invalid-wire-type", "payload.items");
    // order_id (string) sent as varint; total (double) sent as 32-bit; items (message) sent as 64-bit
    rejects(asOrder(new Uint8Array([tag(1, 0), 0x01])), "invalid-wire-type", "payload");
    rejects(asOrder(new Uint8Array([tag(3, 5), 0, 0, 0, 0])), "invalid-wire-type", "payload");
    rejects(asOrder(new Uint8Array([tag(4, 1), 0, 0, 0, 0, 0, 0, 0, 0])), "invalid-wire-type", "payload");
    // the same bytes with the right wire type decode
    const quantity = shopRegistry.fromBinary(asOrder(item([tag(4, 0), 0x05])));
    assert.equal(quantity.eventType === "OrderCreatedEvent" && quantity.payload.items[0]!.quantity, 5);
  });

  test("an unknown event type is unknown-event-type", () => {
    rejects(envelope({ eventType: "RefundIssuedEvent" }), "unknown-event-type", "event_type");
    rejects(envelope({ eventType: "OrderItem" }), "unknown-event-type", "event_type"); // a message, but not an event type
  });

  test("a missing or malformed event_id, a missing event_type, a non-finite timestamp", () => {
    rejects(envelope({ eventId: "" }), "missing-field", "event_id");
    rejects(envelope({ eventType: "" }), "missing-field", "event_type");
    for (const eventId of ["not-a-uuid", `${EVENT_ID} `, EVENT_ID.replace(/-/g, ""), `{${EVENT_ID}}`]) {
      rejects(envelope({ eventId }), "invalid-event-id", "event_id");
    }
    for (const timestamp of [NaN, Infinity, -Infinity]) rejects(envelope({ timestamp }), "invalid-timestamp", "timestamp");
  });

  test("strings that are not UTF-8 are invalid-utf8, wherever they are", () => {
    const bad = [new Uint8Array([0xff]), new Uint8Array([0x61, 0xc3]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0xc0, 0xaf])];
    for (const b of bad) {
      const w = () => new BinaryWriter();
      rejects(concat(w().uint32(tag(1, 2)).bytes(b).finish(), envelope({ eventId: "" })), "invalid-utf8", "event_id");
      rejects(concat(envelope({ eventType: "" }), w().uint32(tag(3, 2)).bytes(b).finish()), "invalid-utf8", "event_type");
      const header = w().uint32(tag(5, 2)).fork().uint32(tag(1, 2)).string("k").uint32(tag(2, 2)).bytes(b).join().finish();
      rejects(concat(envelope(), header), "invalid-utf8", "headers");
      const headerKey = w().uint32(tag(5, 2)).fork().uint32(tag(1, 2)).bytes(b).join().finish();
      rejects(concat(envelope(), headerKey), "invalid-utf8", "headers");
      const shipped = w().uint32(tag(3, 2)).bytes(b).finish(); // carrier
      rejects(envelope({ payload: shipped }), "invalid-utf8", "payload");
      const itemName = w().uint32(tag(4, 2)).fork().uint32(tag(2, 2)).bytes(b).join().finish();
      rejects(envelope({ eventType: "OrderCreatedEvent", payload: itemName }), "invalid-utf8", "payload");
    }
  });

  test("input over maxBytes is too-large, per call and per registry; exactly maxBytes decodes", () => {
    assert.deepEqual(shopRegistry.fromBinary(good, { maxBytes: good.length }), order);
    rejects(good, "too-large", "", { maxBytes: good.length - 1 });
    const small = createRegistry([OrderCreatedEvent], { files: [shopFile], decode: { maxBytes: good.length - 1 } });
    assert.throws(() => small.fromBinary(good), isError(DecodeError, "too-large"));
    assert.deepEqual(small.fromBinary(good, { maxBytes: good.length }), order);
  });

  test("payload messages nested deeper than maxDepth are too-deep", () => {
    rejects(good, "too-deep", "payload.items", { maxDepth: 1 });
    assert.deepEqual(shopRegistry.fromBinary(good, { maxDepth: 2 }), order);
    const noItems = shopRegistry.toBinary(shopRegistry.create("OrderCreatedEvent", { orderId: "o" }, { eventId: EVENT_ID }));
    assert.equal(shopRegistry.fromBinary(noItems, { maxDepth: 1 }).eventType, "OrderCreatedEvent");

    // A recursive fixture: the payload is depth 1, its root node 2, each child one more.
    const tagged = createRegistry([TaggedEvent], { files: [miscFile] });
    /** A payload whose root is a chain of `n` nodes: n0 innermost, n{n-1} the root. */
    const chain = (n: number): Uint8Array => {
      let node = new BinaryWriter().uint32(tag(1, 2)).string("n0").finish();
      for (let i = 1; i < n; i++) node = new BinaryWriter().uint32(tag(1, 2)).string(`n${i}`).uint32(tag(2, 2)).bytes(node).finish();
      const payload = new BinaryWriter().uint32(tag(2, 2)).bytes(node).finish();
      return envelope({ eventType: "TaggedEvent", payload });
    };
    assert.equal(tagged.decodeOptions.maxDepth, 64);
    const deepest = tagged.fromBinary(chain(63));
    assert.equal(deepest.payload.root?.name, "n62");
    assert.throws(() => tagged.fromBinary(chain(64)), isError(DecodeError, "too-deep"));
    assert.throws(() => tagged.fromBinary(chain(5000)), isError(DecodeError, "too-deep"));
    // A caller may allow more (up to the generated decoders' own limit of 100).
    assert.equal(tagged.fromBinary(chain(99), { maxDepth: 100 }).payload.root?.name, "n98");
    assert.throws(() => tagged.fromBinary(chain(99), { maxDepth: 99 }), isError(DecodeError, "too-deep"));
  });

  test("the header name __proto__ is forbidden-key and pollutes nothing; constructor is an ordinary header", () => {
    const header = (k: string) => new BinaryWriter().uint32(tag(5, 2)).fork().uint32(tag(1, 2)).string(k).uint32(tag(2, 2)).string('{"polluted":1}').join().finish();
    rejects(concat(envelope(), header("__proto__")), "forbidden-key", "headers");
    const e = shopRegistry.fromBinary(concat(envelope(), header("constructor")));
    assert.ok(Object.hasOwn(e.headers, "constructor"));
    assert.equal(e.headers["constructor"], '{"polluted":1}');
    assert.equal(Object.getPrototypeOf(e.headers), Object.prototype);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("tryFromBinary returns the event or the error as a value; what is not a decoding error still throws", () => {
    const ok = shopRegistry.tryFromBinary(good);
    assert.deepEqual(ok, { ok: true, event: order });
    const bad = shopRegistry.tryFromBinary("not bytes" as unknown as Uint8Array);
    assert.equal(bad.ok, false);
    if (!bad.ok) isError(DecodeError, "malformed-binary")(bad.error);
    assert.throws(() => shopRegistry.tryFromBinary(good, { maxBytes: 0 }), (e: unknown) => isEventwireError(e, "invalid-option"));
    assert.throws(() => shopRegistry.tryFromBinary(good, { maxDepth: 101 }), (e: unknown) => isEventwireError(e, "invalid-option"));
  });
});
