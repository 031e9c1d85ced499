// TypeScript and Python services on the same queues: the Python package
// (python/, driven through test/python/peer.py) runs the same Lua scripts
// (same SHA1), reads what TypeScript publishes and the other way round, in
// both entry formats; its retries and dead letters are read and requeued by
// TypeScript; on partitioned queues, each side consumes every partition of
// what the other publishes, and both put a key's events in one partition;
// and on the event bus, TypeScript and Python routers and services each get
// every event of their types.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EventBus, connectRedis, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { Scripts } from "../../src/redis/scripts.js";
import { partitionOf } from "../../src/transport/partitions.js";
import { RedisServer } from "../support/redis.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PYTHON = "/usr/bin/python3";
const PEER = join(root, "test/python/peer.py");

interface Line {
  readonly kind: string;
  readonly [key: string]: unknown;
}

function lines(stdout: string): Line[] {
  return stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Line);
}

/** Runs the peer to its end; fails with its output when it fails. */
function peer(...args: string[]): Line[] {
  const r = spawnSync(PYTHON, [PEER, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `peer ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return lines(r.stdout);
}

/** Starts the peer in the background: its lines as they come, and its end. */
function startPeer(...args: string[]): { lines: Line[]; done: Promise<number | null>; waitFor(kind: string): Promise<void> } {
  const child = spawn(PYTHON, [PEER, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const out: Line[] = [];
  let buffer = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const p of parts) if (p.trim() !== "") out.push(JSON.parse(p) as Line);
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  after(() => child.kill());
  return {
    lines: out,
    done: done.then((code) => {
      if (code !== 0) assert.fail(`peer ${args.join(" ")} failed (exit ${code}):\n${stderr}`);
      return code;
    }),
    async waitFor(kind: string) {
      const deadline = Date.now() + 30_000;
      while (!out.some((l) => l.kind === kind)) {
        if (Date.now() > deadline) assert.fail(`the peer never said ${kind}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

let server: RedisServer;
let url: string;
let counter = 0;
const prefixes: StreamTransport<ShopEvent>[] = [];

async function transport(prefix: string): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: url, prefix, logger: silentLogger });
  prefixes.push(t);
  return t;
}

const fresh = (): string => `interop-${process.pid}-${++counter}:`;

before(async () => {
  const probe = spawnSync(PYTHON, ["-c", "import google.protobuf, redis"], { encoding: "utf8" });
  assert.equal(probe.status, 0, `Debian's Python lacks python3-protobuf or python3-redis (apt-get install python3-protobuf python3-redis):\n${probe.stderr}`);
  server = await RedisServer.start();
  url = process.env["REDIS_URL"] ?? server.url;
});

after(async () => {
  for (const t of prefixes) await t.close();
  await server?.stop();
});

test("Python assembles every script exactly as TypeScript does: the same SHA1", () => {
  const [line] = peer("shas");
  const shas = line!["shas"] as Record<string, string>;
  const expected = Object.fromEntries(Object.values(Scripts).map((s) => [s.name, createHash("sha1").update(s.lua).digest("hex")]));
  assert.deepEqual(shas, expected);
  assert.equal(Object.keys(shas).length, Object.keys(Scripts).length);
});

test("Python consumes what TypeScript publishes, in both entry formats", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  const events = [0, 1, 2, 3].map((i) =>
    shopRegistry.create("OrderCreatedEvent", { orderId: `ts-${i}`, userId: "user-Zoë", total: 10 + i, items: [{ productId: "p", name: "Café ☕", price: 10 + i, quantity: 1 }] }, {
      headers: { "correlation-id": `c-${i}` },
    }),
  );
  for (const [i, e] of events.entries()) await ts.publish("orders", e, { format: i % 2 === 0 ? "json" : "binary" });
  const out = peer("consume", url, prefix, "orders", "--expect", "4");
  const handled = out.filter((l) => l.kind === "handled");
  assert.deepEqual(handled.map((l) => l["order_id"]), ["ts-0", "ts-1", "ts-2", "ts-3"]);
  for (const [i, l] of handled.entries()) {
    assert.equal(l["event_id"], events[i]!.eventId);
    assert.deepEqual(l["headers"], { "correlation-id": `c-${i}` });
    assert.equal(l["json"], shopRegistry.toJson(events[i]!), "Python's JSON of the event is TypeScript's");
  }
  const info = await ts.info("orders");
  assert.deepEqual([info.length, info.pending, info.dlqLength], [4, 0, 0]);
});

