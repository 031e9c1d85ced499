/**
 * {@link EntryStore} on plain in-memory data structures, with the semantics
 * of the Redis store: for unit tests of services, and for running without
 * Redis. Every operation runs to completion before any other starts (there
 * is no await inside one), so the operations the Redis store makes atomic
 * with Lua are atomic here too; and each one checks its arguments before it
 * changes anything, so a rejected call leaves the data as it was.
 *
 * Each operation does, on a model of Redis's data (keyspace.ts: streams,
 * consumer groups and their pending entries lists, sorted sets, hashes and
 * sets, one type per key, blocked readers), what the Redis store's command
 * or Lua script does, in LeanMQ's key layout; the methods follow the order
 * of redis-store.ts. Errors carry Redis's own messages (`NOGROUP …`,
 * `ERR Invalid stream ID …`), so that code telling errors apart by their
 * text works with both stores. Where the model simplifies Redis (a lag
 * always known, when consumers come into being) is listed in keyspace.ts.
 *
 * Time: ids, idle times and ages come from the `now` option (default
 * `Date.now`), so tests can age entries without sleeping; how long
 * {@link MemoryStore.readNew} and {@link MemoryStore.readAfter} wait is
 * real time.
 */
import { formatPythonFloat } from "../index.js";
import { parkedFields, shortName, subscribedTypes } from "../transport/leanmq/routing.js";
import { PartitionField, queueKeys, queueNames, readSubscriptions, SchemaField, schemaIndexKey, schemaKey, subscriptionQueue, subscriptionsKey, type KeyLayout, type QueueKeys } from "../transport/leanmq/keys.js";
import {
  checkPartitionCount,
  partitionCount,
  TransportError,
  type AppendResult,
  type ClaimOne,
  type ClaimResult,
  type DeliveredEntry,
  type EntryStore,
  type NewSchema,
  type OutgoingEntry,
  type PartitionCount,
  type QueueInfo,
  type QueueKeys as Keys,
  type RouteEntry,
  type RouteResult,
  type Routed,
  type SchemaAdded,
  type StoredSchema,
  type StreamEntry,
  type StreamLimits,
} from "../transport/index.js";
import { Keyspace, type ConsumerInfo, type GroupInfo, type PendingInfo } from "./keyspace.js";
import { checkExpiry, checkFields, checkInteger, checkMaxLength, checkTimeout, invalidId, refused } from "./redis-errors.js";
import { compareIds, formatId, intervalId, strictId } from "./stream-id.js";
import { toStreamEntry } from "./stream.js";

export type { ConsumerInfo, GroupInfo, PendingInfo } from "./keyspace.js";

export interface MemoryStoreOptions {
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The key layout to keep: LeanMQ's, or Redis Cluster's (a hash tag per
   * queue), whose rules it then follows too — a transaction stays within one
   * queue. For trying code meant for a cluster.
   * @defaultValue "leanmq"
   */
  readonly layout?: KeyLayout;
}

/** Why a key cannot take a write of type `kind`, as the scripts' `ew_type_error` words it, or undefined. */
function typeProblem(data: Keyspace, key: string, kind: "stream" | "zset" | "hash"): string | undefined {
  const value = data.kindOf(key);
  return value === undefined || value === kind ? undefined : `WRONGTYPE ${key} holds a ${value}, not a ${kind}`;
}

/** {@link EntryStore} in memory, with the semantics of the Redis store. See the module comment. */
export class MemoryStore implements EntryStore {
  private readonly data: Keyspace;
  private closed = false;
  readonly layout: KeyLayout;
  readonly crossQueueAtomic: boolean;

  constructor(options: MemoryStoreOptions = {}) {
    this.data = new Keyspace(options.now ?? Date.now);
    this.layout = options.layout ?? "leanmq";
    if (this.layout !== "leanmq" && this.layout !== "cluster") {
      throw new TransportError("invalid-option", `layout must be "leanmq" or "cluster", got ${String(this.layout)}`);
    }
    this.crossQueueAtomic = this.layout === "leanmq";
  }

