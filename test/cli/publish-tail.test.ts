// `eventwire publish` and `eventwire tail`, as processes, on a private
// redis-server: what publish writes is what tail prints, in both entry
// formats, and tail takes nothing from the queue's consumers.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { validate as isUuid } from "uuid";
import { connectRedis, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli, jsonLines, startCli } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let redis: Redis;
let transport: StreamTransport<ShopEvent>;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
});
after(async () => {
  await transport.close();
  redis.disconnect();
  await server.stop();
});

const queue = (): string => `q-${randomUUID().slice(0, 8)}`;
const at = (): string[] => ["--redis", server.url];

function shipped(i: number): ShopEvent {
  return shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-0000000${i}`, carrier: "DHL" });
}

describe("publish, then tail", { concurrency: true }, () => {
  test("a JSON entry and a binary entry: publish prints their ids, tail prints both events", async () => {
    const q = queue();
    const a = await cli(["publish", q, "--create", "OrderShippedEvent", '{"order_id": "order-1", "tracking_number": "TRACK-1A2B3C4D", "carrier": "UPS"}', ...at()]);
    assert.equal(a.status, 0, a.stderr);
    const [, streamA] = /^stream id\s+(\S+)$/m.exec(a.stdout) ?? [];
    const [, eventA] = /^event_id\s+(\S+)$/m.exec(a.stdout) ?? [];
    assert.ok(streamA && eventA && isUuid(eventA), a.stdout);
    assert.match(a.stderr, /created the queue mq:q-/);

    const payload = '{"orderId": "order-2", "user_id": "user-7", "total": 3, "items": [{"product_id": "p-1", "price": 1.5, "quantity": 2}]}';
    const b = await cli(["publish", q, "OrderCreatedEvent", payload, "--format", "binary", "--header", "correlation-id=c-1", "--json", ...at()]);
    assert.equal(b.status, 0, b.stderr);
    const pb = JSON.parse(b.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(pb).sort(), ["event_id", "event_type", "format", "message_id", "partition", "partitions", "queue", "stream", "stream_id"]);
    assert.equal(pb["format"], "binary");
    assert.deepEqual([pb["partition"], pb["partitions"]], [0, 1]);
    assert.equal(pb["stream"], `mq:${q}`);

    // In Redis: LeanMQ's one `data` field, and the binary envelope's fields.
    const stored = await redis.xrange(`mq:${q}`, "-", "+");
    assert.deepEqual(stored.map(([id]) => id), [streamA, pb["stream_id"]]);
    assert.deepEqual(stored[0]![1].filter((_, i) => i % 2 === 0), ["data"]);
    assert.deepEqual(stored[1]![1].filter((_, i) => i % 2 === 0), ["event_type", "envelope", "_metadata"]);

    const t = await cli(["tail", q, ...at()]);
    assert.equal(t.status, 0, t.stderr);
    const [first, second] = jsonLines(t.stdout) as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(jsonLines(t.stdout).length, 2);
    assert.deepEqual(first, {
      _stream_id: streamA,
      event_id: eventA,
      timestamp: first["timestamp"],
      event_type: "OrderShippedEvent",
      order_id: "order-1",
      tracking_number: "TRACK-1A2B3C4D",
      carrier: "UPS",
    });
    assert.ok(Math.abs((first["timestamp"] as number) - Date.now() / 1000) < 60);
    assert.deepEqual(second, {
      _stream_id: pb["stream_id"],
      event_id: pb["event_id"],
      timestamp: second["timestamp"],
      event_type: "OrderCreatedEvent",
      order_id: "order-2",
      user_id: "user-7",
      total: 3,
      items: [{ product_id: "p-1", name: "", price: 1.5, quantity: 2 }],
      _headers: { "correlation-id": "c-1" },
    });
  });

  test("the payload can come from standard input, with its own event_id; --ttl is recorded", async () => {
    const q = queue();
    const id = randomUUID();
    const r = await cli(["publish", q, "--create", "OrderShippedEvent", "-", "--ttl", "60", "--json", ...at()], {
      input: JSON.stringify({ event_id: id, order_id: "order-9" }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { event_id: string }).event_id, id);
    const [[, fields]] = (await redis.xrange(`mq:${q}`, "-", "+")) as [[string, string[]]];
    const data = JSON.parse(fields[1]!) as { _metadata: { ttl: number } };
    assert.equal(data._metadata.ttl, 60);
    assert.equal(await redis.zcard(`mq:${q}:expiry`), 1);
  });
});

describe("tail", { concurrency: true }, () => {
  test("the last --count entries, or those from --from on", async () => {
    const q = queue();
    const published = await transport.publishMany([1, 2, 3, 4, 5].map((i) => ({ queue: q, event: shipped(i), options: { format: i % 2 ? "json" : "binary" } as const })));
    const ids = published.map((p) => p.streamId);
    const orders = (text: string): unknown[] => jsonLines(text).map((l) => l["order_id"]);

    const last2 = await cli(["tail", q, "--count", "2", ...at()]);
    assert.deepEqual(orders(last2.stdout), ["order-4", "order-5"]);
    const fromThird = await cli(["tail", q, "--from", ids[2]!, ...at()]);
    assert.deepEqual(orders(fromThird.stdout), ["order-3", "order-4", "order-5"]);
    const firstTwo = await cli(["tail", q, "--from", "0", "--count", "2", ...at()]);
    assert.deepEqual(orders(firstTwo.stdout), ["order-1", "order-2"]);
    assert.deepEqual(jsonLines(firstTwo.stdout).map((l) => l["_stream_id"]), ids.slice(0, 2));
  });

  test("joins no consumer group: nothing is delivered, and a consumer then gets every entry", async () => {
    const q = queue();
    await transport.publishMany([1, 2, 3].map((i) => ({ queue: q, event: shipped(i) })));
    const r = await cli(["tail", q, "--from", "0", ...at()]);
    assert.equal(jsonLines(r.stdout).length, 3);
    const info = await transport.info(q);
    assert.equal(info.consumers, 0);
    assert.equal(info.pending, 0);
    assert.equal(info.lag, 3);
    const seen: string[] = [];
    const consumer = await transport.consume(q, { OrderShippedEvent: (e) => void seen.push(e.payload.orderId) }, { blockMs: 50 });
    await consumer.drain();
    await consumer.stop();
    assert.deepEqual(seen.sort(), ["order-1", "order-2", "order-3"]);
  });

  test("entries it cannot decode are lines with _error, between the others", async () => {
    const q = queue();
    await transport.publish(q, shipped(1));
    await redis.xadd(`mq:${q}`, "*", "data", "{not json");
    await redis.xadd(`mq:${q}`, "*", "event_type", "RefundIssuedEvent", "envelope", Buffer.from([0x0a, 0x00]), "_metadata", "{}");
    await transport.publish(q, shipped(2));
    const lines = jsonLines((await cli(["tail", q, ...at()])).stdout);
    assert.deepEqual(lines.map((l) => l["order_id"] ?? null), ["order-1", null, null, "order-2"]);
    assert.match(String(lines[1]!["_error"]), /not JSON/);
    assert.equal(lines[2]!["event_type"], "RefundIssuedEvent");
    assert.match(String(lines[2]!["_error"]), /no event type "RefundIssuedEvent" is registered/);
  });

  test("--follow prints entries published after it started; Ctrl-C ends it with status 0", async () => {
    const q = queue();
    await transport.publish(q, shipped(1));
    const tailing = startCli(["tail", q, "--follow", "--count", "1", ...at()]);
    await tailing.until("stdout", /order-1/);
    await transport.publish(q, shipped(2), { format: "binary" });
    await transport.publish(q, shipped(3));
    await tailing.until("stdout", /order-3/);
    tailing.child.kill("SIGINT");
    const r = await tailing.done;
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(jsonLines(r.stdout).map((l) => l["order_id"]), ["order-1", "order-2", "order-3"]);
  });
});
