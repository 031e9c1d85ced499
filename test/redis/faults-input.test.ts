// Entries and input that must be refused whole, never half-read or
// half-moved: invalid UTF-8 (dead-lettered as undecodable by a consumer and
// by the router, its bytes kept as they were; refused by `eventwire encode`
// and `publish -`), events over the registry's maxBytes (refused at publish,
// writing nothing; a too-large entry written by someone else dead-lettered
// with its reason, shown by deadLetters().list() and `eventwire dlq list`),
// and a DLQ requeue refused because a key is of the wrong type (the entry
// stays in the DLQ).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { v4 as uuidv4 } from "uuid";
import { Redis } from "ioredis";
import { connectRedis, EventBus, isEventwireError, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";
import { timed, until } from "../support/wait.js";

const FAST = { blockMs: 100, claimIdleMs: 1_000, claimIntervalMs: 200 };

let server: RedisServer;
let redis: Redis;
const transports: StreamTransport<ShopEvent>[] = [];

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  for (const t of transports) await t.close();
  redis.disconnect();
  await server.stop();
});

async function open(prefix = "mq:"): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: server.url, prefix, logger: silentLogger });
  transports.push(t);
  return t;
}

const shipped = (orderId: string, carrier = "UPS"): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId, trackingNumber: "TRACK-1", carrier });

/** A LeanMQ JSON entry's data whose order_id holds bytes that are not UTF-8. */
function invalidUtf8Data(): Buffer {
  return Buffer.concat([
    Buffer.from(`{"event_id": "${uuidv4()}", "timestamp": 1732700000.5, "event_type": "OrderShippedEvent", "order_id": "o-`),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(`", "carrier": "UPS", "_metadata": {"id": "${uuidv4()}", "timestamp": 1732700000.5, "ttl": null}}`),
  ]);
}

/** The `data` field of each entry of a stream, as stored. */
async function dataOf(stream: string): Promise<Buffer[]> {
  const entries = (await redis.xrangeBuffer(stream, "-", "+")) as unknown as [Buffer, Buffer[]][];
  return entries.map(([, fields]) => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === "data") return fields[i + 1]!;
    return Buffer.alloc(0);
  });
}

describe("invalid UTF-8 is refused, never read lossily", { timeout: 120_000 }, () => {
  test("a consumer dead-letters such entries as undecodable (invalid-utf8), keeping their bytes, and handles the rest", async () => {
    const t = await open();
    await t.store.ensureQueue(t.keys("utf"));
    const bad = invalidUtf8Data();
    await redis.xadd("mq:utf", "*", "data", bad);
    const envelope = Buffer.from(shopRegistry.toBinary(shipped("o-bin")));
    await redis.xadd("mq:utf", "*", "event_type", Buffer.from([0x4f, 0xff, 0x45]), "envelope", envelope, "_metadata", `{"id": "${uuidv4()}", "timestamp": 1732700000.5, "ttl": null}`);
    const good = shipped("o-good");
    await t.publish("utf", good);
    const seen: ShopEvent[] = [];
    const consumer = await t.consume("utf", { "*": (e) => void seen.push(e) }, FAST);
    await until("every entry to be settled", () => consumer.stats.handled + consumer.stats.deadLettered === 3);
    assert.deepEqual(seen.map((e) => e.eventId), [good.eventId], "an entry that is not UTF-8 reached the handler");
    const letters = await t.deadLetters("utf").list();
    assert.deepEqual(
      letters.map((l) => l.reason),
      ["undecodable: invalid-utf8: data is not valid UTF-8", "undecodable: invalid-utf8: event_type is not valid UTF-8"],
    );
    assert.deepEqual((await dataOf("mq:utf:dlq"))[0], bad, "the dead letter's data is not the bytes that were written");
    assert.equal((await t.info("utf")).pending, 0);
  });

  test("the router dead-letters such an entry in the bus's DLQ and routes the rest", async () => {
    const t = await open("utf-bus:");
    const bus = new EventBus(t, { router: FAST });
    const seen: string[] = [];
    await bus.subscribe("everything", { "*": (e) => void seen.push(e.eventId) }, FAST);
    const bad = invalidUtf8Data();
    await redis.xadd("utf-bus:all", "*", "data", bad);
    const good = shipped("o-good");
    await bus.publish(good);
    await until("the good event to be handled and the bad entry dead-lettered", async () => seen.length === 1 && (await redis.xlen("utf-bus:all:dlq")) === 1);
    assert.deepEqual(seen, [good.eventId]);
    const [letter] = await t.deadLetters("all").list();
    assert.equal(letter?.reason, "undecodable: invalid-utf8: data is not valid UTF-8");
    assert.deepEqual((await dataOf("utf-bus:all:dlq"))[0], bad);
    assert.equal(await redis.xlen("utf-bus:sub:everything"), 1, "the bad entry was copied to a subscription queue");
    assert.equal(bus.routerStats.deadLettered, 1);
    const info = await t.info("all");
    assert.equal(info.pending, 0);
    await bus.stop();
  });

  test("eventwire encode and eventwire publish - refuse standard input that is not UTF-8 (status 2)", async () => {
    const input = Buffer.concat([Buffer.from('{"order_id": "o-'), Buffer.from([0xff]), Buffer.from('", "carrier": "UPS"}')]);
    const [encode, publish] = await Promise.all([
      cli(["encode", "OrderShippedEvent"], { input, timeoutMs: 60_000 }),
      cli(["publish", "cli-utf", "OrderShippedEvent", "-", "--redis", server.url], { input, timeoutMs: 60_000 }),
    ]);
    for (const [r, what] of [[encode, "encode"], [publish, "publish"]] as const) {
      assert.equal(r.status, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /not valid UTF-8/, what);
      assert.equal(r.bytes.length, 0, `${what} wrote output`);
    }
    assert.equal(await redis.exists("mq:cli-utf"), 0, "publish - wrote to the queue");
  });
});

