/**
 * The transport: publishing, consuming and operating queues over one entry
 * store, whichever it is.
 */
import { v4 as uuidv4 } from "uuid";
import { EventValidationError, TransportError, type Event, type EventRegistry } from "../index.js";
import { Consumer } from "./consumer.js";
import { consumerOptions, type ConsumerInit } from "./consumer-options.js";
import { DeadLetterQueue } from "./dead-letters.js";
import type { Handlers } from "./handler.js";
import { encodeEntry, entryPayloadSize, type EntryFormat } from "./leanmq/entry.js";
import { queueKeys, type QueueKeys } from "./leanmq/keys.js";
import { checkPartitionCount, partitionOf } from "./partitions.js";
import { newMetadata } from "./leanmq/metadata.js";
import { Lifecycle, type LifecycleEventName, type LifecycleListener } from "./lifecycle.js";
import { correlated } from "./middleware/correlation.js";
import { checkMiddleware, type Middleware } from "./middleware/middleware.js";
import { defaultTransportOptions, positive, type TransportOptions } from "./options.js";
import { QueueBrowser } from "./queue-browser.js";
import { SchemaRegistry } from "./schema-registry.js";
import type { AppendResult, EntryStore, OutgoingEntry, PartitionCount, QueueInfo, StreamLimits } from "./store.js";
import { attachTelemetry, Telemetry, type PublishTrace } from "./telemetry/telemetry.js";

/** Events per append when publishing many: each chunk is sent as soon as it is encoded. */
const PUBLISH_CHUNK = 32;

/** Single publishes appended together at most (see {@link StreamTransport.publish}). */
const MAX_COALESCED = 1000;

type MutablePublished = { -readonly [K in keyof Published]: Published[K] };

/** A single publish waiting for the end of its turn of the event loop. */
interface PendingPublish<E extends Event> {
  readonly item: Outgoing<E>;
  readonly entry: OutgoingEntry;
  readonly published: MutablePublished;
  /** Its span, when traced. */
  readonly trace: PublishTrace | undefined;
  readonly resolve: (published: Published) => void;
  readonly reject: (error: unknown) => void;
}

/** Options of one publish. */
export interface PublishOptions {
  /** The entry format. @defaultValue the transport's `format` */
  readonly format?: EntryFormat;
  /**
   * Time to live, in seconds: a consumer that gets the message later
   * acknowledges it unhandled (and counts it). Recorded as LeanMQ records it:
   * `_metadata.ttl` and the stream's `:expiry` set.
   * @defaultValue none
   */
  readonly ttlSeconds?: number;
  /** LeanMQ's message id (`_metadata.id`). @defaultValue a new UUID */
  readonly messageId?: string;
  /**
   * On a queue with partitions, the key that picks the partition: events of
   * one key go to one partition, in order.
   * @defaultValue the transport's `partitionKey`, else the event id
   */
  readonly partitionKey?: string;
}

/** Where a published event went. */
export interface Published {
  readonly queue: string;
  /** The stream entry id Redis gave it (in its partition's stream). */
  readonly streamId: string;
  /** The partition it went to (0 on a queue without partitions). */
  readonly partition: number;
  /** LeanMQ's message id (`_metadata.id`). */
  readonly messageId: string;
  readonly eventId: string;
}

/** One event to publish, in a batch or a transaction. */
export interface Outgoing<E extends Event = Event> {
  readonly queue: string;
  readonly event: E;
  readonly options?: PublishOptions;
}

/**
 * Publishing, consuming and operating queues over one entry store: Redis
 * (`eventwire/redis`) or memory (`eventwire/memory`), with the same contract.
 */
export class StreamTransport<E extends Event = Event> {
  readonly registry: EventRegistry<E>;
  readonly options: TransportOptions;
  /** The store underneath. */
  readonly store: EntryStore;
  /** The schema registry under this transport's prefix: what publishing registers (see `TransportOptions.schemas`), and what is registered. */
  readonly schemas: SchemaRegistry;
  private readonly consumers = new Set<Consumer<E>>();
  /** What stops when this transport closes (see {@link onClose}). */
  private readonly closing = new Set<() => Promise<void>>();
  private readonly keyCache = new Map<string, QueueKeys>();
  /** Partition counts read from the store, with when they were read (see `partitionRefreshMs`). */
  private readonly partitionCache = new Map<string, { count: PartitionCount; at: number }>();
  /** Queues this transport has made or found whole (see {@link ensureQueues}). */
  private readonly madeQueues = new Set<string>();
  private closed = false;
  /** Single publishes of this turn of the event loop, not yet sent. */
  private coalescing: PendingPublish<E>[] | undefined;
  /** The stream bounds every write of this transport keeps. */
  private readonly limits: StreamLimits;

