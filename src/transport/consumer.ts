/**
 * The consumer: reads one queue in its consumer group (through a
 * {@link GroupReader}), hands each event to its handler, and acknowledges,
 * retries or dead-letters it.
 */
import { pythonFloat, type Event, type EventRegistry } from "../index.js";
import { retryDelay, type ConsumerOptions, type SkipPolicy } from "./consumer-options.js";
import { DeadLetterKind, formatReason, reasonOf, type DeadLetterReason } from "./dead-letter-reason.js";
import { GroupReader } from "./group-reader.js";
import { isPermanentError, type Handler, type HandlerContext, type Handlers } from "./handler.js";
import { decodeEntry, movedFields, type DecodedEntry } from "./leanmq/entry.js";
import { EntryField, queueKeys, type QueueKeys } from "./leanmq/keys.js";
import { isExpired } from "./leanmq/metadata.js";
import type { Lifecycle } from "./lifecycle.js";
import { checkMiddleware, compose, type Middleware } from "./middleware/middleware.js";
import type { Logger } from "./options.js";
import { sleep, within } from "./sleep.js";
import type { DeliveredEntry, EntryStore, StreamEntry, StreamLimits } from "./store.js";
import { SpanEvent } from "./telemetry/names.js";
import { deadLetterAttributes, type DeliveryTrace, type Telemetry } from "./telemetry/telemetry.js";

/** What a consumer reports to, and wraps its handlers in, besides its logger (all optional). */
export interface ConsumerObservers<E extends Event = Event> {
  /** Where retries, moves to the DLQ, reclaims, expiries, trimming, resets and failed reads are reported. */
  readonly lifecycle?: Lifecycle;
  /** Spans and metrics of each delivery. */
  readonly telemetry?: Telemetry;
  /** Middleware every handler is wrapped in, the first outermost (the consumer's own `use` adds more inside). */
  readonly middleware?: readonly Middleware<E>[];
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
 * - On a queue with partitions it reads every partition the queue has had
 *   (and those added while it runs, within `claimIntervalMs`), each as the
 *   queue alone is read: `batchSize` and `concurrency` hold per partition,
 *   the stats count them all.
 */
export class Consumer<E extends Event = Event> {
  readonly queue: string;
  readonly options: ConsumerOptions;
  /** Counters of what this consumer has done (over all partitions). */
  readonly stats: ConsumerStats;
  /** The partition it reads (its own; the others are read by {@link partitionReaders}). */
  readonly partition: number;
  /** The consumers of the queue's other partitions, made and run by this one (the consumer of partition 0). */
  private readonly partitionReaders: Consumer<E>[] = [];
  private partitionWatch: NodeJS.Timeout | undefined;
  private readonly observers: ConsumerObservers<E>;