  async partitions(keys: QueueKeys): Promise<PartitionCount> {
    const fields = this.data.get(keys.streamMetadata, "hash")?.fields;
    return partitionCount(fields?.get(PartitionField.count), fields?.get(PartitionField.highest));
  }

  async setPartitions(keys: QueueKeys, count: number): Promise<PartitionCount> {
    checkPartitionCount(count);
    this.data.checkType(keys.streamMetadata, "hash");
    const now = await this.partitions(keys);
    const highest = Math.max(now.highest, count);
    this.data.hset(keys.streamMetadata, PartitionField.count, String(count));
    this.data.hset(keys.streamMetadata, PartitionField.highest, String(highest));
    return { count, highest };
  }

  /** The queue pair as LeanMQ makes it: both streams with their groups (at the start), the registry, the metadata hashes. */
  async ensureQueue(keys: QueueKeys, options: { readonly reset?: boolean } = {}): Promise<boolean> {
    for (const key of [keys.stream, keys.dlq]) this.data.checkType(key, "stream");
    this.data.checkType(keys.registry, "set");
    this.data.checkType(keys.streamMetadata, "hash");
    this.data.checkType(keys.dlqMetadata, "hash");
    const now = formatPythonFloat(this.data.now() / 1000);
    const made = this.data.createGroup(keys.stream, keys.group);
    this.data.createGroup(keys.dlq, keys.dlqGroup);
    this.data.sadd(keys.registry, keys.stream, keys.dlq);
    this.data.hsetnx(keys.streamMetadata, "created_at", now);
    this.data.hset(keys.streamMetadata, "dlq", keys.dlq);
    this.data.hset(keys.streamMetadata, "consumer_group", keys.group);
    this.data.hsetnx(keys.dlqMetadata, "created_at", now);
    this.data.hset(keys.dlqMetadata, "main_queue", keys.stream);
    this.data.hset(keys.dlqMetadata, "consumer_group", keys.dlqGroup);
    this.data.hset(keys.dlqMetadata, "is_dlq", "true");
    if (options.reset && made) this.data.hincrby(keys.streamMetadata, "resets", 1);
    return made;
  }

  async hasQueue(keys: QueueKeys): Promise<boolean> {
    return this.data.get(keys.registry, "set")?.members.has(keys.stream) ?? false;
  }

  async listQueues(prefix: string): Promise<string[]> {
    return queueNames(this.data.get(prefix + "registry", "set")?.members ?? [], prefix);
  }

  /**
   * As the append scripts: every key checked first; a stream that is gone
   * comes back with its group at the start; XADD per entry, and ZADD of its
   * expiry; then each stream trimmed. Always all or none.
   */
  async append(entries: readonly OutgoingEntry[], _atomic: boolean, limits: StreamLimits): Promise<AppendResult> {
    if (entries.length === 0) return { ids: [], revived: [], trimmedUnread: 0 };
    checkMaxLength(limits.maxLength);
    // in the order the append scripts check them, so that the same refusal comes first
    for (const e of entries) {
      checkFields(e.fields);
      const problem = typeProblem(this.data, e.keys.stream, "stream") ?? typeProblem(this.data, e.keys.streamMetadata, "hash");
      if (problem) throw refused(problem);
      checkExpiry(e.expireAt);
      const expiryProblem = e.expireAt === null ? undefined : typeProblem(this.data, e.keys.streamExpiry, "zset");
      if (expiryProblem) throw refused(expiryProblem);
    }
    const streams = new Map<string, Keys>();
    const revived: Keys[] = [];
    const ids = entries.map((e) => {
      if (!streams.has(e.keys.stream)) {
        streams.set(e.keys.stream, e.keys);
        if (this.data.revive(e.keys.stream, e.keys.group, e.keys.streamMetadata)) revived.push(e.keys);
      }
      const id = this.data.xadd(e.keys.stream, e.fields);
      if (e.expireAt !== null) this.data.zadd(e.keys.streamExpiry, id, e.expireAt);
      return id;
    });
    let trimmedUnread = 0;
    for (const keys of streams.values()) trimmedUnread += this.data.trim(keys.stream, limits.maxLength, limits.trim, keys.streamMetadata);
    return { ids, revived, trimmedUnread };
  }