  private readonly ownsStore: boolean;
  /** The lifecycle events of this transport's publishers, consumers and bus router. */
  readonly lifecycle: Lifecycle;
  /** Spans and metrics, when `@opentelemetry/api` is installed and a provider is to be had. */
  private readonly telemetry: Telemetry | undefined;
  private readonly middleware: Middleware<E>[] = [];

  /** `ownsStore`: whether {@link close} closes the store too (not when it is shared with other transports). */
  constructor(store: EntryStore, registry: EventRegistry<E>, options: Partial<TransportOptions> = {}, ownsStore = true) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.registry = registry;
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...defaultTransportOptions, ...defined };
    positive("maxLength", this.options.maxLength);
    positive("partitionRefreshMs", this.options.partitionRefreshMs, true);
    if (this.options.partitionKey !== undefined && typeof this.options.partitionKey !== "function") {
      throw new TransportError("invalid-option", `partitionKey must be a function of the event and the queue, got ${typeof this.options.partitionKey}`);
    }
    if (this.options.trim !== "acknowledged" && this.options.trim !== "length") {
      throw new TransportError("invalid-option", `trim must be "acknowledged" or "length", got ${String(this.options.trim)}`);
    }
    this.limits = Object.freeze({ maxLength: this.options.maxLength, trim: this.options.trim });
    if (this.options.format !== "json" && this.options.format !== "binary") {
      throw new TransportError("invalid-option", `format must be "json" or "binary", got ${String(this.options.format)}`);
    }
    if (this.options.schemas !== "register" && this.options.schemas !== "force" && this.options.schemas !== "off") {
      throw new TransportError("invalid-option", `schemas must be "register", "force" or "off", got ${String(this.options.schemas)}`);
    }
    this.schemas = new SchemaRegistry(store, this.options.prefix, registry as unknown as EventRegistry<Event>, this.options.schemas, this.options.logger);
    this.lifecycle = new Lifecycle(this.options.logger);
    this.telemetry = Telemetry.create(this.options.telemetry, this.lifecycle, store, this.options.logger);
    if (this.telemetry !== undefined) attachTelemetry(this, this.telemetry);
  }

  /**
   * Listens to one of the lifecycle events of this transport's consumers,
   * publishers and bus router (see {@link LifecycleEvents}): retries, moves
   * to a DLQ, reclaims, expiries, trimming, resets and failed reads. Returns
   * the function that stops listening.
   */
  on<K extends LifecycleEventName>(name: K, listener: LifecycleListener<K>): () => void {
    return this.lifecycle.on(name, listener);
  }

  /**
   * Wraps the handlers of the consumers made from now on in middleware (see
   * {@link Middleware}), the first given outermost; a consumer's own
   * `use` adds more inside these.
   */
  use(...middleware: Middleware<E>[]): this {
    checkMiddleware(middleware);
    this.middleware.push(...middleware);
    return this;
  }

  /** Whether spans are made for this transport's publishes and deliveries. */
  get tracing(): boolean {
    return this.telemetry?.tracing ?? false;
  }

  /** The keys of a queue pair (of one of its partitions) under this transport's prefix, in the store's layout. */
  keys(queue: string, partition = 0): QueueKeys {
    const cacheKey = partition === 0 ? queue : `${queue}\u0000${partition}`;
    let keys = this.keyCache.get(cacheKey);
    if (keys === undefined) {
      keys = queueKeys(this.options.prefix, queue, this.store.layout, partition);
      if (this.keyCache.size >= 1000) this.keyCache.clear();
      this.keyCache.set(cacheKey, keys);
    }
    return keys;
  }

  /**
   * The partitions of `queue` as recorded with it: `count`, where publishers
   * write; `highest`, the most it has had, which consumers read. Read from
   * the store at most every `partitionRefreshMs` (`fresh`: now).
   */
  async partitions(queue: string, options: { readonly fresh?: boolean } = {}): Promise<PartitionCount> {
    this.check();
    const cached = this.partitionCache.get(queue);
    if (cached !== undefined && !options.fresh && Date.now() - cached.at < this.options.partitionRefreshMs) return cached.count;
    const count = await this.store.partitions(this.keys(queue));
    if (this.partitionCache.size >= 1000) this.partitionCache.clear();
    this.partitionCache.set(queue, { count, at: Date.now() });
    return count;
  }

  /**
   * Gives `queue` `count` partitions, each its own stream (on a cluster, in
   * its own slot, so that one queue spreads over the masters): the new
   * partitions' queue pairs are made first, then the count recorded, which
   * publishers of every process follow within `partitionRefreshMs`.
   * Nothing is lost either way. Consumers read every partition the queue
   * has had, so after lowering the count the partitions no longer written
   * are drained. Ordering by key holds within a partition: while the count
   * changes, events of one key published before and after the change may
   * be in different partitions and be handled out of order.
   */
  async setPartitions(queue: string, count: number): Promise<PartitionCount> {
    this.check();
    checkPartitionCount(count);
    for (let p = 0; p < count; p++) await this.store.ensureQueue(this.keys(queue, p));
    const result = await this.store.setPartitions(this.keys(queue), count);
    this.partitionCache.set(queue, { count: result, at: Date.now() });
    return result;
  }

  /** The keys of every partition a queue has had (see {@link partitions}), partition 0 first. */
  async partitionKeys(queue: string, options: { readonly fresh?: boolean } = {}): Promise<QueueKeys[]> {
    const { highest } = await this.partitions(queue, options);
    return Array.from({ length: highest }, (_, p) => this.keys(queue, p));
  }

  /** The key that picks an event's partition: the publish's own, the transport's function's, or the event id. */
  private partitionKeyOf(item: Outgoing<E>): string {
    return item.options?.partitionKey ?? this.options.partitionKey?.(item.event, item.queue) ?? item.event.eventId;
  }

  /**
   * Places entries in their queues' partitions (on queues with more than
   * one; the entries come in partition 0's keys). `items[i]` is the item of
   * `entries[i]`.
   */
  private async partitioned(items: readonly Outgoing<E>[], entries: OutgoingEntry[], published: MutablePublished[]): Promise<void> {
    let last: string | undefined;
    let count = 1;
    for (let i = 0; i < entries.length; i++) {
      const item = items[i]!;
      if (item.queue !== last) {
        last = item.queue;
        count = (await this.partitions(item.queue)).count;
      }
      if (count === 1) continue;
      const p = partitionOf(this.partitionKeyOf(item), count);
      if (p === 0) continue;
      entries[i] = { ...entries[i]!, keys: this.keys(item.queue, p) };
      published[i]!.partition = p;
    }
  }

  private check(): void {
    if (this.closed) throw new TransportError("closed", "the transport is closed");
  }

  /**
   * Creates the queue pairs (partitions) the entries go to, each once. A
   * queue this transport had made before whose group had to be made again
   * was gone (Redis restarted without its data, say): that is reported.
   */
  private async ensureQueues(entries: readonly OutgoingEntry[]): Promise<void> {
    this.check();
    let last: QueueKeys | undefined;
    let ensured: Set<QueueKeys> | undefined;
    for (const { keys } of entries) {
      if (keys === last || ensured?.has(keys)) continue;
      if (last !== undefined) (ensured ??= new Set([last])).add(keys);
      last = keys;
      const made = await this.store.ensureQueue(keys);
      if (made && this.madeQueues.has(keys.stream)) {
        this.options.logger.warn?.(`the queue ${keys.stream} was gone (Redis restarted empty, flushed, or the key or group deleted); it was made again with its consumer group at the start`);
        this.lifecycle.emit("reset", { stream: keys.stream, source: "publisher" });
      }
      if (this.madeQueues.size >= 10_000) this.madeQueues.clear();
      this.madeQueues.add(keys.stream);
    }
  }

  /** The entries of `items[start, end)`, and where each goes. */
  private encode(
    items: readonly Outgoing<E>[],
    start: number,
    end: number,
    published: MutablePublished[],
    trace: PublishTrace | undefined,
  ): OutgoingEntry[] {
    const entries: OutgoingEntry[] = [];
    for (let i = start; i < end; i++) {
      const { queue, event: given, options } = items[i]!;
      const ttl = options?.ttlSeconds ?? null;
      if (ttl !== null) positive("ttlSeconds", ttl);
      const format = options?.format ?? this.options.format;
      if (format !== "json" && format !== "binary") {
        throw new TransportError("invalid-option", `format must be "json" or "binary", got ${String(format)}`);
      }
      const meta = newMetadata(ttl, options?.messageId ?? uuidv4());
      // (under the correlation middleware, with the handled event's ids; when traced, with the trace context)
      const event = trace === undefined ? correlated(given) : trace.prepare(correlated(given), queue, meta.id);
      const fields = encodeEntry(this.registry, event, format, meta);
      // One size limit: what consumers would refuse is not published.
      const size = entryPayloadSize(fields);
      const limit = this.registry.decodeOptions.maxBytes;
      if (size > limit) {
        throw new EventValidationError(
          "too-large",
          `the ${event.eventType} event ${event.eventId} is ${size} bytes as a ${format} entry, over the limit of ${limit} (the registry's maxBytes, which consumers apply)`,
        );
      }
      entries.push({ keys: this.keys(queue), fields, expireAt: ttl === null ? null : meta.timestamp + ttl });
      published.push({ queue, streamId: "", partition: 0, messageId: meta.id, eventId: event.eventId });
    }
    return entries;
  }

  /** Registers each event type's schema the first time this transport publishes it (see `TransportOptions.schemas`). */
  private async registerSchemas(items: readonly Outgoing<E>[]): Promise<void> {
    let registering: Promise<void>[] | undefined;
    let last: string | undefined;
    for (const { event } of items) {
      if (event.eventType === last) continue;
      last = event.eventType;
      const p = this.schemas.ensure(event.eventType);
      if (p !== undefined) (registering ??= []).push(p);
    }
    if (registering !== undefined) await Promise.all(registering);
  }

  /**
   * Publishes one event; resolves once the store has it. The event is
   * checked and encoded at once (a refused event rejects this call alone);
   * the publishes made in one turn of the event loop are then appended
   * together, one round trip for each queue they go to, in the order they
   * were made. Publishes to different queues succeed or fail apart.
   */
  publish(queue: string, event: E, options?: PublishOptions): Promise<Published> {
    const item: Outgoing<E> = options ? { queue, event, options } : { queue, event };
    const published: MutablePublished[] = [];
    let entry: OutgoingEntry;
    let trace: PublishTrace | undefined;
    try {
      this.check();
      // (the span and the correlation ids are the caller's: taken now, in its context)
      trace = this.telemetry?.publish(queue, 1, false);
      entry = this.encode([item], 0, 1, published, trace)[0]!;
    } catch (error) {
      trace?.end(error);
      return Promise.reject(error);
    }
    let batch = this.coalescing;
    if (batch === undefined) {
      const started: PendingPublish<E>[] = [];
      batch = this.coalescing = started;
      queueMicrotask(() => this.flushPublishes(started));
    }
    if (batch.length + 1 >= MAX_COALESCED) this.coalescing = undefined;
    return new Promise<Published>((resolve, reject) => batch.push({ item, entry, published: published[0]!, trace, resolve, reject }));
  }

  /** Appends the publishes of one turn: each queue's in one call, the calls sent together. */
  private flushPublishes(pending: PendingPublish<E>[]): void {
    if (this.coalescing === pending) this.coalescing = undefined;
    // (taken out: a batch sent early, by publishMany, is not sent again at the end of the turn)
    const batch = pending.splice(0);
    if (batch.length === 0) return;
    if (batch.length === 1) {
      void this.appendPublishes(batch);
      return;
    }
    const byQueue = new Map<string, PendingPublish<E>[]>();
    for (const p of batch) {
      const list = byQueue.get(p.item.queue);
      if (list === undefined) byQueue.set(p.item.queue, [p]);
      else list.push(p);
    }
    for (const list of byQueue.values()) void this.appendPublishes(list);
  }

  /** Appends publishes to one queue; settles each. Never rejects. */
  private async appendPublishes(list: readonly PendingPublish<E>[]): Promise<void> {
    try {
      const items = list.map((p) => p.item);
      await this.registerSchemas(items);
      const entries = list.map((p) => p.entry);
      await this.partitioned(items, entries, list.map((p) => p.published));
      await this.ensureQueues(entries);
      const { ids } = await this.appended(await this.store.append(entries, false, this.limits), entries);
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        p.published.streamId = ids[i]!;
        p.trace?.end();
        p.resolve(p.published);
      }
    } catch (error) {
      for (const p of list) {
        p.trace?.end(error);
        p.reject(error);
      }
    }
  }

  /**
   * Publishes many events (pipelined; each entry on its own, not
   * all-or-nothing). The events are encoded and sent in chunks, each sent
   * as soon as it is encoded, so that Redis appends one chunk while the next
   * is encoded.
   */
  async publishMany(items: readonly Outgoing<E>[]): Promise<Published[]> {
    this.check();
    // (single publishes made before this call go first)
    if (this.coalescing !== undefined) this.flushPublishes(this.coalescing);
    const published: MutablePublished[] = [];
    const sent: Promise<AppendResult>[] = [];
    // chunks of about PUBLISH_CHUNK, of even sizes
    const size = Math.ceil(items.length / Math.ceil(items.length / PUBLISH_CHUNK));
    const trace = items.length === 0 ? undefined : this.telemetry?.publish(items[0]!.queue, items.length, false);
    try {
      for (let i = 0; i < items.length; i += size) {
        const end = Math.min(items.length, i + size);
        const entries = this.encode(items, i, end, published, trace);
        // (once the first chunk is known to be publishable: an event refused
        // at once, too large say, leaves nothing behind, not even its queue)
        if (i === 0) await this.registerSchemas(items);
        await this.partitioned(items.slice(i, end), entries, published.slice(i, end));
        await this.ensureQueues(entries);
        sent.push(this.store.append(entries, false, this.limits).then((r) => this.appended(r, entries)));
      }
    } catch (error) {
      // What was sent before the failure stays sent; its outcome is not waited for.
      for (const s of sent) s.catch(() => {});
      trace?.end(error);
      throw error;
    }
    let ids: string[];
    try {
      ids = sent.length === 1 ? (await sent[0]!).ids : (await Promise.all(sent)).flatMap((r) => r.ids);
    } catch (error) {
      trace?.end(error);
      throw error;
    }
    trace?.end();
    for (let i = 0; i < published.length; i++) published[i]!.streamId = ids[i]!;
    return published;
  }

  /**
   * After an append: a queue whose stream was gone (Redis restarted empty, a
   * flush, a deleted key) came back with its group at the start, so nothing
   * published is lost; it is reported, and its registry entry and metadata
   * made again. Entries trimmed unread (trim mode `length`) are reported.
   */
  private async appended(result: AppendResult, entries: readonly OutgoingEntry[]): Promise<AppendResult> {
    for (const keys of result.revived) {
      this.options.logger.warn?.(`the queue ${keys.stream} was gone (Redis restarted empty, flushed, or the key deleted); it was made again with its consumer group at the start`);
      this.lifecycle.emit("reset", { stream: keys.stream, source: "publisher" });
      await this.store.ensureQueue(keys).catch(() => {});
    }
    if (result.trimmedUnread > 0) {
      this.options.logger.warn?.(`${result.trimmedUnread} entr${result.trimmedUnread === 1 ? "y was" : "ies were"} trimmed before a consumer group read them (trim: "length", maxLength ${this.limits.maxLength})`);
      const streams = [...new Set(entries.map((e) => e.keys.stream))];
      this.lifecycle.emit("trim", { stream: streams.join(","), source: "publisher", kind: "unread", count: result.trimmedUnread, streamIds: [] });
    }
    return result;
  }

  /**
   * Publishes several events, to one or several queues, atomically: all of
   * them or none, TTL records included (one Lua script, the all-or-nothing
   * step MULTI/EXEC gives, plus the ids it cannot).
   */
  async transaction(items: readonly Outgoing<E>[]): Promise<Published[]> {
    this.check();
    if (this.coalescing !== undefined) this.flushPublishes(this.coalescing);
    const published: MutablePublished[] = [];
    const trace = items.length === 0 ? undefined : this.telemetry?.publish(items[0]!.queue, items.length, true);
    let ids: string[];
    try {
      const entries = this.encode(items, 0, items.length, published, trace);
      await this.registerSchemas(items);
      await this.partitioned(items, entries, published);
      if (!this.store.crossQueueAtomic && entries.some((e) => e.keys.stream !== entries[0]!.keys.stream)) {
        throw new TransportError(
          "cross-slot",
          `on Redis Cluster a transaction stays within one queue and one partition (one slot); these events go to ${[...new Set(entries.map((e) => e.keys.stream))].join(", ")} (give them one partitionKey to keep them in one partition)`,
        );
      }
      await this.ensureQueues(entries);
      ({ ids } = await this.appended(await this.store.append(entries, true, this.limits), entries));
    } catch (error) {
      trace?.end(error);
      throw error;
    }
    trace?.end();
    for (let i = 0; i < published.length; i++) published[i]!.streamId = ids[i]!;
    return published;
  }

  /** A consumer of `queue`, not yet started (see {@link Consumer}). */
  consumer(queue: string, handlers: Handlers<E>, options: ConsumerInit = {}): Consumer<E> {
    this.check();
    const consumer = new Consumer<E>(
      this.store,
      this.keys(queue),
      this.registry,
      handlers,
      consumerOptions(options),
      this.options.logger,
      this.limits,
      { lifecycle: this.lifecycle, ...(this.telemetry === undefined ? {} : { telemetry: this.telemetry }), middleware: this.middleware },
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** A consumer of `queue`, started. */
  async consume(queue: string, handlers: Handlers<E>, options: ConsumerInit = {}): Promise<Consumer<E>> {
    const consumer = this.consumer(queue, handlers, options);
    await consumer.start();
    return consumer;
  }

  /** The dead-letter queue of `queue`. */
  deadLetters(queue: string): DeadLetterQueue<E> {
    this.check();
    return new DeadLetterQueue<E>(this.store, this.keys(queue), this.registry, this.limits, this.options.logger, () => this.partitionKeys(queue));
  }

  /**
   * Reads `queue` (or, with `dlq`, its dead-letter queue) as it is stored,
   * outside any consumer group: nothing is delivered or acknowledged, so
   * browsing never takes an event from a consumer. On a queue with
   * partitions, one partition (`partition`, default 0) is read; see
   * {@link partitionKeys} for them all.
   */
  browse(queue: string, options: { readonly dlq?: boolean; readonly partition?: number } = {}): QueueBrowser<E> {
    this.check();
    const keys = this.keys(queue, options.partition ?? 0);
    return new QueueBrowser<E>(this.store, this.registry, options.dlq ? keys.dlq : keys.stream);
  }

  /** Whether the prefix's registry lists `queue` (publishing or consuming creates it). */
  async hasQueue(queue: string): Promise<boolean> {
    this.check();
    return this.store.hasQueue(this.keys(queue));
  }

  /** The names of every queue in the registry of this prefix, sorted. */
  async queueNames(): Promise<string[]> {
    this.check();
    return this.store.listQueues(this.options.prefix);
  }

  /**
   * Counts and ages of `queue`, over all its partitions (each partition's
   * in `partitions`); throws `unknown-queue` when the registry does not
   * list it.
   */
  async info(queue: string): Promise<QueueInfo> {
    this.check();
    const keys = this.keys(queue);
    if (!(await this.store.hasQueue(keys))) {
      throw new TransportError("unknown-queue", `there is no queue ${JSON.stringify(queue)} under prefix ${JSON.stringify(this.options.prefix)}`);
    }
    return this.queueInfo(queue);
  }

  /** Every queue in the registry of this prefix, with its counts (over its partitions). */
  async queues(): Promise<QueueInfo[]> {
    this.check();
    const names = await this.store.listQueues(this.options.prefix);
    return Promise.all(names.map((name) => this.queueInfo(name)));
  }

  private async queueInfo(queue: string): Promise<QueueInfo> {
    const partitions = await this.partitionKeys(queue, { fresh: true });
    const infos = await Promise.all(partitions.map((keys) => this.store.info(keys)));
    const first = infos[0]!;
    if (infos.length === 1) return first;
    const sum = (f: (i: QueueInfo) => number): number => infos.reduce((n, i) => n + f(i), 0);
    const ages = infos.map((i) => i.oldestAgeMs).filter((a): a is number => a !== null);
    return {
      ...first,
      length: sum((i) => i.length),
      pending: sum((i) => i.pending),
      consumers: Math.max(...infos.map((i) => i.consumers)),
      lag: infos.some((i) => i.lag === null) ? null : sum((i) => i.lag ?? 0),
      dlqLength: sum((i) => i.dlqLength),
      oldestAgeMs: ages.length === 0 ? null : Math.max(...ages),
      resets: sum((i) => i.resets),
      trimmedUnread: sum((i) => i.trimmedUnread),
      partitions: infos,
    };
  }

  /**
   * Has `stop` run when this transport closes, with its consumers and before
   * its store is let go: what is built on the transport (an `EventBus` and
   * its router) stops with it. Returns the function that takes it back.
   */
  onClose(stop: () => Promise<void>): () => void {
    this.closing.add(stop);
    return () => this.closing.delete(stop);
  }

  /** Stops every consumer made through this transport and what was built on it (gracefully), then releases the connections (or the store it owns). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...[...this.closing].map((stop) => stop().catch(() => {})), ...[...this.consumers].map((c) => c.stop())]);
    if (this.ownsStore) await this.store.close();
  }
}
