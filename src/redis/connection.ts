/** Connecting to Redis: URLs, the first connection and its failure, reconnection. */
import { Redis, type RedisOptions } from "ioredis";
// Right after ioredis loads: undoes the slowdown of string methods it causes (see the file).
import "./string-methods.js";
import { TransportError } from "../index.js";

/** Where to find Redis: a URL (`redis://`, `rediss://` for TLS, with user, password and db number) or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** The Redis URL eventwire uses when none is given: `REDIS_URL`, else the local default. */
export function defaultRedisUrl(): string {
  return process.env["REDIS_URL"] || "redis://127.0.0.1:6379";
}

/** Redis could not be reached, or stopped answering. */
export class RedisUnavailableError extends TransportError {
  override name = "RedisUnavailableError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("redis-unavailable", message, options);
  }
}

/** A URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

export interface OpenOptions {
  /** More ioredis options, merged over those a URL gives (TLS certificates, say). */
  readonly redisOptions?: RedisOptions;
  /** How long to wait for the first connection, in ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Let commands wait for a reconnection indefinitely (consumers) rather than failing after ioredis's retries. */
  readonly waitForever?: boolean;
}

/**
 * Opens an ioredis connection and waits until it is ready. Fails with
 * {@link RedisUnavailableError} naming the address when Redis cannot be
 * reached in time. Once connected, the client reconnects by itself after
 * Redis restarts, resending the commands that were under way.
 */
export async function openRedis(connection: RedisConnection, options: OpenOptions = {}): Promise<Redis> {
  const timeout = options.connectTimeoutMs ?? 5000;
  let connected = false;
  let lastError: Error | undefined;
  const common: RedisOptions = {
    ...options.redisOptions,
    protocol: 2,
    lazyConnect: true,
    enableAutoPipelining: false,
    connectTimeout: timeout,
    maxRetriesPerRequest: options.waitForever ? null : 20,
    // Once connected, reconnect for ever (Redis restarts); a first
    // connection that fails is reported at once instead.
    retryStrategy: (times) => (connected ? Math.min(50 * times, 1000) : null),
  };
  const client =
    // (ioredis's option types do not allow `undefined` under exactOptionalPropertyTypes)
    typeof connection === "string" ? new Redis(connection, common as never) : new Redis({ ...connection, ...common } as never);
  const where = typeof connection === "string" ? redactUrl(connection) : `${connection.host ?? "127.0.0.1"}:${connection.port ?? 6379}`;
  // Errors reach callers through the promises of their commands; without a
  // listener ioredis would also print them.
  client.on("error", (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
      }),
    ]);
    connected = true;
  } catch (cause) {
    const reason = lastError ?? (cause as Error);
    if (client.status !== "end") client.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${where}: ${reason.message.replace(/\.+$/, "")}. Start a server, or point REDIS_URL (or the connection option) at one.`,
      { cause: reason },
    );
  } finally {
    clearTimeout(timer);
  }
  return client;
}
