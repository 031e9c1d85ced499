/** A queue's dead-letter queue: listing its entries with their history, requeueing and deleting them. */
import { pythonFloat, type Event, type EventRegistry } from "../index.js";
import { parseReason, type DeadLetterKind } from "./dead-letter-reason.js";
import { decodeEntry, movedFields, type EntryFormat } from "./leanmq/entry.js";
import { EntryField, type QueueKeys } from "./leanmq/keys.js";
import type { Logger } from "./options.js";
import type { EntryStore, StreamEntry, StreamLimits } from "./store.js";

/** One move to the DLQ, as recorded in the entry's `_failures`. */
export interface Failure {
  /** When, in float seconds. */
  readonly timestamp: number | undefined;
  readonly reason: string;
}

/** An entry in a dead-letter queue. */
export interface DeadLetter<E extends Event = Event> {
  /**
   * Its id: the id in its DLQ stream, preceded on a partition after the
   * first by the partition's number and a slash (`3/1732700000123-0`).
   */
  readonly id: string;
  /** The partition of the queue whose DLQ holds it (0 on a queue without partitions). */
  readonly partition: number;
  readonly format: EntryFormat | "unknown";
  /** The event type, when it can be told. */
  readonly eventType: string | undefined;
  /** The event, when the entry decodes. */
  readonly event: E | undefined;
  /** Why it cannot be decoded, when it cannot. */
  readonly problem: string | undefined;
  /** The message id LeanMQ keeps in `_metadata.id`. */
  readonly messageId: string | undefined;
  /** Every move to a DLQ, oldest first. */
  readonly failures: readonly Failure[];
  /** The reason of the latest move, as stored. */
  readonly reason: string;
  /** What the latest move was for, when eventwire made it (see {@link DeadLetterKind}). */
  readonly kind: DeadLetterKind | undefined;
  /** Deliveries made before the latest move, when recorded. */
  readonly attempts: number | undefined;
  /** Requeues from a DLQ so far. */
  readonly requeues: number;
  /** The raw fields, as stored. */
  readonly fields: ReadonlyMap<string, Buffer>;
}

/** Which entries an operation takes: the given ids, or all of them. */
export type Selection = readonly string[] | "all";

/** Options of the operations that walk many entries. */
export interface BulkOptions {
  /** Called after each batch with the number done so far. */
  readonly onProgress?: (done: number) => void;
  /** Stops the walk between two entries (each entry is moved whole or not at all). */
  readonly signal?: AbortSignal;
  /** Entries read per round trip. @defaultValue 100 */
  readonly batchSize?: number;
}

/**
 * A queue's dead-letter queue: list, requeue and delete its entries. Every
 * requeue is atomic per entry (appended to the main queue and deleted from
 * the DLQ in one step), so an interrupted bulk requeue loses and duplicates
 * nothing.
 */
export class DeadLetterQueue<E extends Event = Event> {
  /** The keys of every partition of the queue, partition 0 first. */
  private readonly partitions: () => Promise<readonly QueueKeys[]>;

  /** `partitions`: the keys of every partition the queue has had (default: `keys` alone). */
  constructor(
    private readonly store: EntryStore,
    readonly keys: QueueKeys,
    private readonly registry: EventRegistry<E>,
    private readonly limits: StreamLimits,
    private readonly logger: Logger,
    partitions?: () => Promise<readonly QueueKeys[]>,
  ) {
    this.partitions = partitions ?? (async () => [keys]);
  }

  /**
   * Entries from the oldest (or after `after`, an id this DLQ gave), at
   * most `count` (default 100); on a queue with partitions, the DLQs of all
   * of them merged in the order of their ids (their times).
   */
  async list(options: { count?: number; after?: string } = {}): Promise<DeadLetter<E>[]> {
    const count = options.count ?? 100;
    const all = await this.partitions();
    const after = options.after === undefined ? undefined : splitId(options.after);
    const lists = await Promise.all(
      all.map(async (keys, p) => {
        // (entries of equal ids come in partition order)
        const start = after === undefined ? "-" : p <= after.partition ? "(" + after.id : after.id;
        return (await this.store.range(keys.dlq, start, "+", count)).map((e) => this.describe(e, p));
      }),
    );
    if (lists.length === 1) return lists[0]!;
    return lists
      .flat()
      .sort((a, b) => compareStreamIds(splitId(a.id).id, splitId(b.id).id) || a.partition - b.partition)
      .slice(0, count);
  }

  /** The entry of DLQ id `id` (as this DLQ gave it), or undefined when it is not in the DLQ. */
  async get(id: string): Promise<DeadLetter<E> | undefined> {
    const at = await this.locate(id);
    if (at === undefined) return undefined;
    const [entry] = await this.store.range(at.keys.dlq, at.id, at.id, 1);
    return entry === undefined ? undefined : this.describe(entry, at.keys.partition);
  }

