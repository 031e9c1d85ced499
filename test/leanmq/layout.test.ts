// What eventwire writes to Redis is what LeanMQ writes, byte for byte: the
// `data` of each seed event, the keys a queue pair makes, the TTL record, and
// the entries that moves to and from the DLQ leave. eventwire writes to
// database 1, the Python model of LeanMQ (test/python/leanmq_model.py) to
// database 2, the same things with the same clock; then both are compared.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import fc from "fast-check";
import {
  LEANMQ_DEFAULT_CONSUMER,
  PermanentError,
  connectRedis,
  silentLogger,
  type StreamTransport,
} from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { formatPythonFloat as formatPyFloat } from "eventwire";
import { pythonJsonString as pyString } from "../../src/python/dumps.js";
import { encodeEntry } from "../../src/transport/leanmq/entry.js";
import { RedisServer } from "../support/redis.js";
import { PythonLeanMQ, atTime, dataOf, dumpDb, groupsOf, orderShipped, paymentProcessed, seedEvents, waitFor } from "../support/leanmq-model.js";

const T1 = 1732700000125; // ms: eventwire's clock; the model gets the same in seconds
const T2 = 1732700007250;
const T3 = 1732700042500;
const T4 = 1732700100000; // a whole second: still written as a float, 1732700100.0
const sec = (ms: number): number => ms / 1000;
const messageId = (k: number): string => `11111111-2222-4333-8444-${k.toString(16).padStart(12, "0")}`;

let server: RedisServer;
let py: PythonLeanMQ;
let ew: StreamTransport<ShopEvent>;
let ewBus: StreamTransport<ShopEvent>;
let ewDb: Redis;
let pyDb: Redis;

before(async () => {
  server = await RedisServer.start();
  py = new PythonLeanMQ(`${server.url}/2`);
  py.check();
  ew = await connectRedis({ registry: shopRegistry, connection: `${server.url}/1`, logger: silentLogger });
  ewBus = await connectRedis({ registry: shopRegistry, connection: `${server.url}/1`, prefix: "events:", logger: silentLogger });
  ewDb = new Redis(`${server.url}/1`);
  pyDb = new Redis(`${server.url}/2`);
});

after(async () => {
  await ew?.close();
  await ewBus?.close();
  ewDb?.disconnect();
  pyDb?.disconnect();
  await server?.stop();
});

test("each seed event's data field is what send_message(serialize_event(e)) writes, byte for byte", async () => {
  const events = seedEvents(0);
  const ids = events.map((_, i) => messageId(i + 1));
  py.createQueuePair("mq:", "orders");
  py.sendEvents("mq:", "orders", events.map((e) => e.spec), { messageIds: ids, time: sec(T1) });
  const raw = (await pyDb.xrangeBuffer("mq:orders", "-", "+")) as unknown as [Buffer, Buffer[]][];
  assert.equal(raw.length, 3, "the model wrote three entries");

  // encodeEntry, the function every JSON publish goes through
  events.forEach(({ event }, i) => {
    const fields = encodeEntry(shopRegistry, event, "json", { id: ids[i]!, timestamp: sec(T1), ttl: null });
    const [, pyFields] = raw[i]!;
    assert.equal(fields.length, 2, "a JSON entry has one field");
    assert.equal(fields[0], "data");
    assert.equal(pyFields.length, 2);
    assert.equal(pyFields[0]!.toString(), "data");
    assert.equal(String(fields[1]), pyFields[1]!.toString("utf8"), `${event.eventType}: eventwire's data differs from LeanMQ's`);
    assert.ok(Buffer.from(String(fields[1]), "utf8").equals(pyFields[1]!), `${event.eventType}: the bytes differ`);
  });

  // and the transport's publish, with eventwire's clock at the same time
  await atTime(T1, () => ew.publishMany(events.map(({ event }, i) => ({ queue: "orders", event, options: { messageId: ids[i]! } }))));
  assert.deepEqual(await dataOf(ewDb, "mq:orders"), await dataOf(pyDb, "mq:orders"));

  // what the Python side wrote is what the doc says, not just what eventwire writes
  const [created] = await dataOf(pyDb, "mq:orders");
  assert.match(created!, /^\{"event_id": "0b7a3c1e-[^"]+", "timestamp": 1732700000\.123456, "event_type": "OrderCreatedEvent", "order_id": "order-0-\\u00fc", /);
  assert.match(created!, /"name": "Caf\\u00e9 \\"Cr\\u00e8me\\" \\\\ \\u2615", "price": 29\.99, "quantity": 2\}/);
  assert.match(created!, /"name": "Notebook \\ud834\\udd1e \\u2013 A5\\n"/);
  assert.match(created!, /"price": 20\.0, "quantity": 3\}\]/);
  assert.match(created!, /, "_metadata": \{"id": "11111111-2222-4333-8444-000000000001", "timestamp": 1732700000\.125, "ttl": null\}\}$/);
});

