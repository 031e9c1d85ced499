/**
 * The fixed inputs of the golden vectors: one event of each shop type.
 * `npm run vectors` (scripts/make-vectors.ts) writes `<EventType>.bin` and
 * `<EventType>.json` from them; test/codec/vectors.test.ts checks the codec
 * still makes exactly those bytes, and the cross-language test has Python
 * read them. Changing an input means regenerating and committing the files.
 */
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

/** A UUID v4 and a timestamp with a fraction no double holds exactly. */
export const VECTOR_EVENT_ID = "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a";
export const VECTOR_TIMESTAMP = 1732700000.123456;

export function vectorEvents(): ShopEvent[] {
  return [
    shopRegistry.create(
      "OrderCreatedEvent",
      {
        orderId: "order-7f3a",
        userId: "user-Zoë",
        total: 79.46,
        items: [
          { productId: "prod-1", name: "Café crème ☕", price: 19.99, quantity: 2 },
          { productId: "prod-2", name: "Notebook", price: 25.98, quantity: 1 },
          { productId: "prod-3", name: "Sticker 🐙", price: 4.5, quantity: 3 },
        ],
      },
      {
        eventId: VECTOR_EVENT_ID,
        timestamp: VECTOR_TIMESTAMP,
        headers: {
          "correlation-id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
          "source-service": "order-service",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        },
      },
    ),
    shopRegistry.create(
      "PaymentProcessedEvent",
      { paymentId: "payment-9b8c7d6e", orderId: "order-7f3a", amount: 79.46, status: "succeeded" },
      {
        eventId: "6e2f4d8b-3c5a-4b9f-8d7e-1a2b3c4d5e6f",
        timestamp: 1732700001.5,
        // Names whose orders differ between JavaScript objects, UTF-16 and
        // code points: protoc sorts map keys by UTF-8 bytes ("10" < "9",
        // "x-！" (U+FF01) < "x-😀" (U+1F600)).
        headers: { "9": "nine", "10": "ten", "x-\u{1F600}": "grin", "x-\uFF01": "bang", "causation-id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "x-ünïcödé": "välue ✓" },
      },
    ),
    shopRegistry.create(
      "OrderShippedEvent",
      { orderId: "order-7f3a", trackingNumber: "TRACK-1A2B3C4D", carrier: "DHL" },
      {
        eventId: "7f3a5e9c-4d6b-4c0a-9e8f-2b3c4d5e6f7a",
        timestamp: 1732700003.000001,
        headers: { "correlation-id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "source-service": "shipping-service" },
      },
    ),
  ];
}

/** The two files of a vector, as the codec makes them. */
export function vectorFiles(event: ShopEvent): { bin: Uint8Array; json: string } {
  return { bin: shopRegistry.toBinary(event), json: shopRegistry.toJson(event) };
}
