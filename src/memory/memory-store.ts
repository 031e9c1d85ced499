/**
 * {@link EntryStore} on plain in-memory data structures, with the semantics
 * of the Redis store: for unit tests of services, and for running without
 * Redis. Every operation runs to completion before any other starts (there
 * is no await inside one), so the operations the Redis store makes atomic
 * with Lua are atomic here too; and each one checks its arguments before it
 * changes anything, so a rejected call leaves the data as it was.
 *
 * The data model is that of Redis: streams with ids `<ms>-<seq>`, consumer
 * groups with a last-delivered id and a pending entries list (PEL) of
 * id → owner, delivery count and last delivery time; sorted sets, hashes and
 * sets for the `:expiry`, metadata, registry and subscriptions keys; one type
 * per key (`WRONGTYPE` otherwise). Errors carry Redis's own messages
 * (`NOGROUP …`, `ERR Invalid stream ID …`), so that code telling errors
 * apart by their text works with both stores.
 *
 * Where Redis's behaviour depends on its internals, this store follows the
 * simplest faithful reading:
 * - `MAXLEN ~ n` trims exactly to `n` entries (Redis trims whole nodes and
 *   may keep more).
 * - `lag` is always known: the number of entries after the group's
 *   last-delivered id (Redis estimates it and may report null, and counts
 *   entries trimmed before they were delivered).
 * - Consumers come into being, and their idle time is reset, when an entry
 *   is delivered to them or claimed by them (XREADGROUP, XCLAIM, XAUTOCLAIM
 *   as Redis 7.0 does it); an empty read or claim leaves them alone.
 *
 * Time: ids, idle times and ages come from the `now` option (default
 * `Date.now`), so tests can age entries without sleeping; how long
 * {@link MemoryStore.readNew} waits is real time.
 */
import { formatPythonFloat } from "../index.js";
import { queueNames, readSubscriptions, subscriptionQueue, subscriptionsKey, type QueueKeys } from "../transport/leanmq/keys.js";
import { TransportError, type ClaimOne, type ClaimResult, type DeliveredEntry, type EntryStore, type OutgoingEntry, type QueueInfo, type RouteEntry, type StreamEntry } from "../transport/index.js";