test("TypeScript consumes what Python publishes, in both entry formats", async () => {
  const prefix = fresh();
  const published = [...peer("publish", url, prefix, "orders", "json", "2"), ...peer("publish", url, prefix, "orders", "binary", "2")];
  const ts = await transport(prefix);
  const got: ShopEvent[] = [];
  const consumer = await ts.consume("orders", { OrderCreatedEvent: (e) => void got.push(e) });
  await consumer.drain();
  assert.deepEqual(got.map((e) => e.eventId), published.map((l) => l["event_id"]));
  assert.deepEqual(got.map((e) => shopRegistry.toJson(e)), published.map((l) => l["json"]));
  const first = got[0];
  assert.ok(first?.eventType === "OrderCreatedEvent" && first.payload.items[0]?.name === "Tasse ☕" && first.headers["source-service"] === "python-peer");
  // the JSON entries are LeanMQ's, byte for byte as TypeScript writes the same event
  const [entry] = await ts.store.range(ts.keys("orders").stream, "-", "+", 1);
  const data = entry!.fields.get("data")!.toString("utf8");
  const text = shopRegistry.toJson(first, { style: "python" });
  assert.ok(data.startsWith(text.slice(0, -1) + ', "_metadata": {"id": "'), data);
});

test("Python's retries are counted by Redis, its dead letters read and requeued by TypeScript", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  const order = shopRegistry.create("OrderCreatedEvent", { orderId: "o-dlq", userId: "u", total: 5 });
  await ts.publish("orders", order, { format: "binary" });
  const first = peer("consume", url, prefix, "orders", "--fail-until", "9", "--max-attempts", "3");
  assert.deepEqual(first.filter((l) => l.kind === "failed").map((l) => l["deliveries"]), [1, 2, 3]);
  const letters = await ts.deadLetters("orders").list();
  assert.equal(letters.length, 1);
  const letter = letters[0]!;
  assert.equal(letter.reason, "handler-failed (attempt 3 of 3): RuntimeError: ledger offline at delivery 3");
  assert.equal(letter.kind, "handler-failed");
  assert.equal(letter.attempts, 3);
  assert.equal(letter.event?.eventId, order.eventId);
  assert.equal((await ts.info("orders")).pending, 0);
  assert.equal(await ts.deadLetters("orders").requeue("all"), 1);
  // requeued by TypeScript, handled by Python at its first delivery from the main queue again
  const second = peer("consume", url, prefix, "orders");
  const handled = second.filter((l) => l.kind === "handled");
  assert.deepEqual(handled.map((l) => [l["event_id"], l["deliveries"]]), [[order.eventId, 1]]);
  const info = await ts.info("orders");
  assert.deepEqual([info.pending, info.dlqLength], [0, 0]);
});

test("TypeScript's dead letters are requeued by Python's transport and handled there", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  const order = shopRegistry.create("OrderCreatedEvent", { orderId: "o-ts-dlq", userId: "u", total: 5 });
  await ts.publish("orders", order);
  const consumer = await ts.consume("orders", { OrderCreatedEvent: () => Promise.reject(new Error("card declined")) }, { retry: { maxAttempts: 2, initialDelayMs: 5 } });
  await consumer.drain();
  await consumer.stop();
  const [letter] = await ts.deadLetters("orders").list();
  assert.equal(letter?.reason, "handler-failed (attempt 2 of 2): Error: card declined");
  const requeued = peer("requeue", url, prefix, "orders");
  assert.deepEqual(
    requeued.map((l) => [l.kind, l["reason"] ?? l["count"], l["attempts"], l["event_id"]]),
    [
      ["dead-letter", "handler-failed (attempt 2 of 2): Error: card declined", 2, order.eventId],
      ["requeued", 1, undefined, undefined],
    ],
  );
  const handled = peer("consume", url, prefix, "orders").filter((l) => l.kind === "handled");
  assert.deepEqual(handled.map((l) => l["order_id"]), ["o-ts-dlq"]);
});

