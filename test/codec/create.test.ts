// Making events: base fields filled in or taken as given, payload checked,
// everything frozen; and the event union is closed at compile time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EventValidationError } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { EVENT_ID, isError, sampleEvents, TIMESTAMP } from "../support/codec.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("create: base fields", () => {
  test("event_id defaults to a fresh random UUID v4 and timestamp to now in seconds", () => {
    const before = Date.now() / 1000;
    const a = shopRegistry.create("OrderShippedEvent", { orderId: "o" });
    const b = shopRegistry.create("OrderShippedEvent", { orderId: "o" });
    const after = Date.now() / 1000;
    assert.match(a.eventId, UUID_V4);
    assert.match(b.eventId, UUID_V4);
    assert.notEqual(a.eventId, b.eventId);
    for (const e of [a, b]) {
      assert.ok(e.timestamp >= before && e.timestamp <= after, `${e.timestamp} not in [${before}, ${after}]`);
    }
    assert.deepEqual(a.headers, {});
    assert.equal(a.eventType, "OrderShippedEvent");
  });

  test("explicit event_id, timestamp (even 0) and headers are kept", () => {
    const e = shopRegistry.create("OrderShippedEvent", {}, { eventId: EVENT_ID, timestamp: TIMESTAMP, headers: { "correlation-id": "c" } });
    assert.equal(e.eventId, EVENT_ID);
    assert.equal(e.timestamp, TIMESTAMP);
    assert.deepEqual(e.headers, { "correlation-id": "c" });
    assert.equal(shopRegistry.create("OrderShippedEvent", {}, { timestamp: 0 }).timestamp, 0);
  });

  test("payload fields left out take their proto3 defaults", () => {
    const e = shopRegistry.create("OrderCreatedEvent", { items: [{ name: "n" }] });
    assert.deepEqual(e.payload, { orderId: "", userId: "", total: 0, items: [{ productId: "", name: "n", price: 0, quantity: 0 }] });
  });

  test("the headers are copied: changing the caller's object later changes nothing", () => {
    const headers: Record<string, string> = { a: "1" };
    const e = shopRegistry.create("OrderShippedEvent", {}, { headers });
    headers["a"] = "2";
    headers["b"] = "3";
    assert.deepEqual(e.headers, { a: "1" });
  });

  test("malformed base fields are refused with invalid-value and the field's path", () => {
    assert.throws(() => shopRegistry.create("OrderShippedEvent", {}, { eventId: "not-a-uuid" }), isError(EventValidationError, "invalid-value", "event_id"));
    for (const timestamp of [NaN, Infinity, -Infinity]) {
      assert.throws(() => shopRegistry.create("OrderShippedEvent", {}, { timestamp }), isError(EventValidationError, "invalid-value", "timestamp"));
    }
    assert.throws(
      () => shopRegistry.create("OrderShippedEvent", {}, { headers: { a: 1 as unknown as string } }),
      isError(EventValidationError, "invalid-value", "headers"),
    );
    assert.throws(
      () => shopRegistry.create("OrderShippedEvent", {}, { headers: JSON.parse('{"__proto__":"x"}') as Record<string, string> }),
      isError(EventValidationError, "invalid-value", "headers"),
    );
    assert.throws(
      () => shopRegistry.create("OrderShippedEvent", {}, { headers: { ["k\udc00"]: "v" } }),
      isError(EventValidationError, "invalid-value", "headers"),
    );
  });

  test("payload values of the wrong type are refused with the field's path", () => {
    const cases: [unknown, string][] = [
      [{ orderId: 5 }, "order_id"],
      [{ total: "12" }, "total"],
      [{ orderId: "bad \ud800 string" }, "order_id"],
      [{ items: [{}, { quantity: 1.5 }] }, "items[1].quantity"],
      [{ items: [{ quantity: 2 ** 31 }] }, "items[0].quantity"],
      [{ items: [{ price: "1" }] }, "items[0].price"],
    ];
    for (const [payload, path] of cases) {
      assert.throws(
        () => shopRegistry.create("OrderCreatedEvent", payload as never),
        isError(EventValidationError, "invalid-value", path),
        JSON.stringify(payload),
      );
    }
    // Not even an object.
    assert.throws(() => shopRegistry.create("OrderCreatedEvent", { items: "abc" } as never), isError(EventValidationError, "invalid-value"));
  });

  test("an unregistered event type is refused", () => {
    assert.throws(() => shopRegistry.create("NoSuchEvent" as "OrderShippedEvent", {}), isError(EventValidationError, "invalid-value", "event_type"));
  });
});

