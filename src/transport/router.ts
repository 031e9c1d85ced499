/**
 * The bus's router: reads the shared queue `all` in its consumer group and
 * copies each event to the subscription queue of every service subscribed
 * to its type, in one atomic step per entry with its acknowledgement.
 */
import { pythonFloat } from "../index.js";
import { defaultConsumerName } from "./consumer-options.js";
import { DeadLetterKind, formatReason, reasonOf } from "./dead-letter-reason.js";
import { GroupReader } from "./group-reader.js";
import { entryHeader, entryRouting, movedFields } from "./leanmq/entry.js";
import { EntryField, queueKeys, queueNameOf, type QueueKeys } from "./leanmq/keys.js";
import { expiresAt, isExpired } from "./leanmq/metadata.js";
import type { Lifecycle } from "./lifecycle.js";
import { positive, type Logger } from "./options.js";
import { within } from "./sleep.js";
import type { DeliveredEntry, EntryFields, EntryStore, RouteEntry, StreamLimits } from "./store.js";
import { TraceHeaders } from "./telemetry/trace-context.js";
import type { Telemetry } from "./telemetry/telemetry.js";

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
  /** On stop, how long the routing step under way may take, in ms; the router lets go within this whatever Redis does. @defaultValue 10000 */
  readonly shutdownTimeoutMs: number;
}

/** What a router has done so far. */
export interface RouterStats {
  /** Entries routed to at least one subscription queue. */
  routed: number;
  /** Copies made, over all subscription queues. */
  copies: number;
  /** Entries no service subscribes to, acknowledged. */
  unrouted: number;
  /** Entries past their TTL when routed: passed on all the same, for each service's consumer to handle as its `expired` option says. */
  expired: number;
  /** Copies parked in a DLQ because their subscription queue could not take them (a key of the wrong type). */
  parked: number;
  /** Subscription queues found gone and made again. */
  resets: number;
  /** Entries whose event type cannot be read, moved to the shared queue's DLQ. */
  deadLettered: number;
  /** Pending entries found trimmed away. */
  trimmed: number;
}

/** Fills in and checks router options. */
export function routerOptions(given: Partial<RouterOptions>): RouterOptions {
  const options: RouterOptions = {
    consumer: given.consumer ?? defaultConsumerName(),
    batchSize: given.batchSize ?? 100,
    blockMs: given.blockMs ?? 1000,
    claimIdleMs: given.claimIdleMs ?? 30_000,
    claimIntervalMs: given.claimIntervalMs ?? 5_000,
    pruneIdleMs: given.pruneIdleMs ?? 3_600_000,
    shutdownTimeoutMs: given.shutdownTimeoutMs ?? 10_000,
  };
  positive("router.batchSize", options.batchSize);
  positive("router.blockMs", options.blockMs);
  positive("router.claimIdleMs", options.claimIdleMs);
  positive("router.claimIntervalMs", options.claimIntervalMs);
  positive("router.pruneIdleMs", options.pruneIdleMs);
  positive("router.shutdownTimeoutMs", options.shutdownTimeoutMs, true);
  return options;
}

function flatten(fields: EntryFields): Buffer[] {
  const out: Buffer[] = [];
  for (const [name, value] of fields) out.push(Buffer.from(name), value);
  return out;
}

/**
 * Routes the bus's shared queue to the subscription queues. Any number of
 * routers may run, in any processes: they share the queue's group, and the
 * subscriptions are read in the same atomic step that copies an event.
 */
export class Router {
  readonly stats: RouterStats = { routed: 0, copies: 0, unrouted: 0, expired: 0, deadLettered: 0, trimmed: 0, parked: 0, resets: 0 };
  private readonly reader: GroupReader;
  private readonly busy = new Set<string>();
  private stopRequested = false;

