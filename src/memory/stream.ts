/**
 * A Redis stream in memory: its entries in id order, the last id it ever
 * gave, and its consumer groups, each with a last-delivered id, a pending
 * entries list (PEL) and its consumers; with the reads and writes of the
 * stream commands (XADD, XDEL, XRANGE, XREVRANGE, XREAD, XREADGROUP `>`,
 * XGROUP CREATE) and the trimming the scripts do (`ew_trim`). Where this
 * simplifies Redis is listed in keyspace.ts.
 */
import type { StreamEntry } from "../transport/index.js";
import { compareIds, formatId, MAX_PART, ZERO_ID, type StreamId } from "./stream-id.js";

/** An entry as stored. */
export interface StoredEntry {
  readonly id: string;
  readonly sid: StreamId;
  /** Field names and values, alternating, as written. */
  readonly pairs: readonly Buffer[];
}

/** One entry of a group's pending entries list: who has it, how often and when it was delivered. */
export interface Nack {
  readonly id: string;
  readonly sid: StreamId;
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

interface Consumer {
  seenAt: number;
}

/** The bytes of a field name or value, copied. */
function bytes(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(String(value), "utf8");
}

/** An entry as a read returns it: fields as a map of copies. */
export function toStreamEntry(entry: StoredEntry): StreamEntry {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < entry.pairs.length; i += 2) fields.set(entry.pairs[i]!.toString("utf8"), Buffer.from(entry.pairs[i + 1]!));
  return { id: entry.id, fields };
}