describe("events are immutable", () => {
  function assertDeepFrozen(e: ShopEvent): void {
    assert.ok(Object.isFrozen(e), "event");
    assert.ok(Object.isFrozen(e.headers), "headers");
    assert.ok(Object.isFrozen(e.payload), "payload");
    if (e.eventType === "OrderCreatedEvent") {
      assert.ok(Object.isFrozen(e.payload.items), "items");
      assert.ok(e.payload.items.length > 0);
      for (const item of e.payload.items) assert.ok(Object.isFrozen(item), "item");
    }
  }

  test("made, binary-decoded and JSON-decoded events are frozen, payload and items included", () => {
    for (const e of sampleEvents()) {
      assertDeepFrozen(e);
      assertDeepFrozen(shopRegistry.fromBinary(shopRegistry.toBinary(e)));
      assertDeepFrozen(shopRegistry.fromJson(shopRegistry.toJson(e)));
    }
  });

  test("writing to a frozen event throws (ES modules are strict) and changes nothing", () => {
    const e = sampleEvents()[0]!;
    assert.equal(e.eventType, "OrderCreatedEvent");
    if (e.eventType !== "OrderCreatedEvent") return;
    const w = (target: object, key: string, value: unknown) => () => {
      (target as Record<string, unknown>)[key] = value;
    };
    assert.throws(w(e, "eventId", "x"), TypeError);
    assert.throws(w(e.headers, "x", "y"), TypeError);
    assert.throws(w(e.payload, "orderId", "x"), TypeError);
    assert.throws(w(e.payload.items[0]!, "quantity", 99), TypeError);
    assert.throws(() => (e.payload.items as unknown as unknown[]).push({}), TypeError);
    assert.equal(e.payload.items[0]!.quantity, 2);
    assert.equal(e.payload.items.length, 2);
  });

  test("the caller's payload object is copied, not frozen", () => {
    const item = { productId: "p", quantity: 1 };
    const payload = { orderId: "o", items: [item] };
    const e = shopRegistry.create("OrderCreatedEvent", payload);
    assert.ok(!Object.isFrozen(payload) && !Object.isFrozen(item) && !Object.isFrozen(payload.items));
    item.quantity = 5;
    assert.equal(e.payload.items[0]!.quantity, 1);
  });
});

// Compile-time checks: `npx tsc -p tsconfig.json --noEmit` type-checks this file.
describe("the event union is closed (checked by tsc)", () => {
  /** Exhaustive: each case narrows the payload; a missing case would not compile. */
  function summary(e: ShopEvent): string {
    switch (e.eventType) {
      case "OrderCreatedEvent":
        return `order ${e.payload.orderId}: ${e.payload.items.length} items`;
      case "PaymentProcessedEvent":
        return `payment ${e.payload.paymentId}: ${e.payload.status}`;
      case "OrderShippedEvent":
        return `shipped ${e.payload.orderId} via ${e.payload.carrier}`;
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  }

  /** Leaves a case out: the `never` assignment must fail to compile. */
  function incomplete(e: ShopEvent): string {
    switch (e.eventType) {
      case "OrderCreatedEvent":
      case "PaymentProcessedEvent":
        return e.eventType;
      default: {
        // @ts-expect-error OrderShippedEvent is not handled, so `e` is not `never` here
        const unreachable: never = e;
        return `unhandled ${typeof unreachable}`;
      }
    }
  }

  function unknownCase(e: ShopEvent): boolean {
    // @ts-expect-error "RefundIssuedEvent" is not one of the registry's event types
    return e.eventType === "RefundIssuedEvent";
  }

  test("each event type takes its own branch at run time too", () => {
    const [order, payment, shipped] = sampleEvents();
    assert.equal(summary(order!), "order order-1: 2 items");
    assert.equal(summary(payment!), "payment payment-1: succeeded");
    assert.equal(summary(shipped!), "shipped order-1 via DHL");
    assert.equal(incomplete(payment!), "PaymentProcessedEvent");
    assert.equal(incomplete(shipped!), "unhandled object");
    assert.equal(unknownCase(order!), false);
  });

  test("create's payload type follows the event type (checked by tsc)", () => {
    // At run time too, a property that names no field is refused, not dropped.
    assert.throws(
      // @ts-expect-error trackingNumber is not a field of PaymentProcessedEvent
      () => shopRegistry.create("PaymentProcessedEvent", { trackingNumber: "T" }),
      (e: unknown) => e instanceof EventValidationError && e.code === "invalid-value" && e.path === "trackingNumber",
    );
    assert.throws(
      // @ts-expect-error productID is misspelt
      () => shopRegistry.create("OrderCreatedEvent", { items: [{ productID: "p" }] }),
      (e: unknown) => e instanceof EventValidationError && e.path === "items[0].productID",
    );
    // @ts-expect-error quantity is an int32 (a number), not a string
    assert.throws(() => shopRegistry.create("OrderCreatedEvent", { items: [{ quantity: "2" }] }));
  });
});
