/** The payment service: charges each new order (about 1.5 s; 9 in 10 succeed). */
import { Headers } from "eventwire";
import type { EventBus, Subscription } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "./events.js";
import type { Simulation } from "./simulation.js";

export const SERVICE = "payment-service";

export function startPaymentService(bus: EventBus<ShopEvent>, sim: Simulation): Promise<Subscription<ShopEvent>> {
  return bus.subscribe(SERVICE, {
    OrderCreatedEvent: async (created) => {
      const { orderId, total } = created.payload;
      const random = sim.random(`payment/${orderId}`);
      await sim.work(1500, random);
      const succeeded = random.next() < 0.9;
      const payment = shopRegistry.create(
        "PaymentProcessedEvent",
        { paymentId: `payment-${random.uuid()}`, orderId, amount: total, status: succeeded ? "succeeded" : "failed" },
        {
          headers: {
            [Headers.sourceService]: SERVICE,
            [Headers.correlationId]: created.headers[Headers.correlationId] ?? orderId,
            [Headers.causationId]: created.eventId,
          },
        },
      );
      await bus.publish(payment);
    },
  });
}
