// The in-memory entry store against the Redis one: every behaviour in the
// table runs on both, with the same assertions on what each call returns
// and on the data it leaves behind, so that the memory store does what Redis
// (with eventwire's scripts) does. A few tests at the end cover what only
// the memory store has (its clock, its timers, its imports).
import { isEventwireError, pythonFloat, pythonJsonDumps } from "eventwire";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis, type Cluster } from "ioredis";
import { MemoryStore } from "../../src/memory/memory-store.js";
import { openCluster } from "../../src/redis/connection.js";
import { RedisStore } from "../../src/redis/redis-store.js";
import { queueKeys, subscriptionQueue, subscriptionsKey, type QueueKeys } from "../../src/transport/leanmq/keys.js";
import type { EntryStore, OutgoingEntry, RouteEntry, StreamEntry, StreamLimits } from "../../src/transport/store.js";
import { testCluster, type RedisCluster } from "../support/cluster.js";
import { RedisServer } from "../support/redis.js";

/** Limits that never trim in these tests. */
const BIG: StreamLimits = { maxLength: 10_000, trim: "acknowledged" };
/** Trimming only what every group has delivered and acknowledged, down to `maxLength`. */
const acknowledged = (maxLength: number): StreamLimits => ({ maxLength, trim: "acknowledged" });
/** Trimming to `maxLength`, whatever was read. */
const byLength = (maxLength: number): StreamLimits => ({ maxLength, trim: "length" });
/** The idle time the tests wait for, in ms. */
const IDLE = 150;

interface Pending {
  readonly id: string;
  readonly consumer: string;
  readonly deliveries: number;
}

/** A consumer group of a stream, with its pending list. */
interface Group {
  readonly name: string;
  readonly lastDelivered: string;
  readonly pending: Pending[];
}

