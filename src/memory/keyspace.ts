/**
 * The data of a Redis server, in memory, for the memory store to work on.
 * The model is that of Redis: streams with ids `<ms>-<seq>`, consumer
 * groups with a last-delivered id and a pending entries list (PEL) of
 * id → owner, delivery count and last delivery time (stream.ts, with the ids
 * in stream-id.ts); sorted sets, hashes and sets; one type per key
 * (`WRONGTYPE` otherwise); readers blocked on a stream until entries arrive
 * (blocked-reads.ts). Errors carry Redis's own messages (redis-errors.ts).
 * It knows nothing of the keys eventwire or LeanMQ lay out.
 *
 * Where Redis's behaviour depends on its internals, the model follows the
 * simplest faithful reading:
 * - `lag` is always known: the number of entries after the group's
 *   last-delivered id (Redis estimates it and may report null, and counts
 *   entries trimmed before they were delivered).
 * - Consumers come into being, and their idle time is reset, when an entry
 *   is delivered to them or claimed by them (XREADGROUP, XCLAIM, XAUTOCLAIM
 *   as Redis 7.0 does it); an empty read or claim leaves them alone.
 *
 * Time: ids, idle times and ages come from the clock it is given; how long a
 * blocked reader waits is real time.
 */
import type { StreamEntry } from "../transport/index.js";
import { BlockedReads } from "./blocked-reads.js";
import { noGroup, wrongType } from "./redis-errors.js";
import { formatId, nextId, type StreamId } from "./stream-id.js";
import { Stream, type ConsumerGroup } from "./stream.js";

/** One entry of a group's pending list, as XPENDING reports it. */
export interface PendingInfo {
  readonly id: string;
  readonly consumer: string;
  /** Times delivered, the first delivery included. */
  readonly deliveries: number;
  /** Milliseconds since the last delivery (or touch). */
  readonly idleMs: number;
}

/** One consumer group of a stream, as XINFO GROUPS reports it. */
export interface GroupInfo {
  readonly name: string;
  /** The id of the last entry delivered to the group (`0-0` when none was). */
  readonly lastDelivered: string;
  /** Entries delivered to the group and not yet acknowledged. */
  readonly pending: number;
  readonly consumers: number;
}

/** One consumer of a group, as XINFO CONSUMERS reports it. */
export interface ConsumerInfo {
  readonly name: string;
  /** Entries pending to it. */
  readonly pending: number;
  /** Milliseconds since an entry was last delivered to it or claimed by it. */
  readonly idleMs: number;
}

interface SortedSet {
  readonly kind: "zset";
  readonly members: Map<string, number>;
}

interface Hash {
  readonly kind: "hash";
  readonly fields: Map<string, string>;
}

interface PlainSet {
  readonly kind: "set";
  readonly members: Set<string>;
}

type Value = Stream | SortedSet | Hash | PlainSet;
/** The type of a key's value. */
export type Kind = Value["kind"];
type ValueOf<K extends Kind> = Extract<Value, { kind: K }>;

function emptyValue(kind: Kind): Value {
  switch (kind) {
    case "stream":
      return new Stream();
    case "zset":
      return { kind, members: new Map() };
    case "hash":
      return { kind, fields: new Map() };
    case "set":
      return { kind, members: new Set() };
  }
}

/**
 * What a blocked reader waits for: new entries for a consumer of a group
 * (XREADGROUP `>`, which delivers them), or entries after an id, outside any
 * group (XREAD). At most `count` (all when `count` ≤ 0).
 */
export type StreamRead =
  | { readonly group: string; readonly consumer: string; readonly count: number }
  | { readonly after: StreamId; readonly count: number };

/** The keys and values of one Redis database, with its blocked readers. See the module comment. */
export class Keyspace {
  private readonly data = new Map<string, Value>();
  private readonly blocked = new BlockedReads<StreamRead>((stream, read) => this.serve(stream, read));

