// eventwire and a Python service using LeanMQ on one real Redis, each doing
// its part: publishing, consuming, dead-lettering, requeueing, and the event
// bus. The Python side is the model in test/python/leanmq_model.py (LeanMQ's
// Redis behaviour and the seed's event classes).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  BUS_PREFIX,
  EventBus,
  PermanentError,
  connectRedis,
  defaultRetryPolicy,
  silentLogger,
  type Consumer,
  type HandlerContext,
  type Handlers,
  type StreamTransport,
} from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";
import { PythonLeanMQ, dataOf, paymentProcessed, seedEvents, waitFor, type PyFloatArg, type SeedEvent } from "../support/leanmq-model.js";

let server: RedisServer;
let py: PythonLeanMQ;
let ew: StreamTransport<ShopEvent>;
let ewEvents: StreamTransport<ShopEvent>;
let db: Redis;

before(async () => {
  server = await RedisServer.start();
  py = new PythonLeanMQ(server.url);
  py.check();
  ew = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
  ewEvents = await connectRedis({ registry: shopRegistry, connection: server.url, prefix: BUS_PREFIX, logger: silentLogger });
  db = new Redis(server.url);
});

after(async () => {
  await ew?.close();
  await ewEvents?.close();
  db?.disconnect();
  await server?.stop();
});

interface Received {
  readonly event: ShopEvent;
  readonly context: HandlerContext;
}

/** Starts a consumer of `queue` that records what it handles (and runs `also` first, which may throw). */
async function record(
  transport: StreamTransport<ShopEvent>,
  queue: string,
  also: (event: ShopEvent, context: HandlerContext) => void = () => {},
): Promise<{ consumer: Consumer<ShopEvent>; got: Received[] }> {
  const got: Received[] = [];
  const handlers: Handlers<ShopEvent> = {
    "*": (event, context) => {
      also(event, context);
      got.push({ event, context });
    },
  };
  const consumer = await transport.consume(queue, handlers, { blockMs: 50, claimIntervalMs: 100, retry: { ...defaultRetryPolicy, maxAttempts: 1 } });
  return { consumer, got };
}

