import { TransportError } from "../errors.js";
import type { Event } from "../event.js";
import { parseJson } from "../from-json.js";
import { defaultConsumerName, type Consumer, type Handlers } from "./consumer.js";
import type { StreamEntry } from "./entry.js";
import { movedFields } from "./entry.js";
import { BUS_QUEUE, EntryField, subscriptionQueue, type QueueKeys } from "./keys.js";
import { positive, type ConsumerInit, type Logger } from "./options.js";
import { pyFloat } from "./python-json.js";
import { recoverFromReadFailure, sleep } from "./recovery.js";
import type { DeliveredEntry, EntryStore, RouteEntry } from "./store.js";
import type { Outgoing, PublishOptions, Published, StreamTransport } from "./transport.js";

/** How the bus's router reads the shared queue. */
export interface RouterOptions {
  /** The router's consumer name in the shared queue's group. @defaultValue `<hostname>-<pid>-<random>` */
  readonly consumer: string;
  /** Entries routed per step. @defaultValue 100 */
  readonly batchSize: number;
  /** How long one read waits, in ms. @defaultValue 1000 */
  readonly blockMs: number;
  /** Entries pending to a router for this long (a dead one), in ms, are reclaimed by another. @defaultValue 30000 */
  readonly claimIdleMs: number;
  /** How often to look for them, in ms. @defaultValue 5000 */
  readonly claimIntervalMs: number;
  /** Routers with nothing pending that have been idle this long, in ms, are removed from the group. @defaultValue 3600000 (one hour) */
  readonly pruneIdleMs: number;
}

/** What a router has done so far. */
export interface RouterStats {
  /** Entries routed to at least one subscription queue. */
  routed: number;
  /** Copies made, over all subscription queues. */
  copies: number;
  /** Entries no service subscribes to, acknowledged. */
  unrouted: number;
  /** Entries past their TTL, acknowledged unrouted. */
  expired: number;
  /** Entries whose event type cannot be read, moved to the shared queue's DLQ. */
  deadLettered: number;
  /** Pending entries found trimmed away. */
  trimmed: number;
}

/** Options of an event bus. */
export interface EventBusOptions {
  /**
   * Whether this process routes events from the shared queue to the
   * subscription queues. Any number of processes may: they share the work
   * and fan-out is the same whichever routes an event.
   * @defaultValue true
   */
  readonly route: boolean;
  /** @defaultValue see {@link RouterOptions} */
  readonly router: Partial<RouterOptions>;
}

/** A service's subscription to the bus. */
export interface Subscription<E extends Event = Event> {
  readonly service: string;
  /** The subscription queue's name (`sub:<service>`). */
  readonly queue: string;
  /** The event types it receives (`*` for all). */
  readonly eventTypes: readonly string[];
  /** The consumer reading the subscription queue. */
  readonly consumer: Consumer<E>;
  /** Stops receiving events here, and removes the subscription from Redis (events are no longer copied to its queue). */
  unsubscribe(): Promise<void>;
}

/**
 * The event bus, in the Python event system's layout: every event is
 * published to the shared queue `all`, and each subscribing service reads
 * its own queue `sub:<service>` (prefix `events:` by convention).
 *
 * Fan-out is right however many processes run: the subscriptions live in
 * Redis (the hash `<prefix>subscriptions`), and routing an event reads them
 * in the same atomic step that copies the event to every subscribed queue
 * and acknowledges it in `all`. So every service subscribed to an event
 * type gets every event of that type, whichever router reads it; replicas
 * of one service share its queue's consumer group, and so its load.
 *
 * A subscription outlives the process: events for a service that is down
 * wait in its queue. {@link Subscription.unsubscribe} ends it.
 *
 * Python services take part with LeanMQ as they are: they publish to `all`
 * with `send_message(serialize_event(e))` and read `sub:<service>` with
 * `get_messages`, after recording their subscription with one
 * `HSET events:subscriptions <service> '["OrderCreatedEvent"]'`.
 */
export class EventBus<E extends Event = Event> {
  readonly transport: StreamTransport<E>;
  readonly options: EventBusOptions;
  private router: Router | undefined;
  private readonly subscriptions = new Set<Subscription<E>>();
  private started: Promise<void> | undefined;

  constructor(transport: StreamTransport<E>, options: Partial<EventBusOptions> = {}) {
    this.transport = transport;
    this.options = { route: options.route ?? true, router: options.router ?? {} };
  }

