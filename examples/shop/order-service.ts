/**
 * The order service: creates orders and follows them through payment and
 * shipping. It knows the other services only through the events on the bus.
 */
import { Headers } from "eventwire";
import { PermanentError, type EventBus } from "eventwire/redis";
import { shopRegistry, type OrderItem, type ShopEvent } from "./events.js";
import type { Simulation } from "./simulation.js";

export const SERVICE = "order-service";

export type OrderStatus = "created" | "paid" | "payment_failed" | "shipped";

export interface Order {
  readonly orderId: string;
  readonly userId: string;
  readonly items: readonly OrderItem[];
  readonly total: number;
  readonly status: OrderStatus;
  readonly paymentId?: string;
  readonly trackingNumber?: string;
  readonly carrier?: string;
}

export interface OrderService {
  /** Stores a new order as `created` and publishes OrderCreatedEvent. */
  createOrder(userId: string, items: readonly OrderItem[]): Promise<Order>;
  readonly orders: ReadonlyMap<string, Order>;
}

export async function startOrderService(bus: EventBus<ShopEvent>, sim: Simulation, onChange: (order: Order) => void): Promise<OrderService> {
  const orders = new Map<string, Order>();
  const ids = sim.random("order-service/order-ids");

  function update(orderId: string, change: (order: Order) => Partial<Order>): void {
    const order = orders.get(orderId);
    if (!order) throw new PermanentError(`unknown order ${orderId}`); // to the DLQ: retrying will not help
    const next = { ...order, ...change(order) };
    orders.set(orderId, next);
    onChange(next);
  }

  await bus.subscribe(SERVICE, {
    PaymentProcessedEvent: ({ payload: p }) =>
      update(p.orderId, (order) => ({
        paymentId: p.paymentId,
        // events may be redelivered out of order: shipped stays shipped
        status: order.status === "shipped" ? "shipped" : p.status === "succeeded" ? "paid" : "payment_failed",
      })),
    OrderShippedEvent: ({ payload: s }) => update(s.orderId, () => ({ status: "shipped", trackingNumber: s.trackingNumber, carrier: s.carrier })),
  });

  return {
    orders,
    async createOrder(userId, items) {
      let orderId: string;
      do orderId = `order-${ids.hex(8).toLowerCase()}`;
      while (orders.has(orderId));
      const total = Math.round(items.reduce((sum, i) => sum + i.price * i.quantity, 0) * 100) / 100;
      const order: Order = { orderId, userId, items, total, status: "created" };
      orders.set(orderId, order);
      onChange(order);
      const headers = { [Headers.sourceService]: SERVICE, [Headers.correlationId]: orderId };
      await bus.publish(shopRegistry.create("OrderCreatedEvent", { orderId, userId, total, items }, { headers }));
      return order;
    },
  };
}
