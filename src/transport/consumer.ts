import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { TransportError } from "../errors.js";
import type { Event } from "../event.js";
import type { EventNamed, EventRegistry } from "../registry.js";
import { decodeEntry, movedFields, type DecodedEntry, type StreamEntry } from "./entry.js";
import { EntryField, type QueueKeys } from "./keys.js";
import {
  defaultRetryPolicy,
  positive,
  retryDelay,
  type ConsumerInit,
  type ConsumerOptions,
  type Logger,
  type SkipPolicy,
} from "./options.js";
import { pyFloat } from "./python-json.js";
import { recoverFromReadFailure, sleep } from "./recovery.js";
import type { DeliveredEntry, EntryStore } from "./store.js";

/** What a handler is told besides the event. */
export interface HandlerContext {
  /** The queue's name (without prefix). */
  readonly queue: string;
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

/** An entry being handled, and whether its handler still holds a slot. */
interface Job {
  readonly entry: DeliveredEntry;
  handling: boolean;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** What a consumer has done so far. */
export interface ConsumerStats {
  /** Entries handed to this consumer (new reads, reclaims and retries). */
  delivered: number;
  /** Events whose handler succeeded and whose acknowledgement this consumer made. */
  handled: number;
  /** Failed deliveries scheduled for another attempt. */
  retried: number;
  /** Entries this consumer moved to the DLQ. */
  deadLettered: number;
  /** Entries past their TTL, acknowledged without handling (and dead-lettered, when so configured: then counted here, not there). */
  expired: number;
  /** Entries acknowledged without handling under the `acknowledge` policy (unknown type, no handler). */
  skipped: number;
  /** Pending entries found trimmed from the stream, dropped from the pending list. */
  trimmed: number;
  /** Entries reclaimed from other (or earlier) consumers after they sat idle. */
  reclaimed: number;
}

/** The reason texts of DLQ moves start with one of these. */
export const DeadLetterReason = {
  handlerFailed: "handler-failed",
  permanentFailure: "permanent-failure",
  undecodable: "undecodable",
  unknownType: "unknown-event-type",
  noHandler: "no-handler",
  expired: "expired",
} as const;

/** Reads the attempt count a reason text records (`… (attempt 3 of 3): …`). */
export function attemptsOf(reason: string): number | undefined {
  const m = /\(attempt (\d+)/.exec(reason);
  return m ? Number(m[1]) : undefined;
}

export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

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

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Reads one queue in its consumer group and hands each event to its
 * handler.
 *
 * The contract:
 * - An entry is acknowledged only after its handler resolved. A consumer
 *   that dies leaves its entries pending; after `claimIdleMs` another
 *   consumer of the group (or this one, restarted) reclaims and handles
 *   them: delivery is at least once.
 * - A handler that throws is retried: the entry stays pending and is claimed
 *   again after the policy's delay, so the delivery counter Redis keeps
 *   counts the attempts. After `retry.maxAttempts` deliveries, or at once on
 *   a {@link PermanentError}, the entry goes to the DLQ with the reason.
 * - Entries that cannot be decoded go to the DLQ; entries of an unknown type
 *   or without a handler go to the DLQ or are acknowledged, as configured;
 *   entries past their TTL are acknowledged (or dead-lettered) unhandled.
 * - Every move to the DLQ is one atomic step with the acknowledgement, and
 *   only happens while the entry is still this consumer's: an entry is never
 *   lost, and never both in the DLQ and pending.
 * - {@link stop} stops reading, lets running handlers finish within
 *   `shutdownTimeoutMs`, leaves the rest pending for others, and resolves.
 */
export class Consumer<E extends Event = Event> {
  readonly queue: string;
  readonly options: ConsumerOptions;
  /** Counters of what this consumer has done. */
  readonly stats: ConsumerStats = {
    delivered: 0,
    handled: 0,
    retried: 0,
    deadLettered: 0,
    expired: 0,
    skipped: 0,
    trimmed: 0,
    reclaimed: 0,
  };

  private readonly keys: QueueKeys;
  private readonly store: EntryStore;
  private readonly registry: EventRegistry<E>;
  private readonly handlers: Handlers<E>;
  private readonly logger: Logger;
  private readonly maxLength: number;
  private reader: EntryStore | undefined;
  private running = false;
  private started: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly hardStop = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Entries in flight whose handler has not settled yet. */
  private handling = 0;
  /** Entries whose handlers succeeded, waiting to be acknowledged together (see {@link acknowledge}). */
  private acks: { ids: string[]; jobs: Job[]; done: Promise<void>; quiet?: Promise<void> } | undefined;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private slotWaiters: (() => void)[] = [];
  private loops: Promise<void>[] = [];
  private keepAlive: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    store: EntryStore,
    keys: QueueKeys,
    registry: EventRegistry<E>,
    handlers: Handlers<E>,
    options: ConsumerOptions,
    logger: Logger,
    maxLength: number,
  ) {
    this.store = store;
    this.keys = keys;
    this.queue = keys.name;
    this.registry = registry;
    this.handlers = handlers;
    this.options = options;
    this.logger = logger;
    this.maxLength = maxLength;
  }

  /** The consumer's name in the group. */
  get name(): string {
    return this.options.consumer;
  }

  /** Handlers running now. */
  get active(): number {
    return this.handling;
  }

  /** Creates the queue pair if need be and starts reading. Resolves once reading has begun. */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.started = (async () => {
      await this.store.ensureQueue(this.keys);
      this.reader = await this.store.forBlockingReads();
      this.running = true;
      this.loops = [this.readLoop(), this.reclaimLoop()];
      const every = Math.max(10, Math.min(this.options.claimIdleMs / 3, 10_000));
      this.keepAlive = setInterval(() => void this.touchOwn(), every);
      this.keepAlive.unref();
    })();
    return this.started;
  }

