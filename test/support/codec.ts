/**
 * Helpers shared by the codec tests: sample shop events and assertions on
 * eventwire's typed errors.
 */
import assert from "node:assert/strict";
import { type EventwireError, type EventwireErrorCode, isEventwireError } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

export const EVENT_ID = "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c";
export const TIMESTAMP = 1732700000.125;

/** One event of each shop type, with headers inserted in sorted key order. */
export function sampleEvents(): ShopEvent[] {
  const headers = { "correlation-id": "c-1", "source-service": "order-service", traceparent: "00-abc-def-01" };
  return [
    shopRegistry.create(
      "OrderCreatedEvent",
      {
        orderId: "order-1",
        userId: "user-ü",
        total: 65.96,
        items: [
          { productId: "p-1", name: "Widget", price: 19.99, quantity: 2 },
          { productId: "p-2", name: "Gadget ✨", price: 25.98, quantity: 1 },
        ],
      },
      { eventId: EVENT_ID, timestamp: TIMESTAMP, headers },
    ),
    shopRegistry.create(
      "PaymentProcessedEvent",
      { paymentId: "payment-1", orderId: "order-1", amount: 65.96, status: "succeeded" },
      { eventId: EVENT_ID, timestamp: TIMESTAMP, headers },
    ),
    shopRegistry.create(
      "OrderShippedEvent",
      { orderId: "order-1", trackingNumber: "TRACK-1A2B3C4D", carrier: "DHL" },
      { eventId: EVENT_ID, timestamp: TIMESTAMP, headers },
    ),
  ];
}

/** A predicate for assert.throws: an eventwire error of this class, code and (when given) path. */
export function isError(
  cls: abstract new (...args: never[]) => EventwireError,
  code: EventwireErrorCode,
  path?: string,
): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected a ${cls.name}, got ${String(err)}`);
    assert.ok(isEventwireError(err));
    assert.equal(err.code, code, `wrong code; the message was: ${err.message}`);
    if (path !== undefined) assert.equal(err.path, path, `wrong path; the message was: ${err.message}`);
    return true;
  };
}