/** The Python dict of a spec: floats unwrapped, as Python's to_dict gives it (and JSON carries it). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    if ("__float__" in value) return Number((value as PyFloatArg).__float__);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const PY_TYPES: Record<string, Record<string, string>> = {
  OrderCreatedEvent: { event_id: "str", timestamp: "float", event_type: "str", order_id: "str", user_id: "str", total: "float", items: "list" },
  PaymentProcessedEvent: { event_id: "str", timestamp: "float", event_type: "str", payment_id: "str", order_id: "str", amount: "float", status: "str" },
  OrderShippedEvent: { event_id: "str", timestamp: "float", event_type: "str", order_id: "str", tracking_number: "str", carrier: "str" },
};

test("eventwire publishes; the Python model's get_messages and deserialize_event rebuild the same events", async () => {
  const events = seedEvents(1);
  const published = await ew.publishMany(events.map(({ event }) => ({ queue: "orders", event })));
  const REBUILT_AT = 1999999999.5;
  const got = py.getMessages("mq:", "orders", { deserialize: true, time: REBUILT_AT });
  assert.equal(got.length, 3);
  got.forEach((message, i) => {
    const { spec, event } = events[i]!;
    assert.equal(message.id, published[i]!.streamId);
    assert.equal(message.metadata.id, published[i]!.messageId);
    assert.equal(message.metadata.ttl, null);
    assert.equal(typeof message.metadata.timestamp, "number");
    assert.equal(message.delivery_count, 1);
    assert.deepEqual(message.data, plain(spec), "the message's data is the seed's to_dict() of the event");
    const rebuilt = message.event!;
    assert.equal(rebuilt.class, event.eventType);
    const { timestamp, ...fields } = rebuilt.fields;
    const { timestamp: sent, ...expected } = plain(spec) as Record<string, unknown>;
    assert.deepEqual(fields, expected);
    assert.equal(sent, event.timestamp);
    // the seed's subclasses' from_dict take a fresh time.time(): the rebuilt event does not keep it
    assert.equal(timestamp, REBUILT_AT);
    assert.deepEqual(rebuilt.types, PY_TYPES[event.eventType], "Python sees floats as float, not int");
  });
  assert.deepEqual(got[0]!.event!.item_types, Array(3).fill({ product_id: "str", name: "str", price: "float", quantity: "int" }));
  assert.equal(py.acknowledge("mq:", "orders", got.map((m) => m.id)), 3);
  assert.equal((await ew.info("orders")).pending, 0);
});

test("Python's send_message(serialize_event(e)) reaches eventwire's consumer as typed events", async () => {
  const events = seedEvents(2);
  py.createQueuePair("mq:", "from-python");
  const ids = py.sendEvents("mq:", "from-python", events.map((e) => e.spec), {
    messageIds: ["aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002", "aaaaaaaa-0000-4000-8000-000000000003"],
  });
  const raw = await dataOf(db, "mq:from-python");
  assert.match(raw[0]!, /"price": 20\.0, "quantity": 3/, "the Python side wrote 20.0, a float");
  const { consumer, got } = await record(ew, "from-python");
  await waitFor("three events", () => got.length === 3);
  await consumer.stop();
  got.forEach(({ event, context }, i) => {
    assert.deepEqual(event, events[i]!.event);
    assert.equal(context.streamId, ids[i]);
    assert.equal(context.messageId, `aaaaaaaa-0000-4000-8000-00000000000${i + 1}`);
    assert.equal(context.deliveries, 1);
  });
  const created = got[0]!.event;
  const payment = got[1]!.event;
  assert.equal(created.timestamp, 1732700000.123456);
  assert.ok(created.eventType === "OrderCreatedEvent");
  assert.equal(created.payload.items[2]!.price, 20);
  assert.equal(created.payload.items[0]!.name, 'Café "Crème" \\ ☕');
  assert.equal(created.payload.items[1]!.name, "Notebook 𝄞 – A5\n");
  assert.equal(created.payload.orderId, "order-2-ü");
  assert.equal(created.payload.total, 29.99 * 2 + 9.99 + 60);
  assert.ok(payment.eventType === "PaymentProcessedEvent");
  assert.equal(payment.payload.amount, created.payload.total);
  assert.equal(consumer.stats.handled, 3);
  assert.equal((await ew.info("from-python")).pending, 0);
});

function history(data: string): { failures: Record<string, unknown>[]; requeues: Record<string, unknown>[] } {
  const parsed = JSON.parse(data) as Record<string, unknown>;
  return { failures: (parsed["_failures"] ?? []) as Record<string, unknown>[], requeues: (parsed["_requeues"] ?? []) as Record<string, unknown>[] };
}

test("Python moves a message to the DLQ; eventwire lists it with its reason, requeues it and handles it", async () => {
  const payment = paymentProcessed({ eventId: "3f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b", timestamp: 1732700050.25 }, { payment_id: "payment-7", order_id: "o-7", amount: 12.5, status: "failed" });
  const reason = "payment gateway timeout — réessayer";
  py.createQueuePair("mq:", "payments");
  py.sendEvents("mq:", "payments", [payment.spec], { messageIds: ["bbbbbbbb-0000-4000-8000-000000000007"] });
  const [message] = py.getMessages("mq:", "payments");
  py.moveToDlq("mq:", "payments", [message!.id], reason);

  const dlq = ew.deadLetters("payments");
  const [letter, ...others] = await dlq.list();
  assert.equal(others.length, 0);
  assert.equal(letter!.reason, reason);
  assert.equal(letter!.format, "json");
  assert.equal(letter!.messageId, "bbbbbbbb-0000-4000-8000-000000000007");
  assert.deepEqual(letter!.event, payment.event);
  assert.equal(letter!.failures.length, 1);
  assert.equal(typeof letter!.failures[0]!.timestamp, "number");
  assert.equal(letter!.requeues, 0);

  assert.equal(await dlq.requeue("all"), 1);
  assert.equal(await dlq.count(), 0);
  const { consumer, got } = await record(ew, "payments");
  await waitFor("the requeued event", () => got.length === 1);
  await consumer.stop();
  assert.deepEqual(got[0]!.event, payment.event);
  assert.equal(got[0]!.context.messageId, "bbbbbbbb-0000-4000-8000-000000000007");
  const handled = (await dataOf(db, "mq:payments")).at(-1)!;
  const { failures, requeues } = history(handled);
  assert.deepEqual(failures.map((f) => f["reason"]), [reason], "Python's _failures item is kept");
  assert.deepEqual(Object.keys(failures[0]!), ["timestamp", "reason"]);
  assert.equal(requeues.length, 1);
  assert.deepEqual(Object.keys(requeues[0]!), ["timestamp", "from_dlq", "to_queue"]);
  assert.equal(requeues[0]!["from_dlq"], "mq:payments:dlq");
  assert.equal(requeues[0]!["to_queue"], "mq:payments");
});

test("eventwire dead-letters a message; the Python model's requeue_messages puts it back and eventwire handles it", async () => {
  const [, , shipped] = seedEvents(3);
  let failing = true;
  const { consumer, got } = await record(ew, "shipments", () => {
    if (failing) throw new PermanentError("carrier unknown");
  });
  const published = await ew.publish("shipments", shipped!.event);
  await waitFor("the dead-lettering", () => consumer.stats.deadLettered === 1);

  const [inDlq, ...others] = py.getMessages("mq:", "shipments", { dlq: true });
  assert.equal(others.length, 0);
  assert.equal(inDlq!.metadata.id, published.messageId);
  assert.equal(inDlq!.metadata.ttl, null);
  const failures = inDlq!.data["_failures"] as { timestamp: number; reason: string }[];
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.reason, /^permanent-failure \(attempt 1 of 1\): PermanentError: carrier unknown$/);

  failing = false;
  const [requeuedId] = py.requeueMessages("mq:", "shipments", [inDlq!.id]);
  await waitFor("the requeued event", () => got.length === 1);
  await consumer.stop();
  assert.deepEqual(got[0]!.event, shipped!.event);
  assert.equal(got[0]!.context.streamId, requeuedId);
  assert.equal(got[0]!.context.messageId, published.messageId);
  assert.equal(await db.xlen("mq:shipments:dlq"), 0);
  const { failures: kept, requeues } = history((await dataOf(db, "mq:shipments")).at(-1)!);
  assert.equal(kept.length, 1);
  assert.equal(kept[0]!["reason"], failures[0]!.reason, "eventwire's _failures item is kept");
  assert.deepEqual(requeues.map((r) => [r["from_dlq"], r["to_queue"]]), [["mq:shipments:dlq", "mq:shipments"]]);
  assert.equal(typeof requeues[0]!["timestamp"], "number");
});

test("the event bus: a Python service subscribed with one HSET gets what eventwire publishes, and Python's events reach eventwire", async () => {
  const bus = new EventBus(ewEvents, { router: { blockMs: 50, claimIntervalMs: 100 } });
  try {
    // the Python service joins: its queue pair, then one HSET
    py.createQueuePair(BUS_PREFIX, "sub:py-notifier");
    py.registerSubscription(BUS_PREFIX, "py-notifier", ["OrderCreatedEvent", "OrderShippedEvent"]);
    assert.deepEqual(await db.hget("events:subscriptions", "py-notifier"), '["OrderCreatedEvent", "OrderShippedEvent"]');
    const ledger: ShopEvent[] = [];
    await bus.subscribe("ts-ledger", { PaymentProcessedEvent: (e) => void ledger.push(e) }, { blockMs: 50 });

    const events = seedEvents(4);
    await bus.publishMany(events.map((e) => e.event));
    await waitFor("the routing", () => bus.routerStats.routed + bus.routerStats.unrouted === 3);
    await waitFor("the ledger's payment", () => ledger.length === 1);
    assert.deepEqual(ledger, [events[1]!.event]);
    const toPython = py.getMessages(BUS_PREFIX, "sub:py-notifier", { deserialize: true });
    assert.deepEqual(toPython.map((m) => m.event?.class), ["OrderCreatedEvent", "OrderShippedEvent"]);
    assert.deepEqual(toPython.map((m) => m.data), [plain(events[0]!.spec), plain(events[2]!.spec)]);
    py.acknowledge(BUS_PREFIX, "sub:py-notifier", toPython.map((m) => m.id));

    // the other way: the Python service publishes to events:all
    const fromPython: SeedEvent[] = seedEvents(5);
    py.createQueuePair(BUS_PREFIX, "all");
    py.sendEvents(BUS_PREFIX, "all", fromPython.map((e) => e.spec));
    await waitFor("the ledger's second payment", () => ledger.length === 2);
    assert.deepEqual(ledger[1], fromPython[1]!.event);
    // and the router, in eventwire, copies Python's own events to the Python subscriber too
    await waitFor("the routing", () => bus.routerStats.routed + bus.routerStats.unrouted === 6);
    const back = py.getMessages(BUS_PREFIX, "sub:py-notifier", { deserialize: true });
    assert.deepEqual(back.map((m) => m.data), [plain(fromPython[0]!.spec), plain(fromPython[2]!.spec)]);
  } finally {
    await bus.stop();
  }
});

test("binary entries on a shared queue: LeanMQ drops them, eventwire reads both kinds side by side", async () => {
  const [created, payment, shipped] = seedEvents(6).map((e) => e.event);
  const mixed = [
    { event: created!, options: { format: "json" as const } },
    { event: payment!, options: { format: "binary" as const } },
    { event: shipped!, options: { format: "json" as const } },
  ];
  // a Python consumer: the binary entry has no data field, so get_messages acknowledges and drops it
  await ew.publishMany(mixed.map((m) => ({ queue: "mixed-python", ...m })));
  const seen = py.getMessages("mq:", "mixed-python");
  assert.deepEqual(seen.map((m) => m.data["event_type"]), ["OrderCreatedEvent", "OrderShippedEvent"]);
  const info = await ew.info("mixed-python");
  assert.deepEqual([info.length, info.pending, info.lag], [3, 2, 0], "the binary entry was read and acknowledged, unreported");

  // an eventwire consumer of the same mix gets all three, in order
  await ew.publishMany(mixed.map((m) => ({ queue: "mixed-eventwire", ...m })));
  const { consumer, got } = await record(ew, "mixed-eventwire");
  await waitFor("three events", () => got.length === 3);
  await consumer.stop();
  assert.deepEqual(got.map((g) => g.event), [created, payment, shipped]);
});