/** Index of the first entry with an id at or above `id` (`above`: strictly above). */
function lowerBound(entries: readonly StoredEntry[], id: StreamId, above = false): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareIds(entries[mid]!.sid, id);
    if (c < 0 || (above && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A consumer group of a stream. */
export class ConsumerGroup {
  /**
   * Pending entries by id. Map order is id order: entries join the list only
   * when first delivered, and a delivery is always of ids above every id
   * delivered before.
   */
  readonly pel = new Map<string, Nack>();
  readonly consumers = new Map<string, Consumer>();

  constructor(public lastDelivered: StreamId) {}

  /** Makes the consumer known, or resets its idle time: when an entry is delivered to it or claimed by it. */
  seen(consumer: string, now: number): void {
    const c = this.consumers.get(consumer);
    if (c) c.seenAt = now;
    else this.consumers.set(consumer, { seenAt: now });
  }

  /** XCLAIM: the pending entry now belongs to `consumer`, delivered once more, now. */
  claim(nack: Nack, consumer: string, now: number): void {
    this.seen(consumer, now);
    nack.consumer = consumer;
    nack.deliveries++;
    nack.deliveredAt = now;
  }

  /** XCLAIM … JUSTID by its owner: resets the pending entry's idle time without counting a delivery. */
  resetIdle(nack: Nack, now: number): void {
    this.seen(nack.consumer, now);
    nack.deliveredAt = now;
  }

  /** How many entries are pending to each consumer that has any. */
  pendingCounts(): Map<string, number> {
    const pending = new Map<string, number>();
    for (const nack of this.pel.values()) pending.set(nack.consumer, (pending.get(nack.consumer) ?? 0) + 1);
    return pending;
  }
}

/** A stream key's value. */
export class Stream {
  readonly kind = "stream" as const;
  /** Entries in id order. */
  private entries: StoredEntry[] = [];
  private readonly byId = new Map<string, StoredEntry>();
  /** The last id ever added (kept when that entry is deleted or trimmed). */
  lastId: StreamId = ZERO_ID;
  readonly groups = new Map<string, ConsumerGroup>();

  /** XLEN. */
  get length(): number {
    return this.entries.length;
  }

  /** The oldest entry. */
  get first(): StoredEntry | undefined {
    return this.entries[0];
  }

  /** The newest entry. */
  get last(): StoredEntry | undefined {
    return this.entries.at(-1);
  }

  /** The entry with id `id` (formatted), if the stream still has it. */
  entry(id: string): StoredEntry | undefined {
    return this.byId.get(id);
  }

  /** XADD with id `sid` (above {@link lastId}). */
  add(sid: StreamId, fields: readonly (string | Buffer)[]): StoredEntry {
    const entry: StoredEntry = { id: formatId(sid), sid, pairs: fields.map(bytes) };
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    this.lastId = sid;
    return entry;
  }

  /**
   * Trims the oldest entries down to `maxLength`, as the scripts' `ew_trim`
   * does: in `acknowledged` mode only entries every group has delivered and
   * acknowledged (none while there is no group), in `length` mode all the
   * excess. Returns how many were trimmed, and how many of those no group
   * had read.
   */
  trim(maxLength: number, mode: "acknowledged" | "length"): { trimmed: number; unread: number } {
    const excess = this.entries.length - maxLength;
    if (excess <= 0) return { trimmed: 0, unread: 0 };
    let floor: StreamId | undefined;
    let lowestDelivered: StreamId | undefined;
    for (const g of this.groups.values()) {
      const delivered = g.lastDelivered;
      let above: StreamId = delivered.seq < MAX_PART ? { ms: delivered.ms, seq: delivered.seq + 1n } : { ms: delivered.ms + 1n, seq: 0n };
      const firstPending = g.pel.values().next().value;
      if (firstPending !== undefined && compareIds(firstPending.sid, above) < 0) above = firstPending.sid;
      if (floor === undefined || compareIds(above, floor) < 0) floor = above;
      if (lowestDelivered === undefined || compareIds(delivered, lowestDelivered) < 0) lowestDelivered = delivered;
    }
    let trimmed = excess;
    let unread = 0;
    if (mode === "acknowledged") {
      if (floor === undefined) return { trimmed: 0, unread: 0 };
      trimmed = 0;
      while (trimmed < excess && compareIds(this.entries[trimmed]!.sid, floor) < 0) trimmed++;
    } else {
      for (let i = 0; i < excess; i++) if (lowestDelivered === undefined || compareIds(lowestDelivered, this.entries[i]!.sid) < 0) unread++;
    }
    for (const gone of this.entries.splice(0, trimmed)) this.byId.delete(gone.id);
    return { trimmed, unread };
  }

  /** XDEL of one id (formatted); whether the entry was there. Pending lists keep the id. */
  delete(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.entries.splice(lowerBound(this.entries, entry.sid), 1);
    return true;
  }

  /** XGROUP CREATE … `0`: a group that starts at the beginning of the stream, unless the group exists. Returns whether it made one. */
  createGroup(name: string): boolean {
    if (this.groups.has(name)) return false;
    this.groups.set(name, new ConsumerGroup(ZERO_ID));
    return true;
  }

  /** XRANGE: entries from `from` to `to` (inclusive), oldest first, at most `count` (none when `count` ≤ 0). */
  range(from: StreamId, to: StreamId, count: number): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (let i = lowerBound(this.entries, from); i < this.entries.length && out.length < count; i++) {
      const entry = this.entries[i]!;
      if (compareIds(entry.sid, to) > 0) break;
      out.push(toStreamEntry(entry));
    }
    return out;
  }

  /** XREVRANGE: entries from `to` down to `from` (inclusive), newest first, at most `count` (none when `count` ≤ 0). */
  reverseRange(to: StreamId, from: StreamId, count: number): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (let i = lowerBound(this.entries, to, true) - 1; i >= 0 && out.length < count; i--) {
      const entry = this.entries[i]!;
      if (compareIds(entry.sid, from) < 0) break;
      out.push(toStreamEntry(entry));
    }
    return out;
  }

  /** XREAD: entries with ids above `id`, oldest first, at most `count` (all when `count` ≤ 0). */
  after(id: StreamId, count: number): StreamEntry[] {
    const start = lowerBound(this.entries, id, true);
    const end = count > 0 ? Math.min(this.entries.length, start + count) : this.entries.length;
    return this.entries.slice(start, end).map(toStreamEntry);
  }

  /**
   * XREADGROUP `>`: entries after the group's last-delivered id (all when
   * `count` ≤ 0), now pending to `consumer` with one delivery at the time
   * `clock` gives (asked only when there is something to deliver).
   */
  deliverNew(g: ConsumerGroup, consumer: string, count: number, clock: () => number): StreamEntry[] {
    const start = lowerBound(this.entries, g.lastDelivered, true);
    const end = count > 0 ? Math.min(this.entries.length, start + count) : this.entries.length;
    if (start >= end) return [];
    const now = clock();
    g.seen(consumer, now);
    const out: StreamEntry[] = [];
    for (const entry of this.entries.slice(start, end)) {
      g.pel.set(entry.id, { id: entry.id, sid: entry.sid, consumer, deliveries: 1, deliveredAt: now });
      g.lastDelivered = entry.sid;
      out.push(toStreamEntry(entry));
    }
    return out;
  }

  /** Entries not yet delivered to the group: those after its last-delivered id. */
  lag(g: ConsumerGroup): number {
    return this.entries.length - lowerBound(this.entries, g.lastDelivered, true);
  }
}