  /** The shared queue's keys. */
  get keys(): QueueKeys {
    return this.transport.keys(BUS_QUEUE);
  }

  /** What this process's router has done (zeros when it does not route). */
  get routerStats(): RouterStats {
    return this.router?.stats ?? { routed: 0, copies: 0, unrouted: 0, expired: 0, deadLettered: 0, trimmed: 0 };
  }

  /** Creates the shared queue and starts routing (when `route`). Called by the first publish or subscribe. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.transport.store.ensureQueue(this.keys);
      if (this.options.route) {
        this.router = new Router(this.transport.store, this.keys, routerOptions(this.options.router), this.transport.options.logger, this.transport.options.maxLength);
        await this.router.start();
      }
    })();
    return this.started;
  }

  /** Publishes an event to the shared queue. */
  async publish(event: E, options?: PublishOptions): Promise<Published> {
    await this.start();
    return this.transport.publish(BUS_QUEUE, event, options);
  }

  /** Publishes events to the shared queue in one round trip. */
  async publishMany(events: readonly E[], options?: PublishOptions): Promise<Published[]> {
    await this.start();
    return this.transport.publishMany(events.map((event): Outgoing<E> => (options ? { queue: BUS_QUEUE, event, options } : { queue: BUS_QUEUE, event })));
  }

  /**
   * Subscribes `service` to the event types it has handlers for (all types
   * with a `"*"` handler, or those `eventTypes` names) and starts consuming
   * its queue. The subscription is recorded in Redis only once its queue and
   * consumer group exist, so no routed event can miss it.
   */
  async subscribe(
    service: string,
    handlers: Handlers<E>,
    options: ConsumerInit & { readonly eventTypes?: readonly string[] | "*" } = {},
  ): Promise<Subscription<E>> {
    if (service === "") throw new TransportError("invalid-option", "a service name must not be empty");
    await this.start();
    const { eventTypes: given, ...consumerOptions } = options;
    const eventTypes: readonly string[] =
      given === "*" || (given === undefined && handlers["*"] !== undefined)
        ? ["*"]
        : (given ?? Object.keys(handlers).filter((k) => k !== "*"));
    if (eventTypes.length === 0) throw new TransportError("invalid-option", `service ${service} subscribes to no event type`);
    const queue = subscriptionQueue(service);
    const keys = this.transport.keys(queue);
    await this.transport.store.ensureQueue(keys);
    await this.transport.store.setSubscription(this.transport.options.prefix, service, eventTypes);
    const consumer = await this.transport.consume(queue, handlers, consumerOptions);
    const subscription: Subscription<E> = {
      service,
      queue,
      eventTypes,
      consumer,
      unsubscribe: async () => {
        this.subscriptions.delete(subscription);
        await this.transport.store.setSubscription(this.transport.options.prefix, service, null);
        await consumer.stop();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Stops routing and the subscriptions' consumers (gracefully). Subscriptions stay in Redis. */
  async stop(): Promise<void> {
    await this.started?.catch(() => {});
    await Promise.all([this.router?.stop(), ...[...this.subscriptions].map((s) => s.consumer.stop())]);
  }
}

function routerOptions(given: Partial<RouterOptions>): RouterOptions {
  const options: RouterOptions = {
    consumer: given.consumer ?? defaultConsumerName(),
    batchSize: given.batchSize ?? 100,
    blockMs: given.blockMs ?? 1000,
    claimIdleMs: given.claimIdleMs ?? 30_000,
    claimIntervalMs: given.claimIntervalMs ?? 5_000,
    pruneIdleMs: given.pruneIdleMs ?? 3_600_000,
  };
  positive("router.batchSize", options.batchSize);
  positive("router.blockMs", options.blockMs);
  positive("router.claimIdleMs", options.claimIdleMs);
  positive("router.claimIntervalMs", options.claimIntervalMs);
  positive("router.pruneIdleMs", options.pruneIdleMs);
  return options;
}

/** The event type and expiry of an entry, read without decoding the event. */
function routingOf(fields: ReadonlyMap<string, Buffer>): { eventType: string; expireAt: number | null } | { problem: string } {
  let meta: unknown;
  let eventType: unknown;
  const data = fields.get(EntryField.data);
  if (data !== undefined) {
    let value: unknown;
    try {
      value = parseJson(data.toString("utf8"));
    } catch (error) {
      return { problem: `data is not JSON: ${String(error)}` };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "data is not a JSON object" };
    eventType = (value as Record<string, unknown>)["event_type"];
    meta = (value as Record<string, unknown>)[EntryField.metadata];
  } else {
    eventType = fields.get(EntryField.eventType)?.toString("utf8");
    try {
      meta = JSON.parse(fields.get(EntryField.metadata)?.toString("utf8") ?? "null");
    } catch {
      meta = null;
    }
  }
  if (typeof eventType !== "string" || eventType === "") return { problem: "the entry has no event type" };
  const m = (typeof meta === "object" && meta !== null ? meta : {}) as Record<string, unknown>;
  const ttl = m["ttl"];
  const ts = m["timestamp"];
  const expireAt = typeof ttl === "number" && typeof ts === "number" ? ts + ttl : null;
  return { eventType, expireAt };
}

function flatten(fields: ReadonlyMap<string, Buffer>): Buffer[] {
  const out: Buffer[] = [];
  for (const [name, value] of fields) out.push(Buffer.from(name), value);
  return out;
}

/** Routes the bus's shared queue to the subscription queues. */
class Router {
  readonly stats: RouterStats = { routed: 0, copies: 0, unrouted: 0, expired: 0, deadLettered: 0, trimmed: 0 };
  private reader: EntryStore | undefined;
  private running = false;
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private busy = new Set<string>();

  constructor(
    private readonly store: EntryStore,
    private readonly keys: QueueKeys,
    private readonly options: RouterOptions,
    private readonly logger: Logger,
    private readonly maxLength: number,
  ) {}

  async start(): Promise<void> {
    this.reader = await this.store.forBlockingReads();
    this.running = true;
    this.loops = [this.readLoop(), this.reclaimLoop()];
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    void this.reader?.wake?.(this.options.consumer);
    await Promise.all(this.loops);
    if (this.reader && this.reader !== this.store) await this.reader.close();
    await this.store.leaveGroup(this.keys, this.options.consumer).catch(() => false);
  }

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const entries = await this.reader!.readNew(this.keys, this.options.consumer, this.options.batchSize, this.options.blockMs);
        await this.route(entries);
        failures = 0;
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
        let cursor = "0-0";
        do {
          const result = await this.store.claimIdle(this.keys, this.options.consumer, this.options.claimIdleMs, cursor, this.options.batchSize);
          this.stats.trimmed += result.deleted.length;
          await this.route(result.entries.filter((e: DeliveredEntry) => !this.busy.has(e.id)));
          cursor = result.next;
        } while (cursor !== "0-0" && this.running);
        if (Date.now() - lastPrune > this.options.pruneIdleMs / 4) {
          lastPrune = Date.now();
          await this.store.pruneConsumers(this.keys, this.options.pruneIdleMs, this.options.consumer);
        }
        failures = 0;
      } catch (error) {
        await this.recover(error, ++failures);
        continue;
      }
      await sleep(this.options.claimIntervalMs, this.stopping.signal);
    }
  }

