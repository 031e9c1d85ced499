// The JSON codec: the flat dict of the Python event system (snake_case proto
// names, defaults included, `_headers` when there are any), the proto3 JSON
// forms of non-finite doubles, what it accepts from peers and what it refuses.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DecodeError, HEADERS_KEY, isEventwireError } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { EVENT_ID, isError, sampleEvents, TIMESTAMP } from "../support/codec.js";

const [order, payment, shipped] = sampleEvents() as [ShopEvent, ShopEvent, ShopEvent];

/** A JSON event as a peer might send it: the base fields, then `rest`. */
function json(rest: Record<string, unknown>, eventType = "OrderCreatedEvent"): string {
  return JSON.stringify({ event_id: EVENT_ID, timestamp: TIMESTAMP, event_type: eventType, ...rest });
}

function rejects(text: string | Uint8Array, code: Parameters<typeof isError>[1], path?: string, options?: Parameters<typeof shopRegistry.fromJson>[1]): void {
  assert.throws(() => shopRegistry.fromJson(text, options), isError(DecodeError, code, path));
  const r = shopRegistry.tryFromJson(text, options);
  assert.equal(r.ok, false);
  if (!r.ok) isError(DecodeError, code, path)(r.error);
}

describe("JSON encoding", () => {
  test("a flat object: base fields, payload fields by proto name in declaration order, _headers last", () => {
    const obj = shopRegistry.toJsonObject(order);
    assert.deepEqual(Object.keys(obj), ["event_id", "timestamp", "event_type", "order_id", "user_id", "total", "items", HEADERS_KEY]);
    assert.equal(obj["event_id"], EVENT_ID);
    assert.equal(obj["timestamp"], TIMESTAMP);
    assert.equal(obj["event_type"], "OrderCreatedEvent");
    assert.equal(obj["order_id"], "order-1");
    assert.equal(obj["user_id"], "user-ü");
    assert.equal(obj["total"], 65.96);
    const items = obj["items"] as Record<string, unknown>[];
    assert.equal(items.length, 2);
    for (const item of items) assert.deepEqual(Object.keys(item), ["product_id", "name", "price", "quantity"]);
    assert.deepEqual(items[1], { product_id: "p-2", name: "Gadget ✨", price: 25.98, quantity: 1 });
    assert.deepEqual(obj[HEADERS_KEY], { "correlation-id": "c-1", "source-service": "order-service", traceparent: "00-abc-def-01" });
    assert.equal(shopRegistry.toJson(order), JSON.stringify(obj));

    assert.deepEqual(Object.keys(shopRegistry.toJsonObject(payment)).slice(3, -1), ["payment_id", "order_id", "amount", "status"]);
    assert.deepEqual(Object.keys(shopRegistry.toJsonObject(shipped)).slice(3, -1), ["order_id", "tracking_number", "carrier"]);
  });

  test("the timestamp is a JSON number of seconds with its fraction", () => {
    const text = shopRegistry.toJson(shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: 1732700000.123456 }));
    assert.ok(text.includes('"timestamp":1732700000.123456,'), text);
  });

  test("defaults are written; _headers only when there are headers, sorted by code point", () => {
    const bare = shopRegistry.create("OrderCreatedEvent", {}, { eventId: EVENT_ID, timestamp: 0 });
    assert.deepEqual(shopRegistry.toJsonObject(bare), {
      event_id: EVENT_ID,
      timestamp: 0,
      event_type: "OrderCreatedEvent",
      order_id: "",
      user_id: "",
      total: 0,
      items: [],
    });
    const item = shopRegistry.create("OrderCreatedEvent", { items: [{}] });
    assert.deepEqual(shopRegistry.toJsonObject(item)["items"], [{ product_id: "", name: "", price: 0, quantity: 0 }]);
    const headers = { b: "2", "10": "x", a: "1", "9": "y", "x-\u{1F600}": "e", "x-\uFF01": "f" };
    const withHeaders = shopRegistry.toJsonObject(shopRegistry.create("OrderShippedEvent", {}, { headers }));
    assert.deepEqual(Object.keys(withHeaders).at(-1), HEADERS_KEY);
    assert.deepEqual(withHeaders[HEADERS_KEY], headers);
    // JavaScript objects list integer-like keys first, in numeric order, whatever the insertion
    // order; the other names follow sorted by code point (U+FF01 before U+1F600, unlike UTF-16).
    assert.deepEqual(Object.keys(withHeaders[HEADERS_KEY] as object), ["9", "10", "a", "b", "x-\uFF01", "x-\u{1F600}"]);
  });

  test("NaN and ±Infinity are the proto3 JSON strings, and read back", () => {
    const e = shopRegistry.create(
      "OrderCreatedEvent",
      { total: NaN, items: [{ price: Infinity }, { price: -Infinity }, { price: -1e-300 }] },
      { eventId: EVENT_ID, timestamp: TIMESTAMP },
    );
    const obj = shopRegistry.toJsonObject(e);
    assert.equal(obj["total"], "NaN");
    assert.deepEqual((obj["items"] as { price: unknown }[]).map((i) => i.price), ["Infinity", "-Infinity", -1e-300]);
    assert.deepEqual(shopRegistry.fromJson(shopRegistry.toJson(e)), e);
  });

  test("every sample event reads back equal", () => {
    for (const e of [order, payment, shipped]) assert.deepEqual(shopRegistry.fromJson(shopRegistry.toJson(e)), e);
  });
});

