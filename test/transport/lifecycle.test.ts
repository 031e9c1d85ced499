// Lifecycle events on a real Redis: retries, moves to the DLQ (and the
// default logger's warning about them), reclaims, expiries, pending entries
// trimmed away, a consumer group made again after it was deleted and the
// failed read that found it gone; listeners that throw or stop listening.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, mock, test } from "node:test";
import { Redis } from "ioredis";
import {
  connectRedis,
  DeadLetterKind,
  silentLogger,
  type DeadLetterEvent,
  type ExpireEvent,
  type LifecycleEventName,
  type LifecycleEvents,
  type Logger,
  type StreamTransport,
} from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { testRedis } from "../support/redis.js";
import { until } from "../support/wait.js";

let redis: { url: string; stop: () => Promise<void> };
let raw: Redis;
const transports: StreamTransport<ShopEvent>[] = [];

before(async () => {
  redis = await testRedis();
  raw = new Redis(redis.url);
});

after(async () => {
  await Promise.all(transports.map((t) => t.close()));
  raw.disconnect();
  await redis.stop();
});

async function transport(logger: Logger = silentLogger): Promise<{ t: StreamTransport<ShopEvent>; prefix: string }> {
  const prefix = `life-${randomUUID().slice(0, 8)}:`;
  const t = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix, logger, telemetry: false });
  transports.push(t);
  return { t, prefix };
}

/** Every event of the given names, in order. */
function record(t: StreamTransport<ShopEvent>, ...names: LifecycleEventName[]): { name: LifecycleEventName; event: LifecycleEvents[LifecycleEventName] }[] {
  const seen: { name: LifecycleEventName; event: LifecycleEvents[LifecycleEventName] }[] = [];
  for (const name of names) t.on(name, (event) => void seen.push({ name, event }));
  return seen;
}

const FAST = { blockMs: 50, claimIntervalMs: 50 } as const;
const shipped = (orderId: string): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId, carrier: "UPS" });

test("a retry, then the move to the DLQ: both reported with their details, the move also by the default logger at warn", async () => {
  const warned = mock.method(console, "warn", () => {});
  try {
    const prefix = `life-${randomUUID().slice(0, 8)}:`;
    const t = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix, telemetry: false }); // the default logger
    transports.push(t);
    const seen = record(t, "retry", "dead-letter");
    const consumer = await t.consume(
      "orders",
      {
        "*": () => {
          throw new Error("payment gateway down");
        },
      },
      { ...FAST, consumer: "worker-1", retry: { maxAttempts: 2, initialDelayMs: 20 } },
    );
    const published = await t.publish("orders", shipped("o-1"));
    await until("dead-lettered", () => consumer.stats.deadLettered === 1);
    assert.deepEqual(
      seen.map((s) => s.name),
      ["retry", "dead-letter"],
    );
    const retry = seen[0]!.event as LifecycleEvents["retry"];
    assert.equal(retry.queue, "orders");
    assert.equal(retry.consumer, "worker-1");
    assert.equal(retry.streamId, published.streamId);
    assert.equal(retry.messageId, published.messageId);
    assert.equal(retry.eventType, "OrderShippedEvent");
    assert.deepEqual([retry.attempt, retry.maxAttempts, retry.delayMs], [1, 2, 20]);
    assert.equal((retry.error as Error).message, "payment gateway down");
    const moved = seen[1]!.event as DeadLetterEvent;
    assert.equal(moved.source, "consumer");
    assert.equal(moved.messageId, published.messageId);
    assert.equal(moved.reason.kind, DeadLetterKind.handlerFailed);
    assert.equal(moved.reason.attempt, 2);
    const [dead] = await t.deadLetters("orders").list();
    assert.equal(moved.dlqStreamId, dead!.id);
    assert.equal(moved.reasonText, dead!.reason);
    const lines = warned.mock.calls.map((c) => String(c.arguments[0]));
    assert.ok(
      lines.some((l) => l.includes(`moved entry ${published.streamId} of orders to the DLQ as ${dead!.id}`) && l.includes("payment gateway down")),
      `the default logger warned of the move: ${lines.join(" | ")}`,
    );
  } finally {
    warned.mock.restore();
  }
});

test("an entry a dead consumer left pending is reclaimed, and reported", async () => {
  const { t, prefix } = await transport();
  const seen = record(t, "reclaim");
  const published = await t.publish("jobs", shipped("o-2"));
  await raw.xreadgroup("GROUP", "jobs-group", "dead-consumer", "COUNT", 10, "STREAMS", `${prefix}jobs`, ">");
  const consumer = await t.consume("jobs", { "*": () => {} }, { ...FAST, consumer: "rescuer", claimIdleMs: 50 });
  await until("handled after the reclaim", () => consumer.stats.handled === 1);
  assert.deepEqual(seen, [{ name: "reclaim", event: { queue: "jobs", source: "consumer", consumer: "rescuer", streamIds: [published.streamId] } }]);
});

