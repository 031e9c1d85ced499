/** Connecting to Redis, one server or a cluster: URLs and seed lists (checked, and shown without their password), the first connection and its failure, reconnection. */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
// Right after ioredis loads: undoes the slowdown of string methods it causes (see the file).
import "./string-methods.js";
import { TransportError } from "../index.js";
import { RedisUnavailableError, sanitized } from "./errors.js";

/** Where to find Redis: a URL (`redis://`, `rediss://` for TLS, with user, password and db number) or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** The Redis URL eventwire uses when none is given: `REDIS_URL`, else the local default. */
export function defaultRedisUrl(): string {
  return process.env["REDIS_URL"] || "redis://127.0.0.1:6379";
}

/** The default of {@link OpenOptions.commandTimeoutMs}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * A URL with its password hidden, for messages: `redis://user:***@host`.
 * Also for text that is not a valid URL, so that a malformed one can be
 * shown safely.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    // scheme://[user][:password]@… — hide whatever stands between the first ':' after the scheme and the last '@'
    // (a password may hold '@', '/' or '#' when the URL is malformed)
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[\s\S]*@/i, "$1:***@");
  }
}

/** Checks a Redis URL before ioredis reads it (ioredis's own errors for a malformed one hold the whole URL). */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TransportError("invalid-option", `the Redis URL ${redactUrl(url)} is not a valid URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TransportError("invalid-option", `the Redis URL ${redactUrl(url)} must start with redis:// or rediss://`);
  }
  if (parsed.pathname !== "" && parsed.pathname !== "/" && !/^\/\d+$/.test(parsed.pathname)) {
    throw new TransportError("invalid-option", `the Redis URL ${redactUrl(url)} names a database that is not a number`);
  }
}

export interface OpenOptions {
  /** More ioredis options, merged over those a URL gives (TLS certificates, say). */
  readonly redisOptions?: RedisOptions;
  /** How long to wait for the first connection, in ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a command may wait for an answer, in ms, before it fails with
   * `redis-unavailable`. Commands are not queued while the connection is
   * down: they fail at once, and the store tries again until this much time
   * has passed.
   * @defaultValue 10000
   */
  readonly commandTimeoutMs?: number;
}

/** The connect and command timeouts of `options`, with their defaults; a command timeout that is not a positive number is refused. */
function timeoutsOf(options: OpenOptions): { timeout: number; commandTimeout: number } {
  const timeout = options.connectTimeoutMs ?? 5000;
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(commandTimeout) || commandTimeout <= 0) {
    throw new TransportError("invalid-option", `commandTimeoutMs must be a positive number, got ${String(commandTimeout)}`);
  }
  return { timeout, commandTimeout };
}

/**
 * Connects a client — one server's or a cluster's — within `timeoutMs`. On
 * failure it is let go, and the error names `where` and what to do (`hint`),
 * with the client's own last error as the reason when it has one.
 */
async function firstConnection(client: Redis | Cluster, timeoutMs: number, lastError: () => Error | undefined, where: string, hint: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (cause) {
    const reason = sanitized(lastError() ?? cause);
    if (client.status !== "end") client.disconnect();
    throw new RedisUnavailableError(`cannot reach ${where}: ${reason.message.replace(/\.+$/, "")}. ${hint}`, { cause: reason });
  } finally {
    clearTimeout(timer);
  }
}

/** Where a connection goes, for messages (never with the password). */
export function describeConnection(connection: RedisConnection): string {
  return typeof connection === "string" ? redactUrl(connection) : `${connection.host ?? "127.0.0.1"}:${connection.port ?? 6379}`;
}

/**
 * Opens an ioredis connection and waits until it is ready. Fails with
 * {@link RedisUnavailableError} naming the address when Redis cannot be
 * reached in time, and with `invalid-option` for a malformed URL. Once
 * connected, the client reconnects by itself after Redis restarts.
 */
export async function openRedis(connection: RedisConnection, options: OpenOptions = {}): Promise<Redis> {
  if (typeof connection === "string") checkRedisUrl(connection);
  const { timeout, commandTimeout } = timeoutsOf(options);
  let connected = false;
  let lastError: Error | undefined;
  const common: RedisOptions = {
    ...options.redisOptions,
    protocol: 2,
    lazyConnect: true,
    enableAutoPipelining: false,
    connectTimeout: timeout,
    commandTimeout,
    maxRetriesPerRequest: null,
    // Once connected, reconnect for ever (Redis restarts); a first
    // connection that fails is reported at once instead.
    retryStrategy: (times) => (connected ? Math.min(50 * times, 1000) : null),
  };
  let client: Redis;
  try {
    // (ioredis's option types do not allow `undefined` under exactOptionalPropertyTypes)
    client = typeof connection === "string" ? new Redis(connection, common as never) : new Redis({ ...connection, ...common } as never);
  } catch (cause) {
    throw new TransportError("invalid-option", `cannot use the Redis connection ${describeConnection(connection)}: ${sanitized(cause).message}`);
  }
  // Errors reach callers through the promises of their commands; without a
  // listener ioredis would also print them.
  client.on("error", (error: Error) => (lastError = error));
  await firstConnection(client, timeout, () => lastError, `Redis at ${describeConnection(connection)}`, "Start a server, or point REDIS_URL (or the connection option) at one.");
  connected = true;
  // From now on a command fails at once while the connection is down, rather
  // than waiting in a queue to be sent later: the store tries it again
  // within its time, and a command it has given up on never runs after all.
  client.options.enableOfflineQueue = false;
  return client;
}

