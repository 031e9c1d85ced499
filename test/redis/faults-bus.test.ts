// The event bus when a destination or an entry is not what it should be: a
// subscription queue of the wrong type costs that service only (its copies
// parked with a reason, every other service served once, nothing left
// pending in the shared queue); events written by other producers under
// their fully qualified type name, or with `eventType` for `event_type`,
// are routed by their short name; expired events are passed on for each
// service's consumer to acknowledge or dead-letter as its `expired` option
// says; a subscription lost from Redis (a flush, an empty restart) while
// its service runs is recorded again by the service's bus.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { v4 as uuidv4 } from "uuid";
import { Redis } from "ioredis";
import { connectRedis, EventBus, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";
import { until } from "../support/wait.js";

const ROUTER = { blockMs: 100, claimIdleMs: 1_000, claimIntervalMs: 200 };
const FAST = { blockMs: 100, claimIdleMs: 1_000, claimIntervalMs: 200 };

function shipped(i: number): ShopEvent {
  return shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "DHL" });
}

let server: RedisServer;
let redis: Redis;
const transports: StreamTransport<ShopEvent>[] = [];
const buses: EventBus<ShopEvent>[] = [];

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  for (const bus of buses) await bus.stop();
  for (const t of transports) await t.close();
  redis.disconnect();
  await server.stop();
});

async function open(prefix: string): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: server.url, prefix, logger: silentLogger });
  transports.push(t);
  return t;
}

function newBus(transport: StreamTransport<ShopEvent>, options: ConstructorParameters<typeof EventBus>[1] = {}): EventBus<ShopEvent> {
  const bus = new EventBus(transport, { router: ROUTER, ...options });
  buses.push(bus);
  return bus;
}

/** The shared queue has routed everything: nothing pending, nothing undelivered. */
async function allRouted(transport: StreamTransport<ShopEvent>): Promise<boolean> {
  const info = await transport.info("all");
  return info.pending === 0 && info.lag === 0;
}

describe("one subscription queue of the wrong type does not stop the bus or repeat events", { timeout: 180_000 }, () => {
  for (const dlqBroken of [false, true]) {
    const where = dlqBroken ? "the bus's DLQ (its own DLQ is of the wrong type too)" : "its own DLQ";
    test(`the healthy service gets every event exactly once; the broken one's copies are parked in ${where} with the reason`, async () => {
      const prefix = dlqBroken ? "wt2:" : "wt1:";
      const transport = await open(prefix);
      const bus = newBus(transport);
      const healthy = new Map<string, number>();
      let brokenCalls = 0;
      await bus.subscribe("healthy", { "*": (e) => void healthy.set(e.eventId, (healthy.get(e.eventId) ?? 0) + 1) }, FAST);
      await bus.subscribe("broken", { "*": () => void brokenCalls++ }, FAST);
      // An operator (or a bug elsewhere) writes a string where the queue's stream is.
      await redis.set(`${prefix}sub:broken`, "not a stream");
      if (dlqBroken) await redis.set(`${prefix}sub:broken:dlq`, "not a stream either");

      const events = Array.from({ length: 40 }, (_, i) => shipped(i));
      await bus.publishMany(events.slice(0, 20));
      for (const e of events.slice(20)) await bus.publish(e, { format: "binary" });

      const parkedIn = dlqBroken ? "all" : "sub:broken";
      await until("every event to reach the healthy service and every copy for the broken one to be parked", async () =>
        healthy.size === events.length && (await redis.xlen(`${prefix}${parkedIn}:dlq`)) === events.length && (await allRouted(transport)),
      );
      await until("the healthy service's queue to be drained", async () => {
        const info = await transport.info("sub:healthy");
        return info.pending === 0 && info.lag === 0;
      });

      for (const e of events) assert.equal(healthy.get(e.eventId), 1, `event ${e.eventId} was handled ${healthy.get(e.eventId) ?? 0} times by the healthy service`);
      assert.equal(brokenCalls, 0);
      const info = await transport.info("all");
      assert.equal(info.pending, 0, "entries stay pending in the shared queue");
      assert.equal(info.dlqLength, dlqBroken ? events.length : 0);
      assert.equal(bus.routerStats.parked, events.length);
      assert.equal(bus.routerStats.routed, events.length);
      assert.equal(bus.routerStats.copies, events.length, "only the healthy service's copies are made");

      const letters = await transport.deadLetters(parkedIn).list({ count: 100 });
      assert.deepEqual(letters.map((l) => l.event?.eventId).sort(), events.map((e) => e.eventId).sort(), "the parked copies are the events, whole");
      for (const letter of letters) {
        assert.match(letter.reason, new RegExp(`^undeliverable: the copy for sub:broken cannot be written \\(WRONGTYPE ${prefix}sub:broken holds a string, not a stream\\)$`));
      }
      assert.equal(await redis.type(`${prefix}sub:broken`), "string", "the key of the wrong type was left as it was");
    });
  }
});

