/**
 * The benchmark's inputs: one event of each of the seed's types, as plain
 * data (no eventwire import, so that a process can measure the other codecs
 * without loading eventwire). The OrderCreatedEvent, with three items, is
 * the headline.
 */

export interface SeedEvent {
  readonly eventType: "OrderCreatedEvent" | "PaymentProcessedEvent" | "OrderShippedEvent";
  readonly eventId: string;
  readonly timestamp: number;
  /** The payload as the generated TypeScript type has it (camelCase). */
  readonly payload: Record<string, unknown>;
  /** The seed's flat dict (`to_dict`): base fields and payload fields by their .proto names. */
  readonly dict: Record<string, unknown>;
}

const items = [
  { productId: "p-1", name: "Keyboard", price: 45.98, quantity: 1 },
  { productId: "p-2", name: "Mouse pad", price: 9.99, quantity: 2 },
  { productId: "p-3", name: "Cable", price: 4.5, quantity: 3 },
];

function seed(eventType: SeedEvent["eventType"], eventId: string, timestamp: number, payload: Record<string, unknown>, dictPayload: Record<string, unknown>): SeedEvent {
  return { eventType, eventId, timestamp, payload, dict: { event_id: eventId, timestamp, event_type: eventType, ...dictPayload } };
}

export const seedEvents: readonly SeedEvent[] = [
  seed(
    "OrderCreatedEvent",
    "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c",
    1732700000.123456,
    { orderId: "order-1001", userId: "user-42", total: 65.96, items },
    {
      order_id: "order-1001",
      user_id: "user-42",
      total: 65.96,
      items: items.map((i) => ({ product_id: i.productId, name: i.name, price: i.price, quantity: i.quantity })),
    },
  ),
  seed(
    "PaymentProcessedEvent",
    "6e2f4d8b-3c5a-4b9f-8d7e-1a2b3c4d5e6f",
    1732700001.5,
    { paymentId: "payment-0b0e7d4c-5f2a-4c1e-9d3b-2a1f0e9d8c7b", orderId: "order-1001", amount: 65.96, status: "succeeded" },
    { payment_id: "payment-0b0e7d4c-5f2a-4c1e-9d3b-2a1f0e9d8c7b", order_id: "order-1001", amount: 65.96, status: "succeeded" },
  ),
  seed(
    "OrderShippedEvent",
    "7f3a5e9c-4d6b-4c0a-9e8f-2b3c4d5e6f7a",
    1732700003.25,
    { orderId: "order-1001", trackingNumber: "TRACK-1A2B3C4D", carrier: "FedEx" },
    { order_id: "order-1001", tracking_number: "TRACK-1A2B3C4D", carrier: "FedEx" },
  ),
];