describe("JSON decoding accepts what peers send", () => {
  test("lowerCamelCase keys, for base and payload fields, mean the same as snake_case", () => {
    const camel = JSON.stringify({
      eventId: EVENT_ID,
      timestamp: TIMESTAMP,
      eventType: "OrderCreatedEvent",
      orderId: "order-1",
      userId: "user-ü",
      total: 65.96,
      items: [
        { productId: "p-1", name: "Widget", price: 19.99, quantity: 2 },
        { product_id: "p-2", name: "Gadget ✨", price: 25.98, quantity: 1 },
      ],
      _headers: order.headers,
    });
    assert.deepEqual(shopRegistry.fromJson(camel), order);
  });

  test("a field given under both names is refused", () => {
    rejects(json({ order_id: "a", orderId: "b" }), "invalid-value", "order_id");
    rejects(JSON.stringify({ event_id: EVENT_ID, eventId: EVENT_ID, timestamp: 1, event_type: "OrderShippedEvent" }), "invalid-value", "event_id");
  });

  test("unknown keys are ignored: LeanMQ's _metadata and _failures, fields from a newer schema", () => {
    const fromLeanMq = { ...shopRegistry.toJsonObject(payment) };
    fromLeanMq["_metadata"] = { id: "8a7b6c5d-1111-4222-8333-944455556666", timestamp: 1732700000.2, ttl: null };
    fromLeanMq["_failures"] = [{ timestamp: 1, reason: "boom" }];
    fromLeanMq["currency"] = "EUR";
    assert.deepEqual(shopRegistry.fromJson(JSON.stringify(fromLeanMq)), payment);
    assert.deepEqual(shopRegistry.fromJsonObject(fromLeanMq), payment);
  });

  test("missing payload fields and null take their defaults", () => {
    const e = shopRegistry.fromJson(json({ order_id: null, items: [{ name: "n", price: null }] }));
    assert.deepEqual(e.payload, { orderId: "", userId: "", total: 0, items: [{ productId: "", name: "n", price: 0, quantity: 0 }] });
  });

  test("Python's bare NaN, Infinity and -Infinity tokens; the same words inside strings stay text", () => {
    const text =
      `{"event_id": "${EVENT_ID}", "timestamp": 1.5, "event_type": "OrderCreatedEvent", "order_id": "NaN \\" Infinity",` +
      ` "user_id": "-Infinity", "total": NaN, "items": [{"price": Infinity}, {"price": -Infinity, "name": "NaN"}]}`;
    const e = shopRegistry.fromJson(text);
    assert.equal(e.eventType, "OrderCreatedEvent");
    if (e.eventType !== "OrderCreatedEvent") return;
    assert.equal(e.payload.orderId, 'NaN " Infinity');
    assert.equal(e.payload.userId, "-Infinity");
    assert.ok(Number.isNaN(e.payload.total));
    assert.deepEqual(e.payload.items.map((i) => [i.price, i.name]), [[Infinity, ""], [-Infinity, "NaN"]]);
    // Python never writes a non-finite timestamp; one is refused.
    rejects(text.replace('"timestamp": 1.5', '"timestamp": NaN'), "invalid-timestamp", "timestamp");
    // The words are values only: a bare word where a key stands stays invalid JSON.
    rejects(text.replace('{"event_id"', '{NaN: 1, "event_id"'), "invalid-json", "");
    rejects(text.replace('"total": NaN', '"total": NaN, Infinity: 2'), "invalid-json", "");
  });

  test("proto3 JSON's string forms of numbers are read", () => {
    const e = shopRegistry.fromJson(json({ total: "12.5", items: [{ quantity: "3", price: "-0.25" }] }));
    assert.equal(e.eventType === "OrderCreatedEvent" && e.payload.total, 12.5);
    assert.deepEqual(e.eventType === "OrderCreatedEvent" && [e.payload.items[0]!.quantity, e.payload.items[0]!.price], [3, -0.25]);
  });

  test("UTF-8 bytes decode like the text", () => {
    const text = shopRegistry.toJson(order);
    assert.deepEqual(shopRegistry.fromJson(new TextEncoder().encode(text)), order);
  });
});

