/** How a consumer reads and handles its queue: the options, the retry policy, their defaults, and how a caller's are checked. */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { TransportError } from "../index.js";
import { positive } from "./options.js";

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

/** The defaults of {@link RetryPolicy}. */
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


/** A consumer name unique to this process: `<hostname>-<pid>-<random>`. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** The defaults of {@link ConsumerOptions} (a new consumer name each time). */
export const defaultConsumerOptions = (): ConsumerOptions => ({
  consumer: defaultConsumerName(),
  concurrency: 10,
  batchSize: 10,
  blockMs: 1000,
  retry: defaultRetryPolicy,
  claimIdleMs: 30_000,
  claimIntervalMs: 5_000,
  unknownType: "dead-letter",
  unhandledType: "dead-letter",
  expired: "acknowledge",
  shutdownTimeoutMs: 10_000,
  pruneIdleMs: 3_600_000,
});

/** Fills in and checks consumer options. */
export function consumerOptions(given: ConsumerInit = {}): ConsumerOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as ConsumerInit;
  const options: ConsumerOptions = {
    ...defaultConsumerOptions(),
    ...defined,
    retry: { ...defaultRetryPolicy, ...(defined.retry ?? {}) },
  };
  positive("concurrency", options.concurrency);
  positive("batchSize", options.batchSize);
  positive("blockMs", options.blockMs);
  positive("claimIdleMs", options.claimIdleMs);
  positive("claimIntervalMs", options.claimIntervalMs);
  positive("shutdownTimeoutMs", options.shutdownTimeoutMs, true);
  positive("pruneIdleMs", options.pruneIdleMs);
  positive("retry.maxAttempts", options.retry.maxAttempts);
  positive("retry.initialDelayMs", options.retry.initialDelayMs, true);
  positive("retry.multiplier", options.retry.multiplier);
  positive("retry.maxDelayMs", options.retry.maxDelayMs, true);
  if (!Number.isInteger(options.concurrency) || !Number.isInteger(options.batchSize) || !Number.isInteger(options.retry.maxAttempts)) {
    throw new TransportError("invalid-option", "concurrency, batchSize and retry.maxAttempts must be whole numbers");
  }
  if (options.consumer === "") throw new TransportError("invalid-option", "the consumer name must not be empty");
  return options;
}