  /**
   * Stops reading, waits for running handlers up to `shutdownTimeoutMs`
   * (then aborts their signal and leaves their entries pending), cancels
   * scheduled retries (their entries stay pending, to be reclaimed), and
   * resolves when the consumer has let go of everything.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    if (!this.running && this.loops.length === 0) return;
    this.running = false;
    this.stopping.abort();
    void this.reader?.wake?.(this.name);
    for (const waiter of this.slotWaiters.splice(0)) waiter();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    const drained = Promise.all([...this.loops, ...this.inFlight.values()]).then(() => "drained" as const);
    const cancel = new AbortController();
    const deadline = sleep(this.options.shutdownTimeoutMs, cancel.signal).then(() => "timeout" as const);
    const outcome = await Promise.race([drained, deadline]);
    cancel.abort();
    if (outcome === "timeout") {
      this.hardStop.abort();
      this.logger.warn?.(`consumer ${this.name} on ${this.queue}: ${this.inFlight.size} handler(s) still running at the shutdown deadline; their entries stay pending`);
    }
    clearInterval(this.keepAlive);
    this.loops = [];
    if (this.reader && this.reader !== this.store) await this.reader.close();
    // With nothing left pending, the name leaves the group (else it stays, for its entries to be reclaimed).
    await this.store.leaveGroup(this.keys, this.name).catch(() => false);
  }

  /**
   * Resolves when the queue's group has nothing left to read and nothing
   * pending, and this consumer nothing in flight or waiting for a retry: the
   * queue is drained (for scripts, examples and tests; a service keeps
   * running). Entries a dead consumer left pending count until they are
   * reclaimed.
   */
  async drain(pollMs = 10): Promise<void> {
    await this.start();
    for (;;) {
      if (this.inFlight.size === 0 && this.retryTimers.size === 0) {
        const info = await this.store.info(this.keys);
        if (info.pending === 0 && (info.lag ?? 0) === 0 && this.inFlight.size === 0) return;
      }
      await sleep(pollMs);
    }
  }

