// The in-memory entry store against the Redis one: every behaviour in the
// table runs on both, with the same assertions, so that the memory store
// does what Redis does. A few tests at the end cover what only the memory
// store has (its clock, its timers, its imports).
import { isEventwireError } from "eventwire";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { MemoryStore } from "../../src/memory/memory-store.js";
import { RedisStore } from "../../src/redis/redis-store.js";
import type { StreamEntry } from "../../src/transport/store.js";
import { queueKeys, subscriptionQueue, subscriptionsKey, type QueueKeys } from "../../src/transport/leanmq/keys.js";
import type { EntryStore, OutgoingEntry, RouteEntry } from "../../src/transport/store.js";
import { RedisServer } from "../support/redis.js";

/** A maxLength that never trims in these tests. */
const BIG = 10_000;
/** The idle time the tests wait for, in ms. */
const IDLE = 150;

interface Pending {
  readonly id: string;
  readonly consumer: string;
  readonly deliveries: number;
}

/** One store under test, with ways to look at its data that the store interface does not offer. */
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
  /** A sorted set's members and scores, lowest score first. */
  expiries(key: string): Promise<[string, number][]>;
  hash(key: string): Promise<Record<string, string>>;
  members(key: string): Promise<string[]>;
  /** Makes the store create queues again (the Redis store remembers which it created). */
  forget(): void;
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
  return {
    store,
    prefix,
    keys: (name) => queueKeys(prefix, name),
    age: async (ms) => {
      clock += ms;
    },
    pending: async (k) => store.pendingEntries(k.stream, k.group).map(({ id, consumer, deliveries }) => ({ id, consumer, deliveries })),
    consumers: async (k) =>
      store
        .consumerInfo(k.stream, k.group)
        .map(({ name, pending }) => ({ name, pending }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    expiries: async (key) => store.sortedSet(key),
    hash: async (key) => Object.fromEntries(store.hash(key)),
    members: async (key) => store.setMembers(key),
    forget: () => {},
  };
}

function flatToObject(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function redisBackend(store: RedisStore): Backend {
  const redis = store.redis;
  const prefix = nextPrefix();
  return {
    store,
    prefix,
    keys: (name) => queueKeys(prefix, name),
    // a little more than asked, as the server's clock and the timers are not in step to the millisecond
    age: (ms) => sleep(ms + 5),
    pending: async (k) => {
      const rows = (await redis.xpending(k.stream, k.group, "-", "+", 10_000)) as [string, string, number, number][];
      return rows.map(([id, consumer, , deliveries]) => ({ id, consumer, deliveries: Number(deliveries) }));
    },
    consumers: async (k) => {
      const rows = (await redis.xinfo("CONSUMERS", k.stream, k.group)) as unknown[][];
      return rows
        .map(flatToObject)
        .map((c) => ({ name: String(c["name"]), pending: Number(c["pending"]) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    expiries: async (key) => {
      const flat = await redis.zrange(key, "0", "-1", "WITHSCORES");
      const out: [string, number][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
      return out;
    },
    hash: (key) => redis.hgetall(key),
    members: async (key) => (await redis.smembers(key)).sort(),
    forget: () => store.forgetQueues(),
  };
}

// ---- helpers ----

function entry(stream: string, n: number | string, expireAt: number | null = null): OutgoingEntry {
  return { stream, fields: ["n", String(n)], expireAt };
}

async function fill(b: Backend, stream: string, count: number, expireAt: number | null = null): Promise<string[]> {
  return b.store.append(
    Array.from({ length: count }, (_, i) => entry(stream, i, expireAt)),
    true,
    BIG,
  );
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
      await s.ensureQueue(k);
      await s.ensureQueue(b.keys("alpha"));
      assert.equal(await s.hasQueue(k), true);
      assert.equal(await s.hasQueue(queueKeys("elsewhere:", "orders")), false);
      assert.deepEqual(await s.listQueues(b.prefix), ["alpha", "orders"]);
      assert.deepEqual(await s.listQueues("elsewhere:"), []);
      assert.deepEqual(await b.members(k.registry), [b.prefix + "alpha", b.prefix + "alpha:dlq", k.stream, k.dlq].sort());
      const meta = await b.hash(k.streamMetadata);
      assert.match(meta["created_at"]!, /^\d+\.\d+$/);
      assert.ok(Math.abs(Number(meta["created_at"]) - Date.now() / 1000) < 60, meta["created_at"]);
      assert.deepEqual({ ...meta, created_at: "" }, { created_at: "", dlq: k.dlq, consumer_group: k.group });
      const dlqMeta = await b.hash(k.dlqMetadata);
      assert.match(dlqMeta["created_at"]!, /^\d+\.\d+$/);
      assert.deepEqual({ ...dlqMeta, created_at: "" }, { created_at: "", main_queue: k.stream, consumer_group: k.dlqGroup, is_dlq: "true" });

      // created again later: the creation time and the group's position stay
      await fill(b, k.stream, 2);
      assert.equal((await s.readNew(k, "A", 10, 1)).length, 2);
      await b.age(20);
      b.forget();
      await s.ensureQueue(k);
      assert.equal((await b.hash(k.streamMetadata))["created_at"], meta["created_at"]);
      assert.equal((await b.hash(k.dlqMetadata))["created_at"], dlqMeta["created_at"]);
      assert.deepEqual(await s.readNew(k, "A", 10, 1), []);
      assert.equal((await s.info(k)).pending, 2);
    },
  ],
  [
    "consumer groups start at `$`: entries appended before the group are never delivered",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await fill(b, k.stream, 2);
      await s.ensureQueue(k);
      assert.deepEqual(await s.readNew(k, "A", 10, 1), []);
      const later = await fill(b, k.stream, 1);
      assert.deepEqual(ids(await s.readNew(k, "A", 10, 1)), later);
      const info = await s.info(k);
      assert.deepEqual([info.length, info.pending, info.lag], [3, 1, 0]);
    },
  ],
  [
    "append returns the ids in order, <ms>-<seq>, strictly increasing per stream",
    async (b) => {
      const s = b.store;
      for (const atomic of [true, false]) {
        const one = `${b.prefix}one-${atomic}`;
        const two = `${b.prefix}two-${atomic}`;
        const got = await s.append([entry(one, 0), entry(two, 1), entry(one, 2, 1900000000)], atomic, BIG);
        assert.equal(got.length, 3);
        for (const id of got) assert.match(id, /^\d+-\d+$/);
        assert.deepEqual(ids(await s.range(one, "-", "+", 10)), [got[0], got[2]]);
        assert.deepEqual(ns(await s.range(one, "-", "+", 10)), ["0", "2"]);
        assert.deepEqual(ids(await s.range(two, "-", "+", 10)), [got[1]]);
      }
      assert.deepEqual(await s.append([], true, BIG), []);
      const stream = b.prefix + "many";
      const many: string[] = [];
      for (let i = 0; i < 20; i++) many.push(...(await s.append([entry(stream, i), entry(stream, i)], i % 2 === 0, BIG)));
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
      const [id] = await s.append([{ stream: k.stream, fields: ["bin", given, "text", "héllo ✓", "dup", "1", "dup", "2"], expireAt: null }], true, BIG);
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
        const stream = `${b.prefix}exp-${atomic}`;
        const got = await b.store.append([entry(stream, 0, 1800000000.25), entry(stream, 1), entry(stream, 2, 1700000000)], atomic, BIG);
        assert.deepEqual(await b.expiries(stream + ":expiry"), [
          [got[2], 1700000000],
          [got[0], 1800000000.25],
        ]);
      }
    },
  ],
  [
    "an atomic append writes all of its entries or none, also when a later one is refused",
    async (b) => {
      const s = b.store;
      const one = b.prefix + "one";
      const two = b.prefix + "two";
      // a queue named `two:expiry` makes that key a stream, where `two`'s expiries cannot go
      await s.ensureQueue(b.keys("two:expiry"));
      const refused: [OutgoingEntry[], RegExp][] = [
        [[entry(one, 1, 1900000000), { stream: two, fields: [], expireAt: null }], /wrong number of arguments/],
        [[entry(one, 1, 1900000000), { stream: two, fields: ["n"], expireAt: null }], /wrong number of arguments/],
        [[entry(one, 1, 1900000000), entry(two, 2, Number.NaN)], /not a valid float/],
        [[entry(one, 1, 1900000000), entry(b.keys("two:expiry").streamMetadata, 2)], /WRONGTYPE/],
        [[entry(one, 1, 1900000000), entry(two, 2, 1900000000)], /WRONGTYPE/],
      ];
      for (const [entries, error] of refused) {
        await assert.rejects(s.append(entries, true, BIG), error);
        assert.deepEqual(await s.range(one, "-", "+", 10), []);
        assert.deepEqual(await s.range(two, "-", "+", 10), []);
        assert.deepEqual(await b.expiries(one + ":expiry"), []);
      }
    },
  ],
  [
    "append caps streams at about maxLength, dropping the oldest entries",
    async (b) => {
      const s = b.store;
      const atOnce = b.prefix + "capped";
      const put = await s.append(
        Array.from({ length: 250 }, (_, i) => entry(atOnce, i)),
        true,
        100,
      );
      const kept = await s.range(atOnce, "-", "+", 1000);
      assert.ok(kept.length >= 100 && kept.length < 250, `${kept.length} entries`);
      assert.deepEqual(ids(kept), put.slice(-kept.length));
      const oneByOne = b.prefix + "capped-too";
      const put2: string[] = [];
      for (let i = 0; i < 250; i++) put2.push(...(await s.append([entry(oneByOne, i)], false, 100)));
      const kept2 = await s.range(oneByOne, "-", "+", 1000);
      assert.ok(kept2.length >= 100 && kept2.length < 250, `${kept2.length} entries`);
      assert.deepEqual(ids(kept2), put2.slice(-kept2.length));
    },
  ],
  [
    "readNew delivers each new entry once, in order, pending to the reader with one delivery",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k.stream, 5);
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
        const put = await s.append([entry(k.stream, 1)], true, BIG);
        assert.deepEqual(ids(await waiting), put);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);

        t = Date.now();
        assert.deepEqual(await first.readNew(k, "A", 10, 150), []);
        assert.ok(Date.now() - t >= 140, `returned after ${Date.now() - t} ms`);

        const one = first.readNew(k, "A", 10, 400);
        await sleep(30);
        const other = second.readNew(k, "B", 10, 400);
        await sleep(30);
        const put2 = await s.append([entry(k.stream, 2)], true, BIG);
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
      const put = await fill(b, k.stream, 3);
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
      const put = await fill(b, k.stream, 25);
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
      const old = await fill(b, k.stream, 4);
      await s.readNew(k, "A", 10, 1);
      assert.equal(await s.deleteEntries(k.stream, [old[1]!]), 1);
      // the others are trimmed away by many more entries appended with a small cap
      await s.append(
        Array.from({ length: 250 }, (_, i) => entry(k.stream, 100 + i)),
        true,
        100,
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
      const put = await fill(b, k.stream, 3);
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
      const put = await fill(b, k.stream, 4);
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
      const put = await fill(b, k.stream, 3, 1900000000);
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
      const put = await fill(b, k.stream, 2, 1900000000);
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
      const [dead] = await s.append([entry(k.dlq, "x", 1900000000)], true, BIG);
      const back = await s.requeue(k, dead!, ["data", "again"], BIG);
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
    "route copies each entry to the queue of every service subscribed to its type, then acknowledges it",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): string => b.prefix + subscriptionQueue(service);
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
      const put = await s.append(
        items.map((it) => ({ stream: bus.stream, fields: it.fields, expireAt: it.expireAt })),
        true,
        BIG,
      );
      await s.readNew(bus, "router", 10, 1);
      const routed: RouteEntry[] = items.map((it, i) => ({ ...it, id: put[i]! }));
      assert.deepEqual(await s.route(bus, "router", routed, BIG), [2, 2, 1]);

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

      // routed already: no longer pending, nothing copied again
      assert.deepEqual(await s.route(bus, "router", routed, BIG), [-1, -1, -1]);
      assert.equal((await s.range(sub("audit"), "-", "+", 10)).length, 3);
      assert.deepEqual(await s.route(bus, "router", [], BIG), []);
    },
  ],
  [
    "route leaves entries pending to another consumer alone, and reads the subscriptions as they are at that moment",
    async (b) => {
      const s = b.store;
      const bus = b.keys("all");
      const sub = (service: string): string => b.prefix + subscriptionQueue(service);
      await s.ensureQueue(bus);
      await s.setSubscription(b.prefix, "billing", ["OrderPlaced"]);
      await s.setSubscription(b.prefix, "audit", ["*"]);
      const put = await s.append([entry(bus.stream, 1), entry(bus.stream, 2)], true, BIG);
      await s.readNew(bus, "router", 10, 1);
      const placed = (id: string): RouteEntry => ({ id, eventType: "OrderPlaced", fields: ["n", id], expireAt: null });
      assert.deepEqual(await s.route(bus, "other", [placed(put[0]!)], BIG), [-1]);
      assert.deepEqual(ids(await b.pending(bus)), put);
      assert.equal((await b.pending(bus))[0]!.consumer, "router");
      assert.deepEqual(await s.range(sub("audit"), "-", "+", 10), []);

      await s.setSubscription(b.prefix, "billing", null);
      await s.setSubscription(b.prefix, "shipping", ["OrderPlaced"]);
      // an entry listed twice is routed once
      assert.deepEqual(await s.route(bus, "router", [placed(put[0]!), placed(put[0]!)], BIG), [2, -1]);
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
      const put = await fill(b, bus.stream, 3, 1900000000);
      await s.readNew(bus, "router", 2, 1);
      const routed = put.map((id): RouteEntry => ({ id, eventType: "OrderPlaced", fields: ["n", id], expireAt: 1900000000 }));
      assert.deepEqual(await s.route(bus, "router", routed.slice(0, 1), BIG), [1]);
      assert.deepEqual(await s.route(bus, "other", routed.slice(1), BIG), [-1, -1]);
      // only the routed entry leaves the set; those not routed keep their expiry
      assert.deepEqual(
        (await b.expiries(bus.streamExpiry)).map(([id]) => id),
        put.slice(1),
      );
      assert.equal((await b.expiries(b.prefix + subscriptionQueue("audit") + ":expiry")).length, 1);
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
      const stream = b.prefix + "r";
      const put = await fill(b, stream, 5);
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
      const stream = b.prefix + "r";
      const put = await fill(b, stream, 5);
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
      await assert.rejects(s.rangeReverse(stream, "nope", "-", 10), /Invalid stream ID/);
      await assert.rejects(s.rangeReverse(stream, "+", "-", 1.5), /not an integer/);
      await assert.rejects(s.rangeReverse(stream, "(0-0", "-", 10), /invalid end ID/);
      await assert.rejects(s.rangeReverse(stream, "+", "(18446744073709551615-18446744073709551615", 10), /invalid start ID/);
      const k = b.keys("q");
      await s.ensureQueue(k);
      await assert.rejects(s.rangeReverse(k.streamMetadata, "+", "-", 10), /WRONGTYPE/);
    },
  ],
  [
    "readAfter reads the entries after an id, oldest first, at most count, delivering nothing to any group",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      const put = await fill(b, k.stream, 5);
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
        // a stream without groups keeps none
        const plain = b.keys("plain");
        const plainPut = await fill(b, plain.stream, 2);
        assert.deepEqual(ids(await reader.readAfter(plain.stream, "0", 10, 1000)), plainPut);
        assert.deepEqual(
          { ...(await s.info(plain)), oldestAgeMs: 0 },
          { name: "plain", stream: plain.stream, length: 2, pending: 0, consumers: 0, lag: null, dlqLength: 0, oldestAgeMs: 0 },
        );
        await assert.rejects(s.readNew(plain, "A", 10, 1), /NOGROUP/);
        // arguments refused as XREAD refuses them
        for (const bad of ["nope", "-", "+", "(" + put[0]!, "1-x"]) await assert.rejects(reader.readAfter(k.stream, bad, 10, 1000), /Invalid stream ID/, bad);
        await assert.rejects(reader.readAfter(k.stream, "0", 1.5, 1000), /not an integer/);
        await assert.rejects(reader.readAfter(k.stream, "0", 10, -1), /timeout is negative/);
        await assert.rejects(reader.readAfter(k.streamMetadata, "0", 10, 1000), /WRONGTYPE/);
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
      const put = await fill(b, k.stream, 2);
      const reader = await s.forBlockingReads();
      const other = await s.forBlockingReads();
      const group = await s.forBlockingReads();
      try {
        let t = Date.now();
        const waiting = reader.readAfter(k.stream, put[1]!, 10, 5000);
        await sleep(50);
        // both entries of one append, served once the append has finished
        const more = await s.append([entry(k.stream, 2), entry(k.stream, 3)], true, BIG);
        assert.deepEqual(ids(await waiting), more);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);
        // served after waiting, still at most count
        const counted = reader.readAfter(k.stream, more[1]!, 1, 5000);
        await sleep(50);
        const pair = await s.append([entry(k.stream, "a"), entry(k.stream, "b")], true, BIG);
        assert.deepEqual(ids(await counted), pair.slice(0, 1));

        // nothing comes: no entries, after blockMs
        t = Date.now();
        assert.deepEqual(await reader.readAfter(k.stream, pair[1]!, 10, 150), []);
        assert.ok(Date.now() - t >= 140, `returned after ${Date.now() - t} ms`);

        // a stream that does not exist yet is waited on until it is made
        const later = b.prefix + "later";
        t = Date.now();
        const made = reader.readAfter(later, "0-0", 10, 5000);
        await sleep(50);
        const first = await s.append([entry(later, 1)], true, BIG);
        assert.deepEqual(ids(await made), first);
        assert.ok(Date.now() - t < 2500, `waited ${Date.now() - t} ms`);

        // only entries after the id serve the reader: with an id ahead of the stream, it waits on
        const ahead = `${Date.now() + 3_600_000}-0`;
        t = Date.now();
        const early = reader.readAfter(k.stream, ahead, 10, 300);
        await sleep(50);
        const unseen = await s.append([entry(k.stream, 4)], true, BIG);
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
        const last = await s.append([entry(k.stream, 5)], true, BIG);
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
      const stream = b.prefix + "woken";
      const put = await fill(b, stream, 1);
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
        const more = await s.append([entry(stream, 1)], true, BIG);
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
      const put = await fill(b, k.stream, 4, 1900000000);
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
      assert.equal(await s.deleteEntries(b.prefix + "missing", [put[2]!]), 0);
      assert.equal((await s.info(k)).length, 2);
    },
  ],
  [
    "info counts entries, pending entries, consumers, lag and the DLQ, and ages the oldest entry",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      const empty = { name: "q", stream: k.stream, length: 0, pending: 0, consumers: 0, dlqLength: 0, oldestAgeMs: null };
      assert.deepEqual(await s.info(k), { ...empty, lag: null });
      await s.ensureQueue(k);
      assert.deepEqual(await s.info(k), { ...empty, lag: 0 });
      const put = await fill(b, k.stream, 4);
      await s.readNew(k, "A", 1, 1);
      await s.readNew(k, "B", 2, 1);
      await s.deadLetter(k, "A", put[0]!, ["data", "{}"], BIG);
      await b.age(200);
      const info = await s.info(k);
      assert.deepEqual(
        { ...info, oldestAgeMs: 0 },
        { name: "q", stream: k.stream, length: 4, pending: 2, consumers: 2, lag: 1, dlqLength: 1, oldestAgeMs: 0 },
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
      await fill(b, k.stream, 4);
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
    "operations that need the consumer group fail with NOGROUP without it",
    async (b) => {
      const s = b.store;
      const k = b.keys("nogroup");
      const fields = ["a", "b"];
      await assert.rejects(s.readNew(k, "A", 1, 1), /NOGROUP/);
      await assert.rejects(s.claimIdle(k, "A", 0, "0-0", 1), /NOGROUP/);
      await assert.rejects(s.claimOne(k, "A", "1-1", 0), /NOGROUP/);
      await assert.rejects(s.touch(k, "A", ["1-1"]), /NOGROUP/);
      await assert.rejects(s.deadLetter(k, "A", "1-1", fields, BIG), /NOGROUP/);
      await assert.rejects(s.route(k, "A", [{ id: "1-1", eventType: "x", fields, expireAt: null }], BIG), /NOGROUP/);
      assert.equal(await s.ack(k, ["1-1"]), 0);
      assert.equal(await s.requeue(k, "1-1", fields, BIG), undefined);
      assert.equal(await s.pruneConsumers(k, 0, "A"), 0);
      assert.deepEqual(await s.listQueues(b.prefix), []);
    },
  ],
  [
    "arguments Redis refuses are refused, and nothing is written",
    async (b) => {
      const s = b.store;
      const k = b.keys("q");
      await s.ensureQueue(k);
      await assert.rejects(s.range(k.stream, "nope", "+", 1), /Invalid stream ID/);
      await assert.rejects(s.deleteEntries(k.stream, ["nope"]), /Invalid stream ID/);
      await assert.rejects(s.ack(k, ["1-x"]), /Invalid stream ID/);
      await assert.rejects(s.claimIdle(k, "A", 0, "0-0", 0), /COUNT must be > 0/);
      await assert.rejects(s.readNew(k, "A", 1, -1), /timeout is negative/);
      await assert.rejects(s.append([entry(k.stream, 1)], true, -1), /MAXLEN/);
      await assert.rejects(s.append([{ stream: k.stream, fields: [], expireAt: null }], true, BIG), /wrong number of arguments/);
      await assert.rejects(s.append([{ stream: k.stream, fields: ["odd"], expireAt: null }], false, BIG), /wrong number of arguments/);
      await assert.rejects(s.append([entry(k.streamMetadata, 1)], true, BIG), /WRONGTYPE/);
      assert.equal((await s.info(k)).length, 0);
      const put = await fill(b, k.stream, 1);
      await s.readNew(k, "A", 1, 1);
      await assert.rejects(s.deadLetter(k, "A", put[0]!, [], BIG), /wrong number of arguments/);
      assert.deepEqual([(await s.info(k)).pending, (await s.info(k)).dlqLength], [1, 0]);
    },
  ],
];