  /** `clock`: milliseconds since the epoch. */
  constructor(private readonly clock: () => number) {}

  /** The clock in whole milliseconds. */
  now(): number {
    const t = this.clock();
    return Number.isFinite(t) ? Math.floor(t) : 0;
  }

  // ---- keys and types ----

  /** The value of `key`, undefined when there is none; WRONGTYPE when it is of another kind. */
  get<K extends Kind>(key: string, kind: K): ValueOf<K> | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (value.kind !== kind) throw wrongType();
    return value as ValueOf<K>;
  }

  /** The type of the value at `key` (as TYPE names it), or undefined when there is none. */
  kindOf(key: string): Kind | undefined {
    return this.data.get(key)?.kind;
  }

  /** Throws WRONGTYPE when `key` holds a value of another kind. */
  checkType(key: string, kind: Kind): void {
    this.get(key, kind);
  }

  /** DEL: removes the keys, whatever they hold; returns how many there were. (Readers blocked on a removed stream wait on.) */
  del(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) if (this.data.delete(key)) removed++;
    return removed;
  }

  /** FLUSHALL: removes every key, as a Redis server that restarted empty. (Blocked readers wait on.) */
  flush(): void {
    this.data.clear();
  }

  /** The value of `key`, made empty when there is none, as a write makes it. */
  getOrCreate<K extends Kind>(key: string, kind: K): ValueOf<K> {
    let value = this.get(key, kind);
    if (!value) {
      value = emptyValue(kind) as ValueOf<K>;
      this.data.set(key, value);
    }
    return value;
  }

  // ---- streams ----

  /** The group, or a NOGROUP error as Redis words it for the command (`suffix`). */
  group(stream: string, group: string, suffix = ""): { s: Stream; g: ConsumerGroup } {
    const s = this.get(stream, "stream");
    const g = s?.groups.get(group);
    if (!s || !g) throw noGroup(stream, group, suffix);
    return { s, g };
  }

  /** The group, when the stream and it exist. */
  findGroup(stream: string, group: string): ConsumerGroup | undefined {
    return this.get(stream, "stream")?.groups.get(group);
  }

  /** XGROUP CREATE stream group `0` MKSTREAM, keeping a group that exists; returns whether it made one. */
  createGroup(stream: string, group: string): boolean {
    return this.getOrCreate(stream, "stream").createGroup(group);
  }

  /**
   * As the scripts' `ew_revive`: a stream that does not exist is made, with
   * its group at the start, and the reset counted in `metadata` (field
   * `resets`). Returns whether it had to.
   */
  revive(stream: string, group: string, metadata: string): boolean {
    if (this.data.has(stream)) return false;
    this.createGroup(stream, group);
    this.hincrby(metadata, "resets", 1);
    return true;
  }

  /** XADD key * fields… (arguments already checked); wakes the readers blocked on `key`. */
  xadd(key: string, fields: readonly (string | Buffer)[]): string {
    const s = this.getOrCreate(key, "stream");
    const entry = s.add(nextId(s.lastId, BigInt(Math.max(0, this.now()))), fields);
    this.blocked.appended(key);
    return entry.id;
  }

  /**
   * As the scripts' `ew_trim`: trims a stream to `maxLength` as `mode` says
   * (see `Stream.trim`), counting in `metadata` (field `trimmed_unread`) the
   * entries trimmed before a group read them. Returns that count.
   */
  trim(key: string, maxLength: number, mode: "acknowledged" | "length", metadata: string): number {
    const s = this.get(key, "stream");
    if (!s) return 0;
    const { unread } = s.trim(maxLength, mode);
    if (unread > 0) this.hincrby(metadata, "trimmed_unread", unread);
    return unread;
  }

  // ---- sorted sets, hashes, sets ----

  zadd(key: string, member: string, score: number): void {
    this.getOrCreate(key, "zset").members.set(member, score);
  }

  /** ZREM; an emptied sorted set is deleted. */
  zrem(key: string, members: readonly string[]): void {
    const z = this.get(key, "zset");
    if (!z) return;
    for (const m of members) z.members.delete(m);
    if (z.members.size === 0) this.data.delete(key);
  }

  hset(key: string, field: string, value: string): void {
    this.getOrCreate(key, "hash").fields.set(field, value);
  }

  /** HINCRBY. */
  hincrby(key: string, field: string, by: number): void {
    const fields = this.getOrCreate(key, "hash").fields;
    fields.set(field, String(Number(fields.get(field) ?? "0") + by));
  }

  hsetnx(key: string, field: string, value: string): void {
    const fields = this.getOrCreate(key, "hash").fields;
    if (!fields.has(field)) fields.set(field, value);
  }

  /** HDEL; an emptied hash is deleted. */
  hdel(key: string, field: string): void {
    const h = this.get(key, "hash");
    if (!h) return;
    h.fields.delete(field);
    if (h.fields.size === 0) this.data.delete(key);
  }

  sadd(key: string, ...members: string[]): void {
    const set = this.getOrCreate(key, "set").members;
    for (const m of members) set.add(m);
  }

  // ---- blocked readers ----

  /**
   * Blocks a reader of `stream` (that found nothing) until entries for it
   * are appended, `blockMs` milliseconds pass (0: for ever) or
   * {@link unblock} releases it; then it gets no entries.
   */
  block(stream: string, read: StreamRead, blockMs: number): Promise<StreamEntry[]> {
    return this.blocked.wait(stream, read, blockMs);
  }

  /** Makes the blocked reads `which` picks return at once, with no entries (CLIENT UNBLOCK). */
  unblock(which: (read: StreamRead) => boolean): void {
    this.blocked.release(which);
  }

  /** What a blocked read gets now: a group read has the entries delivered. */
  private serve(stream: string, read: StreamRead): StreamEntry[] {
    const s = this.data.get(stream);
    if (s?.kind !== "stream") return [];
    if ("after" in read) return s.after(read.after, read.count);
    const g = s.groups.get(read.group);
    return g ? s.deliverNew(g, read.consumer, read.count, () => this.now()) : [];
  }

  // ---- inspection ----

  /** XPENDING: the group's pending entries, in id order. */
  xpending(stream: string, group: string): PendingInfo[] {
    const g = this.findGroup(stream, group);
    const now = this.now();
    return [...(g?.pel.values() ?? [])].map((n) => ({ id: n.id, consumer: n.consumer, deliveries: n.deliveries, idleMs: now - n.deliveredAt }));
  }

  /** XINFO GROUPS: the stream's groups, by name, with their last-delivered ids. */
  xinfoGroups(stream: string): GroupInfo[] {
    const s = this.get(stream, "stream");
    if (!s) return [];
    return [...s.groups]
      .map(([name, g]) => ({ name, lastDelivered: formatId(g.lastDelivered), pending: g.pel.size, consumers: g.consumers.size }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** XINFO CONSUMERS: the group's consumers. */
  xinfoConsumers(stream: string, group: string): ConsumerInfo[] {
    const g = this.findGroup(stream, group);
    if (!g) return [];
    const now = this.now();
    const pending = g.pendingCounts();
    return [...g.consumers].map(([name, c]) => ({ name, pending: pending.get(name) ?? 0, idleMs: now - c.seenAt }));
  }

  /** ZRANGE key 0 -1 WITHSCORES: members and scores, lowest score first (members by their bytes on a tie). */
  zrangeWithScores(key: string): [string, number][] {
    const members = [...(this.get(key, "zset")?.members ?? [])];
    return members.sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** HGETALL. */
  hgetall(key: string): Map<string, string> {
    return new Map(this.get(key, "hash")?.fields ?? []);
  }

  /** SMEMBERS, sorted. */
  smembers(key: string): string[] {
    return [...(this.get(key, "set")?.members ?? [])].sort();
  }
}