  private readonly keys: QueueKeys;
  private readonly store: EntryStore;
  private readonly registry: EventRegistry<E>;
  private readonly handlers: Handlers<E>;
  private readonly logger: Logger;
  private readonly limits: StreamLimits;
  /** Set by {@link stop}: a start still under way does not begin reading. */
  private stopRequested = false;
  private readonly reader: GroupReader;
  private running = false;
  private started: Promise<void> | undefined;
  private readonly hardStop = new AbortController();
  private readonly lifecycle: Lifecycle | undefined;
  private readonly telemetry: Telemetry | undefined;
  /** The traces of the deliveries in flight (only with telemetry). */
  private readonly traces: Map<string, DeliveryTrace> | undefined;
  private readonly middleware: Middleware<E>[];
  /** Each handler wrapped in the middleware, made once. */
  private readonly wrapped = new Map<Handler<E>, Handler<E>>();
  private unwatch: (() => void) | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Entries in flight whose handler has not settled yet. */
  private handling = 0;
  /** Entries whose handlers succeeded, waiting to be acknowledged together (see {@link acknowledge}). */
  private acks: { ids: string[]; jobs: Job[]; done: Promise<void>; quiet?: Promise<void> } | undefined;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private slotWaiters: (() => void)[] = [];
  private keepAlive: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    store: EntryStore,
    keys: QueueKeys,
    registry: EventRegistry<E>,
    handlers: Handlers<E>,
    options: ConsumerOptions,
    logger: Logger,
    limits: StreamLimits,
    observers: ConsumerObservers<E> = {},
    /** The consumer of partition 0, for the consumer of another partition: their stats are one. */
    parent?: Consumer<E>,
  ) {
    this.stats = parent?.stats ?? { delivered: 0, handled: 0, retried: 0, deadLettered: 0, expired: 0, skipped: 0, trimmed: 0, reclaimed: 0 };
    this.partition = keys.partition;
    this.observers = observers;
    this.store = store;
    this.keys = keys;
    this.queue = keys.name;
    this.registry = registry;
    this.handlers = handlers;
    this.options = options;
    this.logger = logger;
    this.limits = limits;
    this.lifecycle = observers.lifecycle;
    this.telemetry = observers.telemetry;
    this.traces = observers.telemetry === undefined ? undefined : new Map();
    this.middleware = [...(observers.middleware ?? [])];
    this.reader = new GroupReader(store, keys, options, {
      room: () => this.freeSlots(),
      waitForRoom: () => this.waitForSlot(),
      take: (entries, reclaimed) => {
        if (reclaimed) {
          this.stats.reclaimed += entries.length;
          this.lifecycle?.emit("reclaim", { queue: this.queue, source: "consumer", consumer: this.name, streamIds: entries.map((e) => e.id) });
        }
        for (const entry of entries) this.dispatch(entry, reclaimed);
      },
      holds: (id) => this.inFlight.has(id) || this.retryTimers.has(id),
      trimmed: (ids) => {
        this.stats.trimmed += ids.length;
        this.logger.warn?.(`${ids.length} pending entr${ids.length === 1 ? "y was" : "ies were"} trimmed from ${this.keys.stream} before being handled`, { ids });
        this.lifecycle?.emit("trim", { stream: this.keys.stream, source: "consumer", kind: "pending", count: ids.length, streamIds: ids });
      },
      warn: (message) => this.logger.warn?.(`consumer ${this.name} on ${this.queue}: ${message}`),
      reset: () => this.lifecycle?.emit("reset", { stream: this.keys.stream, source: "consumer" }),
      failed: (error, failures) => this.lifecycle?.emit("read-failure", { queue: this.queue, source: "consumer", consumer: this.name, error, failures }),
    });
  }

  /** The consumer's name in the group. */
  get name(): string {
    return this.options.consumer;
  }

  /**
   * Wraps every handler of this consumer in more middleware, inside the
   * transport's (see {@link Middleware}); the first given is the outermost.
   * Applies to the deliveries that start from now on.
   */
  use(...middleware: Middleware<E>[]): this {
    checkMiddleware(middleware);
    this.middleware.push(...middleware);
    this.wrapped.clear();
    for (const c of this.partitionReaders) c.use(...middleware);
    return this;
  }

  /** Handlers running now. */
  get active(): number {
    return this.partitionReaders.reduce((n, c) => n + c.active, this.handling);
  }

  /** The partitions this consumer reads (1 on a queue without partitions). */
  get partitionCount(): number {
    return 1 + this.partitionReaders.length;
  }