  /**
   * New entries for the group, as XREADGROUP `>` delivers them. With none,
   * waits up to `blockMs` (0: until entries arrive, as `BLOCK 0`) for some,
   * returning as soon as they are appended; after {@link close}, it fails
   * as closed instead of waiting.
   */
  async readNew(keys: QueueKeys, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    if (this.closed) throw new TransportError("closed", "the memory store is closed");
    checkInteger(count);
    checkTimeout(blockMs);
    const { s, g } = this.data.group(keys.stream, keys.group, " in XREADGROUP with GROUP option");
    const got = s.deliverNew(g, consumer, count, () => this.data.now());
    if (got.length > 0) return got;
    return this.data.block(keys.stream, { group: keys.group, consumer, count }, blockMs);
  }

  /** XAUTOCLAIM, as the claim-idle script: at most `count` entries claimed or found deleted, looking at no more than ten times `count`. */
  async claimIdle(keys: QueueKeys, consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ClaimResult> {
    const minIdle = Math.max(0, Math.floor(minIdleMs));
    checkInteger(count);
    if (count <= 0) throw refused("ERR COUNT must be > 0");
    if (cursor.startsWith("(")) throw invalidId();
    const start = intervalId(cursor, false);
    const { s, g } = this.data.group(keys.stream, keys.group);
    const now = this.data.now();
    const walk = [...g.pel.values()].filter((n) => compareIds(n.sid, start) >= 0);
    let attempts = count * 10;
    let left = count;
    let i = 0;
    const entries: DeliveredEntry[] = [];
    const deleted: string[] = [];
    while (attempts > 0 && left > 0 && i < walk.length) {
      attempts--;
      const nack = walk[i++]!;
      const entry = s.entry(nack.id);
      if (!entry) {
        g.pel.delete(nack.id);
        deleted.push(nack.id);
        left--;
        continue;
      }
      if (minIdle > 0 && now - nack.deliveredAt < minIdle) continue;
      g.claim(nack, consumer, now);
      entries.push({ ...toStreamEntry(entry), deliveries: nack.deliveries });
      left--;
    }
    const next = i < walk.length ? walk[i]!.id : "0-0";
    return { entries, deleted, next };
  }

  /** As the claim-one script: XCLAIM of an entry pending to `consumer` itself, dropping it when its entry is gone. */
  async claimOne(keys: QueueKeys, consumer: string, id: string, minIdleMs: number): Promise<ClaimOne> {
    const minIdle = Math.max(0, Math.floor(minIdleMs));
    const sid = intervalId(id, false);
    const { s, g } = this.data.group(keys.stream, keys.group);
    const nack = g.pel.get(formatId(sid));
    if (!nack || nack.consumer !== consumer) return { status: "gone" };
    const entry = s.entry(nack.id);
    if (!entry) {
      g.pel.delete(nack.id);
      return { status: "deleted" };
    }
    const now = this.data.now();
    if (minIdle > 0 && now - nack.deliveredAt < minIdle) return { status: "gone" };
    g.claim(nack, consumer, now);
    return { status: "claimed", entry: { ...toStreamEntry(entry), deliveries: nack.deliveries } };
  }

  /** As the touch script: XCLAIM … JUSTID of the entries still pending to `consumer`. */
  async touch(keys: QueueKeys, consumer: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const sids = ids.map((id) => intervalId(id, false));
    const { s, g } = this.data.group(keys.stream, keys.group);
    const now = this.data.now();
    for (const sid of sids) {
      const nack = g.pel.get(formatId(sid));
      if (!nack || nack.consumer !== consumer) continue;
      if (!s.entry(nack.id)) {
        // XCLAIM drops a pending entry whose stream entry is gone
        g.pel.delete(nack.id);
        continue;
      }
      g.resetIdle(nack, now);
    }
  }

  /** As the ack script: XACK, and ZREM from the `:expiry` set. */
  async ack(keys: QueueKeys, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const sids = ids.map(strictId);
    this.data.checkType(keys.streamExpiry, "zset");
    const g = this.data.findGroup(keys.stream, keys.group);
    let acked = 0;
    if (g) for (const sid of sids) if (g.pel.delete(formatId(sid))) acked++;
    this.data.zrem(keys.streamExpiry, ids);
    return acked;
  }

  /** As the dead-letter script: XADD to the DLQ and XACK, if the entry is pending to `consumer`. */
  async deadLetter(
    keys: QueueKeys,
    consumer: string,
    id: string,
    fields: readonly (string | Buffer)[],
    limits: StreamLimits,
  ): Promise<string | undefined> {
    const sid = intervalId(id, false);
    const { g } = this.data.group(keys.stream, keys.group);
    const nack = g.pel.get(formatId(sid));
    if (!nack || nack.consumer !== consumer) return undefined;
    checkMaxLength(limits.maxLength);
    checkFields(fields);
    const problem = typeProblem(this.data, keys.dlq, "stream") ?? typeProblem(this.data, keys.streamExpiry, "zset") ?? typeProblem(this.data, keys.dlqMetadata, "hash");
    if (problem) throw refused(problem);
    const dlqId = this.data.xadd(keys.dlq, fields);
    g.pel.delete(nack.id);
    this.data.zrem(keys.streamExpiry, [id]);
    this.data.trim(keys.dlq, limits.maxLength, limits.trim, keys.dlqMetadata);
    return dlqId;
  }

  /** As the requeue script: every key checked first; XADD to the main stream (made again when gone) and XDEL from the DLQ, if the DLQ entry exists. */
  async requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], limits: StreamLimits): Promise<{ id: string; revived: boolean } | undefined> {
    const sid = intervalId(id, false);
    const dlq = this.data.get(keys.dlq, "stream");
    const key = formatId(sid);
    if (!dlq?.entry(key)) return undefined;
    checkMaxLength(limits.maxLength);
    checkFields(fields);
    const problem = typeProblem(this.data, keys.stream, "stream") ?? typeProblem(this.data, keys.dlqExpiry, "zset") ?? typeProblem(this.data, keys.streamMetadata, "hash");
    if (problem) throw refused(problem);
    const revived = this.data.revive(keys.stream, keys.group, keys.streamMetadata);
    const newId = this.data.xadd(keys.stream, fields);
    dlq.delete(key);
    this.data.zrem(keys.dlqExpiry, [id]);
    this.data.trim(keys.stream, limits.maxLength, limits.trim, keys.streamMetadata);
    return { id: newId, revived };
  }

  /** XRANGE stream start end COUNT count. */
  async range(stream: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    const from = intervalId(start, false);
    const to = intervalId(end, true);
    checkInteger(count);
    return this.data.get(stream, "stream")?.range(from, to, count) ?? [];
  }

  /** XREVRANGE stream end start COUNT count. */
  async rangeReverse(stream: string, end: string, start: string, count: number): Promise<StreamEntry[]> {
    // Redis parses the start (the lower bound) first
    const from = intervalId(start, false);
    const to = intervalId(end, true);
    checkInteger(count);
    return this.data.get(stream, "stream")?.reverseRange(to, from, count) ?? [];
  }

  /**
   * Entries after id `after`, as `XREAD COUNT count BLOCK blockMs STREAMS
   * stream after` reads them: outside any group, nothing delivered (all of
   * them when `count` ≤ 0). With none, waits up to `blockMs` (0: until
   * entries arrive, as `BLOCK 0`) for some, returning as soon as they are
   * appended; {@link wake} and {@link close} end the wait with none. `after`
   * is an id (`<ms>` meaning `<ms>-0`); XREAD's `$` is not taken. After
   * {@link close}, it fails as closed instead of waiting.
   */
  async readAfter(stream: string, after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    if (this.closed) throw new TransportError("closed", "the memory store is closed");
    checkInteger(count);
    checkTimeout(blockMs);
    const s = this.data.get(stream, "stream");
    const from = strictId(after);
    const got = s?.after(from, count) ?? [];
    if (got.length > 0) return got;
    return this.data.block(stream, { after: from, count }, blockMs);
  }

  /** XREVRANGE stream + - COUNT 1. */
  async lastId(stream: string): Promise<string | undefined> {
    return this.data.get(stream, "stream")?.last?.id;
  }

  /** XACK (with `group`), XDEL and ZREM from the `:expiry` set. */
  async deleteEntries(stream: string, ids: readonly string[], group?: string): Promise<number> {
    if (ids.length === 0) return 0;
    const keys = ids.map((id) => formatId(strictId(id)));
    this.data.checkType(stream + ":expiry", "zset");
    const s = this.data.get(stream, "stream");
    let deleted = 0;
    if (s) {
      const g = group === undefined ? undefined : s.groups.get(group);
      if (g) for (const key of keys) g.pel.delete(key);
      for (const key of keys) if (s.delete(key)) deleted++;
    }
    this.data.zrem(stream + ":expiry", ids);
    return deleted;
  }

  /** XINFO STREAM, XINFO GROUPS and XLEN of the DLQ. */
  async info(keys: QueueKeys): Promise<QueueInfo> {
    const s = this.data.get(keys.stream, "stream");
    const dlq = this.data.get(keys.dlq, "stream");
    const g = s?.groups.get(keys.group);
    const first = s?.first;
    return {
      name: keys.name,
      stream: keys.stream,
      length: s?.length ?? 0,
      pending: g?.pel.size ?? 0,
      consumers: g?.consumers.size ?? 0,
      lag: s && g ? s.lag(g) : null,
      dlqLength: dlq?.length ?? 0,
      oldestAgeMs: first ? Math.max(0, this.data.now() - Number(first.sid.ms)) : null,
      resets: Number(this.data.get(keys.streamMetadata, "hash")?.fields.get("resets") ?? 0),
      trimmedUnread: Number(this.data.get(keys.streamMetadata, "hash")?.fields.get("trimmed_unread") ?? 0),
    };
  }

  async setSubscription(prefix: string, service: string, eventTypes: readonly string[] | null): Promise<void> {
    const key = subscriptionsKey(prefix);
    if (eventTypes === null) this.data.hdel(key, service);
    else this.data.hset(key, service, JSON.stringify(eventTypes));
  }

  async subscriptions(prefix: string): Promise<Map<string, string[]>> {
    return readSubscriptions(this.data.get(subscriptionsKey(prefix), "hash")?.fields ?? []);
  }

  // (the descriptor sets are held as base64 text: this model's hashes hold strings)
  async schemaVersions(prefix: string, fullName: string): Promise<StoredSchema[]> {
    const fields = this.data.get(schemaKey(prefix, fullName, this.layout), "hash")?.fields ?? new Map<string, string>();
    const latest = Number(fields.get(SchemaField.latest) ?? "0");
    const out: StoredSchema[] = [];
    for (let v = 1; v <= latest; v++) {
      const set = fields.get(SchemaField.set(v));
      const fingerprint = fields.get(SchemaField.fingerprint(v));
      if (set === undefined || fingerprint === undefined) continue;
      out.push({
        version: v,
        fingerprint,
        descriptorSet: new Uint8Array(Buffer.from(set, "base64")),
        registeredAt: Number(fields.get(SchemaField.registeredAt(v)) ?? "0"),
        forced: fields.get(SchemaField.forced(v)) === "1",
      });
    }
    return out;
  }

  async addSchemaVersion(prefix: string, fullName: string, expectedLatest: number, schema: NewSchema): Promise<SchemaAdded> {
    const key = schemaKey(prefix, fullName, this.layout);
    const fields = this.data.get(key, "hash")?.fields;
    const existing = fields?.get(SchemaField.byFingerprint(schema.fingerprint));
    if (existing !== undefined) return { outcome: "exists", version: Number(existing) };
    const latest = Number(fields?.get(SchemaField.latest) ?? "0");
    if (latest !== expectedLatest) return { outcome: "conflict", latest };
    const v = latest + 1;
    this.data.hset(key, SchemaField.set(v), Buffer.from(schema.descriptorSet).toString("base64"));
    this.data.hset(key, SchemaField.fingerprint(v), schema.fingerprint);
    this.data.hset(key, SchemaField.registeredAt(v), formatPythonFloat(schema.registeredAt));
    this.data.hset(key, SchemaField.forced(v), schema.forced ? "1" : "0");
    this.data.hset(key, SchemaField.byFingerprint(schema.fingerprint), String(v));
    this.data.hset(key, SchemaField.latest, String(v));
    this.data.sadd(schemaIndexKey(prefix, this.layout), fullName);
    return { outcome: "added", version: v };
  }

  async schemaTypes(prefix: string): Promise<string[]> {
    return [...(this.data.get(schemaIndexKey(prefix, this.layout), "set")?.members ?? [])].sort();
  }

  /**
   * As the route script: per entry pending to `consumer`, a copy to each
   * subscribed queue (its stream made again when gone; with ZADD of the
   * expiry), a copy parked in its DLQ for a queue that cannot take it; then
   * XACK and ZREM; then the queues written trimmed.
   */
  async route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], limits: StreamLimits): Promise<RouteResult> {
    if (entries.length === 0) return { entries: [], revived: [] };
    const problem = typeProblem(this.data, keys.streamExpiry, "zset") ?? typeProblem(this.data, keys.dlq, "stream");
    if (problem) throw refused(problem);
    const wants: [string, Set<string>][] = [];
    for (const [service, json] of this.data.get(subscriptionsKey(keys.prefix), "hash")?.fields ?? []) {
      const types = subscribedTypes(json);
      if (types) wants.push([subscriptionQueue(service), types]);
    }
    const destination = (queue: string): QueueKeys => queueKeys(keys.prefix, queue, this.layout);
    checkMaxLength(limits.maxLength);
    for (const e of entries) {
      checkFields(e.fields);
      checkExpiry(e.expireAt);
    }
    const { g } = this.data.group(keys.stream, keys.group);
    const now = this.data.now() / 1000;
    const written = new Set<string>();
    const revived: string[] = [];
    const out: Routed[] = [];
    for (const e of entries) {
      const nack = g.pel.get(formatId(intervalId(e.id, false)));
      if (!nack || nack.consumer !== consumer) {
        out.push(-1);
        continue;
      }
      let copies = 0;
      let parked = 0;
      const type = shortName(e.eventType);
      for (const [queue, types] of wants) {
        if (!types.has("*") && !types.has(type)) continue;
        const d = destination(queue);
        const key = d.stream;
        const bad =
          typeProblem(this.data, key, "stream") ??
          typeProblem(this.data, d.streamMetadata, "hash") ??
          (e.expireAt === null ? undefined : typeProblem(this.data, d.streamExpiry, "zset"));
        if (bad) {
          const reason = `undeliverable: the copy for ${queue} cannot be written (${bad})`;
          const dlq = typeProblem(this.data, d.dlq, "stream") ? keys.dlq : d.dlq;
          this.data.xadd(dlq, parkedFields(e.fields, now, reason));
          parked++;
          continue;
        }
        if (this.data.revive(key, d.group, d.streamMetadata)) revived.push(key);
        const id = this.data.xadd(key, e.fields);
        if (e.expireAt !== null) this.data.zadd(d.streamExpiry, id, e.expireAt);
        written.add(key);
        copies++;
      }
      g.pel.delete(nack.id);
      this.data.zrem(keys.streamExpiry, [e.id]);
      out.push({ copies, parked });
    }
    for (const key of written) this.data.trim(key, limits.maxLength, limits.trim, key + ":metadata");
    return { entries: out, revived };
  }

  /** As the prune script: XGROUP DELCONSUMER of the idle consumers with nothing pending, but `keep`. */
  async pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number> {
    const g = this.data.findGroup(keys.stream, keys.group);
    if (!g) return 0;
    const now = this.data.now();
    const pending = g.pendingCounts();
    let removed = 0;
    for (const [name, c] of [...g.consumers]) {
      if (name === keep || (pending.get(name) ?? 0) > 0 || now - c.seenAt < minIdleMs) continue;
      g.consumers.delete(name);
      removed++;
    }
    return removed;
  }

  /** As the leave script: XGROUP DELCONSUMER of `consumer` if it has nothing pending. */
  async leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean> {
    const g = this.data.findGroup(keys.stream, keys.group);
    if (!g || !g.consumers.has(consumer)) return false;
    for (const nack of g.pel.values()) if (nack.consumer === consumer) return false;
    g.consumers.delete(consumer);
    return true;
  }

  /** This store: blocking reads wait on the same data. */
  async forBlockingReads(): Promise<EntryStore> {
    return this;
  }

  /**
   * Makes the waiting {@link readNew}s of `consumer` return at once, with
   * nothing; and the waiting {@link readAfter}s, which belong to no consumer
   * (as waking a Redis reader's connection ends whatever read it waits in).
   */
  async wake(consumer: string): Promise<void> {
    this.data.unblock((read) => !("group" in read) || read.consumer === consumer);
  }

  /**
   * Releases the readers waiting in {@link readNew} and {@link readAfter},
   * which return no entries; from then on those reads fail as closed. The
   * data stays readable (the store is its own blocking reader, so closing
   * that must not lose it).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.data.unblock(() => true);
  }

  // ---- inspection, for tests ----

  /** The pending entries of `group` on `stream`, in id order (XPENDING). */
  pendingEntries(stream: string, group: string): PendingInfo[] {
    return this.data.xpending(stream, group);
  }

  /** The consumers of `group` on `stream` (XINFO CONSUMERS). */
  consumerInfo(stream: string, group: string): ConsumerInfo[] {
    return this.data.xinfoConsumers(stream, group);
  }

  /** Members and scores of a sorted set (an `:expiry` set), lowest score first (ZRANGE … WITHSCORES). */
  sortedSet(key: string): [string, number][] {
    return this.data.zrangeWithScores(key);
  }

  /** The fields of a hash (HGETALL). */
  hash(key: string): Map<string, string> {
    return this.data.hgetall(key);
  }

  /** The members of a set, sorted (SMEMBERS). */
  setMembers(key: string): string[] {
    return this.data.smembers(key);
  }

  /** The type of the value at `key`, as TYPE names it (`none` when there is none). */
  keyType(key: string): "stream" | "zset" | "hash" | "set" | "none" {
    return this.data.kindOf(key) ?? "none";
  }

  /** The consumer groups of a stream, by name (XINFO GROUPS). */
  groupInfo(stream: string): GroupInfo[] {
    return this.data.xinfoGroups(stream);
  }

  // ---- changes from outside the store, for tests: what another client, or a Redis that lost its data, does ----

  /** DEL: removes the keys, whatever they hold (a stream deleted by someone else, say). Returns how many there were. */
  deleteKeys(...keys: string[]): number {
    return this.data.del(keys);
  }

  /** FLUSHALL: removes every key, as a Redis server that restarted empty. */
  flushAll(): void {
    this.data.flush();
  }

  /** SADD: adds members to a set (made when missing), as another client can; a key of a type the layout does not expect, say. */
  addToSet(key: string, ...members: string[]): void {
    this.data.sadd(key, ...members);
  }
}
