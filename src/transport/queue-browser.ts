/**
 * Reading a stream as it is stored, outside any consumer group (for tools:
 * the CLI's `tail`, dashboards): its newest entries, a range, and the
 * entries that arrive after a given id, each decoded as far as it goes.
 */
import type { Event, EventRegistry } from "../index.js";
import { decodeEntry, type EntryFormat } from "./leanmq/entry.js";
import type { EntryMetadata } from "./leanmq/metadata.js";
import type { EntryFields, EntryStore, StreamEntry } from "./store.js";

/** An entry as stored, decoded as far as it goes. */
export interface StoredEntry<E extends Event = Event> {
  /** The stream entry id. */
  readonly id: string;
  readonly format: EntryFormat | "unknown";
  /** The event type, when it can be told. */
  readonly eventType: string | undefined;
  /** The event, when the entry decodes. */
  readonly event: E | undefined;
  /** Why it cannot be decoded, when it cannot. */
  readonly problem: string | undefined;
  /** LeanMQ's `_metadata`, when present. */
  readonly metadata: EntryMetadata | undefined;
  /** LeanMQ's `_failures`, as stored: one item per move to a DLQ. */
  readonly failures: readonly unknown[];
  /** LeanMQ's `_requeues`, as stored: one item per requeue from a DLQ. */
  readonly requeues: readonly unknown[];
  /** The raw fields. */
  readonly fields: EntryFields;
}

/** Reads one stream without a consumer group; see the module comment. */
export class QueueBrowser<E extends Event = Event> {
  private follower: EntryStore | undefined;

  /** Use `StreamTransport.browse`. */
  constructor(
    private readonly store: EntryStore,
    private readonly registry: EventRegistry<E>,
    /** The stream key read. */
    readonly stream: string,
  ) {}

  /** The id of the newest entry now, or undefined when the stream is empty or missing. */
  newestId(): Promise<string | undefined> {
    return this.store.lastId(this.stream);
  }

  /** The newest `count` entries up to id `end` (inclusive; `+` for the newest), oldest first. */
  async latest(count: number, end = "+"): Promise<StoredEntry<E>[]> {
    if (count <= 0) return [];
    const entries = await this.store.rangeReverse(this.stream, end, "-", count);
    return entries.reverse().map((entry) => this.decode(entry));
  }

  /** At most `count` entries from `start` to `end` (inclusive ids, `(id` for an exclusive bound, `-` and `+`), oldest first. */
  async range(start: string, end: string, count: number): Promise<StoredEntry<E>[]> {
    const entries = await this.store.range(this.stream, start, end, count);
    return entries.map((entry) => this.decode(entry));
  }

  /**
   * At most `count` entries after id `after`, waiting up to `blockMs` for
   * some when there are none yet. Waits on a connection of its own, which
   * {@link close} releases.
   */
  async after(after: string, count: number, blockMs: number): Promise<StoredEntry<E>[]> {
    this.follower ??= await this.store.forBlockingReads();
    const entries = await this.follower.readAfter(this.stream, after, count, blockMs);
    return entries.map((entry) => this.decode(entry));
  }

  /** Releases the connection {@link after} waits on. */
  async close(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    if (follower && follower !== this.store) await follower.close();
  }

  private decode(entry: StreamEntry): StoredEntry<E> {
    const d = decodeEntry(this.registry, entry.fields);
    return {
      id: entry.id,
      format: d.format,
      eventType: d.eventType,
      event: d.event,
      problem: d.problem?.message,
      metadata: d.metadata,
      failures: d.failures,
      requeues: d.requeues,
      fields: entry.fields,
    };
  }
}
