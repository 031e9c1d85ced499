/**
 * Redis's failures as eventwire's typed errors: a refusal (a reply error:
 * OOM, NOPERM, WRONGTYPE, READONLY…) is `redis-refused` with Redis's own
 * message; a connection that is not there, or a command with no answer in
 * time, is `redis-unavailable`. The cause kept is a copy of ioredis's error
 * without the command it carried, whose arguments can hold a password.
 */
import { TransportError } from "../index.js";

/** Redis could not be reached, or stopped answering. */
export class RedisUnavailableError extends TransportError {
  override name = "RedisUnavailableError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("redis-unavailable", message, options);
  }
}

/** A copy of an error with its name and message only (ioredis's errors carry the command and its arguments). */
export function sanitized(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = new Error(error.message);
  copy.name = error.name;
  return copy;
}

/** Whether Redis answered with an error (a refusal), as opposed to not answering. */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** Whether the command never left the client (no connection to send it on): trying again cannot make it run twice. */
export function wasNotSent(error: unknown): boolean {
  return (
    error instanceof Error &&
    /Stream isn't writeable|Connection is closed|connect E[A-Z]+|Cluster isn't ready|enableOfflineQueue options is false|Failed to refresh slots cache|None of startup nodes is available/.test(error.message) &&
    !isReplyError(error)
  );
}

/**
 * Whether Redis Cluster refused a command without running it, for a moment:
 * the cluster is down while a replica takes over (CLUSTERDOWN), keys of a
 * multi-key command are half moved by a resharding (TRYAGAIN), or a node is
 * still loading its data (LOADING). Trying again cannot make it run twice.
 */
export function notRunYet(error: unknown): boolean {
  return isReplyError(error) && /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN)\b/.test((error as Error).message);
}

/** The typed error for a failed `what` (e.g. "publishing to mq:orders"). */
export function redisFailure(error: unknown, what: string, where: string): TransportError {
  if (error instanceof TransportError) return error;
  if (isReplyError(error)) {
    return new TransportError("redis-refused", `Redis at ${where} refused ${what}: ${(error as Error).message}`, { cause: sanitized(error) });
  }
  const reason = error instanceof Error ? error.message.replace(/\.+$/, "") : String(error);
  return new RedisUnavailableError(`Redis at ${where} is unavailable for ${what}: ${reason}`, { cause: sanitized(error) });
}