// ---- the table, on both stores ----

let server: RedisServer;
let redisStore: RedisStore;

before(async () => {
  server = await RedisServer.start();
  redisStore = new RedisStore(new Redis(server.url), "quit");
});

after(async () => {
  await redisStore?.close();
  await server?.stop();
});

for (const [kind, make] of [
  ["memory", () => memoryBackend()],
  ["redis", () => redisBackend(redisStore)],
] as const) {
  describe(`${kind} store`, () => {
    for (const [name, behaviour] of behaviours) {
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
    const append = async (n: number): Promise<string[]> =>
      store.append(
        Array.from({ length: n }, (_, i) => entry("s", i)),
        true,
        BIG,
      );
    assert.deepEqual(await append(3), ["1700000000000-0", "1700000000000-1", "1700000000000-2"]);
    t -= 5000;
    assert.deepEqual(await append(1), ["1700000000000-3"]);
    t += 10_000;
    assert.deepEqual(await append(2), ["1700000005000-0", "1700000005000-1"]);
    // deleting the last entry does not make its id free again
    await store.deleteEntries("s", ["1700000005000-1"]);
    assert.deepEqual(await append(1), ["1700000005000-2"]);
    const zero = new MemoryStore({ now: () => 0 });
    assert.deepEqual(await zero.append([entry("s", 0)], true, BIG), ["0-1"]);
  });

  test("trimming is exact: a stream keeps maxLength entries, the newest", async () => {
    const store = new MemoryStore();
    const put = await store.append(
      Array.from({ length: 250 }, (_, i) => entry("s", i)),
      false,
      100,
    );
    assert.deepEqual(ids(await store.range("s", "-", "+", 1000)), put.slice(150));
    const one: string[] = [];
    for (let i = 0; i < 6; i++) {
      one.push(...(await store.append([entry("t", i)], true, 3)));
      assert.deepEqual(ids(await store.range("t", "-", "+", 10)), one.slice(-3));
    }
    await store.append([entry("t", 6)], true, 0);
    assert.deepEqual(await store.range("t", "-", "+", 10), []);
  });

  test("the injected clock ages entries, pending entries and consumers", async () => {
    let t = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => t });
    const k = queueKeys("m:", "q");
    await store.ensureQueue(k);
    const [id] = await store.append([entry(k.stream, 1)], true, BIG);
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
    const put = await store.append([entry(k.stream, 1)], true, BIG);
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
    await store.append([entry(k.stream, 1)], true, BIG);
    assert.equal((await waiting).length, 1);
    assert.equal((await following).length, 1);
    assert.equal(timers(), before);
    await store.close();
  });

  test("close releases waiting readAfters at once with no entries; later ones fail as closed, and the data stays", { timeout: 5000 }, async () => {
    const store = new MemoryStore();
    const put = await store.append([entry("s", 1)], true, BIG);
    const t = Date.now();
    const waiting = [store.readAfter("s", put[0]!, 10, 60_000), store.readAfter("none", "0", 10, 0)];
    await sleep(20);
    await store.close();
    assert.deepEqual(await Promise.all(waiting), [[], []]);
    assert.ok(Date.now() - t < 1000, `took ${Date.now() - t} ms`);
    // a follower looping on a closed store is told so, instead of spinning on empty reads
    await assert.rejects(store.readAfter("s", "0", 10, 60_000), (e: unknown) => isEventwireError(e, "closed"));
    assert.deepEqual(ids(await store.rangeReverse("s", "+", "-", 10)), put);
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
