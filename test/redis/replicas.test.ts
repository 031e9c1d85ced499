// Waiting for replicas (`waitForReplicas`): a publish counts as done only
// once a replica has it; when none confirms in time it fails with
// not-replicated, and the entry, made on the master, is still there. On a
// master with a live replica the option costs a round trip and nothing else.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { connectRedis, EventBus, isEventwireError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";
import { until } from "../support/wait.js";

const event = (i: number): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "UPS" });

let master: RedisServer;
let replica: RedisServer;
const opened: StreamTransport<ShopEvent>[] = [];

before(async () => {
  master = await RedisServer.start();
  replica = await RedisServer.start({ args: ["--replicaof", "127.0.0.1", String((master as RedisServer).port)] });
  const probe = new Redis(master.url);
  await until("the replica to be online", async () => /slave0:.*state=online/.test(await probe.info("replication")), 20_000);
  probe.disconnect();
});
after(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await replica?.stop();
  await master?.stop();
});

async function open(waitForReplicas?: { replicas: number; timeoutMs: number }): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: master.url, logger: silentLogger, prefix: `wait${opened.length}:`, ...(waitForReplicas ? { waitForReplicas } : {}) });
  opened.push(t);
  return t;
}

test("waitForReplicas is checked: a positive whole number of replicas and of milliseconds", async () => {
  for (const bad of [{ replicas: 0, timeoutMs: 100 }, { replicas: 1.5, timeoutMs: 100 }, { replicas: 1, timeoutMs: 0 }]) {
    await assert.rejects(connectRedis({ registry: shopRegistry, connection: master.url, waitForReplicas: bad }), (e: unknown) => isEventwireError(e, "invalid-option"));
  }
});

test("with a live replica every publish, batch, transaction and routed copy is confirmed; the replica holds each entry when the call returns", async () => {
  const t = await open({ replicas: 1, timeoutMs: 2000 });
  const reader = new Redis(replica.url);
  try {
    const one = await t.publish("orders", event(1));
    // read from the replica right away: WAIT returned, so it has the entry
    assert.equal((await reader.xrange(t.keys("orders").stream, one.streamId, one.streamId)).length, 1);
    const many = await t.publishMany(Array.from({ length: 40 }, (_, i) => ({ queue: "orders", event: event(i) })));
    assert.equal((await reader.xrange(t.keys("orders").stream, many.at(-1)!.streamId, many.at(-1)!.streamId)).length, 1);
    const tx = await t.transaction([{ queue: "orders", event: event(100) }, { queue: "other", event: event(101) }]);
    assert.equal((await reader.xrange(t.keys("other").stream, tx[1]!.streamId, tx[1]!.streamId)).length, 1);
    const bus = new EventBus(t, { router: { blockMs: 50 } });
    const got: string[] = [];
    await bus.subscribe("audit", { "*": (e) => void got.push(e.eventId) }, { blockMs: 50 });
    await bus.publish(event(200));
    await until("the routed copy", () => got.length === 1);
    assert.equal(await reader.xlen(t.keys("sub:audit").stream), 1);
    await bus.stop();
  } finally {
    reader.disconnect();
  }
});

test("without the replica a publish fails with not-replicated after the timeout, and the master keeps the entry", async () => {
  const t = await open({ replicas: 1, timeoutMs: 300 });
  await t.publish("orders", event(1));
  await replica.kill();
  const before = Date.now();
  const error = await t.publish("orders", event(2)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isEventwireError(error, "not-replicated"), `expected not-replicated, got ${String(error)}`);
  assert.match((error as Error).message, /0 of the 1 replica/);
  assert.ok(Date.now() - before >= 250, "it did not wait for the replica");
  // made on the master all the same: the caller learns it may not survive a failover, not that it is absent
  assert.equal((await t.info("orders")).length, 2);
  // and without the option, the same master acknowledges at once
  const plain = await open();
  await plain.publish("orders", event(3));
  await replica.restart();
});
