import { TransportError } from "../errors.js";
import type { Event } from "../event.js";
import type { EventRegistry } from "../registry.js";
import { Consumer, consumerOptions, type Handlers } from "./consumer.js";
import { DeadLetterQueue } from "./dead-letters.js";
import { encodeEntry, newMetadata, type EntryFormat } from "./entry.js";
import { queueKeys, type QueueKeys } from "./keys.js";
import { defaultTransportOptions, positive, type ConsumerInit, type TransportOptions } from "./options.js";
import type { EntryStore, OutgoingEntry, QueueInfo } from "./store.js";

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
}

/** Where a published event went. */
export interface Published {
  readonly queue: string;
  /** The stream entry id Redis gave it. */
  readonly streamId: string;
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
  private readonly consumers = new Set<Consumer<E>>();
  private closed = false;

  constructor(store: EntryStore, registry: EventRegistry<E>, options: Partial<TransportOptions> = {}) {
    this.store = store;
    this.registry = registry;
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...defaultTransportOptions, ...defined };
    positive("maxLength", this.options.maxLength);
    if (this.options.format !== "json" && this.options.format !== "binary") {
      throw new TransportError("invalid-option", `format must be "json" or "binary", got ${String(this.options.format)}`);
    }
  }

  /** The keys of a queue pair under this transport's prefix. */
  keys(queue: string): QueueKeys {
    return queueKeys(this.options.prefix, queue);
  }

  private check(): void {
    if (this.closed) throw new TransportError("closed", "the transport is closed");
  }

  private async prepare(items: readonly Outgoing<E>[]): Promise<{ entries: OutgoingEntry[]; published: Omit<Published, "streamId">[] }> {
    this.check();
    const entries: OutgoingEntry[] = [];
    const published: Omit<Published, "streamId">[] = [];
    const ensured = new Set<string>();
    for (const { queue, event, options = {} } of items) {
      const keys = this.keys(queue);
      if (!ensured.has(keys.stream)) {
        ensured.add(keys.stream);
        await this.store.ensureQueue(keys);
      }
      const ttl = options.ttlSeconds ?? null;
      if (ttl !== null) positive("ttlSeconds", ttl);
      const format = options.format ?? this.options.format;
      if (format !== "json" && format !== "binary") {
        throw new TransportError("invalid-option", `format must be "json" or "binary", got ${String(format)}`);
      }
      const meta = newMetadata(ttl, options.messageId);
      entries.push({
        stream: keys.stream,
        fields: encodeEntry(this.registry, event, format, meta),
        expireAt: ttl === null ? null : meta.timestamp + ttl,
      });
      published.push({ queue, messageId: meta.id, eventId: event.eventId });
    }
    return { entries, published };
  }

  /** Publishes one event; resolves once Redis has it. */
  async publish(queue: string, event: E, options?: PublishOptions): Promise<Published> {
    const [result] = await this.publishMany([options ? { queue, event, options } : { queue, event }]);
    return result!;
  }

  /** Publishes many events in one round trip (pipelined; each entry on its own, not all-or-nothing). */
  async publishMany(items: readonly Outgoing<E>[]): Promise<Published[]> {
    const { entries, published } = await this.prepare(items);
    const ids = await this.store.append(entries, false, this.options.maxLength);
    return published.map((p, i) => ({ ...p, streamId: ids[i]! }));
  }

  /**
   * Publishes several events, to one or several queues, atomically: all of
   * them or none, TTL records included (one Lua script, the all-or-nothing
   * step MULTI/EXEC gives, plus the ids it cannot).
   */
  async transaction(items: readonly Outgoing<E>[]): Promise<Published[]> {
    const { entries, published } = await this.prepare(items);
    const ids = await this.store.append(entries, true, this.options.maxLength);
    return published.map((p, i) => ({ ...p, streamId: ids[i]! }));
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
      this.options.maxLength,
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
    return new DeadLetterQueue<E>(this.store, this.keys(queue), this.registry, this.options.maxLength);
  }

  /** Counts and ages of `queue`; throws `unknown-queue` when the registry does not list it. */
  async info(queue: string): Promise<QueueInfo> {
    this.check();
    const keys = this.keys(queue);
    if (!(await this.store.hasQueue(keys))) {
      throw new TransportError("unknown-queue", `there is no queue ${JSON.stringify(queue)} under prefix ${JSON.stringify(this.options.prefix)}`);
    }
    return this.store.info(keys);
  }

  /** Every queue in the registry of this prefix, with its counts. */
  async queues(): Promise<QueueInfo[]> {
    this.check();
    const names = await this.store.listQueues(this.options.prefix);
    return Promise.all(names.map((name) => this.store.info(this.keys(name))));
  }

  /** Stops every consumer made through this transport (gracefully), then releases the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.store.close();
  }
}
