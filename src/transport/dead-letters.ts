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
  /** Its id in the DLQ stream. */
  readonly id: string;
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
  constructor(
    private readonly store: EntryStore,
    readonly keys: QueueKeys,
    private readonly registry: EventRegistry<E>,
    private readonly limits: StreamLimits,
    private readonly logger: Logger,
  ) {}

  /** Entries from the oldest (or after `after`), at most `count` (default 100). */
  async list(options: { count?: number; after?: string } = {}): Promise<DeadLetter<E>[]> {
    const start = options.after ? "(" + options.after : "-";
    const entries = await this.store.range(this.keys.dlq, start, "+", options.count ?? 100);
    return entries.map((e) => this.describe(e));
  }

  /** The entry of DLQ id `id`, or undefined when it is not in the DLQ. */
  async get(id: string): Promise<DeadLetter<E> | undefined> {
    const [entry] = await this.store.range(this.keys.dlq, id, id, 1);
    return entry === undefined ? undefined : this.describe(entry);
  }

  /** Entries in the DLQ. */
  async count(): Promise<number> {
    return (await this.store.info(this.keys)).dlqLength;
  }

  private describe(entry: StreamEntry): DeadLetter<E> {
    const d = decodeEntry(this.registry, entry.fields);
    const failures: Failure[] = d.failures.map((f) => {
      const o = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
      return { timestamp: typeof o["timestamp"] === "number" ? o["timestamp"] : undefined, reason: String(o["reason"] ?? "") };
    });
    const reason = failures.at(-1)?.reason ?? "";
    const parsed = parseReason(reason);
    return {
      id: entry.id,
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
   * Moves entries back to the main queue, recording the move in `_requeues`
   * as LeanMQ does. Returns how many were moved (ids no longer in the DLQ
   * are skipped).
   */
  async requeue(selection: Selection, options: BulkOptions = {}): Promise<number> {
    return this.walk(selection, options, async (entry) => {
      const now = Date.now() / 1000;
      const fields = movedFields(
        entry.fields,
        EntryField.requeues,
        { timestamp: pythonFloat(now), from_dlq: this.keys.dlq, to_queue: this.keys.stream },
        now,
      );
      const requeued = await this.store.requeue(this.keys, entry.id, fields, this.limits);
      if (requeued?.revived) {
        this.logger.warn?.(`the queue ${this.keys.stream} was gone; it was made again with its consumer group at the start`);
        await this.store.ensureQueue(this.keys).catch(() => {});
      }
      return requeued !== undefined;
    });
  }

  /** Deletes entries from the DLQ for good. Returns how many were deleted. */
  async delete(selection: Selection, options: BulkOptions = {}): Promise<number> {
    return this.walk(selection, options, async (entry) => (await this.store.deleteEntries(this.keys.dlq, [entry.id])) > 0);
  }

  private async walk(selection: Selection, options: BulkOptions, act: (entry: StreamEntry) => Promise<boolean>): Promise<number> {
    const batch = options.batchSize ?? 100;
    let done = 0;
    if (selection !== "all") {
      for (const id of selection) {
        if (options.signal?.aborted) break;
        const [entry] = await this.store.range(this.keys.dlq, id, id, 1);
        if (entry && (await act(entry))) done++;
        options.onProgress?.(done);
      }
      return done;
    }
    // Only what is in the DLQ when the walk starts: entries dead-lettered
    // meanwhile (a requeued one failing again, say) wait for the next call.
    const lastId = await this.store.lastId(this.keys.dlq);
    if (lastId === undefined) return 0;
    let start = "-";
    for (;;) {
      if (options.signal?.aborted) break;
      const entries = await this.store.range(this.keys.dlq, start, lastId, batch);
      if (entries.length === 0) break;
      for (const entry of entries) {
        if (options.signal?.aborted) break;
        if (await act(entry)) done++;
      }
      options.onProgress?.(done);
      start = "(" + entries.at(-1)!.id;
    }
    return done;
  }
}
