/**
 * `eventwire/redis`: eventwire over Redis Streams, in LeanMQ's layout: `connectRedis` gives a
 * {@link StreamTransport} to publish, consume and operate queues, and an
 * {@link EventBus} on top of it.
 */
import type { RedisOptions } from "ioredis";
import type { Event, EventRegistry } from "../index.js";
import { StreamTransport, type TransportOptions } from "../transport/index.js";
import { defaultRedisUrl, describeConnection, openRedis, type RedisConnection } from "./connection.js";
import { RedisStore } from "./redis-store.js";

export * from "../transport/index.js";
export { RedisStore } from "./redis-store.js";
export type { RedisStoreOptions } from "./redis-store.js";
export { defaultRedisUrl, openRedis, redactUrl } from "./connection.js";
export type { OpenOptions, RedisConnection } from "./connection.js";
export { RedisUnavailableError } from "./errors.js";

/** How to connect a transport to Redis. */
export interface RedisTransportOptions<E extends Event> extends Partial<TransportOptions> {
  /** The event types to encode and decode. */
  readonly registry: EventRegistry<E>;
  /**
   * Where Redis is: a URL (`redis://user:password@host:6379/0`, `rediss://`
   * for TLS) or ioredis options.
   * @defaultValue `REDIS_URL`, else `redis://127.0.0.1:6379`
   */
  readonly connection?: RedisConnection;
  /**
   * How long to wait for the first connection, in ms, before failing with
   * {@link RedisUnavailableError}.
   * @defaultValue 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long an operation may take, in ms — waiting through a reconnection,
   * or for a server that does not answer — before it fails with
   * {@link RedisUnavailableError} (`redis-unavailable`). A publish during an
   * outage fails after this long; a publish that timed out after it was sent
   * may still have been written.
   * @defaultValue 10000
   */
  readonly commandTimeoutMs?: number;
  /** More ioredis options, merged over those the URL gives: TLS certificates (`tls: { ca }`), a name. */
  readonly redisOptions?: RedisOptions;
}

/**
 * Connects to Redis and returns a transport. Fails with
 * {@link RedisUnavailableError} when Redis cannot be reached. Once
 * connected, the transport reconnects by itself after Redis restarts.
 */
export async function connectRedis<E extends Event>(options: RedisTransportOptions<E>): Promise<StreamTransport<E>> {
  const { registry, connection, connectTimeoutMs, commandTimeoutMs, redisOptions, ...transportOptions } = options;
  const target = connection ?? defaultRedisUrl();
  const client = await openRedis(target, {
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
  });
  const store = new RedisStore(client, "quit", { where: describeConnection(target), ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) });
  try {
    return new StreamTransport<E>(store, registry, transportOptions);
  } catch (error) {
    // options refused: the connection just opened is not left open
    await store.close().catch(() => {});
    throw error;
  }
}