test("a message with a TTL: the same data, and the same :expiry record", async () => {
  const shipped = orderShipped({ eventId: "2c0e5f7a-9b1d-4e3f-a5b7-c9d1e3f5a7b9", timestamp: 1732700009.75 }, { order_id: "o-9", tracking_number: "TRACK-TTL", carrier: "UPS" });
  for (const ttl of [90, 2.5]) {
    const id = messageId(ttl === 90 ? 90 : 25);
    const pyId = py.sendEvents("mq:", "orders", [shipped.spec], { messageIds: [id], ttl, time: sec(T1) })[0]!;
    const published = await atTime(T1, () => ew.publish("orders", shipped.event, { messageId: id, ttlSeconds: ttl }));
    const [pyData, ewData] = [(await dataOf(pyDb, "mq:orders")).at(-1)!, (await dataOf(ewDb, "mq:orders")).at(-1)!];
    assert.equal(ewData, pyData);
    assert.ok(pyData.endsWith(`"_metadata": {"id": "${id}", "timestamp": 1732700000.125, "ttl": ${ttl === 90 ? "90" : "2.5"}}}`), pyData);
    const pyScore = await pyDb.zscore("mq:orders:expiry", pyId);
    const ewScore = await ewDb.zscore("mq:orders:expiry", published.streamId);
    assert.equal(Number(pyScore), sec(T1) + ttl, "the model records timestamp + ttl");
    assert.equal(ewScore, pyScore, `ttl ${ttl}: the expiry scores differ`);
  }
  const expiring = (await ewDb.xrange("mq:orders", "-", "+")).slice(-2).map(([id]) => id);
  assert.deepEqual((await ewDb.zrange("mq:orders:expiry", "0", "-1")).sort(), expiring.sort(), "the :expiry set holds the two TTL entries' ids");
});

test("the keys of queue pairs: registry, metadata hashes, consumer groups, the same in both databases", async () => {
  // the event bus's layout: prefix events:, queue all, and one sub:<service> per subscriber
  const payment = paymentProcessed({ eventId: "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4", timestamp: 1732700011.0 }, { payment_id: "payment-1", order_id: "o-1", amount: 65.96, status: "failed" });
  py.createQueuePair("events:", "all");
  py.createQueuePair("events:", "sub:payment-service");
  py.sendEvents("events:", "all", [payment.spec], { messageIds: [messageId(7)], time: sec(T1) });
  await atTime(T1, () => ewBus.publish("all", payment.event, { messageId: messageId(7) }));
  await ewBus.store.ensureQueue(ewBus.keys("sub:payment-service"));

  const [ewDump, pyDump] = [await dumpDb(ewDb), await dumpDb(pyDb)];
  assert.deepEqual(ewDump, pyDump);

  // and what they hold is what LeanMQ's layout says
  assert.deepEqual(Object.keys(pyDump).sort(), [
    "events:all", "events:all:dlq", "events:all:dlq:metadata", "events:all:metadata", "events:registry",
    "events:sub:payment-service", "events:sub:payment-service:dlq", "events:sub:payment-service:dlq:metadata",
    "events:sub:payment-service:metadata",
    "mq:orders", "mq:orders:dlq", "mq:orders:dlq:metadata", "mq:orders:expiry", "mq:orders:metadata", "mq:registry",
  ]);
  for (const db of [ewDb, pyDb]) {
    assert.deepEqual((await db.smembers("mq:registry")).sort(), ["mq:orders", "mq:orders:dlq"]);
    assert.deepEqual((await db.smembers("events:registry")).sort(), [
      "events:all", "events:all:dlq", "events:sub:payment-service", "events:sub:payment-service:dlq",
    ]);
    const { created_at: mainCreated, ...main } = await db.hgetall("mq:orders:metadata");
    const { created_at: dlqCreated, ...dlq } = await db.hgetall("mq:orders:dlq:metadata");
    assert.deepEqual(main, { dlq: "mq:orders:dlq", consumer_group: "orders-group" });
    assert.deepEqual(dlq, { main_queue: "mq:orders", consumer_group: "orders-group-dlq", is_dlq: "true" });
    for (const at of [mainCreated, dlqCreated]) {
      assert.equal(formatPyFloat(Number(at)), at, `created_at ${at} is not written as Python writes a float`);
    }
    const sub = await db.hgetall("events:sub:payment-service:dlq:metadata");
    assert.equal(sub["consumer_group"], "sub:payment-service-group-dlq");
    assert.equal(sub["main_queue"], "events:sub:payment-service");
    for (const [key, group] of [
      ["mq:orders", "orders-group"],
      ["mq:orders:dlq", "orders-group-dlq"],
      ["events:all", "all-group"],
      ["events:sub:payment-service", "sub:payment-service-group"],
      ["events:sub:payment-service:dlq", "sub:payment-service-group-dlq"],
    ] as const) {
      assert.deepEqual((await groupsOf(db, key)).map((g) => g["name"]), [group], key);
    }
  }
});

