import { TransportError } from "../errors.js";
import type { EntryFormat } from "./entry.js";
import { DEFAULT_MAX_LENGTH, DEFAULT_PREFIX } from "./keys.js";

/** Where a component reports what it does; every method is optional. */
export interface Logger {
  debug?(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

/** The default logger: warnings and errors to the console, nothing else. */
export const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[eventwire] ${message}`, details ?? ""),
  error: (message, details) => console.error(`[eventwire] ${message}`, details ?? ""),
};

/** A logger that says nothing. */
export const silentLogger: Logger = {};

/** Options shared by everything built on one transport. */
export interface TransportOptions {
  /**
   * The key prefix, as LeanMQ's `prefix`.
   * @defaultValue `"mq:"`
   */
  readonly prefix: string;
  /**
   * The entry format publishers use unless a call says otherwise. Consumers
   * read both formats whatever this says.
   * @defaultValue `"json"` (LeanMQ's entries, readable by Python services)
   */
  readonly format: EntryFormat;
  /**
   * Streams are capped at about this many entries (`XADD … MAXLEN ~`), as
   * LeanMQ caps them. Entries trimmed while pending are dropped from the
   * pending list when found, and counted.
   * @defaultValue 100000
   */
  readonly maxLength: number;
  /** @defaultValue {@link consoleLogger} */
  readonly logger: Logger;
}

export const defaultTransportOptions: TransportOptions = Object.freeze({
  prefix: DEFAULT_PREFIX,
  format: "json",
  maxLength: DEFAULT_MAX_LENGTH,
  logger: consoleLogger,
});

/** Retries of a failed handler, as redeliveries of its entry. */
export interface RetryPolicy {
  /**
   * Deliveries at most, the first included, counted by Redis's own delivery
   * counter. After the last one fails, the entry goes to the DLQ.
   * @defaultValue 3
   */
  readonly maxAttempts: number;
  /**
   * Wait before the second delivery, in ms.
   * @defaultValue 200
   */
  readonly initialDelayMs: number;
  /**
   * Each further wait is the previous one times this.
   * @defaultValue 2
   */
  readonly multiplier: number;
  /**
   * No wait is longer than this, in ms.
   * @defaultValue 30000
   */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 200,
  multiplier: 2,
  maxDelayMs: 30_000,
});

/** The wait before delivery number `deliveries + 1`, after delivery `deliveries` failed. */
export function retryDelay(policy: RetryPolicy, deliveries: number): number {
  const delay = policy.initialDelayMs * Math.pow(policy.multiplier, Math.max(0, deliveries - 1));
  return Math.min(policy.maxDelayMs, delay);
}

/** What happens to an entry a consumer will not hand to a handler. */
export type SkipPolicy = "dead-letter" | "acknowledge";

/** How a consumer reads and handles its queue. */
export interface ConsumerOptions {
  /**
   * The consumer's name within the queue's group. Replicas of one service
   * must have different names (they share the group, so they share the work).
   * @defaultValue `<hostname>-<pid>-<random>`
   */
  readonly consumer: string;
  /**
   * Handlers running at once, at most.
   * @defaultValue 10
   */
  readonly concurrency: number;
  /**
   * Entries read per round trip, at most.
   * @defaultValue 10
   */
  readonly batchSize: number;
  /**
   * How long one read waits for new entries, in ms.
   * @defaultValue 1000
   */
  readonly blockMs: number;
  /** @defaultValue {@link defaultRetryPolicy} */
  readonly retry: RetryPolicy;
  /**
   * Entries pending to any consumer (a dead one, say) for this long, in ms,
   * are reclaimed (XAUTOCLAIM) and handled here. Entries this consumer is
   * working on or waiting to retry are kept fresh, so a live consumer never
   * loses them this way.
   * @defaultValue 30000
   */
  readonly claimIdleMs: number;
  /**
   * How often to look for entries to reclaim, in ms.
   * @defaultValue 5000
   */
  readonly claimIntervalMs: number;
  /**
   * Entries of an event type the registry does not know.
   * @defaultValue `"dead-letter"`
   */
  readonly unknownType: SkipPolicy;
  /**
   * Events of a known type that has no handler (and no `"*"` handler).
   * @defaultValue `"dead-letter"`
   */
  readonly unhandledType: SkipPolicy;
  /**
   * Entries past their TTL are never handled; they are acknowledged and
   * counted, or also dead-lettered.
   * @defaultValue `"acknowledge"`
   */
  readonly expired: SkipPolicy;
  /**
   * On {@link Consumer.stop}, how long in-flight handlers may take to finish,
   * in ms; entries of handlers still running then stay pending, for another
   * consumer to reclaim.
   * @defaultValue 10000
   */
  readonly shutdownTimeoutMs: number;
  /**
   * Consumers of the group with nothing pending that have been idle this
   * long, in ms, are removed from the group (names of processes long gone).
   * @defaultValue 3600000 (one hour)
   */
  readonly pruneIdleMs: number;
}

/** Consumer options as callers give them: any left out take their defaults, the retry policy's too. */
export type ConsumerInit = Partial<Omit<ConsumerOptions, "retry">> & { readonly retry?: Partial<RetryPolicy> };

export function positive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TransportError("invalid-option", `${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(value)}`);
  }
}