  /**
   * Starts consumers of the partitions the queue has had and this one does
   * not read yet (on partition 0's consumer). A failure to look is tried
   * again at the next look.
   */
  private async followPartitions(): Promise<void> {
    let highest: number;
    try {
      ({ highest } = await this.store.partitions(this.keys));
    } catch (error) {
      this.logger.debug?.(`consumer ${this.name} on ${this.queue}: could not read the partitions: ${describeError(error)}`);
      return;
    }
    const starting: Promise<void>[] = [];
    for (let p = this.partitionCount; p < highest && this.running && !this.stopRequested; p++) {
      const keys = queueKeys(this.keys.prefix, this.keys.name, this.store.layout, p);
      const child = new Consumer<E>(
        this.store,
        keys,
        this.registry,
        this.handlers,
        this.options,
        this.logger,
        this.limits,
        { ...this.observers, middleware: this.middleware },
        this,
      );
      this.partitionReaders.push(child);
      starting.push(child.start());
    }
    await Promise.all(starting);
  }

  /** Creates the queue pair if need be and starts reading. Resolves once reading has begun. */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.started = (async () => {
      await this.store.ensureQueue(this.keys);
      if (this.stopRequested) return;
      await this.reader.start();
      if (this.stopRequested) {
        this.reader.halt();
        await this.reader.release();
        return;
      }
      this.running = true;
      this.unwatch = this.telemetry?.watchQueue(this.keys);
      const every = Math.max(10, Math.min(this.options.claimIdleMs / 3, 10_000));
      this.keepAlive = setInterval(() => void this.touchOwn(), every);
      this.keepAlive.unref();
      if (this.partition === 0) {
        await this.followPartitions();
        let looking: Promise<void> | undefined;
        this.partitionWatch = setInterval(() => {
          looking ??= this.followPartitions().finally(() => (looking = undefined));
        }, this.options.claimIntervalMs);
        this.partitionWatch.unref();
      }
    })();
    return this.started;
  }

  /**
   * Stops reading, waits for running handlers up to `shutdownTimeoutMs`
   * (then aborts their signal and leaves their entries pending), cancels
   * scheduled retries (their entries stay pending, to be reclaimed), and
   * resolves when the consumer has let go of everything — within
   * `shutdownTimeoutMs` whatever Redis does (while Redis does not answer,
   * what is left undone stays as it is: entries pending, the consumer's name
   * in its group).
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    clearInterval(this.partitionWatch);
    this.stopRequested = true;
    await Promise.all([this.stopOwn(), ...this.partitionReaders.map((c) => c.stop())]);
  }

  private async stopOwn(): Promise<void> {
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    if (!(await within(this.started ?? Promise.resolve(), this.options.shutdownTimeoutMs))) {
      this.logger.warn?.(`consumer ${this.name} on ${this.queue}: it was still starting at the shutdown deadline`);
    }
    if (!this.running) return;
    this.running = false;
    this.reader.halt();
    for (const waiter of this.slotWaiters.splice(0)) waiter();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    // (entries of a read under way when reading stopped are still handled)
    const drained = this.reader.finished.then(() => Promise.all(this.inFlight.values()));
    if (!(await within(drained, deadline - Date.now()))) {
      this.hardStop.abort();
      this.logger.warn?.(`consumer ${this.name} on ${this.queue}: ${this.inFlight.size} handler(s) still running at the shutdown deadline; their entries stay pending`);
    }
    clearInterval(this.keepAlive);
    this.unwatch?.();
    await within(this.reader.release(), deadline - Date.now());
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
    await Promise.all([this.drainOwn(pollMs), ...this.partitionReaders.map((c) => c.drain(pollMs))]);
  }

  private async drainOwn(pollMs: number): Promise<void> {
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
    if (this.partitionReaders.length > 0) return Promise.all([this.ownIdle(), ...this.partitionReaders.map((c) => c.whenIdle())]).then(() => undefined);
    return this.ownIdle();
  }

  private ownIdle(): Promise<void> {
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
  private dispatch(entry: DeliveredEntry, reclaimed = false): void {
    this.stats.delivered++;
    this.handling++;
    const job: Job = { entry, handling: true };
    const decoded = decodeEntry(this.registry, entry.fields);
    const trace = this.telemetry?.delivery(this.keys, this.name, entry, decoded, reclaimed);
    if (trace !== undefined) this.traces!.set(entry.id, trace);
    const handler = this.readyHandler(decoded);
    if (handler === undefined) {
      this.inFlight.set(entry.id, this.run(job, decoded));
      return;
    }
    let result: unknown;
    let pending: boolean;
    try {
      result = trace === undefined ? handler(decoded.event!, this.contextOf(entry, decoded)) : trace.run(() => handler(decoded.event!, this.contextOf(entry, decoded)));
      pending = isThenable(result);
    } catch (error) {
      this.inFlight.set(entry.id, this.run(job, decoded, { error }));
      return;
    }
    if (pending) {
      this.inFlight.set(entry.id, this.run(job, decoded, { result }));
      return;
    }
    trace?.handled();
    this.release(job);
    this.inFlight.set(entry.id, this.acknowledge(entry.id, job));
  }

  /** The handler of a decoded entry that is ready to be handled (decoded, not expired), if it has one. */
  private readyHandler(decoded: DecodedEntry<E>): Handler<E> | undefined {
    if (decoded.problem !== undefined || isExpired(decoded.metadata)) return undefined;
    const handler = (this.handlers as Record<string, Handler<E> | undefined>)[decoded.event!.eventType] ?? this.handlers["*"];
    if (handler === undefined || this.middleware.length === 0) return handler;
    let wrapped = this.wrapped.get(handler);
    if (wrapped === undefined) this.wrapped.set(handler, (wrapped = compose(this.middleware, handler)));
    return wrapped;
  }

  private contextOf(entry: DeliveredEntry, decoded: DecodedEntry<E>): HandlerContext {
    return {
      queue: this.queue,
      consumer: this.name,
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
    if (this.traces !== undefined) {
      this.traces.get(job.entry.id)?.end();
      this.traces.delete(job.entry.id);
    }
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
      if (isExpired(meta)) {
        const reason = reasonOf(DeadLetterKind.expired, `the message's TTL of ${meta!.ttl} s ran out before it was handled`);
        await this.skip(entry, this.options.expired, reason, "expired");
        return;
      }
      if (decoded.problem) {
        if (decoded.problem.kind === "unknown-type") {
          await this.skip(entry, this.options.unknownType, reasonOf(DeadLetterKind.unknownType, decoded.problem.message), "skipped");
        } else {
          await this.deadLetter(entry, reasonOf(DeadLetterKind.undecodable, decoded.problem.message));
        }
        return;
      }
      const event = decoded.event!;
      const reason = reasonOf(DeadLetterKind.noHandler, `consumer ${this.name} has no handler for ${event.eventType}`);
      await this.skip(entry, this.options.unhandledType, reason, "skipped");
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
    this.traces?.get(entry.id)?.handled();
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
    const trace = this.traces?.get(entry.id);
    trace?.failed(error);
    const failure = (kind: DeadLetterKind): DeadLetterReason => ({ kind, attempt: entry.deliveries, maxAttempts: max, detail: describeError(error) });
    if (isPermanentError(error)) {
      await this.deadLetter(entry, failure(DeadLetterKind.permanentFailure));
      return;
    }
    if (entry.deliveries >= max) {
      await this.deadLetter(entry, failure(DeadLetterKind.handlerFailed));
      return;
    }
    if (!this.running) return; // stays pending; reclaimed by another consumer
    const delay = retryDelay(this.options.retry, entry.deliveries);
    this.stats.retried++;
    this.logger.debug?.(`handler for ${decoded.eventType} failed (attempt ${entry.deliveries} of ${max}); retrying in ${delay} ms`, { id: entry.id });
    trace?.note(SpanEvent.retry, { "eventwire.retry.attempt": entry.deliveries, "eventwire.retry.max_attempts": max, "eventwire.retry.delay_ms": delay });
    this.lifecycle?.emit("retry", {
      queue: this.queue,
      consumer: this.name,
      streamId: entry.id,
      messageId: decoded.metadata?.id,
      eventType: decoded.eventType,
      attempt: entry.deliveries,
      maxAttempts: max,
      delayMs: delay,
      error,
    });
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
      else if (claimed.status === "deleted") {
        this.stats.trimmed++;
        this.logger.warn?.(`entry ${id} was trimmed from ${this.keys.stream} while it waited for a retry`);
        this.lifecycle?.emit("trim", { stream: this.keys.stream, source: "consumer", kind: "pending", count: 1, streamIds: [id] });
      }
    } catch (error) {
      this.logger.warn?.(`could not claim entry ${id} for a retry: ${describeError(error)}; it stays pending and will be reclaimed`);
    }
    this.checkIdle();
  }

  private async skip(entry: StreamEntry, policy: SkipPolicy, reason: DeadLetterReason, counter: "expired" | "skipped"): Promise<void> {
    if (policy === "dead-letter") {
      if (await this.moveToDlq(entry, reason)) {
        if (counter === "expired") {
          this.stats.expired++;
          this.expired(entry, true);
        } else this.stats.deadLettered++;
      }
      return;
    }
    if ((await this.store.ack(this.keys, [entry.id])) > 0) {
      this.stats[counter]++;
      if (counter === "expired") {
        this.logger.warn?.(`dropped entry ${entry.id} of ${this.queue} unhandled: ${formatReason(reason)}`);
        this.expired(entry, false);
        return;
      }
      this.traces?.get(entry.id)?.note(SpanEvent.skipped, { "eventwire.skip.reason": formatReason(reason) });
    }
    this.logger.debug?.(`acknowledged entry ${entry.id} of ${this.queue} without handling: ${formatReason(reason)}`);
  }

  /** Reports an entry that expired before it was handled. */
  private expired(entry: StreamEntry, deadLettered: boolean): void {
    if (!this.lifecycle?.has("expire") && this.traces === undefined) return;
    const decoded = decodeEntry(this.registry, entry.fields);
    const ttlSeconds = decoded.metadata?.ttl ?? 0;
    this.traces?.get(entry.id)?.note(SpanEvent.expired, { "eventwire.ttl_seconds": ttlSeconds, "eventwire.expired.dead_lettered": deadLettered });
    this.lifecycle?.emit("expire", {
      queue: this.queue,
      consumer: this.name,
      streamId: entry.id,
      messageId: decoded.metadata?.id,
      eventType: decoded.eventType,
      ttlSeconds,
      deadLettered,
    });
  }

  private async deadLetter(entry: StreamEntry, reason: DeadLetterReason): Promise<void> {
    if (await this.moveToDlq(entry, reason)) this.stats.deadLettered++;
  }

  private async moveToDlq(entry: StreamEntry, why: DeadLetterReason): Promise<boolean> {
    const now = Date.now() / 1000;
    const reason = formatReason(why);
    const fields = movedFields(entry.fields, EntryField.failures, { timestamp: pythonFloat(now), reason }, now);
    const id = await this.store.deadLetter(this.keys, this.name, entry.id, fields, this.limits);
    if (id === undefined) {
      this.logger.debug?.(`entry ${entry.id} of ${this.queue} is no longer this consumer's; not moved`);
      return false;
    }
    this.logger.warn?.(`moved entry ${entry.id} of ${this.queue} to the DLQ as ${id}: ${reason}`);
    this.traces?.get(entry.id)?.note(SpanEvent.deadLetter, deadLetterAttributes(why, reason, id));
    if (this.lifecycle?.has("dead-letter")) {
      const decoded = decodeEntry(this.registry, entry.fields);
      this.lifecycle.emit("dead-letter", {
        queue: this.queue,
        source: "consumer",
        consumer: this.name,
        streamId: entry.id,
        dlqStreamId: id,
        messageId: decoded.metadata?.id,
        eventType: decoded.eventType,
        reason: why,
        reasonText: reason,
      });
    }
    return true;
  }
}