/** One store under test, with ways to look at (and change) its data that the store interface does not offer. */
interface Backend {
  readonly store: EntryStore;
  /** A prefix of its own for each test's keys. */
  readonly prefix: string;
  keys(name: string): QueueKeys;
  /** Lets `ms` milliseconds pass for idle times and entry ages. */
  age(ms: number): Promise<void>;
  /** The group's pending list, in id order. */
  pending(keys: QueueKeys): Promise<Pending[]>;
  /** The group's consumers, by name. */
  consumers(keys: QueueKeys): Promise<{ name: string; pending: number }[]>;
  /** A stream's consumer groups, by name. */
  groups(stream: string): Promise<Group[]>;
  /** A sorted set's members and scores, lowest score first. */
  expiries(key: string): Promise<[string, number][]>;
  hash(key: string): Promise<Record<string, string>>;
  members(key: string): Promise<string[]>;
  /** The type of a key's value (TYPE): `none` when there is none. */
  type(key: string): Promise<string>;
  /** Makes the store create queues again (the Redis store remembers which it created). */
  forget(): void;
  /** Deletes keys behind the store's back (DEL). */
  del(...keys: string[]): Promise<void>;
  /** Loses every key: FLUSHALL on Redis, a fresh state of the memory store. */
  flush(): Promise<void>;
  /** Makes `key` hold a set, as another client could: a type no key the store writes to (but the registry) has. */
  occupy(key: string): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let prefixes = 0;
function nextPrefix(): string {
  return `t${++prefixes}:`;
}

function memoryBackend(): Backend {
  let clock = Date.now();
  const store = new MemoryStore({ now: () => clock });
  const prefix = nextPrefix();
  const pending = (stream: string, group: string): Pending[] => store.pendingEntries(stream, group).map(({ id, consumer, deliveries }) => ({ id, consumer, deliveries }));
  return {
    store,
    prefix,
    keys: (name) => queueKeys(prefix, name),
    age: async (ms) => {
      clock += ms;
    },
    pending: async (k) => pending(k.stream, k.group),
    consumers: async (k) =>
      store
        .consumerInfo(k.stream, k.group)
        .map(({ name, pending }) => ({ name, pending }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    groups: async (stream) => store.groupInfo(stream).map(({ name, lastDelivered }) => ({ name, lastDelivered, pending: pending(stream, name) })),
    expiries: async (key) => store.sortedSet(key),
    hash: async (key) => Object.fromEntries(store.hash(key)),
    members: async (key) => store.setMembers(key),
    type: async (key) => store.keyType(key),
    forget: () => {},
    del: async (...keys) => {
      store.deleteKeys(...keys);
    },
    flush: async () => store.flushAll(),
    occupy: async (key) => store.addToSet(key, "occupied"),
  };
}

function flatToObject(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function redisBackend(store: RedisStore): Backend {
  const redis = store.redis as Redis;
  const prefix = nextPrefix();
  const pending = async (stream: string, group: string): Promise<Pending[]> => {
    const rows = (await redis.xpending(stream, group, "-", "+", 10_000)) as [string, string, number, number][];
    return rows.map(([id, consumer, , deliveries]) => ({ id, consumer, deliveries: Number(deliveries) }));
  };
  return {
    store,
    prefix,
    keys: (name) => queueKeys(prefix, name, store.layout),
    // a little more than asked, as the server's clock and the timers are not in step to the millisecond
    age: (ms) => sleep(ms + 5),
    pending: (k) => pending(k.stream, k.group),
    consumers: async (k) => {
      const rows = (await redis.xinfo("CONSUMERS", k.stream, k.group)) as unknown[][];
      return rows
        .map(flatToObject)
        .map((c) => ({ name: String(c["name"]), pending: Number(c["pending"]) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    groups: async (stream) => {
      const rows = ((await redis.xinfo("GROUPS", stream)) as unknown[][]).map(flatToObject);
      const out: Group[] = [];
      for (const g of rows) out.push({ name: String(g["name"]), lastDelivered: String(g["last-delivered-id"]), pending: await pending(stream, String(g["name"])) });
      return out.sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    expiries: async (key) => {
      const flat = await redis.zrange(key, "0", "-1", "WITHSCORES");
      const out: [string, number][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
      return out;
    },
    hash: (key) => redis.hgetall(key),
    members: async (key) => (await redis.smembers(key)).sort(),
    type: (key) => redis.type(key),
    forget: () => store.forgetQueues(),
    del: async (...keys) => {
      // (one by one: on a cluster they may be in different slots)
      for (const key of keys) await redis.del(key);
    },
    flush: async () => {
      if (store.layout === "cluster") await Promise.all((store.redis as Cluster).nodes("master").map((node) => node.flushall()));
      else await redis.flushall();
      store.forgetQueues();
    },
    occupy: async (key) => {
      await redis.sadd(key, "occupied");
    },
  };
}

// ---- helpers ----

function entry(keys: QueueKeys, n: number | string, expireAt: number | null = null): OutgoingEntry {
  return { keys, fields: ["n", String(n)], expireAt };
}

/** Appends `count` entries (`n` 0, 1, …) to the queue in one atomic call; their ids. */
async function fill(b: Backend, keys: QueueKeys, count: number, expireAt: number | null = null, limits: StreamLimits = BIG): Promise<string[]> {
  const { ids } = await b.store.append(
    Array.from({ length: count }, (_, i) => entry(keys, i, expireAt)),
    true,
    limits,
  );
  return ids;
}

/** A queue's DLQ as a queue of its own, to append to it as to a main stream. */
function dlqAsQueue(k: QueueKeys): QueueKeys {
  return { ...k, stream: k.dlq, streamExpiry: k.dlqExpiry, streamMetadata: k.dlqMetadata, group: k.dlqGroup };
}

/** Every key of a queue pair. */
function keysOf(k: QueueKeys): string[] {
  return [k.stream, k.dlq, k.streamExpiry, k.dlqExpiry, k.streamMetadata, k.dlqMetadata, k.registry];
}

/**
 * What the keys hold: type and value, a stream with its entries, groups
 * (last-delivered id) and pending lists. Two snapshots are equal when
 * nothing was written to any of the keys.
 */
async function snapshot(b: Backend, keys: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await b.type(key);
    let value: unknown = null;
    if (type === "stream") value = { entries: (await b.store.range(key, "-", "+", 100_000)).map((e) => [e.id, text(e)]), groups: await b.groups(key) };
    else if (type === "zset") value = await b.expiries(key);
    else if (type === "hash") value = await b.hash(key);
    else if (type === "set") value = await b.members(key);
    out[key] = { type, value };
  }
  return out;
}

/** An assert.rejects check: a `redis-refused` error whose message matches (on both stores). */
function refusedWith(pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isEventwireError(e, "redis-refused"), `not a redis-refused error: ${String(e)} (${(e as { code?: string }).code})`);
    assert.match((e as Error).message, pattern);
    return true;
  };
}

const ids = (entries: readonly { id: string }[]): string[] => entries.map((e) => e.id);
const ns = (entries: readonly StreamEntry[]): (string | undefined)[] => entries.map((e) => e.fields.get("n")?.toString());
const text = (e: StreamEntry): Record<string, string> => Object.fromEntries([...e.fields].map(([k, v]) => [k, v.toString("latin1")]));

function parseId(id: string): [bigint, bigint] {
  const [ms, seq] = id.split("-");
  return [BigInt(ms!), BigInt(seq!)];
}

function idBefore(a: string, b: string): boolean {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  return am < bm || (am === bm && as < bs);
}

// ---- the behaviours ----

type Behaviour = (b: Backend) => Promise<void>;

const behaviours: [string, Behaviour][] = [
  [
    "ensureQueue creates the queue pair, registry entries and metadata as LeanMQ does, and keeps what exists",
    async (b) => {
      const s = b.store;
      const k = b.keys("orders");
      assert.equal(await s.hasQueue(k), false);
      assert.deepEqual(await s.listQueues(b.prefix), []);
      assert.equal(await s.ensureQueue(k), true);
      assert.equal(await s.ensureQueue(b.keys("alpha")), true);
      assert.equal(await s.hasQueue(k), true);
      assert.equal(await s.hasQueue(queueKeys("elsewhere:", "orders")), false);
      assert.deepEqual(await s.listQueues(b.prefix), ["alpha", "orders"]);
      assert.deepEqual(await s.listQueues("elsewhere:"), []);
      assert.deepEqual(await b.members(k.registry), [b.keys("alpha").stream, b.keys("alpha").dlq, k.stream, k.dlq].sort());
      const meta = await b.hash(k.streamMetadata);
      assert.match(meta["created_at"]!, /^\d+\.\d+$/);
      assert.ok(Math.abs(Number(meta["created_at"]) - Date.now() / 1000) < 60, meta["created_at"]);
      assert.deepEqual({ ...meta, created_at: "" }, { created_at: "", dlq: k.dlq, consumer_group: k.group });
      const dlqMeta = await b.hash(k.dlqMetadata);
      assert.match(dlqMeta["created_at"]!, /^\d+\.\d+$/);
      assert.deepEqual({ ...dlqMeta, created_at: "" }, { created_at: "", main_queue: k.stream, consumer_group: k.dlqGroup, is_dlq: "true" });

      // created again later: the creation time and the group's position stay; no group was missing
      await fill(b, k, 2);
      assert.equal((await s.readNew(k, "A", 10, 1)).length, 2);
      await b.age(20);
      b.forget();
      assert.equal(await s.ensureQueue(k), false);
      assert.equal((await b.hash(k.streamMetadata))["created_at"], meta["created_at"]);
      assert.equal((await b.hash(k.dlqMetadata))["created_at"], dlqMeta["created_at"]);
      assert.deepEqual(await s.readNew(k, "A", 10, 1), []);
      assert.equal((await s.info(k)).pending, 2);
      assert.equal((await s.info(k)).resets, 0);
    },
  ],
  [
    // (groups used to start at `$`, so that entries appended before the group were never delivered)
    "consumer groups start at `0`: a group made for a stream that already holds entries delivers them all",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      // the stream holds entries, but not this queue's group (another group's stream, or one LeanMQ wrote to)
      const before = await fill(b, { ...k, group: "someone-else-group" }, 2);
      assert.deepEqual(
        (await b.groups(k.stream)).map((g) => g.name),
        ["someone-else-group"],
      );
      assert.equal(await s.ensureQueue(k), true);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), before);
      const later = await fill(b, k, 1);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), later);
      const info = await s.info(k);
      assert.deepEqual([info.length, info.pending, info.lag], [3, 3, 0]);
      // the DLQ's group too
      const dead = await s.deadLetter(k, "A", before[0]!, ["n", "x"], BIG);
      assert.deepEqual(await b.groups(k.dlq), [{ name: k.dlqGroup, lastDelivered: "0-0", pending: [] }]);
      assert.deepEqual(ids(await s.range(k.dlq, "-", "+", 10)), [dead]);
    },
  ],
  [
    "append returns the ids in order, <ms>-<seq>, strictly increasing per stream, and the queues whose stream it had to make",
    async (b) => {
      const s = b.store;
      if (!s.crossQueueAtomic) {
        // on a cluster one atomic step reaches one queue's slot only: refused whole, with the reason
        const [x, y] = [b.keys("x-atomic"), b.keys("y-atomic")];
        await assert.rejects(s.append([entry(x, 0), entry(y, 1)], true, BIG), (e: unknown) => isEventwireError(e, "cross-slot"));
        assert.deepEqual([await b.type(x.stream), await b.type(y.stream)], ["none", "none"]);
      }
      for (const atomic of s.crossQueueAtomic ? [true, false] : [false]) {
        const one = b.keys(`one-${atomic}`);
        const two = b.keys(`two-${atomic}`);
        const got = await s.append([entry(one, 0), entry(two, 1), entry(one, 2, 1900000000)], atomic, BIG);
        assert.equal(got.ids.length, 3);
        for (const id of got.ids) assert.match(id, /^\d+-\d+$/);
        assert.deepEqual(ids(await s.range(one.stream, "-", "+", 10)), [got.ids[0], got.ids[2]]);
        assert.deepEqual(ns(await s.range(one.stream, "-", "+", 10)), ["0", "2"]);
        assert.deepEqual(ids(await s.range(two.stream, "-", "+", 10)), [got.ids[1]]);
        // neither stream existed: both were made, each with its group at the start, and counted
        assert.deepEqual(got.revived, [one, two]);
        assert.equal(got.trimmedUnread, 0);
        for (const q of [one, two]) assert.deepEqual(await b.hash(q.streamMetadata), { resets: "1" });
        assert.deepEqual(await s.append([entry(one, 3), entry(two, 4)], atomic, BIG).then((r) => r.revived), []);
      }
      assert.deepEqual(await s.append([], true, BIG), { ids: [], revived: [], trimmedUnread: 0 });
      const stream = b.keys("many");
      const many: string[] = [];
      for (let i = 0; i < 20; i++) many.push(...(await s.append([entry(stream, i), entry(stream, i)], i % 2 === 0, BIG)).ids);
      for (let i = 1; i < many.length; i++) assert.ok(idBefore(many[i - 1]!, many[i]!), `${many[i - 1]} then ${many[i]}`);
      assert.ok(Math.abs(Number(parseId(many[0]!)[0]) - Date.now()) < 60_000);
    },
  ],
  [
    "entries keep their fields byte for byte, and callers cannot change what is stored",
    async (b) => {
      const s = b.store;
      const k = b.keys("bytes");
      await s.ensureQueue(k);
      const raw = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
      const given = Buffer.from(raw);
      const {
        ids: [id],
      } = await s.append([{ keys: k, fields: ["bin", given, "text", "héllo ✓", "dup", "1", "dup", "2"], expireAt: null }], true, BIG);
      given.fill(0);
      const [stored] = await s.range(k.stream, id!, id!, 1);
      assert.deepEqual([...stored!.fields.keys()], ["bin", "text", "dup"]);
      assert.ok(stored!.fields.get("bin")!.equals(raw));
      assert.equal(stored!.fields.get("text")!.toString("utf8"), "héllo ✓");
      assert.equal(stored!.fields.get("dup")!.toString(), "2");
      stored!.fields.get("bin")!.fill(1);
      const [read] = await s.readNew(k, "A", 1, 1);
      assert.ok(read!.fields.get("bin")!.equals(raw));
      read!.fields.get("bin")!.fill(2);
      const claimed = await s.claimIdle(k, "B", 0, "0-0", 1);
      assert.ok(claimed.entries[0]!.fields.get("bin")!.equals(raw));
    },
  ],
  [
    "append records expiries in the stream's :expiry set, atomically or not",
    async (b) => {
      for (const atomic of [true, false]) {
        const q = b.keys(`exp-${atomic}`);
        const { ids: got } = await b.store.append([entry(q, 0, 1800000000.25), entry(q, 1), entry(q, 2, 1700000000)], atomic, BIG);
        assert.deepEqual(await b.expiries(q.streamExpiry), [
          [got[2], 1700000000],
          [got[0], 1800000000.25],
        ]);
      }
    },
  ],
  [
    "an append writes all of its entries or none, atomic or not: every key and argument is checked before anything is written",
    async (b) => {
      const s = b.store;
      const one = b.keys("one");
      const two = b.keys("two");
      const bad = b.keys("bad");
      // a queue named `two:expiry` makes that key a stream, where `two`'s expiries cannot go
      await s.ensureQueue(b.keys("two:expiry"));
      await b.occupy(bad.streamMetadata);
      const p = b.prefix;
      const refused: [OutgoingEntry[], RegExp][] = [
        [[entry(one, 1, 1900000000), { keys: two, fields: [], expireAt: null }], /wrong number of arguments/],
        [[entry(one, 1, 1900000000), { keys: two, fields: ["n"], expireAt: null }], /wrong number of arguments/],
        [[entry(one, 1, 1900000000), entry(two, 2, Number.NaN)], /not a valid float/],
        [[entry(one, 1, 1900000000), entry(b.keys("two:expiry:metadata"), 2)], new RegExp(`WRONGTYPE ${p}two:expiry:metadata holds a hash, not a stream`)],
        [[entry(one, 1, 1900000000), entry(two, 2, 1900000000)], new RegExp(`WRONGTYPE ${p}two:expiry holds a stream, not a zset`)],
        [[entry(one, 1, 1900000000), entry(bad, 2)], new RegExp(`WRONGTYPE ${p}bad:metadata holds a set, not a hash`)],
      ];
      const watched = [one, two, bad, b.keys("two:expiry"), b.keys("two:expiry:metadata")].flatMap(keysOf);
      const before = await snapshot(b, watched);
      for (const atomic of [true, false]) {
        for (const [entries, error] of refused) {
          await assert.rejects(s.append(entries, atomic, BIG), refusedWith(error), `${error} (atomic: ${atomic})`);
          assert.deepEqual(await snapshot(b, watched), before, `${error} (atomic: ${atomic})`);
        }
      }
      assert.equal(await b.type(one.stream), "none");
      // an entry without expiry does not touch the :expiry set: it goes to `two`, atomically or not
      for (const atomic of [true, false]) {
        const { ids: got } = await s.append([entry(one, 1), entry(two, 2)], atomic, BIG);
        assert.deepEqual(ids(await s.range(two.stream, "-", "+", 10)).slice(-1), [got[1]]);
      }
      assert.equal((await s.info(two)).length, 2);
    },
  ],
  [
    // (streams used to be capped with `MAXLEN ~` at XADD, to about maxLength)
    "trim `length` keeps a stream to exactly maxLength entries, the newest, whatever was read; entries trimmed unread are counted",
    async (b) => {
      const s = b.store;
      for (const atomic of [true, false]) {
        const q = b.keys(`capped-${atomic}`);
        const put = await s.append(
          Array.from({ length: 250 }, (_, i) => entry(q, i)),
          atomic,
          byLength(100),
        );
        assert.deepEqual(ids(await s.range(q.stream, "-", "+", 1000)), put.ids.slice(150));
        // the stream was made by the append, its group at the start: nothing trimmed had been read
        assert.equal(put.trimmedUnread, 150);
        assert.deepEqual([(await s.info(q)).trimmedUnread, (await s.info(q)).length], [150, 100]);
      }
      const oneByOne = b.keys("capped-too");
      const put2: string[] = [];
      for (let i = 0; i < 130; i++) put2.push(...(await s.append([entry(oneByOne, i)], i % 2 === 0, byLength(100))).ids);
      assert.deepEqual(ids(await s.range(oneByOne.stream, "-", "+", 1000)), put2.slice(30));
      assert.equal((await s.info(oneByOne)).trimmedUnread, 30);

      // entries the group has read (pending or acknowledged) are trimmed too, but not counted
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 6);
      await s.readNew(k, "A", 4, 1);
      await s.ack(k, [put[0]!]);
      const r1 = await s.append([entry(k, 6), entry(k, 7)], true, byLength(3));
      assert.equal(r1.trimmedUnread, 1); // put[4]; put[0] to put[3] had been read
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [put[5], ...r1.ids]);
      assert.deepEqual([(await s.info(k)).trimmedUnread, (await s.info(k)).length], [1, 3]);
      // the pending entries trimmed away stay pending, until a reclaim finds them gone
      assert.deepEqual(ids(await b.pending(k)), put.slice(1, 4));
      // an entry every group has read is not counted; one a group has not read is
      assert.equal((await s.readNew(k, "A", 10, 1)).length, 3);
      assert.equal((await s.append([entry(k, 8)], true, byLength(3))).trimmedUnread, 0);
      const slow = { ...k, group: "slow-group", dlqGroup: "slow-group-dlq" };
      b.forget(); // (the Redis store remembers the stream as made, whatever the group)
      assert.equal(await s.ensureQueue(slow), true);
      const r2 = await s.append([entry(k, 9)], false, byLength(3));
      assert.equal(r2.trimmedUnread, 1);
      assert.equal((await s.info(k)).trimmedUnread, 2);
      assert.equal((await s.range(k.stream, "-", "+", 100)).length, 3);
      // a DLQ is trimmed by dead-lettering too, counted in its metadata (nobody reads its group)
      await s.readNew(slow, "S", 10, 1);
      for (const id of ids(await s.range(k.stream, "-", "+", 100))) await s.deadLetter(slow, "S", id, ["n", id], byLength(2));
      assert.equal((await s.info(k)).dlqLength, 2);
      assert.equal((await b.hash(k.dlqMetadata))["trimmed_unread"], "1");
    },
  ],
  [
    "trim `acknowledged` trims only what every group has delivered and acknowledged: never an undelivered or pending entry, and acknowledged ones down to maxLength",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const three = acknowledged(3);
      const put = await fill(b, k, 8, null, three);
      // nothing delivered: nothing trimmed, whatever maxLength says
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), put);
      await s.readNew(k, "A", 5, 1);
      const more1 = await s.append([entry(k, 8)], true, three);
      // put[0] to put[4] pending, the others undelivered: nothing trimmed
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...put, ...more1.ids]);
      assert.equal(more1.trimmedUnread, 0);
      // acknowledged below the first pending entry: trimmed; acknowledged above it: kept
      await s.ack(k, [put[0]!, put[1]!, put[3]!]);
      const more2 = await s.append([entry(k, 9)], false, three);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...put.slice(2), ...more1.ids, ...more2.ids]);
      assert.deepEqual(ids(await b.pending(k)), [put[2], put[4]]);
      // all delivered entries acknowledged: trimmed up to the first undelivered one
      await s.ack(k, [put[2]!, put[4]!]);
      const more3 = await s.append([entry(k, 10)], true, three);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...put.slice(5), ...more1.ids, ...more2.ids, ...more3.ids]);
      // everything read and acknowledged: down to maxLength, not below
      await s.ack(k, ids(await s.readNew(k, "A", 100, 1)));
      const more4 = await s.append([entry(k, 11)], true, three);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...more2.ids, ...more3.ids, ...more4.ids]);
      assert.deepEqual(ids(await s.readNew(k, "A", 100, 1)), more4.ids);
      const info = await s.info(k);
      assert.deepEqual([info.length, info.pending, info.trimmedUnread], [3, 1, 0]);
    },
  ],
  [
    "trim `acknowledged` with several groups: the slowest group holds the floor",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      const slow = { ...k, group: "slow-group", dlqGroup: "slow-group-dlq" };
      await s.ensureQueue(k);
      b.forget(); // (the Redis store remembers the stream as made, whatever the group)
      assert.equal(await s.ensureQueue(slow), true);
      const two = acknowledged(2);
      const put = await fill(b, k, 6, null, two);
      await s.ack(k, ids(await s.readNew(k, "F", 100, 1)));
      // the fast group has acknowledged everything; the slow one has read nothing
      const more1 = await s.append([entry(k, 6)], true, two);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...put, ...more1.ids]);
      // the slow group acknowledges two, and has a third pending
      await s.readNew(slow, "S", 3, 1);
      await s.ack(slow, [put[0]!, put[1]!]);
      const more2 = await s.append([entry(k, 7)], true, two);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...put.slice(2), ...more1.ids, ...more2.ids]);
      // the slow group catches up: now the fast one, which has not read the new entries, holds the floor
      await s.ack(slow, ids(await s.readNew(slow, "S", 100, 1)));
      await s.ack(slow, [put[2]!]);
      const more3 = await s.append([entry(k, 8)], true, two);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 100)), [...more1.ids, ...more2.ids, ...more3.ids]);
      assert.deepEqual(
        (await b.groups(k.stream)).map((g) => [g.name, g.lastDelivered, g.pending.length]),
        [
          [k.group, put[5], 0],
          ["slow-group", more2.ids[0], 0],
        ],
      );
      assert.equal((await s.info(k)).trimmedUnread, 0);
    },
  ],
  [
    "trim `acknowledged` leaves alone a stream with no group, and a DLQ (whose group nobody reads) that dead-lettering fills",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 4);
      await s.readNew(k, "A", 10, 1);
      const dead: (string | undefined)[] = [];
      for (const id of put) dead.push(await s.deadLetter(k, "A", id, ["n", id], acknowledged(1)));
      assert.deepEqual(ids(await s.range(k.dlq, "-", "+", 10)), dead);
      assert.deepEqual(await b.groups(k.dlq), [{ name: k.dlqGroup, lastDelivered: "0-0", pending: [] }]);
      // a queue never made: its main stream came back on append (with its group), but dead-lettering made its DLQ with no group
      const plain = b.keys("plain");
      const put2 = await fill(b, plain, 3);
      await s.readNew(plain, "A", 10, 1);
      for (const id of put2) await s.deadLetter(plain, "A", id, ["n", id], acknowledged(1));
      assert.deepEqual(await b.groups(plain.dlq), []);
      const more = await s.append([entry(dlqAsQueue(plain), "x")], true, acknowledged(1));
      assert.deepEqual(more.revived, []);
      assert.equal((await s.range(plain.dlq, "-", "+", 10)).length, 4);
      assert.deepEqual(await b.groups(plain.dlq), []);
    },
  ],
  [
    "readNew delivers each new entry once, in order, pending to the reader with one delivery",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 5);
      assert.equal((await s.info(k)).lag, 5);
      const a = await s.readNew(k, "A", 2, 1);
      assert.deepEqual(ids(a), put.slice(0, 2));
      assert.deepEqual(ns(a), ["0", "1"]);
      assert.equal((await s.info(k)).lag, 3);
      assert.deepEqual(ids(await s.readNew(k, "B", 10, 1)), put.slice(2));
      assert.deepEqual(await s.readNew(k, "A", 10, 1), []);
      assert.deepEqual(
        await b.pending(k),
        put.map((id, i) => ({ id, consumer: i < 2 ? "A" : "B", deliveries: 1 })),
      );
      const info = await s.info(k);
      assert.deepEqual([info.length, info.pending, info.consumers, info.lag], [5, 5, 2, 0]);
      assert.deepEqual(await b.consumers(k), [
        { name: "A", pending: 2 },
        { name: "B", pending: 3 },
      ]);
    },
  ],
  [
    "readNew waits up to blockMs for entries, returning as soon as some are appended, oldest reader first",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const first = await s.forBlockingReads();
      const second = await s.forBlockingReads();
      try {
        let t = Date.now();
        const waiting = first.readNew(k, "A", 10, 5000);
        await sleep(50);
        const { ids: put } = await s.append([entry(k, 1)], true, BIG);
        assert.deepEqual(ids(await waiting), put);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);

        t = Date.now();
        assert.deepEqual(await first.readNew(k, "A", 10, 150), []);
        assert.ok(Date.now() - t >= 140, `returned after ${Date.now() - t} ms`);

        const one = first.readNew(k, "A", 10, 400);
        await sleep(30);
        const other = second.readNew(k, "B", 10, 400);
        await sleep(30);
        const { ids: put2 } = await s.append([entry(k, 2)], true, BIG);
        assert.deepEqual(ids(await one), put2);
        t = Date.now();
        assert.deepEqual(await other, []);
        assert.ok(Date.now() - t >= 100, "the second reader waited on");
        assert.deepEqual(await b.pending(k), [
          { id: put[0], consumer: "A", deliveries: 1 },
          { id: put2[0], consumer: "A", deliveries: 1 },
        ]);
      } finally {
        for (const reader of [first, second]) if (reader !== s) await reader.close();
      }
    },
  ],
  [
    "claimIdle claims entries idle at least minIdleMs, counting a delivery and resetting the idle time",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 3);
      await s.readNew(k, "A", 10, 1);
      assert.deepEqual(await s.claimIdle(k, "B", IDLE, "0-0", 10), { entries: [], deleted: [], next: "0-0" });
      await b.age(IDLE);
      const c1 = await s.claimIdle(k, "B", IDLE, "0-0", 10);
      assert.deepEqual(
        c1.entries.map((e) => [e.id, e.deliveries, e.fields.get("n")?.toString()]),
        put.map((id, i) => [id, 2, String(i)]),
      );
      assert.deepEqual([c1.deleted, c1.next], [[], "0-0"]);
      assert.deepEqual(
        await b.pending(k),
        put.map((id) => ({ id, consumer: "B", deliveries: 2 })),
      );
      // the claim reset the idle time
      assert.equal((await s.claimIdle(k, "C", IDLE, "0-0", 10)).entries.length, 0);
      await b.age(IDLE);
      // a walk in steps: count entries per pass, the cursor going on where the last pass stopped
      const c2 = await s.claimIdle(k, "A", IDLE, "0-0", 1);
      assert.deepEqual(
        c2.entries.map((e) => [e.id, e.deliveries]),
        [[put[0], 3]],
      );
      assert.equal(c2.next, put[1]);
      const c3 = await s.claimIdle(k, "A", IDLE, c2.next, 5);
      assert.deepEqual(
        c3.entries.map((e) => [e.id, e.deliveries]),
        [
          [put[1], 3],
          [put[2], 3],
        ],
      );
      assert.equal(c3.next, "0-0");
      // minIdleMs 0 claims at once
      assert.deepEqual(
        (await s.claimIdle(k, "C", 0, "0-0", 10)).entries.map((e) => e.deliveries),
        [4, 4, 4],
      );
      assert.deepEqual(await b.consumers(k), [
        { name: "A", pending: 0 },
        { name: "B", pending: 0 },
        { name: "C", pending: 3 },
      ]);
    },
  ],
  [
    "claimIdle looks at no more than ten times count pending entries per pass",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 25);
      await s.readNew(k, "A", 100, 1);
      assert.deepEqual(await s.claimIdle(k, "B", 60_000, "0-0", 2), { entries: [], deleted: [], next: put[20] });
      assert.deepEqual(await s.claimIdle(k, "B", 60_000, put[20]!, 2), { entries: [], deleted: [], next: "0-0" });
    },
  ],
  [
    "claimIdle reports pending entries trimmed or deleted from the stream, and drops them from the pending list",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const old = await fill(b, k, 4);
      await s.readNew(k, "A", 10, 1);
      assert.equal(await s.deleteEntries(k.stream, [old[1]!]), 1);
      // the others are trimmed away, pending, by many more entries appended with trim `length`
      await s.append(
        Array.from({ length: 250 }, (_, i) => entry(k, 100 + i)),
        true,
        byLength(100),
      );
      assert.deepEqual(await s.range(k.stream, "-", old[3]!, 10), []);
      const live = await s.readNew(k, "A", 2, 1);
      assert.equal(live.length, 2);
      assert.equal((await s.info(k)).pending, 6);
      // gone entries count against `count`, and are reported whatever their idle time
      assert.deepEqual(await s.claimIdle(k, "B", IDLE, "0-0", 3), { entries: [], deleted: old.slice(0, 3), next: old[3] });
      assert.deepEqual(await s.claimIdle(k, "B", IDLE, old[3]!, 3), { entries: [], deleted: [old[3]], next: "0-0" });
      assert.deepEqual(ids(await b.pending(k)), ids(live));
      await b.age(IDLE);
      const c = await s.claimIdle(k, "B", IDLE, "0-0", 3);
      assert.deepEqual(
        c.entries.map((e) => [e.id, e.deliveries]),
        live.map((e) => [e.id, 2]),
      );
      assert.deepEqual([c.deleted, c.next], [[], "0-0"]);
    },
  ],
  [
    "claimOne claims again an entry pending to the same consumer once idle long enough",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 3);
      await s.readNew(k, "A", 10, 1);
      const r1 = await s.claimOne(k, "A", put[0]!, 0);
      assert.equal(r1.status, "claimed");
      if (r1.status === "claimed") assert.deepEqual([r1.entry.id, r1.entry.deliveries, text(r1.entry)], [put[0], 2, { n: "0" }]);
      // not idle long enough
      assert.deepEqual(await s.claimOne(k, "A", put[0]!, IDLE), { status: "gone" });
      assert.deepEqual((await b.pending(k))[0], { id: put[0], consumer: "A", deliveries: 2 });
      await b.age(IDLE);
      const r2 = await s.claimOne(k, "A", put[0]!, IDLE);
      assert.equal(r2.status === "claimed" && r2.entry.deliveries, 3);
      // another consumer's entry
      assert.deepEqual(await s.claimOne(k, "B", put[1]!, 0), { status: "gone" });
      assert.deepEqual((await b.pending(k))[1], { id: put[1], consumer: "A", deliveries: 1 });
      // acknowledged
      await s.ack(k, [put[1]!]);
      assert.deepEqual(await s.claimOne(k, "A", put[1]!, 0), { status: "gone" });
      // deleted while pending: dropped from the pending list
      await s.deleteEntries(k.stream, [put[2]!]);
      assert.deepEqual(await s.claimOne(k, "A", put[2]!, 0), { status: "deleted" });
      assert.deepEqual(ids(await b.pending(k)), [put[0]]);
      assert.deepEqual(await s.claimOne(k, "A", put[2]!, 0), { status: "gone" });
    },
  ],
  [
    "touch resets the idle time of the consumer's own pending entries without counting a delivery",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 4);
      await s.readNew(k, "A", 10, 1);
      await b.age(IDLE);
      await s.touch(k, "A", [put[0]!, put[1]!]);
      await s.touch(k, "B", [put[2]!]); // not B's: no effect
      await s.touch(k, "A", []);
      const c = await s.claimIdle(k, "C", IDLE, "0-0", 10);
      assert.deepEqual(
        c.entries.map((e) => [e.id, e.deliveries]),
        [
          [put[2], 2],
          [put[3], 2],
        ],
      );
      assert.deepEqual(await b.pending(k), [
        { id: put[0], consumer: "A", deliveries: 1 },
        { id: put[1], consumer: "A", deliveries: 1 },
        { id: put[2], consumer: "C", deliveries: 2 },
        { id: put[3], consumer: "C", deliveries: 2 },
      ]);
      // a pending entry whose stream entry is gone leaves the pending list when touched
      await s.deleteEntries(k.stream, [put[0]!]);
      await s.touch(k, "A", [put[0]!]);
      assert.deepEqual(ids(await b.pending(k)), put.slice(1));
    },
  ],
  [
    "ack removes entries from the pending list and the :expiry set, counting those that were pending",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 3, 1900000000);
      await s.readNew(k, "A", 2, 1);
      assert.equal(await s.ack(k, [put[0]!, put[2]!]), 1);
      assert.deepEqual(await b.expiries(k.streamExpiry), [[put[1], 1900000000]]);
      assert.deepEqual(ids(await b.pending(k)), [put[1]]);
      assert.equal(await s.ack(k, [put[0]!]), 0);
      assert.equal(await s.ack(k, []), 0);
      assert.equal(await s.ack(k, [put[1]!, put[1]!]), 1);
      assert.deepEqual(await b.pending(k), []);
      assert.equal((await s.info(k)).length, 3);
    },
  ],
  [
    "deadLetter moves an entry to the DLQ only while it is pending to the consumer",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 2, 1900000000);
      await s.readNew(k, "A", 10, 1);
      const fields = ["data", "{}", "bin", Buffer.from([0xff, 0xfe])];
      assert.equal(await s.deadLetter(k, "B", put[0]!, fields, BIG), undefined);
      assert.deepEqual([(await s.info(k)).dlqLength, (await s.info(k)).pending], [0, 2]);
      assert.equal((await b.expiries(k.streamExpiry)).length, 2);
      const dead = await s.deadLetter(k, "A", put[0]!, fields, BIG);
      assert.match(dead ?? "", /^\d+-\d+$/);
      const inDlq = await s.range(k.dlq, "-", "+", 10);
      assert.deepEqual(ids(inDlq), [dead]);
      assert.deepEqual(text(inDlq[0]!), { data: "{}", bin: "\xff\xfe" });
      assert.deepEqual(ids(await b.pending(k)), [put[1]]);
      assert.deepEqual(await b.expiries(k.streamExpiry), [[put[1], 1900000000]]);
      assert.deepEqual(await b.expiries(k.dlqExpiry), []);
      // no longer pending: nothing more
      assert.equal(await s.deadLetter(k, "A", put[0]!, fields, BIG), undefined);
      const info = await s.info(k);
      assert.deepEqual([info.dlqLength, info.length], [1, 2]);
    },
  ],
  [
    "requeue moves a DLQ entry back to the main stream only while it is in the DLQ",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const {
        ids: [dead],
      } = await s.append([entry(dlqAsQueue(k), "x", 1900000000)], true, BIG);
      const requeued = await s.requeue(k, dead!, ["data", "again"], BIG);
      assert.equal(requeued?.revived, false);
      const back = requeued?.id;
      assert.match(back ?? "", /^\d+-\d+$/);
      const main = await s.range(k.stream, "-", "+", 10);
      assert.deepEqual(ids(main), [back]);
      assert.deepEqual(text(main[0]!), { data: "again" });
      assert.deepEqual(await s.range(k.dlq, "-", "+", 10), []);
      assert.deepEqual(await b.expiries(k.dlqExpiry), []);
      assert.deepEqual(await b.expiries(k.streamExpiry), []);
      assert.equal(await s.requeue(k, dead!, ["data", "again"], BIG), undefined);
      assert.equal(await s.requeue(k, "1-1", ["data", "again"], BIG), undefined);
      assert.equal((await s.info(k)).length, 1);
      // new to the group
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), [back]);
    },
  ],
  [
    "a stream that is gone (DEL) comes back on append with its group at the start: nothing appended since is lost, the queue is reported in `revived`, and info().resets counts it",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      await fill(b, k, 2);
      await s.ack(k, ids(await s.readNew(k, "A", 10, 1)));
      assert.equal((await s.info(k)).resets, 0);
      await b.del(k.stream);
      const r1 = await s.append([entry(k, "a"), entry(k, "b")], true, BIG);
      assert.deepEqual(r1.revived, [k]);
      assert.equal((await s.info(k)).resets, 1);
      const r2 = await s.append([entry(k, "c"), entry(k, "d")], false, BIG);
      assert.deepEqual(r2.revived, []);
      // a reader reading `>` gets every entry appended since
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), [...r1.ids, ...r2.ids]);
      // again, through the other append path
      await b.del(k.stream);
      const r3 = await s.append([entry(k, "e"), entry(k, "f")], false, BIG);
      assert.deepEqual(r3.revived, [k]);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), r3.ids);
      const meta = await b.hash(k.streamMetadata);
      assert.deepEqual({ ...meta, created_at: "" }, { created_at: "", dlq: k.dlq, consumer_group: k.group, resets: "2" });
      // requeue brings it back too
      const dead = await s.deadLetter(k, "A", r3.ids[0]!, ["n", "again"], BIG);
      await b.del(k.stream);
      const back = await s.requeue(k, dead!, ["n", "again"], BIG);
      assert.equal(back?.revived, true);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), [back!.id]);
      // and route, for a subscription queue
      const bus = b.keys("all");
      const audit = b.keys(subscriptionQueue("audit"));
      await s.ensureQueue(bus);
      await s.ensureQueue(audit);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const put = await fill(b, bus, 2);
      await s.readNew(bus, "router", 10, 1);
      const routed = (id: string): RouteEntry => ({ id, eventType: "A", fields: ["n", id], expireAt: null });
      assert.deepEqual(await s.route(bus, "router", [routed(put[0]!)], BIG), { entries: [{ copies: 1, parked: 0 }], revived: [] });
      await b.del(audit.stream);
      assert.deepEqual(await s.route(bus, "router", [routed(put[1]!)], BIG), { entries: [{ copies: 1, parked: 0 }], revived: [audit.stream] });
      assert.deepEqual(ns(await s.readNew(audit, "A", 10, 1)), [put[1]]);
      const info = await s.info(k);
      assert.deepEqual([info.resets, (await s.info(audit)).resets], [3, 1]);
    },
  ],
  [
    "after a FLUSHALL (a Redis restarted empty; a fresh memory store), an append brings the stream back with its group at the start",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      await fill(b, k, 3);
      await s.readNew(k, "A", 10, 1);
      await b.flush();
      assert.equal(await s.hasQueue(k), false);
      const r = await s.append([entry(k, 1), entry(k, 2)], true, BIG);
      assert.deepEqual(r.revived, [k]);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), r.ids);
      assert.deepEqual(await b.hash(k.streamMetadata), { resets: "1" });
      const info = await s.info(k);
      assert.deepEqual([info.length, info.pending, info.resets, info.trimmedUnread], [2, 2, 1, 0]);
      // the queue's registry entry and metadata come back when it is made again; the reset, counted when
      // the append made the group again, is not counted twice
      assert.equal(await s.ensureQueue(k, { reset: true }), false);
      assert.equal(await s.hasQueue(k), true);
      assert.equal((await s.info(k)).resets, 1);
    },
  ],
  [
    "ensureQueue with reset makes the queue even if it made it before, makes a missing group at the start so that the entries already in the stream are delivered, and counts the reset when it had to make the group",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      // the stream came back without this queue's group (another group's append made it)
      const put = await fill(b, { ...k, group: "someone-else-group" }, 3);
      assert.equal((await s.info(k)).resets, 1);
      assert.equal(await s.ensureQueue(k, { reset: true }), true);
      assert.equal((await s.info(k)).resets, 2);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), put);
      // made again: no group missing, so no reset to count (each reset is counted once, by whoever makes the group)
      assert.equal(await s.ensureQueue(k, { reset: true }), false);
      assert.equal((await s.info(k)).resets, 2);
      assert.equal(await s.ensureQueue(k), false);
      assert.equal((await s.info(k)).resets, 2);
      assert.equal((await s.info(k)).pending, 3);
    },
  ],
  [
    "requeue checks every key before writing: with the DLQ's :expiry key or the stream's metadata of the wrong type it is refused, the entry stays in the DLQ, and nothing changes",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 1);
      await s.readNew(k, "A", 1, 1);
      const dead = (await s.deadLetter(k, "A", put[0]!, ["n", "x"], BIG))!;
      await b.occupy(k.dlqExpiry);
      let before = await snapshot(b, keysOf(k));
      await assert.rejects(s.requeue(k, dead, ["n", "again"], BIG), refusedWith(new RegExp(`WRONGTYPE ${k.dlqExpiry} holds a set, not a zset`)));
      assert.deepEqual(await snapshot(b, keysOf(k)), before);
      assert.deepEqual(ids(await s.range(k.dlq, "-", "+", 10)), [dead]);
      await b.del(k.dlqExpiry);
      // the main stream gone and its metadata unusable: the stream is not brought back
      await b.del(k.stream, k.streamMetadata);
      await b.occupy(k.streamMetadata);
      before = await snapshot(b, keysOf(k));
      await assert.rejects(s.requeue(k, dead, ["n", "again"], BIG), refusedWith(new RegExp(`WRONGTYPE ${k.streamMetadata} holds a set, not a hash`)));
      assert.deepEqual(await snapshot(b, keysOf(k)), before);
      assert.equal(await b.type(k.stream), "none");
      // and a main stream key of the wrong type
      await b.del(k.streamMetadata);
      await b.occupy(k.stream);
      before = await snapshot(b, keysOf(k));
      await assert.rejects(s.requeue(k, dead, ["n", "again"], BIG), refusedWith(new RegExp(`WRONGTYPE ${k.stream} holds a set, not a stream`)));
      assert.deepEqual(await snapshot(b, keysOf(k)), before);
      // refused arguments change nothing either
      await b.del(k.stream);
      before = await snapshot(b, keysOf(k));
      await assert.rejects(s.requeue(k, dead, ["odd"], BIG), refusedWith(/wrong number of arguments/));
      await assert.rejects(s.requeue(k, dead, ["n", "again"], byLength(-1)), refusedWith(/MAXLEN/));
      assert.deepEqual(await snapshot(b, keysOf(k)), before);
      const back = await s.requeue(k, dead, ["n", "again"], BIG);
      assert.equal(back?.revived, true);
      assert.deepEqual(await s.range(k.dlq, "-", "+", 10), []);
    },
  ],
  [
    "deadLetter checks every key before writing: with the DLQ, the stream's :expiry key or the DLQ's metadata of the wrong type it is refused, the entry stays pending, and nothing changes",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 1, 1900000000);
      await s.readNew(k, "A", 1, 1);
      for (const [key, type] of [
        [k.dlq, "stream"],
        [k.streamExpiry, "zset"],
        [k.dlqMetadata, "hash"],
      ] as const) {
        await b.del(key);
        await b.occupy(key);
        const before = await snapshot(b, keysOf(k));
        await assert.rejects(s.deadLetter(k, "A", put[0]!, ["n", "x"], BIG), refusedWith(new RegExp(`WRONGTYPE ${key} holds a set, not a ${type}`)), key);
        assert.deepEqual(await snapshot(b, keysOf(k)), before, key);
        assert.deepEqual(await b.pending(k), [{ id: put[0], consumer: "A", deliveries: 1 }]);
        await b.del(key);
      }
      // refused arguments change nothing either
      const before = await snapshot(b, keysOf(k));
      await assert.rejects(s.deadLetter(k, "A", put[0]!, ["odd"], BIG), refusedWith(/wrong number of arguments/));
      await assert.rejects(s.deadLetter(k, "A", put[0]!, ["n", "x"], byLength(-1)), refusedWith(/MAXLEN/));
      assert.deepEqual(await snapshot(b, keysOf(k)), before);
      const dead = await s.deadLetter(k, "A", put[0]!, ["n", "x"], BIG);
      assert.deepEqual(ids(await s.range(k.dlq, "-", "+", 10)), [dead]);
      assert.deepEqual(await b.pending(k), []);
    },
  ],
  [
    "append checks every key before writing: with the stream's metadata of the wrong type it is refused, and nothing is appended or brought back",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      await fill(b, k, 1);
      await b.del(k.streamMetadata);
      await b.occupy(k.streamMetadata);
      for (const gone of [false, true]) {
        if (gone) await b.del(k.stream);
        const before = await snapshot(b, keysOf(k));
        for (const atomic of [true, false]) {
          for (const entries of [[entry(k, 1)], [entry(k, 1), entry(k, 2, 1900000000)]]) {
            await assert.rejects(s.append(entries, atomic, BIG), refusedWith(new RegExp(`WRONGTYPE ${k.streamMetadata} holds a set, not a hash`)));
            assert.deepEqual(await snapshot(b, keysOf(k)), before);
          }
        }
      }
      assert.equal(await b.type(k.stream), "none");
    },
  ],
  [
    "route copies each entry to the queue of every service subscribed to its type, then acknowledges it",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): string => b.keys(subscriptionQueue(service)).stream;
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "billing", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      await s.setSubscription(b.prefix, "mail", ["UserSignedUp", "OrderShipped"]);
      await s.setSubscription(b.prefix, "idle", []);
      const envelope = Buffer.from([0x00, 0xff, 0x10]);
      const items = [
        { eventType: "OrderPlaced", fields: ["event_type", "OrderPlaced", "envelope", envelope], expireAt: 1900000000.5 },
        { eventType: "UserSignedUp", fields: ["data", '{"a": 1}'], expireAt: null },
        { eventType: "Unwanted", fields: ["data", "{}"], expireAt: null },
      ];
      const { ids: put } = await s.append(
        items.map((it) => ({ keys: bus, fields: it.fields, expireAt: it.expireAt })),
        true,
        BIG,
      );
      await s.readNew(bus, "router", 10, 1);
      const routed: RouteEntry[] = items.map((it, i) => ({ ...it, id: put[i]! }));
      // the subscription queues did not exist: each was made with its group at the start, and reported
      assert.deepEqual(await s.route(bus, "router", routed, BIG), {
        entries: [
          { copies: 2, parked: 0 },
          { copies: 2, parked: 0 },
          { copies: 1, parked: 0 },
        ],
        revived: [sub("billing"), sub("audit"), sub("mail")],
      });

      const billing = await s.range(sub("billing"), "-", "+", 10);
      assert.deepEqual(billing.map(text), [{ event_type: "OrderPlaced", envelope: "\x00\xff\x10" }]);
      const audit = await s.range(sub("audit"), "-", "+", 10);
      assert.deepEqual(audit.map(text), [{ event_type: "OrderPlaced", envelope: "\x00\xff\x10" }, { data: '{"a": 1}' }, { data: "{}" }]);
      const mail = await s.range(sub("mail"), "-", "+", 10);
      assert.deepEqual(mail.map(text), [{ data: '{"a": 1}' }]);
      assert.deepEqual(await s.range(sub("idle"), "-", "+", 10), []);
      assert.deepEqual(await b.expiries(sub("billing") + ":expiry"), [[billing[0]!.id, 1900000000.5]]);
      assert.deepEqual(await b.expiries(sub("audit") + ":expiry"), [[audit[0]!.id, 1900000000.5]]);
      assert.deepEqual(await b.expiries(sub("mail") + ":expiry"), []);
      assert.deepEqual(await b.pending(bus), []);
      // each copy is new to its queue's group
      const audited = b.keys(subscriptionQueue("audit"));
      assert.deepEqual(ids(await s.readNew(audited, "A", 10, 1)), ids(audit));
      assert.deepEqual(await b.hash(audited.streamMetadata), { resets: "1" });
      assert.equal(await b.type(sub("idle")), "none");

      // routed already: no longer pending, nothing copied again
      assert.deepEqual(await s.route(bus, "router", routed, BIG), { entries: [-1, -1, -1], revived: [] });
      assert.equal((await s.range(sub("audit"), "-", "+", 10)).length, 3);
      assert.deepEqual(await s.route(bus, "router", [], BIG), { entries: [], revived: [] });
    },
  ],
  [
    "route leaves entries pending to another consumer alone, and reads the subscriptions as they are at that moment",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): string => b.keys(subscriptionQueue(service)).stream;
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "billing", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const { ids: put } = await s.append([entry(bus, 1), entry(bus, 2)], true, BIG);
      await s.readNew(bus, "router", 10, 1);
      const placed = (id: string): RouteEntry => ({ id, eventType: "OrderPlaced", fields: ["n", id], expireAt: null });
      assert.deepEqual(await s.route(bus, "other", [placed(put[0]!)], BIG), { entries: [-1], revived: [] });
      assert.deepEqual(ids(await b.pending(bus)), put);
      assert.equal((await b.pending(bus))[0]!.consumer, "router");
      assert.deepEqual(await s.range(sub("audit"), "-", "+", 10), []);

      await s.setSubscription(b.prefix, "billing", null);
      await s.setSubscription(b.prefix, "shipping", ["OrderPlaced"]);
      // an entry listed twice is routed once
      assert.deepEqual(await s.route(bus, "router", [placed(put[0]!), placed(put[0]!)], BIG), {
        entries: [{ copies: 2, parked: 0 }, -1],
        revived: [sub("audit"), sub("shipping")],
      });
      assert.deepEqual(await s.range(sub("billing"), "-", "+", 10), []);
      assert.deepEqual((await s.range(sub("audit"), "-", "+", 10)).map(text), [{ n: put[0] }]);
      assert.deepEqual((await s.range(sub("shipping"), "-", "+", 10)).map(text), [{ n: put[0] }]);
      assert.deepEqual(ids(await b.pending(bus)), [put[1]]);
    },
  ],
  [
    "route, acknowledging as ack does, drops the routed entries from the shared queue's :expiry set",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const put = await fill(b, bus, 3, 1900000000);
      await s.readNew(bus, "router", 2, 1);
      const routed = put.map((id): RouteEntry => ({ id, eventType: "OrderPlaced", fields: ["n", id], expireAt: 1900000000 }));
      assert.deepEqual((await s.route(bus, "router", routed.slice(0, 1), BIG)).entries, [{ copies: 1, parked: 0 }]);
      assert.deepEqual((await s.route(bus, "other", routed.slice(1), BIG)).entries, [-1, -1]);
      // only the routed entry leaves the set; those not routed keep their expiry
      assert.deepEqual(
        (await b.expiries(bus.streamExpiry)).map(([id]) => id),
        put.slice(1),
      );
      assert.equal((await b.expiries(b.keys(subscriptionQueue("audit")).streamExpiry)).length, 1);
    },
  ],
  [
    // (a destination that could not take its copy used to fail the whole routing step, leaving the entry pending)
    "route parks the copy of a destination whose stream key has the wrong type in that queue's DLQ, with the reason; every other destination gets one copy, and the entry is acknowledged",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): QueueKeys => b.keys(subscriptionQueue(service));
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "billing", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "broken", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "lost", ["*"]);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      // broken: its stream key holds a set; lost: its DLQ's too
      await b.occupy(sub("broken").stream);
      await b.occupy(sub("lost").stream);
      await b.occupy(sub("lost").dlq);
      const put = await fill(b, bus, 3, 1900000000);
      await s.readNew(bus, "router", 10, 1);
      const fields = (id: string): string[] => ["data", '{"a": 1}', "n", id];
      const placed = (id: string): RouteEntry => ({ id, eventType: "OrderPlaced", fields: fields(id), expireAt: null });
      const t = Date.now() / 1000;
      assert.deepEqual(await s.route(bus, "router", [placed(put[0]!)], BIG), {
        entries: [{ copies: 2, parked: 2 }],
        revived: [sub("billing").stream, sub("audit").stream],
      });
      // acknowledged, and out of the :expiry set, as a routed entry is
      assert.deepEqual(ids(await b.pending(bus)), put.slice(1));
      assert.deepEqual(
        (await b.expiries(bus.streamExpiry)).map(([id]) => id),
        put.slice(1),
      );
      for (const service of ["billing", "audit"]) assert.deepEqual((await s.range(sub(service).stream, "-", "+", 10)).map(text), [{ data: '{"a": 1}', n: put[0] }]);
      const reason = (service: string, problem: string): string => `undeliverable: the copy for sub:${service} cannot be written (${problem})`;
      const parkedIn = async (stream: string): Promise<{ fields: Record<string, string>; failures: { timestamp: number; reason: string }[] }[]> =>
        (await s.range(stream, "-", "+", 10)).map((e) => {
          const { _failures, ...rest } = text(e);
          const failures = JSON.parse(_failures!) as { timestamp: number; reason: string }[];
          // the same JSON text on both stores, as Python's json.dumps writes it (as LeanMQ and the rest of eventwire do)
          assert.equal(_failures, pythonJsonDumps(failures.map((f) => ({ timestamp: pythonFloat(f.timestamp), reason: f.reason }))));
          for (const f of failures) assert.ok(Math.abs(f.timestamp - t) < 60, String(f.timestamp));
          return { fields: rest, failures };
        });
      const broken = reason("broken", `WRONGTYPE ${sub("broken").stream} holds a set, not a stream`);
      const lost = reason("lost", `WRONGTYPE ${sub("lost").stream} holds a set, not a stream`);
      const strip = (rows: { fields: Record<string, string>; failures: { reason: string }[] }[]): unknown => rows.map((r) => [r.fields, r.failures.map((f) => f.reason)]);
      assert.deepEqual(strip(await parkedIn(sub("broken").dlq)), [[{ data: '{"a": 1}', n: put[0] }, [broken]]]);
      // lost's DLQ is unusable too: its copy went to the shared queue's DLQ
      assert.deepEqual(strip(await parkedIn(bus.dlq)), [[{ data: '{"a": 1}', n: put[0] }, [lost]]]);
      // the keys of the wrong type are as they were
      for (const key of [sub("broken").stream, sub("lost").stream, sub("lost").dlq]) assert.deepEqual([await b.type(key), await b.members(key)], ["set", ["occupied"]]);

      // the next routing step goes on in the same way
      assert.deepEqual(await s.route(bus, "router", [placed(put[1]!), { ...placed(put[2]!), eventType: "Other" }], BIG), {
        entries: [
          { copies: 2, parked: 2 },
          { copies: 1, parked: 1 },
        ],
        revived: [],
      });
      assert.deepEqual(await b.pending(bus), []);
      assert.deepEqual(await b.expiries(bus.streamExpiry), []);
      assert.deepEqual(ns(await s.range(sub("billing").stream, "-", "+", 10)), [put[0], put[1]]);
      assert.deepEqual(ns(await s.range(sub("audit").stream, "-", "+", 10)), put);
      assert.equal((await parkedIn(sub("broken").dlq)).length, 2);
      assert.deepEqual(ns(await s.range(bus.dlq, "-", "+", 10)), put);
      // a copy parked a second time keeps the earlier moves in its list
      const again = (await s.range(bus.dlq, "-", "+", 10))[0]!;
      const twice: RouteEntry = { id: put[0]!, eventType: "OrderPlaced", fields: [...again.fields].flatMap(([k, v]) => [k, v]), expireAt: null };
      const [next] = await fill(b, bus, 1);
      await s.readNew(bus, "router", 10, 1);
      assert.deepEqual((await s.route(bus, "router", [{ ...twice, id: next! }], BIG)).entries, [{ copies: 2, parked: 2 }]);
      const last = (await parkedIn(bus.dlq)).at(-1)!;
      assert.deepEqual(
        last.failures.map((f) => f.reason),
        [lost, lost],
      );
      assert.deepEqual(last.fields, { data: '{"a": 1}', n: put[0] });

      // the list an entry brings is kept as it is, one item added; one that is not a JSON array starts again
      await s.setSubscription(b.prefix, "broken", null);
      await s.setSubscription(b.prefix, "lost", null);
      await s.setSubscription(b.prefix, "bröken📦", ["*"]);
      const odd = sub("bröken📦");
      await b.occupy(odd.stream);
      const lists: [string, string][] = [
        ['[{"timestamp":1.5,"reason":"earlier"}]', '[{"timestamp":1.5,"reason":"earlier"}, '],
        ["[]", "["],
        [" [ ] ", " ["],
        ["[1, 2] ", "[1, 2, "],
        ['{"a": 1}', "["],
        ["[1,", "["],
        ["nope", "["],
      ];
      const more = await fill(b, bus, lists.length);
      await s.readNew(bus, "router", 100, 1);
      const routed = await s.route(
        bus,
        "router",
        lists.map(([list], i) => ({ id: more[i]!, eventType: "X", fields: ["n", String(i), "_failures", list], expireAt: null })),
        BIG,
      );
      assert.deepEqual(
        routed.entries,
        lists.map(() => ({ copies: 1, parked: 1 })),
      );
      const oddReason = `undeliverable: the copy for sub:bröken📦 cannot be written (WRONGTYPE ${odd.stream} holds a set, not a stream)`;
      const parkedLists = (await s.range(odd.dlq, "-", "+", 100)).map((e) => [e.fields.get("n")!.toString(), e.fields.get("_failures")!.toString("utf8")]);
      assert.deepEqual(
        parkedLists.map(([n]) => n),
        lists.map((_, i) => String(i)),
      );
      for (const [i, [, list]] of parkedLists.entries()) {
        const items = JSON.parse(list!) as { timestamp: number; reason: string }[];
        const item = items.at(-1)!;
        assert.equal(item.reason, oddReason);
        // the reason's characters beyond ASCII written as \u escapes, as json.dumps writes them
        assert.equal(list, lists[i]![1] + pythonJsonDumps({ timestamp: pythonFloat(item.timestamp), reason: oddReason }) + "]");
        assert.match(list!, /sub:br\\u00f6ken\\ud83d\\udce6 /);
      }
      // the copy to the audit queue carries the entry's fields as they were
      assert.deepEqual(
        (await s.range(sub("audit").stream, "-", "+", 100)).slice(-lists.length).map((e) => e.fields.get("_failures")!.toString()),
        lists.map(([list]) => list),
      );
    },
  ],
  [
    "route parks the copy of a destination whose metadata hash, or (for an entry with an expiry) whose :expiry set, has the wrong type",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): QueueKeys => b.keys(subscriptionQueue(service));
      await s.ensureQueue(bus);
      for (const service of ["meta", "expiry", "fine"]) await s.setSubscription(b.prefix, service, ["*"]);
      await s.ensureQueue(sub("expiry"));
      await b.occupy(sub("meta").streamMetadata);
      await b.occupy(sub("expiry").streamExpiry);
      const put = await fill(b, bus, 2);
      await s.readNew(bus, "router", 10, 1);
      const result = await s.route(
        bus,
        "router",
        [
          { id: put[0]!, eventType: "A", fields: ["n", "0"], expireAt: 1900000000 },
          { id: put[1]!, eventType: "A", fields: ["n", "1"], expireAt: null },
        ],
        BIG,
      );
      assert.deepEqual(result, {
        entries: [
          { copies: 1, parked: 2 },
          { copies: 2, parked: 1 },
        ],
        revived: [sub("fine").stream],
      });
      const reasons = async (stream: string): Promise<[string | undefined, string[]][]> =>
        (await s.range(stream, "-", "+", 10)).map((e) => [e.fields.get("n")?.toString(), (JSON.parse(e.fields.get("_failures")!.toString()) as { reason: string }[]).map((f) => f.reason)]);
      assert.deepEqual(await reasons(sub("meta").dlq), [
        ["0", [`undeliverable: the copy for sub:meta cannot be written (WRONGTYPE ${sub("meta").streamMetadata} holds a set, not a hash)`]],
        ["1", [`undeliverable: the copy for sub:meta cannot be written (WRONGTYPE ${sub("meta").streamMetadata} holds a set, not a hash)`]],
      ]);
      // the entry without expiry reached the queue whose :expiry set is unusable
      assert.deepEqual(await reasons(sub("expiry").dlq), [["0", [`undeliverable: the copy for sub:expiry cannot be written (WRONGTYPE ${sub("expiry").streamExpiry} holds a set, not a zset)`]]]);
      assert.deepEqual(ns(await s.range(sub("expiry").stream, "-", "+", 10)), ["1"]);
      assert.deepEqual(ns(await s.range(sub("fine").stream, "-", "+", 10)), ["0", "1"]);
      assert.deepEqual(await b.expiries(sub("fine").streamExpiry), [[(await s.range(sub("fine").stream, "-", "+", 1))[0]!.id, 1900000000]]);
      assert.equal(await b.type(sub("meta").stream), "none");
      assert.deepEqual(await b.pending(bus), []);
    },
  ],
  [
    "route matches event types by short name on both sides: a subscription to `a.b.C` takes `C`, and one to `C` takes `a.b.C`",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): string => b.keys(subscriptionQueue(service)).stream;
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "short", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "long", ["shop.v1.OrderPlaced"]);
      await s.setSubscription(b.prefix, "shipped", ["shop.v1.OrderShipped", "UserSignedUp"]);
      // a name ending in a dot has no short name: it is its own
      await s.setSubscription(b.prefix, "dotted", ["shop."]);
      const types = ["OrderPlaced", "shop.v1.OrderPlaced", "shop.v2.OrderShipped", "accounts.UserSignedUp", "OrderPlacedNot", "shop.OrderPlaced.v2", "shop.", "other.", "x.shop."];
      const put = await fill(b, bus, types.length);
      await s.readNew(bus, "router", 10, 1);
      const result = await s.route(
        bus,
        "router",
        types.map((eventType, i) => ({ id: put[i]!, eventType, fields: ["type", eventType], expireAt: null })),
        BIG,
      );
      assert.deepEqual(
        result.entries.map((r) => (r === -1 ? r : r.copies)),
        [2, 2, 1, 1, 0, 0, 1, 0, 0],
      );
      const got = async (service: string): Promise<string[]> => (await s.range(sub(service), "-", "+", 10)).map((e) => e.fields.get("type")!.toString());
      assert.deepEqual(await got("short"), ["OrderPlaced", "shop.v1.OrderPlaced"]);
      assert.deepEqual(await got("long"), ["OrderPlaced", "shop.v1.OrderPlaced"]);
      assert.deepEqual(await got("shipped"), ["shop.v2.OrderShipped", "accounts.UserSignedUp"]);
      assert.deepEqual(await got("dotted"), ["shop."]);
      assert.deepEqual(await b.pending(bus), []);
    },
  ],
  [
    "subscriptions are set, replaced and removed per service, under their prefix",
    async (b) => {
      const s = b.store;
      const other = b.prefix + "other:";
      assert.deepEqual(await s.subscriptions(b.prefix), new Map());
      await s.setSubscription(b.prefix, "billing", ["A", "B"]);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      await s.setSubscription(b.prefix, "billing", ["C"]);
      await s.setSubscription(other, "x", ["A"]);
      assert.deepEqual(
        await s.subscriptions(b.prefix),
        new Map([
          ["billing", ["C"]],
          ["audit", ["*"]],
        ]),
      );
      assert.deepEqual(await b.hash(subscriptionsKey(b.prefix)), { billing: '["C"]', audit: '["*"]' });
      await s.setSubscription(b.prefix, "billing", null);
      await s.setSubscription(b.prefix, "nobody", null);
      assert.deepEqual(await s.subscriptions(b.prefix), new Map([["audit", ["*"]]]));
      assert.deepEqual(await s.subscriptions(other), new Map([["x", ["A"]]]));
    },
  ],
  [
    "range reads inclusive intervals between `-`, `+` and ids, at most count entries",
    async (b) => {
      const s = b.store;
      const r = b.keys("r");
      const stream = r.stream;
      const put = await fill(b, r, 5);
      assert.deepEqual(ids(await s.range(stream, "-", "+", 10)), put);
      assert.deepEqual(ids(await s.range(stream, "-", "+", 2)), put.slice(0, 2));
      assert.deepEqual(ids(await s.range(stream, put[1]!, put[3]!, 10)), put.slice(1, 4));
      assert.deepEqual(ids(await s.range(stream, put[3]!, put[1]!, 10)), []);
      assert.deepEqual(ids(await s.range(stream, "(" + put[0]!, "+", 10)), put.slice(1));
      // an id without sequence: from its first, to its last
      const lastMs = String(parseId(put[4]!)[0]);
      assert.deepEqual(ids(await s.range(stream, "-", lastMs, 10)), put);
      assert.deepEqual(ids(await s.range(stream, String(BigInt(lastMs) + 1n), "+", 10)), []);
      assert.deepEqual(await s.range(stream, "-", "+", 0), []);
      assert.deepEqual(await s.range(b.prefix + "missing", "-", "+", 10), []);
    },
  ],
  [
    "rangeReverse reads intervals newest first, from `+` or an id down to `-` or an id, at most count entries",
    async (b) => {
      const s = b.store;
      const r = b.keys("r");
      const stream = r.stream;
      const put = await fill(b, r, 5);
      const newestFirst = [...put].reverse();
      assert.deepEqual(ids(await s.rangeReverse(stream, "+", "-", 10)), newestFirst);
      assert.deepEqual(ns(await s.rangeReverse(stream, "+", "-", 10)), ["4", "3", "2", "1", "0"]);
      // count keeps the newest
      assert.deepEqual(ids(await s.rangeReverse(stream, "+", "-", 2)), [put[4], put[3]]);
      assert.deepEqual(ids(await s.rangeReverse(stream, put[3]!, "-", 2)), [put[3], put[2]]);
      // inclusive bounds, and exclusive ones
      assert.deepEqual(ids(await s.rangeReverse(stream, put[3]!, put[1]!, 10)), [put[3], put[2], put[1]]);
      assert.deepEqual(ids(await s.rangeReverse(stream, "(" + put[3]!, "(" + put[0]!, 10)), [put[2], put[1]]);
      assert.deepEqual(ids(await s.rangeReverse(stream, "+", "(" + put[3]!, 10)), [put[4]]);
      assert.deepEqual(ids(await s.rangeReverse(stream, "(" + put[1]!, "-", 10)), [put[0]]);
      assert.deepEqual(await s.rangeReverse(stream, "(" + put[1]!, "(" + put[0]!, 10), []);
      // bounds the wrong way round: nothing
      assert.deepEqual(await s.rangeReverse(stream, put[1]!, put[3]!, 10), []);
      // an id without sequence: down from its last, or to its first
      const lastMs = String(parseId(put[4]!)[0]);
      const firstMs = String(parseId(put[0]!)[0]);
      assert.deepEqual(ids(await s.rangeReverse(stream, lastMs, firstMs, 10)), newestFirst);
      assert.deepEqual(await s.rangeReverse(stream, "+", String(BigInt(lastMs) + 1n), 10), []);
      assert.deepEqual(await s.rangeReverse(stream, String(BigInt(firstMs) - 1n), "-", 10), []);
      // no count, no stream: nothing
      assert.deepEqual(await s.rangeReverse(stream, "+", "-", 0), []);
      assert.deepEqual(await s.rangeReverse(stream, "+", "-", -1), []);
      assert.deepEqual(await s.rangeReverse(b.prefix + "missing", "+", "-", 10), []);
      // arguments refused as XREVRANGE refuses them
      await assert.rejects(s.rangeReverse(stream, "nope", "-", 10), refusedWith(/Invalid stream ID/));
      await assert.rejects(s.rangeReverse(stream, "+", "-", 1.5), refusedWith(/not an integer/));
      await assert.rejects(s.rangeReverse(stream, "(0-0", "-", 10), refusedWith(/invalid end ID/));
      await assert.rejects(s.rangeReverse(stream, "+", "(18446744073709551615-18446744073709551615", 10), refusedWith(/invalid start ID/));
      const k = b.keys("q");
      await s.ensureQueue(k);
      await assert.rejects(s.rangeReverse(k.streamMetadata, "+", "-", 10), refusedWith(/WRONGTYPE/));
    },
  ],
  [
    "readAfter reads the entries after an id, oldest first, at most count, delivering nothing to any group",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 5);
      const reader = await s.forBlockingReads();
      try {
        assert.deepEqual(ids(await reader.readAfter(k.stream, put[1]!, 10, 1000)), put.slice(2));
        assert.deepEqual(ns(await reader.readAfter(k.stream, put[1]!, 10, 1000)), ["2", "3", "4"]);
        assert.deepEqual(ids(await reader.readAfter(k.stream, put[1]!, 2, 1000)), put.slice(2, 4));
        // COUNT 0: all of them
        assert.deepEqual(ids(await reader.readAfter(k.stream, put[0]!, 0, 1000)), put.slice(1));
        assert.deepEqual(ids(await reader.readAfter(k.stream, "0", 10, 1000)), put);
        assert.deepEqual(ids(await reader.readAfter(k.stream, "0-0", 10, 1000)), put);
        // an id without sequence is <ms>-0 (the first entry of a new stream has sequence 0)
        assert.match(put[0]!, /-0$/);
        assert.deepEqual(ids(await reader.readAfter(k.stream, String(parseId(put[0]!)[0]), 10, 1000)), put.slice(1));
        // the group has seen nothing of it: nothing delivered, nobody pending, no consumer
        const info = await s.info(k);
        assert.deepEqual([info.pending, info.consumers, info.lag], [0, 0, 5]);
        assert.deepEqual(await b.pending(k), []);
        assert.deepEqual(await b.consumers(k), []);
        assert.deepEqual(ids(await s.readNew(k, "A", 2, 1)), put.slice(0, 2));
        assert.deepEqual(ids(await reader.readAfter(k.stream, "0", 10, 1000)), put);
        assert.deepEqual(
          await b.pending(k),
          put.slice(0, 2).map((id) => ({ id, consumer: "A", deliveries: 1 })),
        );
        assert.equal((await s.info(k)).lag, 3);
        // a stream without the queue's group (made by an append for another group) keeps none
        const plain = b.keys("plain");
        const plainPut = await fill(b, { ...plain, group: "someone-else-group" }, 2);
        assert.deepEqual(ids(await reader.readAfter(plain.stream, "0", 10, 1000)), plainPut);
        assert.deepEqual(
          { ...(await s.info(plain)), oldestAgeMs: 0 },
          { name: "plain", stream: plain.stream, length: 2, pending: 0, consumers: 0, lag: null, dlqLength: 0, oldestAgeMs: 0, resets: 1, trimmedUnread: 0 },
        );
        await assert.rejects(s.readNew(plain, "A", 10, 1), refusedWith(/NOGROUP/));
        // arguments refused as XREAD refuses them
        for (const bad of ["nope", "-", "+", "(" + put[0]!, "1-x"]) await assert.rejects(reader.readAfter(k.stream, bad, 10, 1000), refusedWith(/Invalid stream ID/), bad);
        await assert.rejects(reader.readAfter(k.stream, "0", 1.5, 1000), refusedWith(/not an integer/));
        await assert.rejects(reader.readAfter(k.stream, "0", 10, -1), refusedWith(/timeout is negative/));
        await assert.rejects(reader.readAfter(k.streamMetadata, "0", 10, 1000), refusedWith(/WRONGTYPE/));
      } finally {
        if (reader !== s) await reader.close();
      }
    },
  ],
  [
    "readAfter with nothing after the id waits up to blockMs, returning as soon as entries are appended",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 2);
      const reader = await s.forBlockingReads();
      const other = await s.forBlockingReads();
      const group = await s.forBlockingReads();
      try {
        let t = Date.now();
        const waiting = reader.readAfter(k.stream, put[1]!, 10, 5000);
        await sleep(50);
        // both entries of one append, served once the append has finished
        const { ids: more } = await s.append([entry(k, 2), entry(k, 3)], true, BIG);
        assert.deepEqual(ids(await waiting), more);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);
        // served after waiting, still at most count
        const counted = reader.readAfter(k.stream, more[1]!, 1, 5000);
        await sleep(50);
        const { ids: pair } = await s.append([entry(k, "a"), entry(k, "b")], true, BIG);
        assert.deepEqual(ids(await counted), pair.slice(0, 1));

        // nothing comes: no entries, after blockMs
        t = Date.now();
        assert.deepEqual(await reader.readAfter(k.stream, pair[1]!, 10, 150), []);
        assert.ok(Date.now() - t >= 140, `returned after ${Date.now() - t} ms`);

        // a stream that does not exist yet is waited on until it is made
        const later = b.keys("later");
        t = Date.now();
        const made = reader.readAfter(later.stream, "0-0", 10, 5000);
        await sleep(50);
        const { ids: first } = await s.append([entry(later, 1)], true, BIG);
        assert.deepEqual(ids(await made), first);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);

        // only entries after the id serve the reader: with an id ahead of the stream, it waits on
        const ahead = `${Date.now() + 3_600_000}-0`;
        t = Date.now();
        const early = reader.readAfter(k.stream, ahead, 10, 300);
        await sleep(50);
        const { ids: unseen } = await s.append([entry(k, 4)], true, BIG);
        assert.deepEqual(await early, []);
        assert.ok(Date.now() - t >= 280, `returned after ${Date.now() - t} ms`);

        // plain readers and a group reader waiting together all get the new entry; only the group's delivery counts
        assert.deepEqual((await s.info(k)).pending, 0);
        const a = reader.readAfter(k.stream, unseen[0]!, 10, 5000);
        const c = other.readAfter(k.stream, unseen[0]!, 10, 5000);
        assert.equal((await group.readNew(k, "G", 10, 1)).length, 7);
        const g = group.readNew(k, "G", 10, 5000);
        await sleep(50);
        t = Date.now();
        const { ids: last } = await s.append([entry(k, 5)], true, BIG);
        assert.deepEqual([ids(await a), ids(await c), ids(await g)], [last, last, last]);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);
        assert.deepEqual(
          await b.pending(k),
          [...put, ...more, ...pair, ...unseen, ...last].map((id) => ({ id, consumer: "G", deliveries: 1 })),
        );
        assert.equal((await s.info(k)).lag, 0);
      } finally {
        for (const r of [reader, other, group]) if (r !== s) await r.close();
      }
    },
  ],
  [
    "wake releases a waiting readAfter at once, with no entries",
    async (b) => {
      const s = b.store;
      const woken = b.keys("woken");
      const stream = woken.stream;
      const put = await fill(b, woken, 1);
      const reader = await s.forBlockingReads();
      try {
        for (const blockMs of [5000, 0]) {
          const t = Date.now();
          let done = false;
          const waiting = reader.readAfter(stream, put[0]!, 10, blockMs).finally(() => (done = true));
          await sleep(50);
          assert.equal(done, false, "the read did not wait");
          await reader.wake?.("anyone");
          assert.deepEqual(await waiting, []);
          assert.ok(Date.now() - t < 2500, `released after ${Date.now() - t} ms`);
        }
        // nothing lost: the entries appended later are still there to read
        const { ids: more } = await s.append([entry(woken, 1)], true, BIG);
        assert.deepEqual(ids(await reader.readAfter(stream, put[0]!, 10, 1000)), more);
      } finally {
        if (reader !== s) await reader.close();
      }
    },
  ],
  [
    "deleteEntries deletes entries and their expiries, acknowledging them first when given the group",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k, 4, 1900000000);
      await s.readNew(k, "A", 10, 1);
      assert.equal(await s.deleteEntries(k.stream, [put[0]!, "1-1"]), 1);
      assert.deepEqual(ids(await b.pending(k)), put);
      assert.deepEqual(
        (await b.expiries(k.streamExpiry)).map(([id]) => id),
        put.slice(1),
      );
      assert.equal(await s.deleteEntries(k.stream, [put[1]!, put[1]!], k.group), 1);
      assert.deepEqual(ids(await b.pending(k)), [put[0], put[2], put[3]]);
      assert.deepEqual(ids(await s.range(k.stream, "-", "+", 10)), put.slice(2));
      assert.equal(await s.deleteEntries(k.stream, []), 0);
      assert.equal(await s.deleteEntries(b.keys("missing").stream, [put[2]!]), 0);
      assert.equal((await s.info(k)).length, 2);
    },
  ],
  [
    "info counts entries, pending entries, consumers, lag and the DLQ, and ages the oldest entry",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      const empty = { name: "q", stream: k.stream, length: 0, pending: 0, consumers: 0, dlqLength: 0, oldestAgeMs: null, resets: 0, trimmedUnread: 0 };
      assert.deepEqual(await s.info(k), { ...empty, lag: null });
      await s.ensureQueue(k);
      assert.deepEqual(await s.info(k), { ...empty, lag: 0 });
      const put = await fill(b, k, 4);
      await s.readNew(k, "A", 1, 1);
      await s.readNew(k, "B", 2, 1);
      await s.deadLetter(k, "A", put[0]!, ["data", "{}"], BIG);
      await b.age(200);
      const info = await s.info(k);
      assert.deepEqual(
        { ...info, oldestAgeMs: 0 },
        { name: "q", stream: k.stream, length: 4, pending: 2, consumers: 2, lag: 1, dlqLength: 1, oldestAgeMs: 0, resets: 0, trimmedUnread: 0 },
      );
      assert.ok(info.oldestAgeMs !== null && info.oldestAgeMs >= 200 && info.oldestAgeMs < 10_200, String(info.oldestAgeMs));
    },
  ],
  [
    "pruneConsumers removes consumers idle long enough with nothing pending, except the one to keep",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      await fill(b, k, 4);
      await s.readNew(k, "A", 1, 1); // keeps it pending
      for (const name of ["B", "C"]) {
        const got = await s.readNew(k, name, 1, 1);
        await s.ack(k, ids(got));
      }
      await b.age(IDLE);
      await s.ack(k, ids(await s.readNew(k, "D", 1, 1))); // recently active
      assert.equal(await s.pruneConsumers(k, IDLE, "C"), 1);
      assert.deepEqual(
        (await b.consumers(k)).map((c) => c.name),
        ["A", "C", "D"],
      );
      assert.equal(await s.pruneConsumers(k, IDLE, "C"), 0);
      await b.age(IDLE);
      assert.equal(await s.pruneConsumers(k, IDLE, "C"), 1);
      assert.deepEqual(await b.consumers(k), [
        { name: "A", pending: 1 },
        { name: "C", pending: 0 },
      ]);
      assert.equal((await s.info(k)).consumers, 2);
      assert.equal(await s.pruneConsumers(b.keys("none"), 0, ""), 0);
    },
  ],
  [
    "operations that need the consumer group fail with NOGROUP without it (a redis-refused error), and write nothing",
    async (b) => {
      const s = b.store;
      const k = b.keys("nogroup");
      const fields = ["a", "b"];
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const nogroup = refusedWith(new RegExp(`NOGROUP No such key '${k.stream}' or consumer group '${k.group}'`));
      await assert.rejects(s.readNew(k, "A", 1, 1), nogroup);
      await assert.rejects(s.claimIdle(k, "A", 0, "0-0", 1), nogroup);
      await assert.rejects(s.claimOne(k, "A", "1-1", 0), nogroup);
      await assert.rejects(s.touch(k, "A", ["1-1"]), nogroup);
      await assert.rejects(s.deadLetter(k, "A", "1-1", fields, BIG), nogroup);
      await assert.rejects(s.route(k, "A", [{ id: "1-1", eventType: "x", fields, expireAt: null }], BIG), nogroup);
      assert.equal(await s.ack(k, ["1-1"]), 0);
      assert.equal(await s.requeue(k, "1-1", fields, BIG), undefined);
      assert.equal(await s.pruneConsumers(k, 0, "A"), 0);
      assert.deepEqual(await s.listQueues(b.prefix), []);
      for (const key of [...keysOf(k), ...keysOf(b.keys(subscriptionQueue("audit")))]) assert.equal(await b.type(key), "none", key);
    },
  ],
  [
    "arguments Redis refuses are refused (redis-refused errors), and nothing is written",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      // a queue whose stream is `q`'s metadata hash (in LeanMQ's layout, the queue named `q:metadata`)
      const clash: QueueKeys = { ...k, stream: k.streamMetadata, streamExpiry: k.streamMetadata + ":expiry", streamMetadata: k.streamMetadata + ":metadata" };
      const watched = [...keysOf(k), ...keysOf(clash)];
      let before = await snapshot(b, watched);
      await assert.rejects(s.range(k.stream, "nope", "+", 1), refusedWith(/Invalid stream ID/));
      await assert.rejects(s.deleteEntries(k.stream, ["nope"]), refusedWith(/Invalid stream ID/));
      await assert.rejects(s.ack(k, ["1-x"]), refusedWith(/Invalid stream ID/));
      await assert.rejects(s.claimIdle(k, "A", 0, "0-0", 0), refusedWith(/COUNT must be > 0/));
      await assert.rejects(s.readNew(k, "A", 1, -1), refusedWith(/timeout is negative/));
      for (const atomic of [true, false]) {
        for (const limits of [acknowledged(-1), byLength(-1)]) {
          await assert.rejects(s.append([entry(k, 1)], atomic, limits), refusedWith(/MAXLEN argument must be >= 0/));
          await assert.rejects(s.append([entry(k, 1), entry(k, 2)], atomic, limits), refusedWith(/MAXLEN argument must be >= 0/));
        }
        await assert.rejects(s.append([entry(k, 1), entry(k, 2)], atomic, byLength(1.5)), refusedWith(/not an integer or out of range/));
        await assert.rejects(s.append([{ keys: k, fields: [], expireAt: null }], atomic, BIG), refusedWith(/wrong number of arguments/));
        await assert.rejects(s.append([{ keys: k, fields: ["odd"], expireAt: null }], atomic, BIG), refusedWith(/wrong number of arguments/));
        await assert.rejects(s.append([entry(clash, 1)], atomic, BIG), refusedWith(/WRONGTYPE/));
      }
      assert.deepEqual(await snapshot(b, watched), before);
      assert.equal((await s.info(k)).length, 0);
      const put = await fill(b, k, 2, 1900000000);
      await s.readNew(k, "A", 2, 1);
      before = await snapshot(b, watched);
      await assert.rejects(s.deadLetter(k, "A", put[0]!, [], BIG), refusedWith(/wrong number of arguments/));
      await assert.rejects(s.deadLetter(k, "A", put[0]!, ["n", "0"], acknowledged(-1)), refusedWith(/MAXLEN/));
      assert.deepEqual(await snapshot(b, watched), before);
      assert.deepEqual([(await s.info(k)).pending, (await s.info(k)).dlqLength], [2, 0]);
      // route checks every entry before it writes anything: a refused one leaves the others pending, and no copy made
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const audit = b.keys(subscriptionQueue("audit"));
      const good: RouteEntry = { id: put[0]!, eventType: "A", fields: ["n", "0"], expireAt: 1900000000 };
      const watchedToo = [...watched, ...keysOf(audit)];
      before = await snapshot(b, watchedToo);
      for (const [entries, limits, error] of [
        [[good, { id: put[1]!, eventType: "A", fields: ["odd"], expireAt: null }], BIG, /wrong number of arguments/],
        [[good, { id: put[1]!, eventType: "A", fields: [], expireAt: null }], BIG, /wrong number of arguments/],
        [[good, { id: put[1]!, eventType: "A", fields: ["n", "1"], expireAt: Number.NaN }], BIG, /not a valid float/],
        [[good], byLength(-1), /MAXLEN argument must be >= 0/],
        [[good], acknowledged(2.5), /not an integer or out of range/],
      ] as [RouteEntry[], StreamLimits, RegExp][]) {
        await assert.rejects(s.route(k, "A", entries, limits), refusedWith(error), String(error));
        assert.deepEqual(await snapshot(b, watchedToo), before, String(error));
      }
      assert.deepEqual(ids(await b.pending(k)), put);
      assert.deepEqual((await s.route(k, "A", [good], BIG)).entries, [{ copies: 1, parked: 0 }]);
    },
  ],
  [
    "setPartitions records the count publishers write to and raises the highest the queue has had; partitions reads them, 1 when none is recorded",
    async (b) => {
      const s = b.store;
      const k = b.keys("parted");
      assert.deepEqual(await s.partitions(k), { count: 1, highest: 1 });
      await s.ensureQueue(k);
      assert.deepEqual(await s.setPartitions(k, 4), { count: 4, highest: 4 });
      assert.deepEqual(await s.setPartitions(k, 2), { count: 2, highest: 4 });
      assert.deepEqual(await s.partitions(k), { count: 2, highest: 4 });
      const meta = await b.hash(k.streamMetadata);
      assert.equal(meta["partitions"], "2");
      assert.equal(meta["partitions_highest"], "4");
      assert.equal(meta["consumer_group"], k.group, "the queue's own metadata was lost");
      await assert.rejects(s.setPartitions(k, 0), (e: unknown) => isEventwireError(e, "invalid-option"));
      const bad = b.keys("occupied-meta");
      await b.occupy(bad.streamMetadata);
      await assert.rejects(s.setPartitions(bad, 3), (e: unknown) => isEventwireError(e, "redis-refused") && /WRONGTYPE/.test((e as Error).message));
    },
  ],
  [
    "addSchemaVersion adds a version only over the newest one checked against, returns the version of a known fingerprint, and lists the types",
    async (b) => {
      const s = b.store;
      const set = (n: number) => ({ fingerprint: `sha256:${n}`, descriptorSet: new Uint8Array([10, n, 0, 255]), registeredAt: 1732700000.5 + n, forced: n === 3 });
      assert.deepEqual(await s.schemaVersions(b.prefix, "acme.v1.Signup"), []);
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Signup", 0, set(1)), { outcome: "added", version: 1 });
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Signup", 0, set(1)), { outcome: "exists", version: 1 });
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Signup", 0, set(2)), { outcome: "conflict", latest: 1 });
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Signup", 1, set(2)), { outcome: "added", version: 2 });
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Signup", 2, set(3)), { outcome: "added", version: 3 });
      assert.deepEqual(await s.addSchemaVersion(b.prefix, "acme.v1.Other", 0, set(1)), { outcome: "added", version: 1 });
      const versions = await s.schemaVersions(b.prefix, "acme.v1.Signup");
      assert.deepEqual(
        versions.map((v) => [v.version, v.fingerprint, [...v.descriptorSet], v.registeredAt, v.forced]),
        [1, 2, 3].map((n) => [n, `sha256:${n}`, [10, n, 0, 255], 1732700000.5 + n, n === 3]),
      );
      assert.deepEqual(await s.schemaTypes(b.prefix), ["acme.v1.Other", "acme.v1.Signup"]);
      assert.deepEqual(await s.schemaTypes("elsewhere:"), []);
    },
  ],
];