test("entries past their TTL: reported as expired, dropped with a warning or dead-lettered as the policy says", async () => {
  const lines: string[] = [];
  const { t } = await transport({ warn: (m) => void lines.push(m) });
  const seen = record(t, "expire", "dead-letter");
  const dropped = await t.publish("short", shipped("o-3"), { ttlSeconds: 0.01 });
  const kept = await t.publish("kept", shipped("o-4"), { ttlSeconds: 0.01 });
  await new Promise((r) => setTimeout(r, 50));
  const a = await t.consume("short", { "*": () => assert.fail("an expired event is not handled") }, FAST);
  const b = await t.consume("kept", { "*": () => assert.fail("an expired event is not handled") }, { ...FAST, expired: "dead-letter" });
  await until("both expired", () => a.stats.expired === 1 && b.stats.expired === 1);
  const expiries = seen.filter((s) => s.name === "expire").map((s) => s.event as ExpireEvent);
  const byQueue = new Map(expiries.map((e) => [e.queue, e]));
  assert.deepEqual(
    { id: byQueue.get("short")?.streamId, messageId: byQueue.get("short")?.messageId, ttl: byQueue.get("short")?.ttlSeconds, dlq: byQueue.get("short")?.deadLettered },
    { id: dropped.streamId, messageId: dropped.messageId, ttl: 0.01, dlq: false },
  );
  assert.deepEqual({ id: byQueue.get("kept")?.streamId, dlq: byQueue.get("kept")?.deadLettered }, { id: kept.streamId, dlq: true });
  assert.ok(lines.some((l) => l.includes(`dropped entry ${dropped.streamId} of short unhandled`)), "the loss is a warning");
  const moved = seen.filter((s) => s.name === "dead-letter").map((s) => s.event as DeadLetterEvent);
  assert.deepEqual(moved.map((m) => [m.queue, m.reason.kind]), [["kept", DeadLetterKind.expired]]);
});

test("a pending entry trimmed away before it was handled is reported as trimmed", async () => {
  const { t, prefix } = await transport();
  const seen = record(t, "trim");
  const published = await t.publish("trimmed", shipped("o-5"));
  await raw.xreadgroup("GROUP", "trimmed-group", "dead-consumer", "COUNT", 10, "STREAMS", `${prefix}trimmed`, ">");
  await raw.xdel(`${prefix}trimmed`, published.streamId);
  const consumer = await t.consume("trimmed", { "*": () => {} }, { ...FAST, claimIdleMs: 50 });
  await until("the trimmed entry found", () => consumer.stats.trimmed === 1);
  assert.deepEqual(seen, [{ name: "trim", event: { stream: `${prefix}trimmed`, source: "consumer", kind: "pending", count: 1, streamIds: [published.streamId] } }]);
});

test("a consumer group deleted under a running consumer: the failed read and the reset are reported, and reading goes on", async () => {
  const { t, prefix } = await transport();
  const seen = record(t, "read-failure", "reset");
  let handled = 0;
  await t.consume("fragile", { "*": () => void handled++ }, { ...FAST, consumer: "c-1" });
  await raw.xgroup("DESTROY", `${prefix}fragile`, "fragile-group");
  await until("the reset", () => seen.some((s) => s.name === "reset"));
  const failure = seen.find((s) => s.name === "read-failure")!.event as LifecycleEvents["read-failure"];
  assert.equal(failure.queue, "fragile");
  assert.equal(failure.consumer, "c-1");
  assert.equal(failure.failures, 1);
  assert.match(String(failure.error), /NOGROUP/);
  assert.deepEqual(seen.find((s) => s.name === "reset")!.event, { stream: `${prefix}fragile`, source: "consumer" });
  await t.publish("fragile", shipped("o-6"));
  await until("reading went on", () => handled === 1);
});

test("a listener that throws is reported and hurts nothing; one that stops listening hears nothing more", async () => {
  const lines: string[] = [];
  const { t } = await transport({ warn: (m) => void lines.push(m) });
  let heard = 0;
  t.on("dead-letter", () => {
    throw new Error("listener bug");
  });
  const stop = t.on("dead-letter", () => void heard++);
  const consumer = await t.consume("bad", { "*": () => Promise.reject(new Error("no")) }, { ...FAST, retry: { maxAttempts: 1 } });
  await t.publish("bad", shipped("o-7"));
  await until("the first move", () => consumer.stats.deadLettered === 1);
  assert.equal(heard, 1);
  assert.ok(lines.some((l) => l === "a listener of the dead-letter lifecycle event threw: Error: listener bug"));
  stop();
  await t.publish("bad", shipped("o-8"));
  await until("the second move", () => consumer.stats.deadLettered === 2);
  assert.equal(heard, 1);
});