describe("events written by other producers are routed by their short type name", { timeout: 180_000 }, () => {
  test("a fully qualified event_type in JSON data, an eventType key, a binary entry's qualified event_type, and a subscription by qualified name", async () => {
    const prefix = "fq:";
    const transport = await open(prefix);
    const bus = newBus(transport);
    const shipping: ShopEvent[] = [];
    const orders: ShopEvent[] = [];
    await bus.subscribe("shipping", { OrderShippedEvent: (e) => void shipping.push(e) }, FAST);
    await bus.subscribe("orders", { OrderCreatedEvent: (e) => void orders.push(e) }, FAST);
    // A Python service records its subscription under the qualified name and reads its queue with LeanMQ (here: a plain consumer).
    await transport.store.ensureQueue(transport.keys("sub:py-shipping"));
    await redis.hset(`${prefix}subscriptions`, "py-shipping", JSON.stringify(["eventwire.shop.v1.OrderShippedEvent"]));
    const python: ShopEvent[] = [];
    await transport.consume("sub:py-shipping", { OrderShippedEvent: (e) => void python.push(e) }, FAST);

    const ids = [uuidv4(), uuidv4(), uuidv4(), uuidv4()];
    const meta = (id: string) => `"_metadata": {"id": "${uuidv4()}", "timestamp": 1732700000.25, "ttl": null}`;
    // as Python's json.dumps writes a fully qualified type
    await redis.xadd(`${prefix}all`, "*", "data",
      `{"event_id": "${ids[0]}", "timestamp": 1732700000.25, "event_type": "eventwire.shop.v1.OrderShippedEvent", "order_id": "o-1", "tracking_number": "T-1", "carrier": "DHL", ${meta(ids[0]!)}}`);
    // camelCase keys: eventType instead of event_type
    await redis.xadd(`${prefix}all`, "*", "data",
      `{"eventId": "${ids[1]}", "timestamp": 1732700000.25, "eventType": "OrderShippedEvent", "orderId": "o-2", "trackingNumber": "T-2", "carrier": "UPS", ${meta(ids[1]!)}}`);
    await redis.xadd(`${prefix}all`, "*", "data",
      `{"eventId": "${ids[2]}", "timestamp": 1732700000.25, "eventType": "eventwire.shop.v1.OrderShippedEvent", "orderId": "o-3", ${meta(ids[2]!)}}`);
    // a binary entry whose event_type field is the qualified name
    const envelope = shopRegistry.toBinary(shopRegistry.fromJsonObject({ event_id: ids[3], timestamp: 1732700000.25, event_type: "OrderShippedEvent", order_id: "o-4" }));
    await redis.xadd(`${prefix}all`, "*", "event_type", "eventwire.shop.v1.OrderShippedEvent", "envelope", Buffer.from(envelope), "_metadata", `{"id": "${uuidv4()}", "timestamp": 1732700000.25, "ttl": null}`);

    await until("the shipping services to get the four events", () => shipping.length >= 4 && python.length >= 4);
    await until("the shared queue to be routed", () => allRouted(transport));
    for (const got of [shipping, python]) {
      assert.deepEqual(got.map((e) => e.eventId).sort(), [...ids].sort());
      for (const e of got) assert.equal(e.eventType, "OrderShippedEvent");
    }
    assert.deepEqual(got(shipping, "o-2").payload, { orderId: "o-2", trackingNumber: "T-2", carrier: "UPS" });
    assert.equal(orders.length, 0, "an OrderShippedEvent reached a service subscribed to OrderCreatedEvent only");
    assert.equal(bus.routerStats.routed, 4);
    assert.equal(bus.routerStats.unrouted, 0);
    for (const queue of ["all", "sub:shipping", "sub:py-shipping"]) assert.equal((await transport.info(queue)).dlqLength, 0, `${queue} dead-lettered an entry`);
  });
});

function got(events: readonly ShopEvent[], orderId: string): ShopEvent {
  const e = events.find((x) => (x.payload as { orderId: string }).orderId === orderId);
  assert.ok(e, `no event for ${orderId}`);
  return e;
}