test("the bus: TypeScript and Python routers and services each get every event of their types", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  const bus = new EventBus(ts);
  const tsSeen: string[] = [];
  await bus.subscribe("audit-service", { "*": (e) => void tsSeen.push(`${e.eventType}:${e.payload.orderId}`) }, { claimIntervalMs: 100 });
  // two Python services, each with its own router: the notification service sees everything, the payment service pays for orders
  const notifications = startPeer("bus", url, prefix, "notification-service", "--expect", "12");
  const payments = startPeer("bus", url, prefix, "payment-service", "--expect", "6", "--pay");
  await notifications.waitFor("subscribed");
  await payments.waitFor("subscribed");
  for (let i = 0; i < 6; i++) {
    await bus.publish(shopRegistry.create("OrderCreatedEvent", { orderId: `bus-${i}`, userId: "u", total: i + 1 }), { format: i % 2 === 0 ? "json" : "binary" });
  }
  await Promise.all([notifications.done, payments.done]);
  const deadline = Date.now() + 20_000;
  while (tsSeen.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const expected = [0, 1, 2, 3, 4, 5].flatMap((i) => [`OrderCreatedEvent:bus-${i}`, `PaymentProcessedEvent:bus-${i}`]).sort();
  assert.deepEqual([...tsSeen].sort(), expected, "the TypeScript service got every event once");
  const seen = (p: ReturnType<typeof startPeer>) => p.lines.filter((l) => l.kind === "handled").map((l) => `${l["event_type"]}:${l["order_id"]}`).sort();
  assert.deepEqual(seen(notifications), expected, "the Python notification service got every event once");
  assert.deepEqual(seen(payments), expected.filter((e) => e.startsWith("OrderCreated")), "the Python payment service got every order once");
  const routers = [notifications, payments].map((p) => p.lines.find((l) => l.kind === "done")!["router"] as { copies: number });
  const copies = routers.reduce((n, r) => n + r.copies, 0) + bus.routerStats.copies;
  assert.equal(copies, 6 * 3 + 6 * 2, "each order copied to three services, each payment to two, whichever router took it");
  await bus.stop();
});

test("partitions: Python consumes every event TypeScript publishes to a partitioned queue, each key's in order", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  await ts.setPartitions("orders", 4);
  const users = ["ann", "bob", "cyd", "dee", "eve", "fay"];
  const published: { orderId: string; key: string; partition: number; streamId: string }[] = [];
  for (let n = 0; n < 5; n++) {
    for (const key of users) {
      const e = shopRegistry.create("OrderCreatedEvent", { orderId: `${key}/${n}`, userId: key, total: n + 1 });
      const p = await ts.publish("orders", e, { partitionKey: key, format: n % 2 === 0 ? "json" : "binary" });
      published.push({ orderId: `${key}/${n}`, key, partition: p.partition, streamId: p.streamId });
    }
  }
  assert.ok(new Set(published.map((p) => p.partition)).size >= 3, "the keys spread over the partitions");
  const out = peer("consume", url, prefix, "orders");
  const handled = out.filter((l) => l.kind === "handled");
  assert.equal(handled.length, 30, "every event, from every partition");
  assert.deepEqual(
    handled.map((l) => `${String(l["order_id"])}@${String(l["partition"])}:${String(l["stream_id"])}`).sort(),
    published.map((p) => `${p.orderId}@${p.partition}:${p.streamId}`).sort(),
  );
  for (const key of users) {
    const order = handled.filter((l) => String(l["order_id"]).startsWith(`${key}/`)).map((l) => l["order_id"]);
    assert.deepEqual(order, [0, 1, 2, 3, 4].map((n) => `${key}/${n}`), `${key}'s events in the order published`);
  }
  const info = await ts.info("orders");
  assert.deepEqual([info.length, info.pending, info.lag, info.partitions?.length], [30, 0, 0, 4]);
});

