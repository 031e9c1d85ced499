/**
 * The event bus, in the Python event system's layout: events published to
 * the shared queue `all`, routed to one queue per subscribing service.
 */
import { TransportError, type Event } from "../index.js";
import type { Consumer } from "./consumer.js";
import type { ConsumerInit } from "./consumer-options.js";
import type { Handlers } from "./handler.js";
import { BUS_QUEUE, subscriptionQueue, type QueueKeys } from "./leanmq/keys.js";
import { Router, routerOptions, type RouterOptions, type RouterStats } from "./router.js";
import { checkPartitionCount } from "./partitions.js";
import { within } from "./sleep.js";
import { telemetryOf } from "./telemetry/telemetry.js";
import type { Outgoing, PublishOptions, Published, StreamTransport } from "./transport.js";

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
  /**
   * Partitions of the shared queue, so that the bus is not bound to one
   * stream (on a cluster, one master): when given, the bus sets the shared
   * queue's partition count to it as it starts (see
   * `StreamTransport.setPartitions`). Routers read every partition.
   * @defaultValue the count recorded with the shared queue (1 when none is)
   */
  readonly partitions: number | undefined;
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
 * wait in its queue. {@link Subscription.unsubscribe} ends it. While its
 * process runs, a subscription lost from Redis (Redis restarted without its
 * data, a flush) is recorded again within its consumer's `claimIntervalMs`.
 *
 * Python services take part with LeanMQ as they are: they publish to `all`
 * with `send_message(serialize_event(e))` and read `sub:<service>` with
 * `get_messages`, after recording their subscription with one
 * `HSET events:subscriptions <service> '["OrderCreatedEvent"]'`.
 */
export class EventBus<E extends Event = Event> {
  readonly transport: StreamTransport<E>;
  readonly options: EventBusOptions;
  /** One router per partition of the shared queue. */
  private readonly routers: Router[] = [];
  /** Looks for partitions added to the shared queue, to route them too. */
  private partitionWatch: NodeJS.Timeout | undefined;
  private readonly subscriptions = new Set<Subscription<E>>();
  private started: Promise<void> | undefined;
  private readonly routerConfig: RouterOptions;
  private stopping = false;
  /** Looks for this bus's subscriptions in Redis (see {@link watch}). */
  private watcher: NodeJS.Timeout | undefined;
  private watchEveryMs = Infinity;
  /** The look under way, if any. */
  private watching: Promise<void> | undefined;

  constructor(transport: StreamTransport<E>, options: Partial<EventBusOptions> = {}) {
    this.transport = transport;
    this.options = { route: options.route ?? true, router: options.router ?? {}, partitions: options.partitions };
    if (this.options.partitions !== undefined) checkPartitionCount(this.options.partitions);
    this.routerConfig = routerOptions(this.options.router);
    // (closing the transport stops the bus's router and watcher too, not only its subscriptions' consumers)
    transport.onClose(() => this.stop());
  }

  /** The shared queue's keys. */
  get keys(): QueueKeys {
    return this.transport.keys(BUS_QUEUE);
  }

  /** What this process's routers have done, over every partition of the shared queue (zeros when it does not route). */
  get routerStats(): RouterStats {
    const total: RouterStats = { routed: 0, copies: 0, unrouted: 0, expired: 0, deadLettered: 0, trimmed: 0, parked: 0, resets: 0 };
    for (const r of this.routers) for (const k of Object.keys(total) as (keyof RouterStats)[]) total[k] += r.stats[k];
    return total;
  }

  /**
   * Creates the shared queue and starts routing (when `route`). Called by
   * the first publish or subscribe. A start that failed (Redis unavailable)
   * is tried again by the next call.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.transport.store.ensureQueue(this.keys);
      if (this.options.partitions !== undefined && (await this.transport.partitions(BUS_QUEUE, { fresh: true })).count !== this.options.partitions) {
        await this.transport.setPartitions(BUS_QUEUE, this.options.partitions);
      }
      if (this.options.route && !this.stopping) {
        await this.followPartitions();
        let looking: Promise<void> | undefined;
        this.partitionWatch = setInterval(() => {
          looking ??= this.followPartitions()
            .catch(() => {}) // (looked at again next time)
            .finally(() => (looking = undefined));
        }, this.routerConfig.claimIntervalMs);
        this.partitionWatch.unref();
      }
    })().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  /** Starts a router for each partition of the shared queue that has none here. */
  private async followPartitions(): Promise<void> {
    const partitions = await this.transport.partitionKeys(BUS_QUEUE, { fresh: true });
    const telemetry = telemetryOf(this.transport);
    for (let p = this.routers.length; p < partitions.length && !this.stopping; p++) {
      const keys = partitions[p]!;
      if (p > 0) await this.transport.store.ensureQueue(keys);
      const router = new Router(
        this.transport.store,
        keys,
        this.routerConfig,
        this.transport.options.logger,
        { maxLength: this.transport.options.maxLength, trim: this.transport.options.trim },
        { lifecycle: this.transport.lifecycle, ...(telemetry === undefined ? {} : { telemetry }) },
      );
      this.routers.push(router);
      await router.start();
    }
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
        // (the record in Redis is the service's: no other subscription of the service here records it again)
        for (const other of this.subscriptions) if (other.service === service) this.subscriptions.delete(other);
        await this.watching; // (a look under way must not record it again after this)
        await this.transport.store.setSubscription(this.transport.options.prefix, service, null);
        await consumer.stop();
      },
    };
    this.subscriptions.add(subscription);
    this.watch(consumer.options.claimIntervalMs);
    return subscription;
  }

  /**
   * Looks for this bus's subscriptions in Redis every `everyMs` (the
   * shortest `claimIntervalMs` of its subscriptions' consumers), and records
   * again any that is gone — Redis restarted without its data, a flush, the
   * hash deleted — its queue made first, so that routers copy events to it
   * again. (Events routed before it was back did not reach it: the window
   * is at most `everyMs` after Redis answers again.)
   */
  private watch(everyMs: number): void {
    if (everyMs >= this.watchEveryMs) return;
    clearInterval(this.watcher);
    this.watchEveryMs = everyMs;
    this.watcher = setInterval(() => {
      this.watching ??= this.restoreSubscriptions().finally(() => (this.watching = undefined));
    }, everyMs);
    this.watcher.unref();
  }

  private async restoreSubscriptions(): Promise<void> {
    const prefix = this.transport.options.prefix;
    const store = this.transport.store;
    const live = () => !this.stopping;
    if (this.subscriptions.size === 0 || !live()) return;
    try {
      const recorded = await store.subscriptions(prefix);
      for (const s of [...this.subscriptions]) {
        if (recorded.has(s.service)) continue;
        await store.ensureQueue(this.transport.keys(s.queue));
        if (!this.subscriptions.has(s) || !live()) continue;
        await store.setSubscription(prefix, s.service, s.eventTypes);
        this.transport.options.logger.warn?.(
          `the subscription of ${s.service} was gone from ${prefix}subscriptions (Redis restarted empty, flushed, or the key deleted); it was recorded again`,
        );
      }
    } catch {
      // Redis unavailable, or the transport closed: looked at again next time
    }
  }

  /**
   * Stops routing and the subscriptions' consumers (gracefully), within the
   * longest of their shutdown timeouts whatever Redis does. Subscriptions
   * stay in Redis.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watcher);
    clearInterval(this.partitionWatch);
    if (this.started) await within(this.started, this.routerConfig.shutdownTimeoutMs);
    await Promise.all([...this.routers.map((r) => r.stop()), ...[...this.subscriptions].map((s) => s.consumer.stop())]);
  }
}