describe("expired events on the bus", { timeout: 180_000 }, () => {
  test("the router passes them on; a service with expired: dead-letter dead-letters them, one with the default acknowledges them; both count them", async () => {
    const prefix = "ttl:";
    const transport = await open(prefix);
    // Publishing and subscribing without routing, so that the events expire before any router reads them.
    const quiet = newBus(transport, { route: false });
    const strictSeen: string[] = [];
    const lenientSeen: string[] = [];
    const strict = await quiet.subscribe("strict", { "*": (e) => void strictSeen.push(e.eventId) }, { ...FAST, expired: "dead-letter" });
    const lenient = await quiet.subscribe("lenient", { "*": (e) => void lenientSeen.push(e.eventId) }, FAST);
    const stale = Array.from({ length: 5 }, (_, i) => shipped(i));
    await quiet.publishMany(stale, { ttlSeconds: 0.2 });
    const fresh = shipped(99);
    await quiet.publish(fresh, { ttlSeconds: 3600 });
    const publishedAt = Date.now();
    await until("the short TTL to run out", () => Date.now() > publishedAt + 300);

    const router = newBus(transport);
    await router.start();
    await until("both services to settle every event", () =>
      strict.consumer.stats.expired + strict.consumer.stats.handled === 6 && lenient.consumer.stats.expired + lenient.consumer.stats.handled === 6,
    );
    assert.equal(router.routerStats.expired, 5, "the router did not see the events as expired");
    assert.equal(router.routerStats.routed, 6, "expired events were not passed on");
    assert.equal(router.routerStats.copies, 12);
    assert.deepEqual(strictSeen, [fresh.eventId]);
    assert.deepEqual(lenientSeen, [fresh.eventId]);
    assert.equal(strict.consumer.stats.expired, 5);
    assert.equal(lenient.consumer.stats.expired, 5);
    assert.equal(strict.consumer.stats.deadLettered, 0, "expired events count as expired, not as dead-lettered");

    const letters = await transport.deadLetters("sub:strict").list();
    assert.deepEqual(letters.map((l) => l.event?.eventId).sort(), stale.map((e) => e.eventId).sort());
    for (const l of letters) {
      assert.equal(l.kind, "expired");
      assert.match(l.reason, /^expired: the message's TTL of 0\.2 s ran out before it was handled$/);
    }
    assert.equal((await transport.info("sub:lenient")).dlqLength, 0);
    for (const queue of ["sub:strict", "sub:lenient", "all"]) assert.equal((await transport.info(queue)).pending, 0, `${queue} has entries pending`);
  });
});

describe("subscriptions lost from Redis while their services run", { timeout: 180_000 }, () => {
  for (const reset of ["FLUSHALL", "an empty restart"] as const) {
    test(`${reset}: a running service's subscription is recorded again by itself, and events published once it is back reach it`, async () => {
      const own = await RedisServer.start();
      const admin = new Redis(own.url, { maxRetriesPerRequest: null });
      admin.on("error", () => {});
      const warnings: string[] = [];
      const transport = await connectRedis({
        registry: shopRegistry,
        connection: own.url,
        prefix: "events:",
        commandTimeoutMs: 5_000,
        logger: { warn: (m) => void warnings.push(m) },
      });
      const bus = new EventBus(transport, { router: ROUTER });
      try {
        const seen: string[] = [];
        const sub = await bus.subscribe("svc", { OrderShippedEvent: (e) => void seen.push(e.eventId) }, FAST);
        const before = shipped(1);
        await bus.publish(before);
        await until("the first event to be handled", () => seen.includes(before.eventId));
        if (reset === "FLUSHALL") await admin.flushall();
        else await own.restart();
        await until("the subscription to be recorded again", async () => (await admin.hget("events:subscriptions", "svc")) === '["OrderShippedEvent"]', 20_000);
        const after = shipped(2);
        await until("a publish to go through", async () => {
          try {
            await bus.publish(after);
            return true;
          } catch {
            return false;
          }
        });
        await until("the event published after the subscription came back to be handled", () => seen.includes(after.eventId), 20_000);
        assert.ok(warnings.some((w) => /^the subscription of svc was gone from events:subscriptions/.test(w)), warnings.join("\n"));
        // unsubscribing ends it for good: it is not recorded again
        await sub.unsubscribe();
        const gone = Date.now();
        await until("a few looks to pass", () => Date.now() - gone > 3 * FAST.claimIntervalMs);
        assert.equal(await admin.hexists("events:subscriptions", "svc"), 0, "an ended subscription came back");
      } finally {
        await bus.stop();
        await transport.close();
        admin.disconnect();
        await own.stop();
      }
    });
  }
});