  private async recover(error: unknown, failures: number): Promise<void> {
    if (!this.running) return;
    await recoverFromReadFailure(this.store, this.keys, error, failures, this.stopping.signal, (message) =>
      this.logger.warn?.(`bus router ${this.options.consumer}: ${message}`),
    );
  }


  private async route(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now() / 1000;
    const batch: RouteEntry[] = [];
    const expired: string[] = [];
    for (const entry of entries) this.busy.add(entry.id);
    try {
      for (const entry of entries) {
        const r = routingOf(entry.fields);
        if ("problem" in r) {
          const fields = movedFields(entry.fields, EntryField.failures, { timestamp: pyFloat(now), reason: `undecodable: ${r.problem}` }, now);
          if ((await this.store.deadLetter(this.keys, this.options.consumer, entry.id, fields, this.maxLength)) !== undefined) {
            this.stats.deadLettered++;
          }
        } else if (r.expireAt !== null && now > r.expireAt) {
          expired.push(entry.id);
        } else {
          batch.push({ id: entry.id, eventType: r.eventType, fields: flatten(entry.fields), expireAt: r.expireAt });
        }
      }
      if (expired.length > 0) this.stats.expired += await this.store.ack(this.keys, expired);
      const copies = await this.store.route(this.keys, this.options.consumer, batch, this.maxLength);
      for (const n of copies) {
        if (n > 0) {
          this.stats.routed++;
          this.stats.copies += n;
        } else if (n === 0) this.stats.unrouted++;
      }
    } finally {
      for (const entry of entries) this.busy.delete(entry.id);
    }
  }
}