export interface MemoryStoreOptions {
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** One entry of a group's pending list, as XPENDING reports it. */
export interface PendingInfo {
  readonly id: string;
  readonly consumer: string;
  /** Times delivered, the first delivery included. */
  readonly deliveries: number;
  /** Milliseconds since the last delivery (or touch). */
  readonly idleMs: number;
}

/** One consumer of a group, as XINFO CONSUMERS reports it. */
export interface ConsumerInfo {
  readonly name: string;
  /** Entries pending to it. */
  readonly pending: number;
  /** Milliseconds since an entry was last delivered to it or claimed by it. */
  readonly idleMs: number;
}

const MAX_PART = (1n << 64n) - 1n;

interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

const ZERO_ID: StreamId = { ms: 0n, seq: 0n };
const MAX_ID: StreamId = { ms: MAX_PART, seq: MAX_PART };

function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

const ID_PATTERN = /^(\d+)(?:-(\d+))?$/;

function invalidId(): Error {
  return new Error("ERR Invalid stream ID specified as stream command argument");
}

/** `<ms>-<seq>` or `<ms>` (sequence `missingSeq`), as Redis parses an id. */
function parseId(text: string, missingSeq: bigint): StreamId {
  const m = ID_PATTERN.exec(text);
  if (!m) throw invalidId();
  const ms = BigInt(m[1]!);
  const seq = m[2] === undefined ? missingSeq : BigInt(m[2]);
  if (ms > MAX_PART || seq > MAX_PART) throw invalidId();
  return { ms, seq };
}

/** An id where Redis takes one exactly (XACK, XDEL, XCLAIM): no `-` or `+`. */
function strictId(text: string): StreamId {
  return parseId(text, 0n);
}

/** The start (or, `end`, the end) of an interval: `-`, `+`, an id, `(id` for an exclusive bound. */
function intervalId(text: string, end: boolean): StreamId {
  if (text === "-") return ZERO_ID;
  if (text === "+") return MAX_ID;
  if (text.startsWith("(")) {
    const id = parseId(text.slice(1), end ? MAX_PART : 0n);
    if (end) {
      if (id.seq > 0n) return { ms: id.ms, seq: id.seq - 1n };
      if (id.ms > 0n) return { ms: id.ms - 1n, seq: MAX_PART };
      throw new Error("ERR invalid end ID for the interval");
    }
    if (id.seq < MAX_PART) return { ms: id.ms, seq: id.seq + 1n };
    if (id.ms < MAX_PART) return { ms: id.ms + 1n, seq: 0n };
    throw new Error("ERR invalid start ID for the interval");
  }
  return parseId(text, end ? MAX_PART : 0n);
}

interface StoredEntry {
  readonly id: string;
  readonly sid: StreamId;
  /** Field names and values, alternating, as written. */
  readonly pairs: readonly Buffer[];
}

interface Nack {
  readonly id: string;
  readonly sid: StreamId;
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

interface Consumer {
  seenAt: number;
}

interface Group {
  lastDelivered: StreamId;
  /**
   * Pending entries by id. Map order is id order: entries join the list only
   * when first delivered, and a delivery is always of ids above every id
   * delivered before.
   */
  readonly pel: Map<string, Nack>;
  readonly consumers: Map<string, Consumer>;
}

interface StreamValue {
  readonly kind: "stream";
  /** Entries in id order. */
  entries: StoredEntry[];
  readonly byId: Map<string, StoredEntry>;
  /** The last id ever added (kept when that entry is deleted or trimmed). */
  lastId: StreamId;
  readonly groups: Map<string, Group>;
}

interface ZSetValue {
  readonly kind: "zset";
  readonly members: Map<string, number>;
}

interface HashValue {
  readonly kind: "hash";
  readonly fields: Map<string, string>;
}

interface SetValue {
  readonly kind: "set";
  readonly members: Set<string>;
}

type Value = StreamValue | ZSetValue | HashValue | SetValue;
type Kind = Value["kind"];
type ValueOf<K extends Kind> = Extract<Value, { kind: K }>;

function wrongType(): Error {
  return new Error("WRONGTYPE Operation against a key holding the wrong kind of value");
}

function noGroup(stream: string, group: string, suffix = ""): Error {
  return new Error(`NOGROUP No such key '${stream}' or consumer group '${group}'${suffix}`);
}

/** The bytes of a field name or value, copied. */
function bytes(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(String(value), "utf8");
}

/** Checks an XADD's fields as Redis does: at least one name/value pair. */
function checkFields(fields: readonly (string | Buffer)[]): void {
  if (fields.length === 0 || fields.length % 2 !== 0) throw new Error("ERR wrong number of arguments for 'xadd' command");
}

function checkMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength)) throw new Error("ERR value is not an integer or out of range");
  if (maxLength < 0) throw new Error("ERR The MAXLEN argument must be >= 0.");
}

function checkExpiry(expireAt: number | null): void {
  if (expireAt !== null && Number.isNaN(expireAt)) throw new Error("ERR value is not a valid float");
}

function checkInteger(value: number, what = "value"): void {
  if (!Number.isSafeInteger(value)) throw new Error(`ERR ${what} is not an integer or out of range`);
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

function toStreamEntry(entry: StoredEntry): StreamEntry {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < entry.pairs.length; i += 2) fields.set(entry.pairs[i]!.toString("utf8"), Buffer.from(entry.pairs[i + 1]!));
  return { id: entry.id, fields };
}

/** The event types a subscription's JSON names, as the ROUTE script reads it: strings of a JSON array; undefined when it is not one. */
function subscribedTypes(json: string): Set<string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  // the script keeps any JSON object, but only the strings of an array can match an event type
  return new Set(Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string") : []);
}

interface Waiter {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  readonly resolve: (entries: StreamEntry[]) => void;
  timer: NodeJS.Timeout | undefined;
}

