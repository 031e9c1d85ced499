/**
 * The events of the example shop (`proto/eventwire/shop/v1/events.proto`):
 * the seed's order, payment and shipping events, registered and ready to
 * use — what a service's own registry file looks like.
 */
import { createRegistry, type Event } from "eventwire";
import {
  OrderCreatedEvent,
  OrderItem,
  OrderShippedEvent,
  PaymentProcessedEvent,
  protoMetadata,
} from "../../gen/eventwire/shop/v1/events.js";

export { OrderCreatedEvent, OrderItem, OrderShippedEvent, PaymentProcessedEvent };

/** The shop's event types: each line is one event type. */
export const shopEventTypes = [
  OrderCreatedEvent,
  PaymentProcessedEvent,
  OrderShippedEvent,
] as const;

/** A registry of the shop's event types. */
export const shopRegistry = createRegistry(shopEventTypes, { files: [protoMetadata] });

/** Any of the shop's events. */
export type ShopEvent = ReturnType<typeof shopRegistry.fromBinary>;

/**
 * The key that keeps an order's events together, in one partition of a
 * queue with partitions (the transport option `partitionKey`): its order id,
 * which every shop event carries. One partition is read in order, so an
 * order's payment is routed before its shipping.
 */
export function orderPartitionKey(event: Event): string | undefined {
  const orderId = (event.payload as { orderId?: unknown } | undefined)?.orderId;
  return typeof orderId === "string" ? orderId : undefined;
}
