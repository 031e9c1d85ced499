// Round trips on real Redis: single publishes of one turn of the event loop
// appended together (each queue apart), and a queue made once however many
// publishes race to make it. Counted with Redis's own command statistics.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type StreamTransport } from "../../src/redis/index.js";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let admin: Redis;

before(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.url);
});

after(async () => {
  admin?.disconnect();
  await server?.stop();
});

/** Calls of each command Redis has run since the last reset. */
async function calls(): Promise<Record<string, number>> {
  const info = await admin.info("commandstats");
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

function order(n: number): ShopEvent {
  return shopRegistry.create("OrderCreatedEvent", { orderId: `o-${n}`, userId: "u", items: [], total: n });
}

async function transport(): Promise<StreamTransport<ShopEvent>> {
  return connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger, prefix: `rt${Math.random().toString(36).slice(2, 8)}:` });
}

test("publishes made in one turn of the event loop go to Redis as one append per queue, in the order they were made", async () => {
  const t = await transport();
  try {
    await t.publish("orders", order(-1)); // the queue exists
    await admin.config("RESETSTAT");
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => t.publish("orders", order(i))));
    const stats = await calls();
    assert.equal((stats["evalsha"] ?? 0) + (stats["eval"] ?? 0), 1, `one script call for 50 publishes, got ${JSON.stringify(stats)}`);
    assert.equal(stats["xadd"], 50);
    // each caller got its own entry, in order
    const ids = results.map((r) => r.streamId);
    assert.deepEqual([...ids].sort(compareIds), ids);
    assert.equal(new Set(ids).size, 50);
    const entries = await t.browse("orders").range("-", "+", 100);
    assert.deepEqual(
      entries.slice(1).map((e) => (e.event?.payload as { orderId: string }).orderId),
      Array.from({ length: 50 }, (_, i) => `o-${i}`),
    );
  } finally {
    await t.close();
  }
});

test("a queue that refuses a coalesced append fails only its own publishes", async () => {
  const t = await transport();
  try {
    await t.publish("good", order(0));
    await t.publish("bad", order(0));
    // the bad queue's stream becomes a string: every write to it is refused
    await admin.del(t.keys("bad").stream);
    await admin.set(t.keys("bad").stream, "not a stream");
    const outcomes = await Promise.allSettled([t.publish("good", order(1)), t.publish("bad", order(2)), t.publish("good", order(3))]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /WRONGTYPE|stream/);
    assert.equal(await admin.xlen(t.keys("good").stream), 3);
  } finally {
    await t.close();
  }
});

test("an event refused at once rejects its own publish only; the others of its turn are written", async () => {
  const t = await transport();
  try {
    await t.publish("orders", order(0));
    const outcomes = await Promise.allSettled([
      t.publish("orders", order(1)),
      t.publish("orders", order(2), { ttlSeconds: -1 }),
      t.publish("orders", order(3), { format: "xml" as never }),
      t.publish("orders", order(4)),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ["fulfilled", "rejected", "rejected", "fulfilled"],
    );
    assert.equal(await admin.xlen(t.keys("orders").stream), 3);
  } finally {
    await t.close();
  }
});

test("a single publish, then publishMany in the same turn: the entries keep the order of the calls", async () => {
  const t = await transport();
  try {
    await t.publish("orders", order(0));
    const first = t.publish("orders", order(1));
    const many = t.publishMany([2, 3].map((n) => ({ queue: "orders", event: order(n) })));
    const last = t.publish("orders", order(4));
    await Promise.all([first, many, last]);
    const entries = await t.browse("orders").range("-", "+", 10);
    assert.deepEqual(
      entries.map((e) => (e.event?.payload as { orderId: string }).orderId),
      ["o-0", "o-1", "o-2", "o-3", "o-4"],
    );
  } finally {
    await t.close();
  }
});

test("publishes racing to a queue not yet made make it once: one group creation each for the stream and its DLQ", async () => {
  const t = await transport();
  try {
    await admin.config("RESETSTAT");
    // in separate turns of the event loop, so that each publish is appended on its own
    const racing: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      racing.push(t.publish("fresh", order(i)));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(racing);
    const stats = await calls();
    assert.equal(stats["xgroup|create"] ?? stats["xgroup"], 2, `XGROUP CREATE once for the stream and once for its DLQ, got ${JSON.stringify(stats)}`);
    assert.equal(await admin.xlen(t.keys("fresh").stream), 20);
  } finally {
    await t.close();
  }
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am! < bm! ? -1 : am! > bm! ? 1 : as! < bs! ? -1 : as! > bs! ? 1 : 0;
}
