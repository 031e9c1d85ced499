/** The notification service: tells the customer about every event of their order. */
import { Headers } from "eventwire";
import type { EventBus, Subscription } from "eventwire/redis";
import type { ShopEvent } from "./events.js";
import { traceIdOf } from "./tracing.js";

export const SERVICE = "notification-service";

/** One notification: what happened, to which order, when, and who said so. */
export interface Notification {
  /** When the event happened, in seconds since the epoch. */
  readonly timestamp: number;
  /** The service that published the event. */
  readonly source: string;
  readonly eventType: ShopEvent["eventType"];
  readonly orderId: string;
  readonly text: string;
  /** The trace the event belongs to (from its `traceparent` header), when it was traced. */
  readonly traceId: string | undefined;
}

function message(event: ShopEvent): string {
  switch (event.eventType) {
    case "OrderCreatedEvent": {
      const { userId, items, total } = event.payload;
      return `confirmation to ${userId}: ${items.length} items, total ${total.toFixed(2)}`;
    }
    case "PaymentProcessedEvent": {
      const { status, amount, paymentId } = event.payload;
      return `payment ${status}: ${amount.toFixed(2)} (${paymentId})`;
    }
    case "OrderShippedEvent":
      return `shipped with ${event.payload.carrier}, tracking ${event.payload.trackingNumber}`;
  }
}

export function startNotificationService(bus: EventBus<ShopEvent>, notify: (n: Notification) => void): Promise<Subscription<ShopEvent>> {
  return bus.subscribe(SERVICE, {
    "*": (event) =>
      notify({
        timestamp: event.timestamp,
        source: event.headers[Headers.sourceService] ?? "?",
        eventType: event.eventType,
        orderId: event.payload.orderId,
        text: message(event),
        traceId: traceIdOf(event.headers),
      }),
  });
}
