// Metrics with the real OpenTelemetry SDK on a real Redis: the counts match
// what was published, handled, failed, retried, dead-lettered, expired and
// reclaimed; the histograms count every delivery; the queue gauges read what
// `info` says.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from "@opentelemetry/sdk-metrics";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { testRedis } from "../support/redis.js";
import { until } from "../support/wait.js";

/** A reader that collects when asked. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let redis: { url: string; stop: () => Promise<void> };
let raw: Redis;
let transport: StreamTransport<ShopEvent>;
const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
const prefix = `metrics-${randomUUID().slice(0, 8)}:`;

before(async () => {
  redis = await testRedis();
  raw = new Redis(redis.url);
  transport = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix, logger: silentLogger, telemetry: { meterProvider: provider, tracerProvider: false } });
});

after(async () => {
  await transport.close();
  await provider.shutdown();
  raw.disconnect();
  await redis.stop();
});

async function metrics(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
}

/** The points of a metric whose attributes include `where`. */
function points<T>(all: Map<string, MetricData>, name: string, where: Record<string, unknown>): DataPoint<T>[] {
  const metric = all.get(name);
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<T>[]).filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v));
}

function sum(all: Map<string, MetricData>, name: string, where: Record<string, unknown>): number {
  return points<number>(all, name, where).reduce((n, p) => n + p.value, 0);
}

function histogramCount(all: Map<string, MetricData>, name: string, where: Record<string, unknown>): number {
  return points<Histogram>(all, name, where).reduce((n, p) => n + p.value.count, 0);
}

test("the counters, histograms and gauges match what was published and handled", async () => {
  const consumer = await transport.consume(
    "orders",
    {
      OrderCreatedEvent: async () => {},
      PaymentProcessedEvent: () => {},
      OrderShippedEvent: () => {
        throw new Error("no carrier");
      },
    },
    { blockMs: 50, claimIntervalMs: 50, retry: { maxAttempts: 2, initialDelayMs: 10 } },
  );
  const created = (n: number): ShopEvent => shopRegistry.create("OrderCreatedEvent", { orderId: `o-${n}`, total: n });
  const paid = (n: number): ShopEvent => shopRegistry.create("PaymentProcessedEvent", { orderId: `o-${n}`, amount: n });
  await transport.publishMany([created(1), created(2), created(3), paid(1), paid(2)].map((event) => ({ queue: "orders", event })));
  await transport.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-1" }));
  await transport.publish("other", created(4));

  // an entry that expires before anyone reads it
  await transport.publish("late", created(5), { ttlSeconds: 0.01 });
  await new Promise((r) => setTimeout(r, 50));
  const late = await transport.consume("late", { "*": () => {} }, { blockMs: 50 });

  // an entry a consumer took and died with, reclaimed by another
  await transport.publish("stuck", created(6));
  await raw.xreadgroup("GROUP", "stuck-group", "gone-consumer", "COUNT", 10, "STREAMS", `${prefix}stuck`, ">");
  const rescuer = await transport.consume("stuck", { "*": () => {} }, { blockMs: 50, claimIdleMs: 50, claimIntervalMs: 50 });

  await until("the orders queue settled", () => consumer.stats.handled === 5 && consumer.stats.deadLettered === 1);
  await until("the expired and the reclaimed entries", () => late.stats.expired === 1 && rescuer.stats.handled === 1);

  const m = await metrics();
  const orders = { "messaging.system": "redis", "messaging.destination.name": "orders" };
  assert.equal(sum(m, "messaging.client.sent.messages", orders), 6);
  assert.equal(sum(m, "messaging.client.sent.messages", { "messaging.destination.name": "other" }), 1);
  assert.equal(sum(m, "eventwire.messages.handled", orders), 5);
  assert.equal(sum(m, "eventwire.messages.failed", { ...orders, "error.type": "Error" }), 2);
  assert.equal(sum(m, "eventwire.messages.retried", orders), 1);
  assert.equal(sum(m, "eventwire.messages.dead_lettered", { ...orders, "eventwire.dead_letter.kind": "handler-failed" }), 1);
  assert.equal(sum(m, "eventwire.messages.expired", { "messaging.destination.name": "late" }), 1);
  assert.equal(sum(m, "eventwire.messages.reclaimed", { "messaging.destination.name": "stuck" }), 1);
  assert.equal(sum(m, "eventwire.messages.handled", { "messaging.destination.name": "stuck" }), 1);
  assert.equal(histogramCount(m, "messaging.process.duration", orders), 7, "every delivery to a handler is timed");
  assert.equal(histogramCount(m, "messaging.process.duration", { ...orders, "error.type": "Error" }), 2);
  assert.equal(histogramCount(m, "eventwire.message.latency", orders), 7);
  assert.equal(m.get("messaging.process.duration")?.descriptor.unit, "s");
  const latency = points<Histogram>(m, "eventwire.message.latency", orders);
  assert.ok(latency.every((p) => p.value.min! >= 0 && p.value.max! < 30), "latencies are seconds since publishing");

  // the gauges: from info(), for the queues this transport's consumers read
  const info = await transport.info("orders");
  const gauge = (name: string): number[] => points<number>(m, name, { ...orders, "messaging.consumer.group.name": "orders-group" }).map((p) => p.value);
  assert.deepEqual(gauge("eventwire.queue.length"), [info.length]);
  assert.deepEqual(gauge("eventwire.queue.length"), [6]);
  assert.deepEqual(gauge("eventwire.queue.pending"), [0]);
  assert.deepEqual(gauge("eventwire.queue.lag"), [0]);
  assert.deepEqual(gauge("eventwire.queue.dlq.length"), [1]);
  assert.equal(points(m, "eventwire.queue.length", { "messaging.destination.name": "other" }).length, 0, "no gauge for a queue nobody here reads");
});

test("a partitioned queue's gauges are one series each, its partitions summed", async () => {
  await transport.setPartitions("parted", 3);
  const created = (n: number): ShopEvent => shopRegistry.create("OrderCreatedEvent", { orderId: `p-${n}`, total: n });
  const published = await transport.publishMany(Array.from({ length: 30 }, (_, i) => ({ queue: "parted", event: created(i) })));
  assert.ok(new Set(published.map((p) => p.partition)).size > 1);
  const consumer = await transport.consume("parted", { OrderCreatedEvent: () => {} }, { blockMs: 50, claimIntervalMs: 50 });
  await until("every partition drained", () => consumer.stats.handled === 30);
  const m = await metrics();
  const where = { "messaging.destination.name": "parted", "messaging.consumer.group.name": "parted-group" };
  assert.deepEqual(
    points<number>(m, "eventwire.queue.length", where).map((p) => p.value),
    [30],
    "the gauge is not the sum of the partitions, or not one series",
  );
  assert.deepEqual(points<number>(m, "eventwire.queue.lag", where).map((p) => p.value), [0]);
});
