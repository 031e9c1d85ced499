// Fault tests on real redis-server processes: a consumer killed in the
// middle of a batch, Redis restarted in the middle of a stream, poison
// messages. In each, every published event is accounted for:
// published = handled + dead-lettered + expired.
import { fork } from "node:child_process";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connectRedis, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";

const WORKER = fileURLToPath(new URL("./fixtures/slow-worker.ts", import.meta.url));

function order(i: number): ShopEvent {
  return shopRegistry.create("OrderCreatedEvent", {
    orderId: `order-${i}`,
    userId: `user-${i % 7}`,
    total: i * 1.5,
    items: [{ productId: `p-${i}`, name: "Widget", price: i * 0.75, quantity: 2 }],
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("a consumer killed with SIGKILL in the middle of a batch", () => {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server.stop();
  });

  test("its pending entries are reclaimed by another consumer: every event handled, none lost", async (t) => {
    const transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
    const redis = new Redis(server.url);
    const queue = "crash";
    const record = "test:handled";
    const events = Array.from({ length: 300 }, (_, i) => order(i));
    try {
      await transport.publishMany(events.map((event) => ({ queue, event })));
      const child = fork(WORKER, [server.url, queue, "doomed", record], {
        execArgv: ["--conditions=eventwire-source", "--import", "tsx"],
        stdio: "ignore",
      });
      await new Promise<void>((resolve) => child.once("message", () => resolve()));
      await until("the worker to handle some events", async () => (await redis.hlen(record)) >= 40);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const handledBeforeCrash = await redis.hlen(record);
      const pendingAtCrash = (await transport.info(queue)).pending;
      assert.ok(handledBeforeCrash < events.length, "the worker finished everything before it was killed; the test proves nothing");
      assert.ok(pendingAtCrash > 0, "the killed worker left nothing pending; the test proves nothing");

      const survivor = await transport.consume(
        queue,
        { OrderCreatedEvent: async (event) => void (await redis.hincrby(record, event.eventId, 1)) },
        { consumer: "survivor", claimIdleMs: 300, claimIntervalMs: 100, blockMs: 100 },
      );
      await until("every event to be handled", async () => (await redis.hlen(record)) === events.length);
      // Entries the worker handled but had not acknowledged count as handled
      // already; the survivor reclaims them once they have sat idle for
      // claimIdleMs, which may be after it has read everything else.
      await until("nothing to be left pending", async () => (await transport.info(queue)).pending === 0, 10_000).catch(() => {});
      await survivor.whenIdle();
      const handled = await redis.hgetall(record);
      for (const e of events) assert.ok(Number(handled[e.eventId]) >= 1, `event ${e.eventId} was never handled`);
      const info = await transport.info(queue);
      assert.equal(info.pending, 0, "entries are still pending after recovery");
      assert.equal(info.dlqLength, 0);
      assert.ok(survivor.stats.reclaimed >= pendingAtCrash, `reclaimed ${survivor.stats.reclaimed} of ${pendingAtCrash} left pending`);
      // accounting: each published event handled (at least once), none dead-lettered or expired
      const distinct = Object.keys(handled).length;
      assert.equal(distinct + survivor.stats.deadLettered + survivor.stats.expired, events.length);
      const twice = Object.values(handled).filter((n) => Number(n) > 1).length;
      t.diagnostic(
        `published ${events.length}; killed after ${handledBeforeCrash} handled with ${pendingAtCrash} pending; ` +
          `survivor reclaimed ${survivor.stats.reclaimed}, handled ${survivor.stats.handled}; ` +
          `distinct handled ${distinct} (${twice} twice), dead-lettered ${survivor.stats.deadLettered}, expired ${survivor.stats.expired}`,
      );
    } finally {
      redis.disconnect();
      await transport.close();
    }
  });
});

describe("Redis restarted (AOF on) in the middle of a stream", () => {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start({ appendOnly: true });
  });
  after(async () => {
    await server.stop();
  });

  test("publishers and consumers recover; every confirmed event is handled", async (t) => {
    const publisher = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
    const consumerSide = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
    const queue = "restart";
    const handled = new Map<string, number>();
    const confirmed = new Set<string>();
    let restarted = false;
    let handledAtRestart = 0;
    try {
      const consumer = await consumerSide.consume(
        queue,
        {
          OrderCreatedEvent: async (event) => {
            await new Promise((r) => setTimeout(r, 2));
            handled.set(event.eventId, (handled.get(event.eventId) ?? 0) + 1);
          },
        },
        { consumer: "steady", blockMs: 200, claimIdleMs: 1000, claimIntervalMs: 200, concurrency: 4 },
      );
      const total = 400;
      for (let i = 0; i < total; i++) {
        if (i === 150) {
          // in the middle of the stream: some handled, some in flight, some not yet read
          await until("the consumer to be part way", () => handled.size >= 60);
          handledAtRestart = handled.size;
          await server.restart();
          restarted = true;
        }
        const event = order(i);
        // A publisher that is told of a failure tries again, as a caller would.
        for (let attempt = 0; ; attempt++) {
          try {
            await publisher.publish(queue, event);
            confirmed.add(event.eventId);
            break;
          } catch (error) {
            if (attempt > 20) throw error;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      assert.ok(restarted);
      assert.ok(handledAtRestart > 0 && handledAtRestart < 150, `handled ${handledAtRestart} of 150 at the restart; the test proves nothing`);
      await until("every confirmed event to be handled", () => [...confirmed].every((id) => handled.has(id)), 60_000);
      await consumer.whenIdle();
      assert.equal(confirmed.size, total);
      for (const id of confirmed) assert.ok((handled.get(id) ?? 0) >= 1, `event ${id} lost`);
      const info = await consumerSide.info(queue);
      assert.equal(info.pending, 0);
      assert.equal(info.dlqLength, 0);
      assert.equal(handled.size + consumer.stats.deadLettered + consumer.stats.expired, confirmed.size);
      const twice = [...handled.values()].filter((n) => n > 1).length;
      t.diagnostic(
        `published ${confirmed.size} (restart after ${handledAtRestart}); handled ${handled.size} distinct (${twice} twice), ` +
          `dead-lettered ${consumer.stats.deadLettered}, expired ${consumer.stats.expired}`,
      );
    } finally {
      await publisher.close();
      await consumerSide.close();
    }
  });
});

describe("poison messages", () => {
  let server: RedisServer;
  let transport: StreamTransport<ShopEvent>;
  let redis: Redis;
  before(async () => {
    server = await RedisServer.start();
    transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await transport.close();
    await server.stop();
  });

  test("garbage, unknown types and always-failing handlers end in the DLQ with their reasons while the rest flow on", async (t) => {
    const queue = "poison";
    const good = Array.from({ length: 50 }, (_, i) => order(i));
    const cursed = shopRegistry.create("OrderCreatedEvent", { orderId: "cursed", userId: "u", total: 1, items: [] });
    const refused = shopRegistry.create("OrderCreatedEvent", { orderId: "refused", userId: "u", total: 1, items: [] });
    await transport.publishMany(good.slice(0, 25).map((event) => ({ queue, event })));
    // poison, written straight into the stream
    await redis.xadd("mq:poison", "*", "data", "{not json");
    await redis.xadd("mq:poison", "*", "event_type", "OrderCreatedEvent", "envelope", Buffer.from([0x0a, 0xff, 0x01]));
    await redis.xadd("mq:poison", "*", "data", JSON.stringify({ event_id: "0b7e7a4e-5f0c-4a57-8a3c-1b2c3d4e5f60", timestamp: 1.5, event_type: "RefundIssuedEvent" }));
    await redis.xadd("mq:poison", "*", "something", "else");
    await transport.publish(queue, cursed, { format: "binary" });
    await transport.publish(queue, refused);
    await transport.publishMany(good.slice(25).map((event) => ({ queue, event, options: { format: "binary" as const } })));
    const published = good.length + 2 + 4;

    const seen = new Set<string>();
    const consumer = await transport.consume(
      queue,
      {
        OrderCreatedEvent: (event) => {
          if (event.payload.orderId === "cursed") throw new Error("this order always fails");
          if (event.payload.orderId === "refused") throw new PermanentError("refused at once");
          seen.add(event.eventId);
        },
      },
      { retry: { maxAttempts: 3, initialDelayMs: 20, multiplier: 2, maxDelayMs: 100 }, blockMs: 100 },
    );
    await until("all entries to be settled", async () => {
      const s = consumer.stats;
      return s.handled + s.deadLettered + s.expired + s.skipped === published;
    });
    await consumer.whenIdle();
    assert.equal(seen.size, good.length, "good events were held up by the poison");
    for (const e of good) assert.ok(seen.has(e.eventId));
    const letters = await transport.deadLetters(queue).list();
    assert.equal(letters.length, 6);
    const reasons = letters.map((l) => l.reason);
    assert.equal(reasons.filter((r) => r.startsWith("undecodable:")).length, 3, reasons.join("\n"));
    assert.ok(reasons.some((r) => r.startsWith("unknown-event-type:") && r.includes("RefundIssuedEvent")), reasons.join("\n"));
    const cursedLetter = letters.find((l) => l.event?.eventId === cursed.eventId);
    assert.ok(cursedLetter, "the always-failing event is not in the DLQ");
    assert.match(cursedLetter.reason, /^handler-failed \(attempt 3 of 3\): Error: this order always fails$/);
    assert.equal(cursedLetter.attempts, 3);
    assert.equal(cursedLetter.format, "binary");
    const refusedLetter = letters.find((l) => l.event?.eventId === refused.eventId);
    assert.ok(refusedLetter);
    assert.match(refusedLetter.reason, /^permanent-failure \(attempt 1 of 3\): PermanentError: refused at once$/);
    const info = await transport.info(queue);
    assert.equal(info.pending, 0);
    assert.equal(info.dlqLength, 6);
    // accounting
    assert.equal(consumer.stats.handled + consumer.stats.deadLettered + consumer.stats.expired, published);
    assert.equal(consumer.stats.retried, 2, "the always-failing handler is retried twice before the DLQ");
    t.diagnostic(
      `published ${published}; handled ${consumer.stats.handled}, dead-lettered ${consumer.stats.deadLettered}, expired ${consumer.stats.expired}, retried ${consumer.stats.retried}`,
    );
    await consumer.stop();
  });

  test("messages past their TTL are acknowledged unhandled and counted", async () => {
    const queue = "ttl";
    const fresh = order(1);
    const stale = order(2);
    await transport.publish(queue, stale, { ttlSeconds: 0.05 });
    await transport.publish(queue, fresh, { ttlSeconds: 60 });
    assert.equal(await redis.zcard("mq:ttl:expiry"), 2);
    await new Promise((r) => setTimeout(r, 120));
    const handled: string[] = [];
    const consumer = await transport.consume(queue, { OrderCreatedEvent: (e) => void handled.push(e.eventId) }, { blockMs: 100 });
    await until("both to settle", () => consumer.stats.handled + consumer.stats.expired === 2);
    assert.deepEqual(handled, [fresh.eventId]);
    assert.equal(consumer.stats.expired, 1);
    assert.equal((await transport.info(queue)).pending, 0);
    assert.equal(await redis.zcard("mq:ttl:expiry"), 0, "acknowledged entries are still in the :expiry set");
    await consumer.stop();
  });
});
