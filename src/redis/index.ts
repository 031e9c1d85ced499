/**
 * `eventwire/redis`: eventwire over Redis Streams, in LeanMQ's layout: `connectRedis` gives a
 * {@link StreamTransport} to publish, consume and operate queues, and an
 * {@link EventBus} on top of it.
 */
import type { RedisOptions } from "ioredis";
import { TransportError, type Event, type EventRegistry } from "../index.js";
import { StreamTransport, type TransportOptions } from "../transport/index.js";
import {
  defaultClusterNodes,
  defaultRedisUrl,
  describeConnection,
  openCluster,
  openRedis,
  parseClusterNodes,
  redactUrl,
  type ClusterConnection,
  type RedisConnection,
} from "./connection.js";
import { RedisStore, type RedisClient, type ReplicaWait } from "./redis-store.js";

export * from "../transport/index.js";
export { RedisStore } from "./redis-store.js";
export type { RedisClient, RedisStoreOptions, ReplicaWait } from "./redis-store.js";
export { defaultClusterNodes, defaultRedisUrl, openCluster, openRedis, parseClusterNodes, redactUrl } from "./connection.js";
export type { ClusterConnection, OpenOptions, RedisConnection } from "./connection.js";
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
   * A Redis Cluster instead of one server: its seed nodes (`host:port` or
   * `redis://user:password@host:port`, `rediss://` for TLS), as a list or
   * comma-separated, or with options for every node's connection. Keys are
   * then laid out with a hash tag per queue (see the README).
   * @defaultValue when neither this nor `connection` is given, and
   * `REDIS_URL` is not set: `REDIS_CLUSTER_NODES`, when that is set
   */
  readonly cluster?: string | readonly string[] | ClusterConnection;
  /**
   * Wait until this many replicas have each publish (and routed copy, move
   * to a DLQ, requeue) before it counts as done, so that it survives a
   * failover of its master (see {@link ReplicaWait}).
   * @defaultValue none: the master's acknowledgement alone
   */
  readonly waitForReplicas?: ReplicaWait;
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
  const { registry, connection, cluster, waitForReplicas, connectTimeoutMs, commandTimeoutMs, redisOptions, ...transportOptions } = options;
  if (connection !== undefined && cluster !== undefined) {
    throw new TransportError("invalid-option", "give either connection (one Redis server) or cluster (its seed nodes), not both");
  }
  const open = {
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
  };
  const seeds = cluster ?? (connection === undefined && !process.env["REDIS_URL"] ? defaultClusterNodes() : undefined);
  let client: RedisClient;
  let where: string;
  if (seeds !== undefined) {
    const target: ClusterConnection = typeof seeds === "string" || Array.isArray(seeds) ? { nodes: parseClusterNodes(seeds as string | readonly string[]) } : (seeds as ClusterConnection);
    where = `${target.nodes.map(redactUrl).join(",")} (Redis Cluster)`;
    client = await openCluster(target, open);
  } else {
    const target = connection ?? defaultRedisUrl();
    where = describeConnection(target);
    client = await openRedis(target, open);
  }
  let store: RedisStore;
  try {
    store = new RedisStore(client, "quit", {
      where,
      ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }),
      ...(waitForReplicas === undefined ? {} : { waitForReplicas }),
    });
  } catch (error) {
    client.disconnect();
    throw error;
  }
  try {
    return new StreamTransport<E>(store, registry, transportOptions);
  } catch (error) {
    // options refused: the connection just opened is not left open
    await store.close().catch(() => {});
    throw error;
  }
}