// ---- the table, on both stores ----

let server: RedisServer;
let redisStore: RedisStore;
let cluster: RedisCluster;
let clusterStore: RedisStore;

before(async () => {
  [server, cluster] = await Promise.all([RedisServer.start(), testCluster()]);
  redisStore = new RedisStore(new Redis(server.url), "quit");
  clusterStore = new RedisStore(await openCluster({ nodes: [...cluster.seeds] }), "quit");
});

after(async () => {
  await Promise.all([redisStore?.close(), clusterStore?.close()]);
  await Promise.all([server?.stop(), cluster?.stop()]);
});

/**
 * What runs on a Redis Cluster too: every behaviour but those that count on
 * writing several queues in one step (a cluster refuses them) or that flush
 * the whole server (a cluster shared through REDIS_CLUSTER_NODES is not
 * this test's to flush). Routing is among them: on a cluster it runs
 * apart per destination, with the same outcome.
 */
const onCluster = (name: string): boolean => !/atomic|all or none|several queues|flush|FLUSHALL|restarted empty/i.test(name);

for (const [kind, make, runs] of [
  ["memory", () => memoryBackend(), () => true],
  ["redis", () => redisBackend(redisStore), () => true],
  ["redis cluster", () => redisBackend(clusterStore), onCluster],
] as const) {
  describe(`${kind} store`, () => {
    for (const [name, behaviour] of behaviours.filter(([name]) => runs(name))) {
      test(name, async () => {
        const b = make();
        try {
          await behaviour(b);
        } finally {
          if (kind === "memory") await b.store.close();
        }
      });
    }
  });
}