test("moves to the DLQ and back leave the same entries, byte for byte", async () => {
  const [, payment] = seedEvents(5);
  const id = messageId(42);
  const ttl = 3600; // a move drops the TTL: the DLQ entry has "ttl": null
  // the same reason text on both sides: what eventwire's consumer writes for a PermanentError
  const reason = "permanent-failure (attempt 1 of 3): PermanentError: card declined";
  py.createQueuePair("mq:", "payments");
  const [pyFirstId] = py.sendEvents("mq:", "payments", [payment!.spec], { messageIds: [id], ttl, time: sec(T1) });
  await atTime(T1, () => ew.publish("payments", payment!.event, { messageId: id, ttlSeconds: ttl }));

  const pyMove = (at: number): void => {
    const got = py.getMessages("mq:", "payments");
    assert.equal(got.length, 1);
    py.moveToDlq("mq:", "payments", [got[0]!.id], reason, { time: sec(at) });
  };
  const ewMove = (at: number): Promise<void> =>
    atTime(at, async () => {
      const consumer = ew.consumer(
        "payments",
        { PaymentProcessedEvent: () => Promise.reject(new PermanentError("card declined")) },
        { consumer: LEANMQ_DEFAULT_CONSUMER, blockMs: 50 },
      );
      await consumer.start();
      await waitFor("the dead-lettering", () => consumer.stats.deadLettered === 1);
      await consumer.stop();
    });

  pyMove(T2);
  await ewMove(T2);
  const [moved] = await dataOf(pyDb, "mq:payments:dlq");
  assert.deepEqual(await dataOf(ewDb, "mq:payments:dlq"), [moved]);
  assert.ok(
    moved!.endsWith(
      `"status": "succeeded", "_metadata": {"id": "${id}", "timestamp": 1732700007.25, "ttl": null}, ` +
        `"_failures": [{"timestamp": 1732700007.25, "reason": "${reason}"}]}`,
    ),
    moved,
  );

  const [pyDlqId] = (await pyDb.xrange("mq:payments:dlq", "-", "+")).map(([i]) => i);
  py.requeueMessages("mq:", "payments", [pyDlqId!], { time: sec(T3) });
  assert.equal(await atTime(T3, () => ew.deadLetters("payments").requeue("all")), 1);
  const requeued = await dataOf(pyDb, "mq:payments");
  assert.equal(requeued.length, 2);
  assert.deepEqual(await dataOf(ewDb, "mq:payments"), requeued);
  assert.ok(
    requeued[1]!.endsWith(
      `"_metadata": {"id": "${id}", "timestamp": 1732700042.5, "ttl": null}, "_failures": [{"timestamp": 1732700007.25, "reason": "${reason}"}], ` +
        `"_requeues": [{"timestamp": 1732700042.5, "from_dlq": "mq:payments:dlq", "to_queue": "mq:payments"}]}`,
    ),
    requeued[1],
  );
  assert.equal(await ewDb.xlen("mq:payments:dlq"), 0);

  // a second move appends to the _failures list the entry already has
  pyMove(T4);
  await ewMove(T4);
  const [again] = await dataOf(pyDb, "mq:payments:dlq");
  assert.deepEqual(await dataOf(ewDb, "mq:payments:dlq"), [again]);
  assert.match(
    again!,
    /"_metadata": \{"id": "[^"]+", "timestamp": 1732700100\.0, "ttl": null\}, "_failures": \[\{"timestamp": 1732700007\.25, [^\]]+\}, \{"timestamp": 1732700100\.0, "reason": "[^"]+"\}\], "_requeues": \[/,
  );

  // One difference, eventwire's on purpose: moving an entry to the DLQ also
  // removes its record from the :expiry set; LeanMQ leaves it there (and never
  // reads it).
  assert.deepEqual(await pyDb.zrange("mq:payments:expiry", "0", "-1"), [pyFirstId]);
  assert.equal(await ewDb.exists("mq:payments:expiry"), 0);
  await pyDb.del("mq:payments:expiry");
  // Another: an eventwire consumer that stops with nothing pending leaves
  // its group; LeanMQ's default-consumer stays in it.
  const consumersOf = async (db: typeof pyDb): Promise<unknown[]> =>
    ((await db.xinfo("CONSUMERS", "mq:payments", "payments-group")) as unknown[][]).map((c) => c[1]);
  assert.deepEqual(await consumersOf(ewDb), []);
  assert.deepEqual(await consumersOf(pyDb), [LEANMQ_DEFAULT_CONSUMER]);
  await pyDb.xgroup("DELCONSUMER", "mq:payments", "payments-group", LEANMQ_DEFAULT_CONSUMER);
  // and nothing else differs: groups, pending counts, registry, metadata
  assert.deepEqual(await dumpDb(ewDb), await dumpDb(pyDb));
});

