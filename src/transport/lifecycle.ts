/**
 * Lifecycle hooks: what consumers, publishers and the bus's router report as
 * it happens — retries, moves to a DLQ, reclaims, expiries, trimming, resets
 * and failed reads — as typed events to listen to.
 */
import type { DeadLetterReason } from "./dead-letter-reason.js";
import type { Logger } from "./options.js";

/** Who saw it: a consumer of a queue, a publisher, or the bus's router. */
export type LifecycleSource = "consumer" | "publisher" | "router";

/** A failed delivery that will be tried again. */
export interface RetryEvent {
  readonly queue: string;
  /** The consumer's name in the group. */
  readonly consumer: string;
  readonly streamId: string;
  /** LeanMQ's message id (`_metadata.id`), when the entry has one. */
  readonly messageId: string | undefined;
  readonly eventType: string | undefined;
  /** The delivery that failed: 1 the first time. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The wait before the next delivery, in ms. */
  readonly delayMs: number;
  /** What the handler threw. */
  readonly error: unknown;
}

/** An entry moved to a dead-letter queue. */
export interface DeadLetterEvent {
  /** The queue it was taken from (`all` for the bus's shared queue). */
  readonly queue: string;
  readonly source: LifecycleSource;
  /** The consumer (or router) that moved it. */
  readonly consumer: string;
  /** Its id in the queue it left. */
  readonly streamId: string;
  /** Its id in the DLQ. */
  readonly dlqStreamId: string;
  readonly messageId: string | undefined;
  readonly eventType: string | undefined;
  /** Why, as recorded (see {@link DeadLetterReason}). */
  readonly reason: DeadLetterReason;
  /** The reason as written into the entry's `_failures`. */
  readonly reasonText: string;
}

/** Entries left pending by another consumer (or an earlier run) taken over after they sat idle past `claimIdleMs`. */
export interface ReclaimEvent {
  readonly queue: string;
  readonly source: LifecycleSource;
  readonly consumer: string;
  readonly streamIds: readonly string[];
}

/** An entry past its TTL, acknowledged (or dead-lettered) without being handled. */
export interface ExpireEvent {
  readonly queue: string;
  readonly consumer: string;
  readonly streamId: string;
  readonly messageId: string | undefined;
  readonly eventType: string | undefined;
  /** Its time to live, in seconds. */
  readonly ttlSeconds: number;
  /** Whether it went to the DLQ (the `expired: "dead-letter"` policy) rather than being dropped. */
  readonly deadLettered: boolean;
}

/**
 * Entries lost to trimming: `pending` entries a consumer held were trimmed
 * from the stream before being handled (`streamIds` names them), or `unread`
 * entries were trimmed before any consumer group read them (trim mode
 * `length`; only their number is known).
 */
export interface TrimEvent {
  readonly stream: string;
  readonly source: LifecycleSource;
  readonly kind: "pending" | "unread";
  readonly count: number;
  readonly streamIds: readonly string[];
}

/** A stream or its consumer group found gone (Redis restarted empty, a flush, a deleted key) and made again at the start. */
export interface ResetEvent {
  readonly stream: string;
  readonly source: LifecycleSource;
}

/** A read or reclaim that failed (Redis down or restarting, say); reading goes on after a pause. */
export interface ReadFailureEvent {
  readonly queue: string;
  readonly source: LifecycleSource;
  readonly consumer: string;
  readonly error: unknown;
  /** Failures in a row, this one included. */
  readonly failures: number;
}

/** The lifecycle events, by name. */
export interface LifecycleEvents {
  readonly retry: RetryEvent;
  readonly "dead-letter": DeadLetterEvent;
  readonly reclaim: ReclaimEvent;
  readonly expire: ExpireEvent;
  readonly trim: TrimEvent;
  readonly reset: ResetEvent;
  readonly "read-failure": ReadFailureEvent;
}

/** A lifecycle event's name. */
export type LifecycleEventName = keyof LifecycleEvents;

/** Listens to one lifecycle event. */
export type LifecycleListener<K extends LifecycleEventName> = (event: LifecycleEvents[K]) => void;

/**
 * The lifecycle events of everything built on one transport: its
 * publishers, consumers and bus router. Listeners run synchronously where
 * the event happens; one that throws is reported to the logger and changes
 * nothing for the others or for the entry.
 */
export class Lifecycle {
  private readonly listeners = new Map<LifecycleEventName, Set<(event: never) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` for each `name` event, until the returned function is called. */
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    const entry = listener as (event: never) => void;
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** Whether anyone listens to `name` (to skip building an event nobody reads). */
  has(name: LifecycleEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  /** Reports `event` to the listeners of `name`. */
  emit<K extends LifecycleEventName>(name: K, event: LifecycleEvents[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as LifecycleListener<K>)(event);
      } catch (error) {
        this.logger.warn?.(`a listener of the ${name} lifecycle event threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
    }
  }
}
