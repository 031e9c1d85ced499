// `eventwire queues`, as a process, on a private redis-server whose queues
// are in known states.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectRedis, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server.stop();
});

function payment(i: number): ShopEvent {
  return shopRegistry.create("PaymentProcessedEvent", { paymentId: `payment-${i}`, orderId: `order-${i}`, amount: i, status: i === 2 ? "failed" : "succeeded" });
}

describe("queues", () => {
  test("no queues yet: an empty table says so on standard error; --json is []", async () => {
    const [text, json] = await Promise.all([cli(["queues", "--redis", server.url]), cli(["queues", "--json"], { env: { REDIS_URL: server.url } })]);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stdout, "");
    assert.match(text.stderr, /no queues under prefix mq: at redis:\/\/127\.0\.0\.1:\d+ \(the event bus's are under --prefix events:\)/);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), []);
  });

  test("each queue's length, pending entries, consumers, DLQ length and oldest age", async () => {
    let transport: StreamTransport<ShopEvent> | undefined;
    try {
      transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
      // payments: 2 handled (one of them dead-lettered) by a consumer that then stops and leaves the group,
      // then 2 more, one delivered to a consumer that never acknowledges it.
      await transport.publishMany([1, 2].map((i) => ({ queue: "payments", event: payment(i) })));
      const consumer = await transport.consume(
        "payments",
        { PaymentProcessedEvent: (e) => { if (e.payload.status === "failed") throw new PermanentError("no such order"); } },
        { consumer: "worker", blockMs: 50 },
      );
      await consumer.drain();
      await consumer.stop();
      await transport.publishMany([3, 4].map((i) => ({ queue: "payments", event: payment(i) })));
      const stuck = await transport.store.readNew(transport.keys("payments"), "stuck", 1, 10);
      assert.equal(stuck.length, 1);
      // shipments: created, empty
      await transport.store.ensureQueue(transport.keys("shipments"));
      // under another prefix: not listed without --prefix
      const bus = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger, prefix: "events:" });
      await bus.publish("all", payment(9));
      await bus.close();
      await new Promise((r) => setTimeout(r, 20)); // the oldest entries are now some ms old

      const [json, text, events] = await Promise.all([
        cli(["queues", "--json", "--redis", server.url]),
        cli(["queues", "--redis", server.url]),
        cli(["queues", "--json", "--redis", server.url, "--prefix", "events:"]),
      ]);
      assert.equal(json.status, 0, json.stderr);
      const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
      assert.deepEqual(
        rows.map(({ oldest_age_ms: _, ...r }) => r),
        [
          { name: "payments", stream: "mq:payments", partitions: 1, partitions_highest: 1, length: 4, pending: 1, consumers: 1, lag: 1, dlq_length: 1, trimmed_unread: 0, resets: 0 },
          { name: "shipments", stream: "mq:shipments", partitions: 1, partitions_highest: 1, length: 0, pending: 0, consumers: 0, lag: 0, dlq_length: 0, trimmed_unread: 0, resets: 0 },
        ],
      );
      assert.equal(rows[1]!["oldest_age_ms"], null);
      assert.ok((rows[0]!["oldest_age_ms"] as number) >= 20);

      assert.equal(text.status, 0, text.stderr);
      const lines = text.stdout.trimEnd().split("\n");
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /^QUEUE\s+PARTS\s+LENGTH\s+PENDING\s+CONSUMERS\s+DLQ\s+OLDEST\s+LOST\s+RESETS$/);
      assert.match(lines[1]!, /^payments\s+1\s+4\s+1\s+1\s+1\s+\d+(ms|s)\s+0\s+0$/);
      assert.match(lines[2]!, /^shipments\s+1\s+0\s+0\s+0\s+0\s+-\s+0\s+0$/);

      assert.deepEqual((JSON.parse(events.stdout) as { name: string; length: number }[]).map((r) => [r.name, r.length]), [["all", 1]]);
    } finally {
      await transport?.close();
    }
  });
});