  constructor(
    private readonly store: EntryStore,
    private readonly keys: QueueKeys,
    private readonly options: RouterOptions,
    private readonly logger: Logger,
    private readonly limits: StreamLimits,
    private readonly observers: { readonly lifecycle?: Lifecycle; readonly telemetry?: Telemetry } = {},
  ) {
    const lifecycle = observers.lifecycle;
    this.reader = new GroupReader(store, keys, options, {
      // (room for the batch being routed and the next one, read meanwhile)
      room: () => 2 * options.batchSize,
      waitForRoom: () => Promise.resolve(),
      take: (entries, reclaimed) => {
        if (reclaimed) lifecycle?.emit("reclaim", { queue: keys.name, source: "router", consumer: options.consumer, streamIds: entries.map((e) => e.id) });
        return this.route(entries);
      },
      holds: (id) => this.busy.has(id),
      trimmed: (ids) => {
        this.stats.trimmed += ids.length;
        this.logger.warn?.(`bus router ${this.options.consumer}: ${ids.length} pending entr${ids.length === 1 ? "y was" : "ies were"} trimmed from ${keys.stream} before being routed`, { ids });
        lifecycle?.emit("trim", { stream: keys.stream, source: "router", kind: "pending", count: ids.length, streamIds: ids });
      },
      warn: (message) => this.logger.warn?.(`bus router ${this.options.consumer}: ${message}`),
      reset: () => lifecycle?.emit("reset", { stream: keys.stream, source: "router" }),
      failed: (error, failures) => lifecycle?.emit("read-failure", { queue: keys.name, source: "router", consumer: options.consumer, error, failures }),
    });
  }

  /** Starts routing (unless {@link stop} came first). */
  async start(): Promise<void> {
    await this.reader.start();
    if (this.stopRequested) {
      this.reader.halt();
      await this.reader.release();
    }
  }

  /** Stops routing once the step under way is done, and lets go of the group: within `shutdownTimeoutMs`, whatever Redis does. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.reader.active) return;
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    this.reader.halt();
    if (!(await within(this.reader.finished, this.options.shutdownTimeoutMs))) {
      this.logger.warn?.(`bus router ${this.options.consumer}: a routing step was still under way at the shutdown deadline; its entries stay pending`);
    }
    await within(this.reader.release(), deadline - Date.now());
  }

  private async route(entries: readonly DeliveredEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now() / 1000;
    const batch: RouteEntry[] = [];
    const traced = this.observers.telemetry?.tracing === true;
    const began = Date.now();
    const parents: (string | undefined)[] = [];
    let failure: unknown;
    for (const entry of entries) this.busy.add(entry.id);
    try {
      for (const entry of entries) {
        const r = entryRouting(entry.fields);
        if ("problem" in r) {
          const why = reasonOf(DeadLetterKind.undecodable, r.problem);
          const reason = formatReason(why);
          const fields = movedFields(entry.fields, EntryField.failures, { timestamp: pythonFloat(now), reason }, now);
          const dlqId = await this.store.deadLetter(this.keys, this.options.consumer, entry.id, fields, this.limits);
          if (dlqId !== undefined) {
            this.stats.deadLettered++;
            this.logger.warn?.(`bus router ${this.options.consumer}: moved entry ${entry.id} of ${this.keys.stream} to the DLQ as ${dlqId}: ${reason}`);
            this.observers.lifecycle?.emit("dead-letter", {
              queue: this.keys.name,
              source: "router",
              consumer: this.options.consumer,
              streamId: entry.id,
              dlqStreamId: dlqId,
              messageId: undefined,
              eventType: undefined,
              reason: why,
              reasonText: reason,
            });
          }
          continue;
        }
        if (traced) parents.push(entryHeader(entry.fields, r.headers, TraceHeaders.traceparent));
        // An expired event is passed on too: each service's consumer
        // acknowledges or dead-letters it, as its `expired` option says.
        if (isExpired(r.metadata, now)) this.stats.expired++;
        batch.push({ id: entry.id, eventType: r.eventType, fields: flatten(entry.fields), expireAt: expiresAt(r.metadata) });
      }
      const result = await this.store.route(this.keys, this.options.consumer, batch, this.limits);
      for (const n of result.entries) {
        if (n === -1) continue;
        this.stats.parked += n.parked;
        if (n.parked > 0) this.logger.warn?.(`bus router ${this.options.consumer}: ${n.parked} cop${n.parked === 1 ? "y" : "ies"} could not be written to a subscription queue and went to its DLQ`);
        if (n.copies > 0) {
          this.stats.routed++;
          this.stats.copies += n.copies;
        } else if (n.parked === 0) this.stats.unrouted++;
      }
      for (const stream of result.revived) {
        this.stats.resets++;
        const name = queueNameOf(stream, this.keys.prefix);
        this.logger.warn?.(`bus router ${this.options.consumer}: the subscription queue ${stream} was gone; it was made again with its consumer group at the start`);
        this.observers.lifecycle?.emit("reset", { stream, source: "router" });
        await this.store.ensureQueue(queueKeys(this.keys.prefix, name, this.store.layout)).catch(() => {});
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      for (const entry of entries) this.busy.delete(entry.id);
      if (traced && batch.length > 0) this.observers.telemetry!.route(this.keys, this.options.consumer, parents, began).end(failure);
    }
  }
}
