/**
 * How the demo and the service processes it starts talk, over Node's IPC
 * channel (the services talk to each other only through the event bus).
 */
import type { EntryFormat } from "eventwire/redis";
import type { OrderItem } from "./events.js";
import type { Notification } from "./notification-service.js";
import type { Order } from "./order-service.js";

export const SERVICES = ["order-service", "payment-service", "shipping-service", "notification-service"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** What the demo tells a service process, as JSON in the EVENTWIRE_DEMO environment variable. */
export interface ServiceConfig {
  /** One Redis server (the Python service reads only this). */
  readonly redisUrl?: string;
  /** A Redis Cluster's seed nodes, "host:port" each, instead. */
  readonly cluster?: readonly string[];
  /** Partitions of the bus's shared queue, set as each bus starts; left as recorded when absent. */
  readonly partitions?: number;
  readonly prefix: string;
  readonly format: EntryFormat;
  readonly seed: string;
  readonly fast: boolean;
}

/** Messages from a service process to the demo. */
export type ServiceReport =
  | { readonly kind: "ready"; readonly service: ServiceName }
  | { readonly kind: "order"; readonly order: Order }
  | { readonly kind: "notification"; readonly notification: Notification }
  | { readonly kind: "failed"; readonly service: string; readonly message: string };

/** Messages from the demo to a service process. */
export type ServiceCommand =
  | { readonly kind: "create-order"; readonly userId: string; readonly items: readonly OrderItem[] }
  | { readonly kind: "stop" };
