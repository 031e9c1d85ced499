// Queues that lose their stream or group while publishers and consumers
// run — Redis restarted empty, FLUSHALL, DEL of the stream, XGROUP DESTROY
// of the group — and streams kept short: no publish Redis acknowledged
// after the reset is lost, the reset is counted in info().resets, and
// trimming takes only what every group has read and acknowledged unless
// trim is "length", whose losses are counted and logged.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { connectRedis, type Logger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";
import { until } from "../support/wait.js";

function order(i: number): ShopEvent {
  return shopRegistry.create("OrderCreatedEvent", { orderId: `order-${i}`, userId: `user-${i % 7}`, total: i, items: [] });
}

/** A logger that keeps every call. */
function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
}

interface Sent {
  readonly id: string;
  /** When its publish was called and when it resolved. */
  readonly startedAt: number;
  readonly confirmedAt: number;
}

type Reset = "an empty restart" | "FLUSHALL" | "DEL of the stream" | "XGROUP DESTROY of the group";

describe("no acknowledged publish is lost when a queue's stream or group is reset while publishers and consumers run", { timeout: 180_000 }, () => {
  const resets: Reset[] = ["an empty restart", "FLUSHALL", "DEL of the stream", "XGROUP DESTROY of the group"];
  for (const reset of resets) {
    test(`${reset}: every event published after it is handled, and info().resets counts it`, async (t) => {
      const server = await RedisServer.start(); // no persistence: a restart comes back empty
      const admin = new Redis(server.url, { maxRetriesPerRequest: null });
      admin.on("error", () => {});
      const logs = capture();
      const publisher = await connectRedis({ registry: shopRegistry, connection: server.url, commandTimeoutMs: 5_000, logger: logs });
      const consumerSide = await connectRedis({ registry: shopRegistry, connection: server.url, commandTimeoutMs: 5_000, logger: logs });
      const queue = "orders";
      const handled = new Map<string, number>();
      const sent: Sent[] = [];
      let failures = 0;
      let stop = false;
      try {
        const consumer = await consumerSide.consume(
          queue,
          { "*": (e) => void handled.set(e.eventId, (handled.get(e.eventId) ?? 0) + 1) },
          { blockMs: 100, claimIdleMs: 1_000, claimIntervalMs: 200, concurrency: 4 },
        );
        const publishing = (async () => {
          for (let i = 0; !stop; i++) {
            const event = order(i);
            const startedAt = Date.now();
            try {
              await publisher.publish(queue, event);
              sent.push({ id: event.eventId, startedAt, confirmedAt: Date.now() });
            } catch {
              failures++; // not acknowledged: not counted
            }
            await new Promise((r) => setTimeout(r, 2));
          }
        })();
        await until("some events to be handled before the reset", () => handled.size >= 50);
        const resetStarted = Date.now();
        switch (reset) {
          case "an empty restart":
            await server.restart();
            break;
          case "FLUSHALL":
            await admin.flushall();
            break;
          case "DEL of the stream":
            await admin.del(`mq:${queue}`);
            break;
          case "XGROUP DESTROY of the group":
            assert.equal(await admin.xgroup("DESTROY", `mq:${queue}`, `${queue}-group`), 1);
            break;
        }
        const resetDone = Date.now();
        await until("events to be published after the reset", () => sent.filter((s) => s.startedAt > resetDone).length >= 150, 30_000);
        stop = true;
        await publishing;

        // What must survive: everything, when only the group went; else what was published after the reset.
        const keepsAll = reset === "XGROUP DESTROY of the group";
        const must = sent.filter((s) => keepsAll || s.startedAt > resetDone);
        await until("every event published after the reset to be handled", () => must.every((s) => handled.has(s.id)), 30_000);
        await until("the queue to be drained", async () => {
          const info = await consumerSide.info(queue);
          return info.pending === 0 && info.lag === 0;
        });
        await consumer.whenIdle();
        const missing = must.filter((s) => !handled.has(s.id));
        assert.equal(missing.length, 0, `${missing.length} acknowledged publishes lost`);
        const info = await consumerSide.info(queue);
        assert.equal(info.resets, 1, `info().resets is ${info.resets} after ${reset}: it counts each reset once`);
        assert.ok(
          logs.lines.some((l) => /^warn: .*(was gone|were gone)/.test(l)),
          `no warning reported the reset:\n${logs.lines.join("\n")}`,
        );
        const lostBefore = sent.filter((s) => s.confirmedAt < resetStarted && !handled.has(s.id)).length;
        t.diagnostic(
          `${reset}: ${sent.length} published (${failures} failed), ${must.length} had to survive and did; ` +
            `${lostBefore} confirmed before the reset went with it; resets ${info.resets}; duplicates ${[...handled.values()].filter((n) => n > 1).length}`,
        );
      } finally {
        stop = true;
        await publisher.close();
        await consumerSide.close();
        admin.disconnect();
        await server.stop();
      }
    });
  }
});

