/**
 * fast-check arbitraries for the shop's events, shared by the property tests
 * and the interop tests.
 */
import fc from "fast-check";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

/**
 * Text: any Unicode code point (fast-check's `binary` unit never makes a
 * lone surrogate, so every string is well-formed and has a UTF-8 form),
 * printable graphemes, and the empty string.
 */
export const text = fc.oneof(fc.string({ unit: "binary", maxLength: 24 }), fc.string({ unit: "grapheme", maxLength: 12 }), fc.constant(""));

/**
 * Doubles: all that fc.double makes (NaN, ±Infinity, ±MAX_VALUE, subnormals
 * such as 5e-324), except -0. Protobuf's implicit presence leaves out a
 * field equal to 0, and -0 === 0, so -0 is never written and decodes as 0;
 * the generators map it to 0.
 */
export const double = fc
  .oneof(
    { arbitrary: fc.double(), weight: 4 },
    { arbitrary: fc.constantFrom(0, -1.5, 0.1, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -1e-300, 2 ** 53 + 2), weight: 1 },
  )
  .map((d) => (Object.is(d, -0) ? 0 : d));

/** A timestamp: any finite double (-0 mapped to 0, which is all JSON can carry: JSON.stringify(-0) is "0"). */
export const timestamp = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d));

export const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, -1, -(2 ** 31), 2 ** 31 - 1));

/** Header names and values; never `__proto__`, which eventwire refuses. */
export const headers = fc.dictionary(
  fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom("correlation-id", "traceparent", "10", "9", "x-\u{1F600}", "x-\uFF01")).filter((k) => k !== "__proto__"),
  text,
  { maxKeys: 6, noNullPrototype: true },
);

export const base = fc.record({ eventId: fc.uuid(), timestamp, headers });

export const orderItem = fc.record({ productId: text, name: text, price: double, quantity: int32 });

type OrderItemInit = typeof orderItem extends fc.Arbitrary<infer T> ? T : never;

export function orderPayload(items: fc.Arbitrary<OrderItemInit[]> = fc.array(orderItem, { maxLength: 6 })) {
  return fc.record({ orderId: text, userId: text, total: double, items });
}

export const paymentPayload = fc.record({ paymentId: text, orderId: text, amount: double, status: fc.oneof(fc.constantFrom("succeeded", "failed"), text) });

export const shippedPayload = fc.record({ orderId: text, trackingNumber: text, carrier: fc.oneof(fc.constantFrom("FedEx", "UPS", "USPS", "DHL"), text) });

/** Any valid shop event, made with the registry's create. */
export const shopEvent: fc.Arbitrary<ShopEvent> = fc.oneof(
  fc.tuple(orderPayload(), base).map(([p, b]): ShopEvent => shopRegistry.create("OrderCreatedEvent", p, b)),
  fc.tuple(paymentPayload, base).map(([p, b]): ShopEvent => shopRegistry.create("PaymentProcessedEvent", p, b)),
  fc.tuple(shippedPayload, base).map(([p, b]): ShopEvent => shopRegistry.create("OrderShippedEvent", p, b)),
);

/** Orders with hundreds of items. */
export const bigOrder: fc.Arbitrary<ShopEvent> = fc
  .tuple(orderPayload(fc.array(orderItem, { minLength: 200, maxLength: 400 })), base)
  .map(([p, b]): ShopEvent => shopRegistry.create("OrderCreatedEvent", p, b));