describe("JSON decoding refuses bad input with a typed error", () => {
  test("values of the wrong type are invalid-value, with the field's path", () => {
    const item = { product_id: "p", name: "n", price: 1, quantity: 1 };
    const cases: [Record<string, unknown>, string][] = [
      [{ total: "abc" }, "total"],
      [{ total: true }, "total"],
      [{ total: [] }, "total"],
      [{ order_id: 5 }, "order_id"],
      [{ user_id: {} }, "user_id"],
      [{ order_id: "a\ud800" }, "order_id"],
      [{ items: [item, { ...item, quantity: 1.5 }] }, "items[1].quantity"],
      [{ items: [item, item, { ...item, quantity: 2 ** 31 }] }, "items[2].quantity"],
      [{ items: [{ ...item, quantity: "1.5" }] }, "items[0].quantity"],
      [{ items: [{ ...item, name: 7 }] }, "items[0].name"],
      [{ items: [{ ...item, price: "cheap" }] }, "items[0].price"],
      [{ items: [item, "not an item"] }, "items[1]"],
      [{ items: { 0: item } }, "items"],
      [{ items: "[]" }, "items"],
    ];
    for (const [rest, path] of cases) rejects(json(rest), "invalid-value", path);
    rejects(json({ status: 1 }, "PaymentProcessedEvent"), "invalid-value", "status");
    rejects(json({ carrier: false }, "OrderShippedEvent"), "invalid-value", "carrier");
    rejects(json({ event_type: 5 }).replace('"event_type":"OrderCreatedEvent",', ""), "invalid-value", "event_type");
    rejects(json({ [HEADERS_KEY]: { a: 1 } }), "invalid-value", `${HEADERS_KEY}.a`);
    rejects(json({ [HEADERS_KEY]: "a=1" }), "invalid-value", HEADERS_KEY);
  });

  test("text that is not a JSON object is invalid-json", () => {
    for (const text of ["", "{", "not json", "[]", "null", "42", '"text"', "{'event_id': 1}", "[NaN]"]) rejects(text, "invalid-json", "");
    rejects(42 as unknown as string, "invalid-json");
  });

  test("base fields: missing, malformed, unknown type", () => {
    rejects(JSON.stringify({ timestamp: 1, event_type: "OrderShippedEvent" }), "missing-field", "event_id");
    rejects(JSON.stringify({ event_id: null, timestamp: 1, event_type: "OrderShippedEvent" }), "missing-field", "event_id");
    rejects(JSON.stringify({ event_id: "nope", timestamp: 1, event_type: "OrderShippedEvent" }), "invalid-event-id", "event_id");
    rejects(JSON.stringify({ event_id: 42, timestamp: 1, event_type: "OrderShippedEvent" }), "invalid-event-id", "event_id");
    rejects(JSON.stringify({ event_id: EVENT_ID, event_type: "OrderShippedEvent" }), "missing-field", "timestamp");
    rejects(JSON.stringify({ event_id: EVENT_ID, timestamp: "1732700000", event_type: "OrderShippedEvent" }), "invalid-timestamp", "timestamp");
    rejects(JSON.stringify({ event_id: EVENT_ID, timestamp: 1 }), "missing-field", "event_type");
    rejects(JSON.stringify({ event_id: EVENT_ID, timestamp: 1, event_type: "" }), "missing-field", "event_type");
    rejects(JSON.stringify({ event_id: EVENT_ID, timestamp: 1, event_type: "RefundIssuedEvent" }), "unknown-event-type", "event_type");
  });

  test("only the object's own keys count", () => {
    const inherited = Object.create({ event_id: EVENT_ID, timestamp: 1, event_type: "OrderShippedEvent" }) as object;
    assert.throws(() => shopRegistry.fromJsonObject(inherited), isError(DecodeError, "missing-field", "event_id"));
  });

  test("over maxBytes (counted in UTF-8) is too-large; exactly maxBytes decodes", () => {
    const text = shopRegistry.toJson(order);
    const size = new TextEncoder().encode(text).length;
    assert.ok(size > text.length, "the sample holds non-ASCII text");
    assert.deepEqual(shopRegistry.fromJson(text, { maxBytes: size }), order);
    rejects(text, "too-large", "", { maxBytes: size - 1 });
    rejects(new TextEncoder().encode(text), "too-large", "", { maxBytes: size - 1 });
  });

  test("bytes that are not UTF-8 are invalid-utf8", () => {
    const bytes = new TextEncoder().encode(json({ order_id: "XX" }));
    const at = new TextDecoder().decode(bytes).indexOf("XX");
    bytes[at] = 0xc3;
    bytes[at + 1] = 0x28;
    rejects(bytes, "invalid-utf8", "");
  });

  test("payload messages nested deeper than maxDepth are too-deep", () => {
    const text = shopRegistry.toJson(order);
    rejects(text, "too-deep", "items[0]", { maxDepth: 1 });
    assert.deepEqual(shopRegistry.fromJson(text, { maxDepth: 2 }), order);
  });

  test("tryFromJson returns the event or the error as a value; what is not a decoding error still throws", () => {
    assert.deepEqual(shopRegistry.tryFromJson(shopRegistry.toJson(order)), { ok: true, event: order });
    const r = shopRegistry.tryFromJson("{");
    assert.ok(!r.ok && r.error instanceof DecodeError && r.error.code === "invalid-json");
    assert.throws(() => shopRegistry.tryFromJson("{}", { maxDepth: 0 }), (e: unknown) => isEventwireError(e, "invalid-option"));
  });
});

