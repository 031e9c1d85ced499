/** The shipping service: ships each paid order (about 2 s) with a carrier and a tracking number. */
import { Headers } from "eventwire";
import type { EventBus, Subscription } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "./events.js";
import type { Simulation } from "./simulation.js";

export const SERVICE = "shipping-service";

export const CARRIERS = ["FedEx", "UPS", "USPS", "DHL"] as const;

export function startShippingService(bus: EventBus<ShopEvent>, sim: Simulation): Promise<Subscription<ShopEvent>> {
  return bus.subscribe(SERVICE, {
    PaymentProcessedEvent: async (payment) => {
      if (payment.payload.status !== "succeeded") return; // nothing to ship
      const { orderId } = payment.payload;
      const random = sim.random(`shipping/${orderId}`);
      await sim.work(2000, random);
      const shipped = shopRegistry.create(
        "OrderShippedEvent",
        { orderId, carrier: random.pick(CARRIERS), trackingNumber: `TRACK-${random.hex(8)}` },
        {
          headers: {
            [Headers.sourceService]: SERVICE,
            [Headers.correlationId]: payment.headers[Headers.correlationId] ?? orderId,
            [Headers.causationId]: payment.eventId,
          },
        },
      );
      await bus.publish(shipped);
    },
  });
}