// ---- the memory store alone ----

describe("memory store only", () => {
  test("ids follow the clock, and keep increasing when it stands still or goes back", async () => {
    let t = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => t });
    const k = queueKeys("m:", "s");
    const append = async (n: number): Promise<string[]> =>
      (
        await store.append(
          Array.from({ length: n }, (_, i) => entry(k, i)),
          true,
          BIG,
        )
      ).ids;
    assert.deepEqual(await append(3), ["1700000000000-0", "1700000000000-1", "1700000000000-2"]);
    t -= 5000;
    assert.deepEqual(await append(1), ["1700000000000-3"]);
    t += 10_000;
    assert.deepEqual(await append(2), ["1700000005000-0", "1700000005000-1"]);
    // deleting the last entry does not make its id free again
    await store.deleteEntries(k.stream, ["1700000005000-1"]);
    assert.deepEqual(await append(1), ["1700000005000-2"]);
    const zero = new MemoryStore({ now: () => 0 });
    assert.deepEqual((await zero.append([entry(k, 0)], true, BIG)).ids, ["0-1"]);
  });

  test("trimming by length is exact: a stream keeps maxLength entries, the newest", async () => {
    const store = new MemoryStore();
    const k = queueKeys("m:", "s");
    const { ids: put } = await store.append(
      Array.from({ length: 250 }, (_, i) => entry(k, i)),
      false,
      byLength(100),
    );
    assert.deepEqual(ids(await store.range(k.stream, "-", "+", 1000)), put.slice(150));
    const t = queueKeys("m:", "t");
    const one: string[] = [];
    for (let i = 0; i < 6; i++) {
      one.push(...(await store.append([entry(t, i)], true, byLength(3))).ids);
      assert.deepEqual(ids(await store.range(t.stream, "-", "+", 10)), one.slice(-3));
    }
    await store.append([entry(t, 6)], true, byLength(0));
    assert.deepEqual(await store.range(t.stream, "-", "+", 10), []);
    assert.equal((await store.info(t)).trimmedUnread, 7);
  });

  test("the injected clock ages entries, pending entries and consumers", async () => {
    let t = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => t });
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    const {
      ids: [id],
    } = await store.append([entry(k, 1)], true, BIG);
    await store.readNew(k, "A", 1, 1);
    t += 1234;
    assert.equal((await store.info(k)).oldestAgeMs, 1234);
    assert.deepEqual(store.pendingEntries(k.stream, k.group), [{ id, consumer: "A", deliveries: 1, idleMs: 1234 }]);
    assert.deepEqual(store.consumerInfo(k.stream, k.group), [{ name: "A", pending: 1, idleMs: 1234 }]);
    assert.equal((await store.claimIdle(k, "B", 1235, "0-0", 1)).entries.length, 0);
    assert.equal((await store.claimIdle(k, "B", 1234, "0-0", 1)).entries.length, 1);
  });

  test("close releases waiting readers at once with no entries; later reads fail as closed, and the data stays", { timeout: 5000 }, async () => {
    const store = new MemoryStore();
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    const { ids: put } = await store.append([entry(k, 1)], true, BIG);
    const other = queueKeys("m:", "other");
    await store.ensureQueue(other);
    const t = Date.now();
    const waiting = [store.readNew(other, "A", 10, 60_000), store.readNew(other, "B", 10, 0)];
    await sleep(20);
    await store.close();
    assert.deepEqual(await Promise.all(waiting), [[], []]);
    assert.ok(Date.now() - t < 1000, `took ${Date.now() - t} ms`);
    // a reader looping on a closed store is told so, instead of spinning on empty reads
    await assert.rejects(store.readNew(k, "A", 10, 60_000), (e: unknown) => isEventwireError(e, "closed"));
    assert.deepEqual(ids(await store.range(k.stream, "-", "+", 10)), put);
  });

  test("wake releases only the named consumer's waiting read", { timeout: 5000 }, async () => {
    const store = new MemoryStore();
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    let bDone = false;
    const a = store.readNew(k, "A", 10, 60_000);
    const b = store.readNew(k, "B", 10, 300).then((r) => ((bDone = true), r));
    await sleep(10);
    await store.wake("A");
    assert.deepEqual(await a, []);
    assert.equal(bDone, false, "wake released another consumer's read");
    await b;
    await store.close();
  });

  test("a reader served early leaves no timer behind", { timeout: 5000 }, async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const store = new MemoryStore();
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    const before = timers();
    const waiting = store.readNew(k, "A", 10, 60_000);
    const following = store.readAfter(k.stream, "0", 10, 60_000);
    assert.equal(timers(), before + 2);
    await store.append([entry(k, 1)], true, BIG);
    assert.equal((await waiting).length, 1);
    assert.equal((await following).length, 1);
    assert.equal(timers(), before);
    await store.close();
  });

  test("close releases waiting readAfters at once with no entries; later ones fail as closed, and the data stays", { timeout: 5000 }, async () => {
    const store = new MemoryStore();
    const k = queueKeys("m:", "s");
    const { ids: put } = await store.append([entry(k, 1)], true, BIG);
    const t = Date.now();
    const waiting = [store.readAfter(k.stream, put[0]!, 10, 60_000), store.readAfter("none", "0", 10, 0)];
    await sleep(20);
    await store.close();
    assert.deepEqual(await Promise.all(waiting), [[], []]);
    assert.ok(Date.now() - t < 1000, `took ${Date.now() - t} ms`);
    // a follower looping on a closed store is told so, instead of spinning on empty reads
    await assert.rejects(store.readAfter(k.stream, "0", 10, 60_000), (e: unknown) => isEventwireError(e, "closed"));
    assert.deepEqual(ids(await store.rangeReverse(k.stream, "+", "-", 10)), put);
  });

  test("wake releases waiting readAfters, which belong to no consumer, and leaves other consumers' reads waiting", { timeout: 5000 }, async () => {
    const store = new MemoryStore();
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    let plainDone = false;
    let bDone = false;
    const plain = store.readAfter(k.stream, "0", 10, 0).finally(() => (plainDone = true));
    const b = store.readNew(k, "B", 10, 300).then((r) => ((bDone = true), r));
    await sleep(10);
    assert.equal(plainDone, false, "the read did not wait");
    await store.wake("A");
    assert.deepEqual(await plain, []);
    assert.equal(bDone, false, "wake released another consumer's read");
    await b;
    await store.close();
  });

  test("nothing under src/memory imports ioredis, directly or through what it imports", () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        assert.ok(!/^ioredis(\/|$)/.test(spec) && spec !== "@ioredis/commands", `${file} imports ${spec}`);
        if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
    };
    visit(join(root, "src/memory/memory-store.ts"));
    assert.ok(seen.size >= 4, [...seen].join(", "));
  });
});