describe("__proto__ and constructor keys", () => {
  const polluting = `{
    "constructor": {"prototype": {"polluted": "constructor"}},
    "event_id": "${EVENT_ID}", "timestamp": 1, "event_type": "OrderCreatedEvent",
    "items": [{"constructor": {"prototype": {"polluted": "item"}}, "name": "n"}],
    "_headers": {"constructor": "c", "toString": "t"}
  }`;

  test("constructor keys are ignored in the payload and never reach a prototype", () => {
    const e = shopRegistry.fromJson(polluting);
    assert.equal(e.eventType, "OrderCreatedEvent");
    if (e.eventType !== "OrderCreatedEvent") return;
    assert.equal(Object.getPrototypeOf(e.payload), Object.prototype);
    assert.equal(Object.getPrototypeOf(e.payload.items[0]), Object.prototype);
    assert.equal(Object.getPrototypeOf(e.headers), Object.prototype);
    assert.deepEqual(e.payload.items[0], { productId: "", name: "n", price: 0, quantity: 0 });
    assert.equal((e.payload as unknown as Record<string, unknown>)["polluted"], undefined);
    assert.equal((e.payload.items[0] as unknown as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual({ ...e.headers }, { constructor: "c", toString: "t" });
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.equal((Object.prototype as Record<string, unknown>)["polluted"], undefined);
    // The same through fromJsonObject, whose input JSON.parse made with own __proto__ keys.
    const again = shopRegistry.fromJsonObject(JSON.parse(polluting));
    assert.deepEqual(again, e);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("__proto__ as a key of the event, of a nested message or inside an unknown key is forbidden-key, and reaches no prototype", () => {
    const top = polluting.replace('"constructor": {"prototype": {"polluted": "constructor"}},', '"__proto__": {"polluted": "top", "event_id": "${EVENT_ID}"},');
    rejects(top, "forbidden-key", "__proto__");
    rejects(polluting.replace('"name": "n"', '"__proto__": {"polluted": "item", "quantity": 9}'), "forbidden-key", "items[0].__proto__");
    rejects(polluting.replace('"constructor": {"prototype": {"polluted": "constructor"}},', '"future": {"x": [{"__proto__": {"polluted": 1}}]},'), "forbidden-key", "future");
    assert.throws(() => shopRegistry.fromJsonObject(JSON.parse(top)), isError(DecodeError, "forbidden-key", "__proto__"));
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("__proto__ as a header name is forbidden-key", () => {
    rejects(polluting.replace('"constructor": "c"', '"__proto__": "x"'), "forbidden-key", HEADERS_KEY);
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
  });
});