  /** Where an id this DLQ gave is: its partition's keys and its id there; undefined for a partition the queue does not have or an id that is not one. */
  private async locate(id: string): Promise<{ keys: QueueKeys; id: string } | undefined> {
    const { partition, id: streamId } = splitId(id);
    if (!/^\d+-\d+$/.test(streamId)) return undefined;
    const keys = (await this.partitions())[partition];
    return keys === undefined ? undefined : { keys, id: streamId };
  }

  /** Entries in the DLQ (of every partition). */
  async count(): Promise<number> {
    const counts = await Promise.all((await this.partitions()).map(async (keys) => (await this.store.info(keys)).dlqLength));
    return counts.reduce((a, b) => a + b, 0);
  }

  private describe(entry: StreamEntry, partition: number): DeadLetter<E> {
    const d = decodeEntry(this.registry, entry.fields);
    const failures: Failure[] = d.failures.map((f) => {
      const o = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
      return { timestamp: typeof o["timestamp"] === "number" ? o["timestamp"] : undefined, reason: String(o["reason"] ?? "") };
    });
    const reason = failures.at(-1)?.reason ?? "";
    const parsed = parseReason(reason);
    return {
      id: partition === 0 ? entry.id : `${partition}/${entry.id}`,
      partition,
      format: d.format,
      eventType: d.eventType,
      event: d.event,
      problem: d.problem?.message,
      messageId: d.metadata?.id,
      failures,
      reason,
      kind: parsed.kind,
      attempts: parsed.attempt,
      requeues: d.requeues.length,
      fields: entry.fields,
    };
  }

  /**
   * Moves entries back to the main queue (of their partition), recording the
   * move in `_requeues` as LeanMQ does. Returns how many were moved (ids no
   * longer in the DLQ are skipped).
   */
  async requeue(selection: Selection, options: BulkOptions = {}): Promise<number> {
    return this.walk(selection, options, async (keys, entry) => {
      const now = Date.now() / 1000;
      const fields = movedFields(entry.fields, EntryField.requeues, { timestamp: pythonFloat(now), from_dlq: keys.dlq, to_queue: keys.stream }, now);
      const requeued = await this.store.requeue(keys, entry.id, fields, this.limits);
      if (requeued?.revived) {
        this.logger.warn?.(`the queue ${keys.stream} was gone; it was made again with its consumer group at the start`);
        await this.store.ensureQueue(keys).catch(() => {});
      }
      return requeued !== undefined;
    });
  }

  /** Deletes entries from the DLQ for good. Returns how many were deleted. */
  async delete(selection: Selection, options: BulkOptions = {}): Promise<number> {
    return this.walk(selection, options, async (keys, entry) => (await this.store.deleteEntries(keys.dlq, [entry.id])) > 0);
  }

  private async walk(selection: Selection, options: BulkOptions, act: (keys: QueueKeys, entry: StreamEntry) => Promise<boolean>): Promise<number> {
    const batch = options.batchSize ?? 100;
    let done = 0;
    if (selection !== "all") {
      for (const id of selection) {
        if (options.signal?.aborted) break;
        const at = await this.locate(id);
        const [entry] = at === undefined ? [] : await this.store.range(at.keys.dlq, at.id, at.id, 1);
        if (at !== undefined && entry && (await act(at.keys, entry))) done++;
        options.onProgress?.(done);
      }
      return done;
    }
    for (const keys of await this.partitions()) {
      // Only what is in the DLQ when the walk starts: entries dead-lettered
      // meanwhile (a requeued one failing again, say) wait for the next call.
      const lastId = await this.store.lastId(keys.dlq);
      if (lastId === undefined) continue;
      let start = "-";
      for (;;) {
        if (options.signal?.aborted) return done;
        const entries = await this.store.range(keys.dlq, start, lastId, batch);
        if (entries.length === 0) break;
        for (const entry of entries) {
          if (options.signal?.aborted) break;
          if (await act(keys, entry)) done++;
        }
        options.onProgress?.(done);
        start = "(" + entries.at(-1)!.id;
      }
    }
    return done;
  }
}

/** An id this DLQ gave: its partition (0 without a `p/`) and the stream id. */
function splitId(id: string): { partition: number; id: string } {
  const slash = id.indexOf("/");
  if (slash < 0) return { partition: 0, id };
  const partition = Number(id.slice(0, slash));
  return Number.isInteger(partition) && partition >= 0 ? { partition, id: id.slice(slash + 1) } : { partition: -1, id };
}

/** Stream ids in their order: by milliseconds, then sequence. */
function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
