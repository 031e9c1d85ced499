/** Connecting to Redis: URLs (checked, and shown without their password), the first connection and its failure, reconnection. */
import { Redis, type RedisOptions } from "ioredis";
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
  const timeout = options.connectTimeoutMs ?? 5000;
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(commandTimeout) || commandTimeout <= 0) {
    throw new TransportError("invalid-option", `commandTimeoutMs must be a positive number, got ${String(commandTimeout)}`);
  }
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
  const where = describeConnection(connection);
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
    const reason = sanitized(lastError ?? cause);
    if (client.status !== "end") client.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${where}: ${reason.message.replace(/\.+$/, "")}. Start a server, or point REDIS_URL (or the connection option) at one.`,
      { cause: reason },
    );
  } finally {
    clearTimeout(timer);
  }
  // From now on a command fails at once while the connection is down, rather
  // than waiting in a queue to be sent later: the store tries it again
  // within its time, and a command it has given up on never runs after all.
  client.options.enableOfflineQueue = false;
  return client;
}