test("partitions: TypeScript's consumer gets what Python publishes with keys, each key's events in one partition, in order", async () => {
  const prefix = fresh();
  const [counted] = peer("partitions", url, prefix, "orders", "5");
  assert.deepEqual([counted!["count"], counted!["highest"]], [5, 5]);
  const keys = ["customer-1", "customer-2", "customer-3", "Zoë", "☕-bar", "🐙"];
  const published = peer("publish-keyed", url, prefix, "orders", "4", "--keys", keys.join(","));
  assert.equal(published.length, 24);
  for (const p of published) assert.equal(p["partition"], partitionOf(String(p["key"]), 5), `Python put ${String(p["key"])} where TypeScript would`);
  assert.ok(new Set(published.map((p) => p["partition"])).size >= 3, "the keys spread over the partitions");
  const ts = await transport(prefix);
  assert.deepEqual(await ts.partitions("orders", { fresh: true }), { count: 5, highest: 5 });
  // each partition's stream holds exactly its keys' entries
  for (let p = 0; p < 5; p++) {
    const ids = (await ts.store.range(ts.keys("orders", p).stream, "-", "+", 1000)).map((e) => e.id);
    assert.deepEqual(ids, published.filter((l) => l["partition"] === p).map((l) => l["stream_id"]), `partition ${p}`);
  }
  const got: { orderId: string; streamId: string }[] = [];
  const consumer = await ts.consume("orders", { OrderCreatedEvent: (e, ctx) => void got.push({ orderId: e.payload.orderId, streamId: ctx.streamId }) });
  await consumer.drain();
  assert.equal(consumer.partitionCount, 5);
  await consumer.stop();
  assert.equal(got.length, 24, "every event, from every partition");
  for (const key of keys) {
    const mine = got.filter((g) => g.orderId.startsWith(`${key}/`));
    assert.deepEqual(mine.map((g) => g.orderId), [0, 1, 2, 3].map((n) => `${key}/${n}`), `${key}'s events in the order published`);
    const sent = published.filter((l) => l["key"] === key);
    assert.deepEqual(mine.map((g) => g.streamId), sent.map((l) => l["stream_id"]), `${key}'s events are the entries Python wrote in its partition`);
  }
  // a count Python lowers is followed by TypeScript's publishers, and consumers still read every partition
  peer("partitions", url, prefix, "orders", "2");
  assert.deepEqual(await ts.partitions("orders", { fresh: true }), { count: 2, highest: 5 });
  const late = await ts.publish("orders", shopRegistry.create("OrderCreatedEvent", { orderId: "late", userId: "u", total: 1 }), { partitionKey: "customer-3" });
  assert.equal(late.partition, partitionOf("customer-3", 2));
  const handled = peer("consume", url, prefix, "orders").filter((l) => l.kind === "handled");
  assert.deepEqual(handled.map((l) => [l["order_id"], l["partition"]]), [["late", late.partition]]);
});

test("partitions: on a bus whose shared queue TypeScript partitions, a Python router routes every partition", async () => {
  const prefix = fresh();
  const ts = await transport(prefix);
  // TypeScript does not route here: every copy is the Python router's
  const bus = new EventBus(ts, { route: false, partitions: 3 });
  const tsSeen: string[] = [];
  await bus.subscribe("audit-service", { "*": (e) => void tsSeen.push(e.payload.orderId) }, { claimIntervalMs: 100 });
  assert.deepEqual(await ts.partitions("all", { fresh: true }), { count: 3, highest: 3 });
  const python = startPeer("bus", url, prefix, "notification-service", "--expect", "9");
  await python.waitFor("subscribed");
  const partitions = new Set<number>();
  // a key for each partition, so that every partition gets events (by event id, 9 events can miss one)
  const keyFor = (partition: number): string => {
    for (let j = 0; ; j++) if (partitionOf(`k${j}`, 3) === partition) return `k${j}`;
  };
  for (let i = 0; i < 9; i++) {
    const p = await bus.publish(shopRegistry.create("OrderShippedEvent", { orderId: `ship-${i}`, trackingNumber: `T-${i}`, carrier: "UPS" }), { partitionKey: keyFor(i % 3) });
    partitions.add(p.partition);
  }
  assert.deepEqual([...partitions].sort(), [0, 1, 2], "the events spread over the three partitions");
  await python.done;
  const deadline = Date.now() + 20_000;
  while (tsSeen.length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const expected = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `ship-${i}`);
  assert.deepEqual([...tsSeen].sort(), expected, "the TypeScript service got every event once");
  assert.deepEqual(python.lines.filter((l) => l.kind === "handled").map((l) => l["order_id"]).sort(), expected, "the Python service got every event once");
  const router = python.lines.find((l) => l.kind === "done")!["router"] as { copies: number; routed: number };
  assert.deepEqual([router.routed, router.copies], [9, 18]);
  await bus.stop();
});