/** {@link EntryStore} in memory, with the semantics of the Redis store. See the module comment. */
export class MemoryStore implements EntryStore {
  private readonly data = new Map<string, Value>();
  private readonly clock: () => number;
  private readonly waiters: Waiter[] = [];
  private readonly wakeups = new Set<string>();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.now ?? Date.now;
  }

  /** The clock in whole milliseconds. */
  private now(): number {
    const t = this.clock();
    return Number.isFinite(t) ? Math.floor(t) : 0;
  }

  // ---- keys and types ----

  private get<K extends Kind>(key: string, kind: K): ValueOf<K> | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (value.kind !== kind) throw wrongType();
    return value as ValueOf<K>;
  }

  /** Throws WRONGTYPE when `key` holds a value of another kind. */
  private checkType(key: string, kind: Kind): void {
    this.get(key, kind);
  }

  private stream(key: string): StreamValue {
    let s = this.get(key, "stream");
    if (!s) {
      s = { kind: "stream", entries: [], byId: new Map(), lastId: ZERO_ID, groups: new Map() };
      this.data.set(key, s);
    }
    return s;
  }

  private zset(key: string): ZSetValue {
    let z = this.get(key, "zset");
    if (!z) {
      z = { kind: "zset", members: new Map() };
      this.data.set(key, z);
    }
    return z;
  }

  private hashOf(key: string): HashValue {
    let h = this.get(key, "hash");
    if (!h) {
      h = { kind: "hash", fields: new Map() };
      this.data.set(key, h);
    }
    return h;
  }

  private setOf(key: string): SetValue {
    let s = this.get(key, "set");
    if (!s) {
      s = { kind: "set", members: new Set() };
      this.data.set(key, s);
    }
    return s;
  }

  private zrem(key: string, members: readonly string[]): void {
    const z = this.get(key, "zset");
    if (!z) return;
    for (const m of members) z.members.delete(m);
    if (z.members.size === 0) this.data.delete(key);
  }

  private hdel(key: string, field: string): void {
    const h = this.get(key, "hash");
    if (!h) return;
    h.fields.delete(field);
    if (h.fields.size === 0) this.data.delete(key);
  }

  /** The group, or a NOGROUP error as Redis words it for the command. */
  private group(stream: string, group: string, suffix = ""): { s: StreamValue; g: Group } {
    const s = this.get(stream, "stream");
    const g = s?.groups.get(group);
    if (!s || !g) throw noGroup(stream, group, suffix);
    return { s, g };
  }

  // ---- stream primitives ----

  /** The next id of a stream, as XADD `*` makes it: the clock, or one past the last id when the clock is not ahead of it. */
  private nextId(s: StreamValue): StreamId {
    const ms = BigInt(Math.max(0, this.now()));
    const last = s.lastId;
    if (ms > last.ms) return { ms, seq: 0n };
    if (last.seq < MAX_PART) return { ms: last.ms, seq: last.seq + 1n };
    if (last.ms < MAX_PART) return { ms: last.ms + 1n, seq: 0n };
    throw new Error("ERR The stream has exhausted the last possible ID, unable to add more items");
  }

  /** XADD key MAXLEN ~ maxLength * fields… (arguments already checked). */
  private xadd(key: string, fields: readonly (string | Buffer)[], maxLength: number): string {
    const s = this.stream(key);
    const sid = this.nextId(s);
    const entry: StoredEntry = { id: formatId(sid), sid, pairs: fields.map(bytes) };
    s.entries.push(entry);
    s.byId.set(entry.id, entry);
    s.lastId = sid;
    if (s.entries.length > maxLength) {
      for (const gone of s.entries.splice(0, s.entries.length - maxLength)) s.byId.delete(gone.id);
    }
    this.scheduleWakeup(key);
    return entry.id;
  }

  private xdel(s: StreamValue, id: string): boolean {
    const entry = s.byId.get(id);
    if (!entry) return false;
    s.byId.delete(id);
    const i = lowerBound(s.entries, entry.sid);
    s.entries.splice(i, 1);
    return true;
  }

  private consumer(g: Group, name: string, now: number): void {
    const c = g.consumers.get(name);
    if (c) c.seenAt = now;
    else g.consumers.set(name, { seenAt: now });
  }

  /** XREADGROUP … `>`: entries after the last-delivered id, now pending to `consumer` with one delivery. */
  private deliverNew(s: StreamValue, g: Group, consumer: string, count: number): StreamEntry[] {
    const start = lowerBound(s.entries, g.lastDelivered, true);
    const end = count > 0 ? Math.min(s.entries.length, start + count) : s.entries.length;
    if (start >= end) return [];
    const now = this.now();
    this.consumer(g, consumer, now);
    const out: StreamEntry[] = [];
    for (const entry of s.entries.slice(start, end)) {
      g.pel.set(entry.id, { id: entry.id, sid: entry.sid, consumer, deliveries: 1, deliveredAt: now });
      g.lastDelivered = entry.sid;
      out.push(toStreamEntry(entry));
    }
    return out;
  }

  // ---- blocking reads ----

  private scheduleWakeup(stream: string): void {
    if (this.wakeups.has(stream) || !this.waiters.some((w) => w.stream === stream)) return;
    this.wakeups.add(stream);
    // after the operation that appended has finished, as Redis serves blocked clients after a command
    queueMicrotask(() => {
      this.wakeups.delete(stream);
      this.serveWaiters(stream);
    });
  }

  /** Serves readers blocked on `stream`, oldest first, while there is something new for them. */
  private serveWaiters(stream: string): void {
    for (const w of [...this.waiters]) {
      if (w.stream !== stream) continue;
      const s = this.get(stream, "stream");
      const g = s?.groups.get(w.group);
      if (!s || !g) continue;
      const got = this.deliverNew(s, g, w.consumer, w.count);
      if (got.length > 0) this.release(w, got);
    }
  }

  private release(w: Waiter, entries: StreamEntry[]): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.resolve(entries);
  }

  // ---- EntryStore ----

  async ensureQueue(keys: QueueKeys): Promise<void> {
    for (const key of [keys.stream, keys.dlq]) this.checkType(key, "stream");
    this.checkType(keys.registry, "set");
    this.checkType(keys.streamMetadata, "hash");
    this.checkType(keys.dlqMetadata, "hash");
    const now = formatPythonFloat(this.now() / 1000);
    for (const [key, group] of [
      [keys.stream, keys.group],
      [keys.dlq, keys.dlqGroup],
    ] as const) {
      const s = this.stream(key);
      if (!s.groups.has(group)) s.groups.set(group, { lastDelivered: s.lastId, pel: new Map(), consumers: new Map() });
    }
    const registry = this.setOf(keys.registry);
    registry.members.add(keys.stream);
    registry.members.add(keys.dlq);
    const meta = this.hashOf(keys.streamMetadata).fields;
    if (!meta.has("created_at")) meta.set("created_at", now);
    meta.set("dlq", keys.dlq);
    meta.set("consumer_group", keys.group);
    const dlqMeta = this.hashOf(keys.dlqMetadata).fields;
    if (!dlqMeta.has("created_at")) dlqMeta.set("created_at", now);
    dlqMeta.set("main_queue", keys.stream);
    dlqMeta.set("consumer_group", keys.dlqGroup);
    dlqMeta.set("is_dlq", "true");
  }

  async hasQueue(keys: QueueKeys): Promise<boolean> {
    return this.get(keys.registry, "set")?.members.has(keys.stream) ?? false;
  }

  async listQueues(prefix: string): Promise<string[]> {
    return queueNames(this.get(prefix + "registry", "set")?.members ?? [], prefix);
  }

  async append(entries: readonly OutgoingEntry[], _atomic: boolean, maxLength: number): Promise<string[]> {
    if (entries.length === 0) return [];
    checkMaxLength(maxLength);
    for (const e of entries) {
      checkFields(e.fields);
      checkExpiry(e.expireAt);
      this.checkType(e.stream, "stream");
      if (e.expireAt !== null) this.checkType(e.stream + ":expiry", "zset");
    }
    return entries.map((e) => {
      const id = this.xadd(e.stream, e.fields, maxLength);
      if (e.expireAt !== null) this.zset(e.stream + ":expiry").members.set(id, e.expireAt);
      return id;
    });
  }

  /**
   * New entries for the group, as XREADGROUP `>` delivers them. With none,
   * waits up to `blockMs` (0: until entries arrive, as `BLOCK 0`) for some,
   * returning as soon as they are appended; after {@link close}, it does not
   * wait.
   */
  async readNew(keys: QueueKeys, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    if (this.closed) throw new TransportError("closed", "the memory store is closed");
    checkInteger(count);
    checkInteger(blockMs, "timeout");
    if (blockMs < 0) throw new Error("ERR timeout is negative");
    const { s, g } = this.group(keys.stream, keys.group, " in XREADGROUP with GROUP option");
    const got = this.deliverNew(s, g, consumer, count);
    if (got.length > 0) return got;
    return new Promise((resolve) => {
      const waiter: Waiter = { stream: keys.stream, group: keys.group, consumer, count, resolve, timer: undefined };
      if (blockMs > 0) waiter.timer = setTimeout(() => this.release(waiter, []), blockMs);
      this.waiters.push(waiter);
    });
  }

  async claimIdle(keys: QueueKeys, consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ClaimResult> {
    const minIdle = Math.max(0, Math.floor(minIdleMs));
    checkInteger(count);
    if (count <= 0) throw new Error("ERR COUNT must be > 0");
    if (cursor.startsWith("(")) throw invalidId();
    const start = intervalId(cursor, false);
    const { s, g } = this.group(keys.stream, keys.group);
    const now = this.now();
    const walk = [...g.pel.values()].filter((n) => compareIds(n.sid, start) >= 0);
    // XAUTOCLAIM: at most count entries claimed or found deleted, looking at no more than ten times count
    let attempts = count * 10;
    let left = count;
    let i = 0;
    const entries: DeliveredEntry[] = [];
    const deleted: string[] = [];
    while (attempts > 0 && left > 0 && i < walk.length) {
      attempts--;
      const nack = walk[i++]!;
      const entry = s.byId.get(nack.id);
      if (!entry) {
        g.pel.delete(nack.id);
        deleted.push(nack.id);
        left--;
        continue;
      }
      if (minIdle > 0 && now - nack.deliveredAt < minIdle) continue;
      this.consumer(g, consumer, now);
      nack.consumer = consumer;
      nack.deliveries++;
      nack.deliveredAt = now;
      entries.push({ ...toStreamEntry(entry), deliveries: nack.deliveries });
      left--;
    }
    const next = i < walk.length ? walk[i]!.id : "0-0";
    return { entries, deleted, next };
  }

  async claimOne(keys: QueueKeys, consumer: string, id: string, minIdleMs: number): Promise<ClaimOne> {
    const minIdle = Math.max(0, Math.floor(minIdleMs));
    const sid = intervalId(id, false);
    const { s, g } = this.group(keys.stream, keys.group);
    const nack = g.pel.get(formatId(sid));
    if (!nack || nack.consumer !== consumer) return { status: "gone" };
    const entry = s.byId.get(nack.id);
    if (!entry) {
      g.pel.delete(nack.id);
      return { status: "deleted" };
    }
    const now = this.now();
    if (minIdle > 0 && now - nack.deliveredAt < minIdle) return { status: "gone" };
    this.consumer(g, consumer, now);
    nack.deliveries++;
    nack.deliveredAt = now;
    return { status: "claimed", entry: { ...toStreamEntry(entry), deliveries: nack.deliveries } };
  }

  async touch(keys: QueueKeys, consumer: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const sids = ids.map((id) => intervalId(id, false));
    const { s, g } = this.group(keys.stream, keys.group);
    const now = this.now();
    for (const sid of sids) {
      const nack = g.pel.get(formatId(sid));
      if (!nack || nack.consumer !== consumer) continue;
      if (!s.byId.has(nack.id)) {
        // XCLAIM drops a pending entry whose stream entry is gone
        g.pel.delete(nack.id);
        continue;
      }
      this.consumer(g, consumer, now);
      nack.deliveredAt = now;
    }
  }

  async ack(keys: QueueKeys, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const sids = ids.map(strictId);
    this.checkType(keys.streamExpiry, "zset");
    const g = this.get(keys.stream, "stream")?.groups.get(keys.group);
    let acked = 0;
    if (g) for (const sid of sids) if (g.pel.delete(formatId(sid))) acked++;
    this.zrem(keys.streamExpiry, ids);
    return acked;
  }

  async deadLetter(
    keys: QueueKeys,
    consumer: string,
    id: string,
    fields: readonly (string | Buffer)[],
    maxLength: number,
  ): Promise<string | undefined> {
    const sid = intervalId(id, false);
    const { g } = this.group(keys.stream, keys.group);
    const nack = g.pel.get(formatId(sid));
    if (!nack || nack.consumer !== consumer) return undefined;
    checkMaxLength(maxLength);
    checkFields(fields);
    this.checkType(keys.dlq, "stream");
    this.checkType(keys.streamExpiry, "zset");
    const dlqId = this.xadd(keys.dlq, fields, maxLength);
    g.pel.delete(nack.id);
    this.zrem(keys.streamExpiry, [id]);
    return dlqId;
  }

  async requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], maxLength: number): Promise<string | undefined> {
    const sid = intervalId(id, false);
    const dlq = this.get(keys.dlq, "stream");
    const key = formatId(sid);
    if (!dlq?.byId.has(key)) return undefined;
    checkMaxLength(maxLength);
    checkFields(fields);
    this.checkType(keys.stream, "stream");
    this.checkType(keys.dlqExpiry, "zset");
    const newId = this.xadd(keys.stream, fields, maxLength);
    this.xdel(dlq, key);
    this.zrem(keys.dlqExpiry, [id]);
    return newId;
  }

  async rangeReverse(stream: string, end: string, start: string, count: number): Promise<StreamEntry[]> {
    const all = await this.range(stream, start, end, Number.MAX_SAFE_INTEGER);
    return all.reverse().slice(0, Math.max(0, count));
  }

  async readAfter(stream: string, after: string, count: number, _blockMs: number): Promise<StreamEntry[]> {
    return this.range(stream, "(" + after, "+", count);
  }

  async lastId(stream: string): Promise<string | undefined> {
    const entries = this.get(stream, "stream")?.entries;
    return entries?.at(-1)?.id;
  }

  async range(stream: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    const from = intervalId(start, false);
    const to = intervalId(end, true);
    checkInteger(count);
    const s = this.get(stream, "stream");
    if (!s || count <= 0) return [];
    const out: StreamEntry[] = [];
    for (let i = lowerBound(s.entries, from); i < s.entries.length && out.length < count; i++) {
      const entry = s.entries[i]!;
      if (compareIds(entry.sid, to) > 0) break;
      out.push(toStreamEntry(entry));
    }
    return out;
  }

  async deleteEntries(stream: string, ids: readonly string[], group?: string): Promise<number> {
    if (ids.length === 0) return 0;
    const keys = ids.map((id) => formatId(strictId(id)));
    this.checkType(stream + ":expiry", "zset");
    const s = this.get(stream, "stream");
    let deleted = 0;
    if (s) {
      const g = group === undefined ? undefined : s.groups.get(group);
      if (g) for (const key of keys) g.pel.delete(key);
      for (const key of keys) if (this.xdel(s, key)) deleted++;
    }
    this.zrem(stream + ":expiry", ids);
    return deleted;
  }

  async info(keys: QueueKeys): Promise<QueueInfo> {
    const s = this.get(keys.stream, "stream");
    const dlq = this.get(keys.dlq, "stream");
    const g = s?.groups.get(keys.group);
    const first = s?.entries[0];
    return {
      name: keys.name,
      stream: keys.stream,
      length: s?.entries.length ?? 0,
      pending: g?.pel.size ?? 0,
      consumers: g?.consumers.size ?? 0,
      lag: s && g ? s.entries.length - lowerBound(s.entries, g.lastDelivered, true) : null,
      dlqLength: dlq?.entries.length ?? 0,
      oldestAgeMs: first ? Math.max(0, this.now() - Number(first.sid.ms)) : null,
    };
  }

  async setSubscription(prefix: string, service: string, eventTypes: readonly string[] | null): Promise<void> {
    const key = subscriptionsKey(prefix);
    if (eventTypes === null) this.hdel(key, service);
    else this.hashOf(key).fields.set(service, JSON.stringify(eventTypes));
  }

  async subscriptions(prefix: string): Promise<Map<string, string[]>> {
    return readSubscriptions(this.get(subscriptionsKey(prefix), "hash")?.fields ?? []);
  }

  async route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], maxLength: number): Promise<number[]> {
    if (entries.length === 0) return [];
    const wants: [string, Set<string>][] = [];
    for (const [service, json] of this.get(subscriptionsKey(keys.prefix), "hash")?.fields ?? []) {
      const types = subscribedTypes(json);
      if (types) wants.push([keys.prefix + subscriptionQueue(service), types]);
    }
    const { g } = this.group(keys.stream, keys.group);
    this.checkType(keys.streamExpiry, "zset");
    // First what the script would do, checking what it would be given on the way; then do it.
    const taken = new Set<string>();
    const steps = entries.map((e) => {
      const nack = g.pel.get(formatId(intervalId(e.id, false)));
      if (!nack || nack.consumer !== consumer || taken.has(nack.id)) return undefined;
      taken.add(nack.id);
      const queues = wants.filter(([, types]) => types.has("*") || types.has(e.eventType)).map(([queue]) => queue);
      if (queues.length > 0) {
        checkMaxLength(maxLength);
        checkFields(e.fields);
        checkExpiry(e.expireAt);
        for (const queue of queues) {
          this.checkType(queue, "stream");
          if (e.expireAt !== null) this.checkType(queue + ":expiry", "zset");
        }
      }
      return { entry: e, nack, queues };
    });
    for (const step of steps) {
      if (!step) continue;
      for (const queue of step.queues) {
        const id = this.xadd(queue, step.entry.fields, maxLength);
        if (step.entry.expireAt !== null) this.zset(queue + ":expiry").members.set(id, step.entry.expireAt);
      }
      g.pel.delete(step.nack.id);
      this.zrem(keys.streamExpiry, [step.entry.id]);
    }
    return steps.map((step) => (step ? step.queues.length : -1));
  }

  async leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean> {
    const g = this.get(keys.stream, "stream")?.groups.get(keys.group);
    if (!g || !g.consumers.has(consumer)) return false;
    for (const nack of g.pel.values()) if (nack.consumer === consumer) return false;
    g.consumers.delete(consumer);
    return true;
  }

  async pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number> {
    const g = this.get(keys.stream, "stream")?.groups.get(keys.group);
    if (!g) return 0;
    const now = this.now();
    const pending = new Map<string, number>();
    for (const nack of g.pel.values()) pending.set(nack.consumer, (pending.get(nack.consumer) ?? 0) + 1);
    let removed = 0;
    for (const [name, c] of [...g.consumers]) {
      if (name === keep || (pending.get(name) ?? 0) > 0 || now - c.seenAt < minIdleMs) continue;
      g.consumers.delete(name);
      removed++;
    }
    return removed;
  }

  /** This store: blocking reads wait on the same data. */
  async forBlockingReads(): Promise<EntryStore> {
    return this;
  }

  /**
   * Releases the readers waiting in {@link readNew}, which return no
   * entries; from then on reads do not wait. The data stays readable (the
   * store is its own blocking reader, so closing that must not lose it).
   */
  /** Makes the waiting reads of `consumer` return at once, with nothing. */
  async wake(consumer: string): Promise<void> {
    for (const w of [...this.waiters]) if (w.consumer === consumer) this.release(w, []);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) this.release(w, []);
  }

  // ---- inspection, for tests ----

  /** The pending entries of `group` on `stream`, in id order (XPENDING). */
  pendingEntries(stream: string, group: string): PendingInfo[] {
    const g = this.get(stream, "stream")?.groups.get(group);
    const now = this.now();
    return [...(g?.pel.values() ?? [])].map((n) => ({ id: n.id, consumer: n.consumer, deliveries: n.deliveries, idleMs: now - n.deliveredAt }));
  }

  /** The consumers of `group` on `stream` (XINFO CONSUMERS). */
  consumerInfo(stream: string, group: string): ConsumerInfo[] {
    const g = this.get(stream, "stream")?.groups.get(group);
    if (!g) return [];
    const now = this.now();
    const pending = new Map<string, number>();
    for (const nack of g.pel.values()) pending.set(nack.consumer, (pending.get(nack.consumer) ?? 0) + 1);
    return [...g.consumers].map(([name, c]) => ({ name, pending: pending.get(name) ?? 0, idleMs: now - c.seenAt }));
  }

  /** Members and scores of a sorted set (an `:expiry` set), lowest score first (ZRANGE … WITHSCORES). */
  sortedSet(key: string): [string, number][] {
    const members = [...(this.get(key, "zset")?.members ?? [])];
    return members.sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** The fields of a hash (HGETALL). */
  hash(key: string): Map<string, string> {
    return new Map(this.get(key, "hash")?.fields ?? []);
  }

  /** The members of a set, sorted (SMEMBERS). */
  setMembers(key: string): string[] {
    return [...(this.get(key, "set")?.members ?? [])].sort();
  }
}