/** Where to find a Redis Cluster: seed nodes, as `host:port` or `redis://[user:password@]host:port` (`rediss://` for TLS). */
export interface ClusterConnection {
  /** A few of the cluster's nodes; the client learns the rest from them. */
  readonly nodes: readonly string[];
  /** ioredis options for every node's connection (TLS certificates, an ACL user), merged over what the URLs give. */
  readonly redisOptions?: RedisOptions;
  /** More ioredis cluster options (`natMap`, `dnsLookup` for TLS with host names…). */
  readonly clusterOptions?: ClusterOptions;
}

/** The seed nodes `REDIS_CLUSTER_NODES` lists (comma-separated), or undefined when it is not set. */
export function defaultClusterNodes(): string[] | undefined {
  const text = process.env["REDIS_CLUSTER_NODES"];
  return text ? parseClusterNodes(text) : undefined;
}

/** A comma-separated list of seed nodes as a list, each checked. */
export function parseClusterNodes(text: string | readonly string[]): string[] {
  const nodes = (typeof text === "string" ? text.split(",") : [...text]).map((n) => n.trim()).filter((n) => n !== "");
  if (nodes.length === 0) throw new TransportError("invalid-option", "a Redis Cluster needs at least one seed node (host:port)");
  for (const node of nodes) seedNode(node);
  return nodes;
}

/** One seed node: its address, and the user, password and TLS its URL gives. */
function seedNode(node: string): { host: string; port: number; options: RedisOptions } {
  if (/^rediss?:\/\//i.test(node)) {
    checkRedisUrl(node);
    const url = new URL(node);
    const options: RedisOptions = {};
    if (url.username) options.username = decodeURIComponent(url.username);
    if (url.password) options.password = decodeURIComponent(url.password);
    if (url.protocol === "rediss:") options.tls = {};
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 6379), options };
  }
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(node);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new TransportError("invalid-option", `the cluster node ${redactUrl(node)} is not host:port or a redis:// URL`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port, options: {} };
}

/** Where a cluster is, for messages (never with a password). */
export function describeCluster(connection: ClusterConnection): string {
  return `the Redis Cluster at ${connection.nodes.map(redactUrl).join(",")}`;
}

/**
 * Opens an ioredis `Cluster` from seed nodes and waits until it is ready
 * (the slots known). Fails as {@link openRedis} does. Once connected, the
 * client follows the cluster by itself: redirections (MOVED, ASK) after a
 * resharding, a replica promoted after its master failed.
 */
export async function openCluster(connection: ClusterConnection, options: OpenOptions = {}): Promise<Cluster> {
  const seeds = parseClusterNodes(connection.nodes).map(seedNode);
  const { timeout, commandTimeout } = timeoutsOf(options);
  let connected = false;
  let lastError: Error | undefined;
  const cluster = new Cluster(
    seeds.map(({ host, port }) => ({ host, port })),
    {
      // Follow a failover quickly: the slots are asked for again as soon as a node is lost.
      slotsRefreshTimeout: 2000,
      slotsRefreshInterval: 5000,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      retryDelayOnMoved: 0,
      maxRedirections: 64,
      scaleReads: "master",
      ...connection.clusterOptions,
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      clusterRetryStrategy: (times: number) => (connected ? Math.min(100 * times, 1000) : null),
      redisOptions: {
        ...seeds[0]!.options,
        ...options.redisOptions,
        ...connection.redisOptions,
        protocol: 2,
        connectTimeout: timeout,
        commandTimeout,
        maxRetriesPerRequest: null,
      } as never,
    },
  );
  cluster.on("error", (error: Error) => (lastError = error));
  cluster.on("node error", (error: Error) => (lastError = error));
  await firstConnection(cluster, timeout, () => lastError, describeCluster(connection), "Start the cluster, or point REDIS_CLUSTER_NODES (or the cluster option) at its nodes.");
  connected = true;
  // As with one server: a command fails at once while the cluster is not
  // ready (the store tries it again within its time) rather than waiting
  // to be sent after it was given up on.
  cluster.options.enableOfflineQueue = false;
  return cluster;
}
