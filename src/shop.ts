/**
 * The events of the order, payment and shipping example system
 * (`proto/eventwire/shop/v1/events.proto`), registered and ready to use.
 */
import {
  OrderCreatedEvent,
  OrderItem,
  OrderShippedEvent,
  PaymentProcessedEvent,
  protoMetadata,
} from "../gen/eventwire/shop/v1/events.js";
import { createRegistry } from "./registry.js";

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