describe("a publisher alone notices a reset", { timeout: 120_000 }, () => {
  for (const reset of ["an empty restart", "FLUSHALL"] as const) {
    test(`${reset}: its next publish makes the whole queue again (registry, metadata, DLQ), counts the reset once and reports it`, async () => {
      const server = await RedisServer.start();
      const admin = new Redis(server.url, { maxRetriesPerRequest: null });
      admin.on("error", () => {});
      const logs = capture();
      const publisher = await connectRedis({ registry: shopRegistry, connection: server.url, commandTimeoutMs: 5_000, logger: logs });
      try {
        await publisher.publish("orders", order(1));
        if (reset === "FLUSHALL") await admin.flushall();
        else await server.restart();
        await until("a publish to go through", async () => {
          try {
            await publisher.publish("orders", order(2));
            return true;
          } catch {
            return false;
          }
        });
        assert.ok(await publisher.hasQueue("orders"), "the queue is missing from the prefix's registry");
        const info = await publisher.info("orders");
        assert.equal(info.length, 1);
        assert.equal(info.resets, 1, `info().resets is ${info.resets}`);
        assert.equal(await admin.hget("mq:orders:metadata", "consumer_group"), "orders-group", "the queue's metadata was not made again");
        const dlqGroups = (await admin.xinfo("GROUPS", "mq:orders:dlq")) as unknown[][];
        assert.equal(dlqGroups.length, 1, "the DLQ and its group were not made again");
        assert.ok(logs.lines.some((l) => /^warn: the queue mq:orders was gone/.test(l)), `the reset was not reported:\n${logs.lines.join("\n")}`);
        // a consumer started now gets the event published after the reset
        const seen: string[] = [];
        const consumer = await publisher.consume("orders", { "*": (e) => void seen.push(e.eventId) }, { blockMs: 100 });
        await consumer.drain();
        assert.equal(seen.length, 1);
      } finally {
        await publisher.close();
        admin.disconnect();
        await server.stop();
      }
    });
  }
});

describe("streams kept to maxLength", { timeout: 180_000 }, () => {
  async function setUp(trim: "acknowledged" | "length"): Promise<{ transport: StreamTransport<ShopEvent>; logs: ReturnType<typeof capture>; redis: Redis; done: () => Promise<void> }> {
    const server = await RedisServer.start();
    const logs = capture();
    const transport = await connectRedis({ registry: shopRegistry, connection: server.url, maxLength: 100, trim, logger: logs });
    const redis = new Redis(server.url);
    return {
      transport,
      logs,
      redis,
      done: async () => {
        redis.disconnect();
        await transport.close();
        await server.stop();
      },
    };
  }

  test("by default nothing unread is trimmed: 1,000 events published before any consumer runs are all handled", async () => {
    const { transport, logs, redis, done } = await setUp("acknowledged");
    try {
      const events = Array.from({ length: 1000 }, (_, i) => order(i));
      await transport.publishMany(events.slice(0, 500).map((event) => ({ queue: "backlog", event })));
      for (const event of events.slice(500, 600)) await transport.publish("backlog", event);
      await transport.publishMany(events.slice(600).map((event) => ({ queue: "backlog", event, options: { format: "binary" as const } })));
      assert.equal(await redis.xlen("mq:backlog"), 1000, "entries nobody has read were trimmed");
      const seen = new Set<string>();
      const consumer = await transport.consume("backlog", { "*": (e) => void seen.add(e.eventId) }, { blockMs: 100, concurrency: 10, batchSize: 50 });
      await until("every event to be handled", () => seen.size === events.length);
      await consumer.drain();
      for (const e of events) assert.ok(seen.has(e.eventId), `${e.eventId} was never handled`);
      const info = await transport.info("backlog");
      assert.equal(info.trimmedUnread, 0);
      assert.equal(consumer.stats.trimmed, 0);
      // once read and acknowledged, a later write trims it to maxLength
      await transport.publish("backlog", order(1000));
      assert.ok((await redis.xlen("mq:backlog")) <= 101, `the stream was not trimmed once its entries were acknowledged: ${await redis.xlen("mq:backlog")}`);
      assert.deepEqual(logs.lines.filter((l) => /trimmed/.test(l)), []);
    } finally {
      await done();
    }
  });

  test('with trim: "length", what is trimmed unread is counted in info().trimmedUnread and logged', async () => {
    const { transport, logs, redis, done } = await setUp("length");
    try {
      const events = Array.from({ length: 1000 }, (_, i) => order(i));
      await transport.publishMany(events.map((event) => ({ queue: "lossy", event })));
      assert.equal(await redis.xlen("mq:lossy"), 100);
      const info = await transport.info("lossy");
      assert.equal(info.trimmedUnread, 900);
      const warned = logs.lines.filter((l) => /^warn: \d+ entr(y was|ies were) trimmed before a consumer group read them/.test(l));
      assert.ok(warned.length > 0, `no warning:\n${logs.lines.join("\n")}`);
      assert.equal(warned.reduce((n, l) => n + Number(/^warn: (\d+)/.exec(l)![1]), 0), 900, warned.join("\n"));
      const seen = new Set<string>();
      const consumer = await transport.consume("lossy", { "*": (e) => void seen.add(e.eventId) }, { blockMs: 100 });
      await consumer.drain();
      assert.deepEqual([...seen], events.slice(900).map((e) => e.eventId), "the newest 100 are handled");
    } finally {
      await done();
    }
  });
});