describe("one size limit: the registry's maxBytes", { timeout: 120_000 }, () => {
  const huge = "x".repeat(1024 * 1024);

  test("publish refuses an event larger than maxBytes with too-large, in either format, alone or in a batch, and writes nothing", async () => {
    const t = await open("big:");
    const bigOne = shipped("o-big", huge);
    for (const format of ["json", "binary"] as const) {
      const { error } = await timed(() => t.publish("big", bigOne, { format }));
      assert.ok(isEventwireError(error, "too-large"), `${format}: ${String(error)}`);
      assert.match((error as Error).message, /over the limit of 1048576 \(the registry's maxBytes/);
    }
    const batch = [{ queue: "big", event: shipped("o-small") }, { queue: "big", event: bigOne }];
    assert.ok(isEventwireError((await timed(() => t.publishMany(batch))).error, "too-large"));
    assert.ok(isEventwireError((await timed(() => t.transaction(batch))).error, "too-large"));
    assert.deepEqual(await redis.keys("big:*"), [], "a refused publish wrote to Redis");
  });

  test("a too-large entry written by another producer is dead-lettered with its reason, shown by deadLetters().list() and eventwire dlq list", async () => {
    const t = await open();
    const messageId = uuidv4();
    const data = `{"event_id": "${uuidv4()}", "timestamp": 1732700000.5, "event_type": "OrderShippedEvent", "order_id": "o-huge", "tracking_number": "T", "carrier": "${huge}", "_metadata": {"id": "${messageId}", "timestamp": 1732700000.5, "ttl": null}}`;
    await t.store.ensureQueue(t.keys("ext"));
    await redis.xadd("mq:ext", "*", "data", data);
    const seen: string[] = [];
    const consumer = await t.consume("ext", { "*": (e) => void seen.push(e.eventId) }, FAST);
    await until("the entry to be dead-lettered", () => consumer.stats.deadLettered === 1);
    assert.deepEqual(seen, []);
    const reason = `undecodable: too-large: data is ${Buffer.byteLength(data)} bytes, over the limit of 1048576`;
    const [letter] = await t.deadLetters("ext").list();
    assert.ok(letter);
    assert.equal(letter.reason, reason);
    assert.equal(letter.kind, "undecodable");
    assert.equal(letter.messageId, messageId, "the dead letter lost its message id");
    const r = await cli(["dlq", "list", "ext", "--json", "--redis", server.url], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as { reason: string; failures: { reason: string }[]; message_id: string }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.reason, reason);
    assert.equal(listed[0]!.failures.at(-1)!.reason, reason);
    assert.equal(listed[0]!.message_id, messageId);
  });
});

describe("a DLQ requeue that Redis refuses leaves the entry in the DLQ", { timeout: 120_000 }, () => {
  test("the DLQ's expiry key of the wrong type: requeue reports the refusal (library and CLI) and moves nothing", async () => {
    const t = await open();
    const consumer = await t.consume("rq", { "*": () => Promise.reject(new PermanentError("no")) }, FAST);
    const event = shipped("o-rq");
    await t.publish("rq", event);
    await until("the event to be dead-lettered", () => consumer.stats.deadLettered === 1);
    await consumer.stop();
    const [letter] = await t.deadLetters("rq").list();
    assert.ok(letter);
    await redis.set("mq:rq:dlq:expiry", "not a sorted set");
    const mainLength = await redis.xlen("mq:rq");

    for (const selection of ["all", [letter.id]] as const) {
      const { error } = await timed(() => t.deadLetters("rq").requeue(selection));
      assert.ok(isEventwireError(error, "redis-refused"), String(error));
      assert.match((error as Error).message, /WRONGTYPE mq:rq:dlq:expiry holds a string, not a zset/);
    }
    const r = await cli(["dlq", "requeue", "rq", "--all", "--redis", server.url], { timeoutMs: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /refused requeueing entry .*WRONGTYPE/);

    const still = await t.deadLetters("rq").list();
    assert.deepEqual(still.map((l) => [l.id, l.event?.eventId, l.requeues]), [[letter.id, event.eventId, 0]], "the entry left the DLQ");
    assert.equal(await redis.xlen("mq:rq"), mainLength, "the refused requeue wrote to the queue");
    assert.equal(await redis.type("mq:rq:dlq:expiry"), "string");
  });
});