  /** Resolves when nothing is in flight or waiting for a retry (for tests and scripts). */
  whenIdle(): Promise<void> {
    if (this.inFlight.size === 0 && this.retryTimers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private checkIdle(): void {
    if (this.inFlight.size === 0 && this.retryTimers.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /**
   * How many more entries may be taken on: handlers running are at most
   * `concurrency`; entries whose handlers are done but whose
   * acknowledgement is still under way count too, up to as many again (so
   * that reading goes on while acknowledgements travel, within bounds).
   */
  private freeSlots(): number {
    const c = this.options.concurrency;
    return Math.min(c - this.handling, 2 * c - this.inFlight.size);
  }

  private async waitForSlot(): Promise<void> {
    while (this.running && this.freeSlots() <= 0) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
  }

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      await this.waitForSlot();
      if (!this.running) break;
      try {
        const count = Math.min(this.options.batchSize, this.freeSlots());
        const entries = await this.reader!.readNew(this.keys, this.name, count, this.options.blockMs);
        failures = 0;
        for (const entry of entries) this.dispatch({ ...entry, deliveries: 1 });
      } catch (error) {
        await this.recover(error, ++failures);
      }
    }
  }

  private async reclaimLoop(): Promise<void> {
    let failures = 0;
    let lastPrune = 0;
    while (this.running) {
      try {
        await this.reclaim();
        if (Date.now() - lastPrune > this.options.pruneIdleMs / 4) {
          lastPrune = Date.now();
          await this.store.pruneConsumers(this.keys, this.options.pruneIdleMs, this.name);
        }
        failures = 0;
      } catch (error) {
        await this.recover(error, ++failures);
        continue;
      }
      await sleep(this.options.claimIntervalMs, this.stopping.signal);
    }
  }

  /** One pass over the pending list, claiming what has sat idle too long. */
  private async reclaim(): Promise<void> {
    let cursor = "0-0";
    do {
      const room = this.freeSlots();
      if (room <= 0 || !this.running) return;
      const result = await this.store.claimIdle(this.keys, this.name, this.options.claimIdleMs, cursor, Math.min(room, this.options.batchSize));
      if (result.deleted.length > 0) {
        this.stats.trimmed += result.deleted.length;
        this.logger.warn?.(`${result.deleted.length} pending entr${result.deleted.length === 1 ? "y was" : "ies were"} trimmed from ${this.keys.stream} before being handled`, {
          ids: result.deleted,
        });
      }
      for (const entry of result.entries) {
        if (this.inFlight.has(entry.id) || this.retryTimers.has(entry.id)) continue; // ours already
        this.stats.reclaimed++;
        this.dispatch(entry);
      }
      cursor = result.next;
    } while (cursor !== "0-0");
  }

  private async recover(error: unknown, failures: number): Promise<void> {
    if (!this.running) return;
    await recoverFromReadFailure(this.store, this.keys, error, failures, this.stopping.signal, (message) =>
      this.logger.warn?.(`consumer ${this.name} on ${this.queue}: ${message}`),
    );
  }


  private async touchOwn(): Promise<void> {
    const ids = [...this.inFlight.keys(), ...this.retryTimers.keys()];
    if (ids.length === 0) return;
    try {
      await this.store.touch(this.keys, this.name, ids);
    } catch (error) {
      this.logger.debug?.(`keep-alive failed: ${describeError(error)}`);
    }
  }

  /**
   * Starts handling an entry. The common case — the entry decodes, has a
   * handler, and the handler returns without a promise — runs here without
   * awaiting anything: the entry joins the batch of acknowledgements, whose
   * completion finishes it. Everything else goes through {@link run}.
   */
  private dispatch(entry: DeliveredEntry): void {
    this.stats.delivered++;
    this.handling++;
    const job: Job = { entry, handling: true };
    const decoded = decodeEntry(this.registry, entry.fields);
    const handler = this.readyHandler(decoded);
    if (handler === undefined) {
      this.inFlight.set(entry.id, this.run(job, decoded));
      return;
    }
    let result: unknown;
    let pending: boolean;
    try {
      result = handler(decoded.event!, this.contextOf(entry, decoded));
      pending = isThenable(result);
    } catch (error) {
      this.inFlight.set(entry.id, this.run(job, decoded, { error }));
      return;
    }
    if (pending) {
      this.inFlight.set(entry.id, this.run(job, decoded, { result }));
      return;
    }
    this.release(job);
    this.inFlight.set(entry.id, this.acknowledge(entry.id, job));
  }

  /** The handler of a decoded entry that is ready to be handled (decoded, not expired), if it has one. */
  private readyHandler(decoded: DecodedEntry<E>): Handler<E> | undefined {
    if (decoded.problem !== undefined) return undefined;
    const meta = decoded.metadata;
    if (meta && meta.ttl !== null && Date.now() / 1000 > meta.timestamp + meta.ttl) return undefined;
    return (this.handlers as Record<string, Handler<E> | undefined>)[decoded.event!.eventType] ?? this.handlers["*"];
  }

  private contextOf(entry: DeliveredEntry, decoded: DecodedEntry<E>): HandlerContext {
    return {
      queue: this.queue,
      streamId: entry.id,
      deliveries: entry.deliveries,
      maxAttempts: this.options.retry.maxAttempts,
      headers: decoded.event!.headers,
      messageId: decoded.metadata?.id,
      signal: this.hardStop.signal,
    };
  }

  /**
   * Handles one entry to the end, on the paths that wait: a handler that
   * returned a promise (`handled.result`) or threw (`handled.error`), or an
   * entry that is not handled (expired, undecodable, unknown or unhandled
   * type). Never rejects.
   */
  private async run(job: Job, decoded: DecodedEntry<E>, handled?: { result?: unknown; error?: unknown }): Promise<void> {
    try {
      await this.process(job, decoded, handled);
    } catch (error) {
      this.couldNotFinish(job, error);
    } finally {
      this.finish(job);
    }
  }

  /** The entry is done with, one way or another. */
  private finish(job: Job): void {
    this.release(job);
    this.inFlight.delete(job.entry.id);
    this.slotWaiters.shift()?.();
    this.checkIdle();
  }

  private couldNotFinish(job: Job, error: unknown): void {
    // A store failure while finishing: the entry stays pending and is reclaimed later.
    this.logger.warn?.(`could not finish entry ${job.entry.id} of ${this.queue}: ${describeError(error)}; it stays pending`);
  }

  /** The job's handler is done: its slot may take another entry. */
  private release(job: Job): void {
    if (!job.handling) return;
    job.handling = false;
    this.handling--;
    this.slotWaiters.shift()?.();
  }

  private async process(job: Job, decoded: DecodedEntry<E>, handled: { result?: unknown; error?: unknown } | undefined): Promise<void> {
    const entry = job.entry;
    if (handled === undefined) {
      const meta = decoded.metadata;
      if (meta && meta.ttl !== null && Date.now() / 1000 > meta.timestamp + meta.ttl) {
        await this.skip(entry, this.options.expired, `${DeadLetterReason.expired}: the message's TTL of ${meta.ttl} s ran out before it was handled`, "expired");
        return;
      }
      if (decoded.problem) {
        if (decoded.problem.kind === "unknown-type") {
          await this.skip(entry, this.options.unknownType, `${DeadLetterReason.unknownType}: ${decoded.problem.message}`, "skipped");
        } else {
          await this.deadLetter(entry, `${DeadLetterReason.undecodable}: ${decoded.problem.message}`);
        }
        return;
      }
      const event = decoded.event!;
      await this.skip(entry, this.options.unhandledType, `${DeadLetterReason.noHandler}: consumer ${this.name} has no handler for ${event.eventType}`, "skipped");
      return;
    }
    if ("error" in handled) {
      this.release(job);
      await this.failed(entry, decoded, handled.error);
      return;
    }
    try {
      await handled.result;
    } catch (error) {
      this.release(job);
      await this.failed(entry, decoded, error);
      return;
    }
    this.release(job);
    await this.acknowledge(entry.id);
  }

  /**
   * Acknowledges an entry whose handler succeeded, together with the others
   * whose handlers succeeded in the same turn of the event loop: one round
   * trip for all of them instead of one each. Resolves once Redis has the
   * acknowledgement; rejects (leaving the entries pending) when it failed.
   * With `job` (the synchronous path), the batch also finishes the job, and
   * the promise never rejects.
   */
  private acknowledge(id: string, job?: Job): Promise<void> {
    let batch = this.acks;
    if (batch === undefined) {
      const ids: string[] = [];
      const jobs: Job[] = [];
      let settle!: (failure: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        settle = (failure) => {
          for (const j of jobs) {
            if (failure !== undefined) this.couldNotFinish(j, failure);
            this.finish(j);
          }
          if (failure === undefined) resolve();
          else reject(failure);
        };
      });
      done.catch(() => {}); // each waiting entry reports the failure itself
      batch = this.acks = { ids, jobs, done };
      setImmediate(() => {
        this.acks = undefined;
        this.store.ack(this.keys, ids).then(
          (n) => {
            this.stats.handled += n;
            settle(undefined);
          },
          (error: unknown) => settle(error ?? new Error("the acknowledgement failed")),
        );
      });
    }
    batch.ids.push(id);
    if (job === undefined) return batch.done;
    batch.jobs.push(job);
    return batch.quiet ??= batch.done.catch(() => {});
  }

  private async failed(entry: DeliveredEntry, decoded: DecodedEntry<E>, error: unknown): Promise<void> {
    const max = this.options.retry.maxAttempts;
    const attempt = `(attempt ${entry.deliveries} of ${max})`;
    if (isPermanentError(error)) {
      await this.deadLetter(entry, `${DeadLetterReason.permanentFailure} ${attempt}: ${describeError(error)}`);
      return;
    }
    if (entry.deliveries >= max) {
      await this.deadLetter(entry, `${DeadLetterReason.handlerFailed} ${attempt}: ${describeError(error)}`);
      return;
    }
    if (!this.running) return; // stays pending; reclaimed by another consumer
    const delay = retryDelay(this.options.retry, entry.deliveries);
    this.stats.retried++;
    this.logger.debug?.(`handler for ${decoded.eventType} failed ${attempt}; retrying in ${delay} ms`, { id: entry.id });
    const timer = setTimeout(() => {
      this.retryTimers.delete(entry.id);
      void this.retry(entry.id);
    }, delay);
    this.retryTimers.set(entry.id, timer);
  }

  private async retry(id: string): Promise<void> {
    if (!this.running) return this.checkIdle();
    try {
      const claimed = await this.store.claimOne(this.keys, this.name, id, 0);
      if (claimed.status === "claimed") this.dispatch(claimed.entry);
      else if (claimed.status === "deleted") this.stats.trimmed++;
    } catch (error) {
      this.logger.warn?.(`could not claim entry ${id} for a retry: ${describeError(error)}; it stays pending and will be reclaimed`);
    }
    this.checkIdle();
  }

  private async skip(entry: StreamEntry, policy: SkipPolicy, reason: string, counter: "expired" | "skipped"): Promise<void> {
    if (policy === "dead-letter") {
      if (await this.moveToDlq(entry, reason)) {
        if (counter === "expired") this.stats.expired++;
        else this.stats.deadLettered++;
      }
      return;
    }
    if ((await this.store.ack(this.keys, [entry.id])) > 0) this.stats[counter]++;
    this.logger.debug?.(`acknowledged entry ${entry.id} of ${this.queue} without handling: ${reason}`);
  }

  private async deadLetter(entry: StreamEntry, reason: string): Promise<void> {
    if (await this.moveToDlq(entry, reason)) this.stats.deadLettered++;
  }

  private async moveToDlq(entry: StreamEntry, reason: string): Promise<boolean> {
    const now = Date.now() / 1000;
    const fields = movedFields(entry.fields, EntryField.failures, { timestamp: pyFloat(now), reason }, now);
    const id = await this.store.deadLetter(this.keys, this.name, entry.id, fields, this.maxLength);
    if (id === undefined) {
      this.logger.debug?.(`entry ${entry.id} of ${this.queue} is no longer this consumer's; not moved`);
      return false;
    }
    this.logger.info?.(`moved entry ${entry.id} of ${this.queue} to the DLQ as ${id}: ${reason}`);
    return true;
  }
}
