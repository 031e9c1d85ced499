/**
 * Handlers: what a consumer calls for each event, what it tells them, and
 * how a handler says that a failure is permanent.
 */
import type { Event, EventNamed } from "../index.js";

/** What a handler is told besides the event. */
export interface HandlerContext {
  /** The queue's name (without prefix). */
  readonly queue: string;
  /** The consumer's name in the queue's group. */
  readonly consumer: string;
  /** The stream entry id. */
  readonly streamId: string;
  /** This delivery's number, counted by Redis: 1 the first time, 2 on the first retry, … */
  readonly deliveries: number;
  /** Deliveries at most, from the retry policy. */
  readonly maxAttempts: number;
  /** The event's headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The message id LeanMQ keeps in `_metadata.id` (the same across DLQ moves), when there is one. */
  readonly messageId: string | undefined;
  /** Aborted when the consumer stops and its shutdown deadline has passed. */
  readonly signal: AbortSignal;
}

/** Handles one event. Resolving acknowledges it; throwing retries it, or dead-letters it after the last attempt. */
export type Handler<Ev> = (event: Ev, context: HandlerContext) => unknown;

/**
 * Handlers by event type; `"*"` handles every type that has no handler of
 * its own.
 */
export type Handlers<E extends Event> = { readonly [N in E["eventType"]]?: Handler<EventNamed<E, N>> } & {
  readonly "*"?: Handler<E>;
};

/**
 * Thrown by a handler, sends the event to the DLQ at once, skipping the
 * retries left: for failures that a retry cannot mend (a malformed order, a
 * rule broken).
 */
export class PermanentError extends Error {
  override name = "PermanentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for a {@link PermanentError}, also from another copy of the package. */
export function isPermanentError(error: unknown): boolean {
  return error instanceof PermanentError || (error instanceof Error && error.name === "PermanentError");
}
