/**
 * `eventwire/memory`: eventwire in memory: the same transport contract as `eventwire/redis`,
 * on plain data structures, for unit tests of services and for running
 * without Redis. Nothing here imports a Redis client.
 */
import type { Event, EventRegistry } from "../index.js";
import { StreamTransport, type TransportOptions } from "../transport/index.js";
import { MemoryStore } from "./memory-store.js";

export * from "../transport/index.js";
export { MemoryStore } from "./memory-store.js";
export type { ConsumerInfo, GroupInfo, MemoryStoreOptions, PendingInfo } from "./memory-store.js";

/** How to make an in-memory transport. */
export interface MemoryTransportOptions<E extends Event> extends Partial<TransportOptions> {
  /** The event types to encode and decode. */
  readonly registry: EventRegistry<E>;
  /** The data to work on; transports given the same store see the same queues, as processes sharing one Redis do. @defaultValue a new store */
  readonly store?: MemoryStore;
}

/** A transport over memory. */
export function createMemoryTransport<E extends Event>(options: MemoryTransportOptions<E>): StreamTransport<E> {
  const { registry, store, ...transportOptions } = options;
  // A store given by the caller may be shared: closing one transport leaves it open.
  return new StreamTransport<E>(store ?? new MemoryStore(), registry, transportOptions, store === undefined);
}
