/**
 * The bus's router: reads the shared queue `all` in its consumer group and
 * copies each event to the subscription queue of every service subscribed
 * to its type, in one atomic step per entry with its acknowledgement.
 */
import { pythonFloat, pythonJsonLoads } from "../index.js";
import { defaultConsumerName } from "./consumer-options.js";
import { DeadLetterKind, formatReason, reasonOf } from "./dead-letter-reason.js";
import { GroupReader } from "./group-reader.js";
import { movedFields } from "./leanmq/entry.js";
import { EntryField, type QueueKeys } from "./leanmq/keys.js";
import { expiresAt, isExpired, readMetadata, type EntryMetadata } from "./leanmq/metadata.js";
import { positive, type Logger } from "./options.js";
import type { DeliveredEntry, EntryFields, EntryStore, RouteEntry } from "./store.js";

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

/** Fills in and checks router options. */
export function routerOptions(given: Partial<RouterOptions>): RouterOptions {
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

/** The event type and metadata of an entry, read without decoding the event. */
function routingOf(fields: EntryFields): { eventType: string; metadata: EntryMetadata | undefined } | { problem: string } {
  let meta: unknown;
  let eventType: unknown;
  const data = fields.get(EntryField.data);
  if (data !== undefined) {
    let value: unknown;
    try {
      value = pythonJsonLoads(data.toString("utf8"));
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
  return { eventType, metadata: readMetadata(meta) };
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
  readonly stats: RouterStats = { routed: 0, copies: 0, unrouted: 0, expired: 0, deadLettered: 0, trimmed: 0 };
  private readonly reader: GroupReader;
  private readonly busy = new Set<string>();

  constructor(
    private readonly store: EntryStore,
    private readonly keys: QueueKeys,
    private readonly options: RouterOptions,
    private readonly logger: Logger,
    private readonly maxLength: number,
  ) {
    this.reader = new GroupReader(store, keys, options, {
      room: () => options.batchSize,
      waitForRoom: () => Promise.resolve(),
      take: (entries) => this.route(entries),
      holds: (id) => this.busy.has(id),
      trimmed: (ids) => {
        this.stats.trimmed += ids.length;
      },
      warn: (message) => this.logger.warn?.(`bus router ${this.options.consumer}: ${message}`),
    });
  }

  /** Starts routing. */
  start(): Promise<void> {
    return this.reader.start();
  }

  /** Stops routing once the step under way is done, and lets go of the group. */
  async stop(): Promise<void> {
    if (!this.reader.active) return;
    this.reader.halt();
    await this.reader.finished;
    await this.reader.release();
  }

  private async route(entries: readonly DeliveredEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now() / 1000;
    const batch: RouteEntry[] = [];
    const expired: string[] = [];
    for (const entry of entries) this.busy.add(entry.id);
    try {
      for (const entry of entries) {
        const r = routingOf(entry.fields);
        if ("problem" in r) {
          const reason = formatReason(reasonOf(DeadLetterKind.undecodable, r.problem));
          const fields = movedFields(entry.fields, EntryField.failures, { timestamp: pythonFloat(now), reason }, now);
          if ((await this.store.deadLetter(this.keys, this.options.consumer, entry.id, fields, this.maxLength)) !== undefined) {
            this.stats.deadLettered++;
          }
        } else if (isExpired(r.metadata, now)) {
          expired.push(entry.id);
        } else {
          batch.push({ id: entry.id, eventType: r.eventType, fields: flatten(entry.fields), expireAt: expiresAt(r.metadata) });
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