function hex(value: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return b.toString("hex");
}

const SEED = Number(process.env["FC_SEED"] ?? Date.now() % 2 ** 31);

test("random doubles print as Python's repr and json.dumps print them", () => {
  const edges = [
    0, -0, 1, -1, 20, 0.1, 0.5, 1e15, 1e16, 1e17, 123456789012345678, 9007199254740993, 0.0001, 0.00001, 0.00012345,
    1e-5, 1e21, 1e22, 5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
    1732700000.125, 1732700000.123456, 65.96, 29.99 * 2 + 9.99, 1 / 3, 2 / 3, 100, 1e100, 1.5e-10, NaN, Infinity, -Infinity,
  ];
  const values = [
    ...edges,
    ...fc.sample(fc.double(), { numRuns: 300, seed: SEED }),
    ...fc.sample(fc.double({ min: -1e20, max: 1e20, noNaN: true }), { numRuns: 100, seed: SEED + 1 }),
    ...fc.sample(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map((n) => n / 1000), { numRuns: 100, seed: SEED + 2 }),
  ];
  const out = py.call<{ repr: string[]; json: string[] }>("dumps", { floats_hex: values.map(hex) });
  assert.equal(out.json.length, values.length);
  const wrong: string[] = [];
  values.forEach((v, i) => {
    const mine = formatPyFloat(v);
    if (mine !== out.json[i]) wrong.push(`${hex(v)}: eventwire ${mine}, json.dumps ${out.json[i]}`);
    if (Number.isFinite(v) && mine !== out.repr[i]) wrong.push(`${hex(v)}: eventwire ${mine}, repr ${out.repr[i]}`);
  });
  assert.deepEqual(wrong, [], `fast-check seed ${SEED}`);
});

test("random strings are written as json.dumps writes them (ensure_ascii)", () => {
  const edges = ["", "\u0000\u0001\u001f\u007f\u0080\u009f", '"\\/\b\f\n\r\t', "\u2028\u2029\ufeff\uffff", "😀𝄞\u{10ffff}", "\ud800", "a\udc00b", "\udbff\udfff"];
  const values = [
    ...edges,
    ...fc.sample(fc.string({ unit: "binary", maxLength: 30 }), { numRuns: 150, seed: SEED }),
    ...fc.sample(fc.string({ unit: "grapheme", maxLength: 20 }), { numRuns: 100, seed: SEED + 1 }),
    ...fc.sample(fc.string({ unit: fc.integer({ min: 0, max: 0xa0 }).map((c) => String.fromCharCode(c)), maxLength: 20 }), { numRuns: 100, seed: SEED + 2 }),
  ];
  const out = py.call<{ strings: string[] }>("dumps", { strings: values });
  assert.equal(out.strings.length, values.length);
  const wrong = values.flatMap((s, i) => (pyString(s) === out.strings[i] ? [] : [`${JSON.stringify(s)}: eventwire ${pyString(s)}, json.dumps ${out.strings[i]}`]));
  assert.deepEqual(wrong, [], `fast-check seed ${SEED}`);
});
