// Redis not answering, and Redis saying no. During an outage (the server
// frozen with SIGSTOP, or killed) consumer.stop(), bus.stop() and
// transport.close() resolve within their shutdownTimeoutMs, a publish fails
// with redis-unavailable after about commandTimeoutMs, and a bus whose
// start failed starts on the next call once Redis is back. A refusal (OOM,
// WRONGTYPE, NOPERM) reaches the caller at once as redis-refused with
// Redis's own message.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { connectRedis, EventBus, isEventwireError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";
import { timed, until } from "../support/wait.js";

const COMMAND_TIMEOUT_MS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 2_000;
/** What a stop may take beyond its shutdownTimeoutMs. */
const MARGIN_MS = 1_500;

const event = (i = 1): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "UPS" });

function assertUnavailable(outcome: { ms: number; error?: unknown }, what: string): void {
  assert.ok(outcome.error !== undefined, `${what} succeeded during the outage`);
  assert.ok(isEventwireError(outcome.error, "redis-unavailable"), `${what}: ${String(outcome.error)}`);
  assert.ok(
    outcome.ms >= COMMAND_TIMEOUT_MS - 600 && outcome.ms < COMMAND_TIMEOUT_MS + MARGIN_MS,
    `${what} failed after ${outcome.ms} ms, not after about commandTimeoutMs (${COMMAND_TIMEOUT_MS} ms)`,
  );
}

function assertBounded(outcome: { ms: number; error?: unknown }, what: string): void {
  assert.equal(outcome.error, undefined, `${what} rejected: ${String(outcome.error)}`);
  assert.ok(outcome.ms < SHUTDOWN_TIMEOUT_MS + MARGIN_MS, `${what} took ${outcome.ms} ms with Redis down (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`);
}

describe("shutdown and publishing during an outage", { timeout: 120_000 }, () => {
  for (const outage of ["frozen (SIGSTOP)", "killed"] as const) {
    test(`Redis ${outage}: publish fails after about commandTimeoutMs; consumer.stop(), bus.stop() and transport.close() resolve within shutdownTimeoutMs`, async (t) => {
      const server = await RedisServer.start();
      const options = { registry: shopRegistry, connection: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS, logger: silentLogger };
      const consumerSide = await connectRedis(options);
      const publisher = await connectRedis(options);
      const fast = { blockMs: 100, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS };
      let running = 0;
      try {
        // A handler that never finishes by itself, in flight when Redis goes.
        const consumer = await consumerSide.consume("work", { "*": () => ((running++), new Promise<void>(() => {})) }, fast);
        const bus = new EventBus(consumerSide, { router: { blockMs: 100, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS } });
        const got: string[] = [];
        await bus.subscribe("svc", { "*": (e) => void got.push(e.eventId) }, fast);
        const busPublisher = new EventBus(publisher, { route: false });
        const first = event(0);
        await busPublisher.publish(first);
        await publisher.publish("work", event(1));
        await until("the bus to deliver and the handler to be running", () => got.includes(first.eventId) && running === 1);

        if (outage === "killed") await server.kill();
        else server.pause();

        const published = await timed(() => publisher.publish("work", event(2)));
        assertUnavailable(published, "transport.publish");
        const onBus = await timed(() => busPublisher.publish(event(3)));
        assertUnavailable(onBus, "bus.publish");

        const consumerStop = await timed(() => consumer.stop());
        assertBounded(consumerStop, "consumer.stop()");
        const busStop = await timed(() => bus.stop());
        assertBounded(busStop, "bus.stop()");
        const close = await timed(() => consumerSide.close());
        assertBounded(close, "transport.close()");
        const closePublisher = await timed(() => publisher.close());
        assertBounded(closePublisher, "transport.close() of the publisher");
        t.diagnostic(
          `Redis ${outage}: publish failed after ${published.ms} ms, bus.publish after ${onBus.ms} ms (commandTimeoutMs ${COMMAND_TIMEOUT_MS}); ` +
            `consumer.stop ${consumerStop.ms} ms, bus.stop ${busStop.ms} ms, close ${close.ms} ms and ${closePublisher.ms} ms (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`,
        );
      } finally {
        if (outage !== "killed" && server.running) server.resume();
        await consumerSide.close();
        await publisher.close();
        await server.stop();
      }
    });
  }

  test("a bus whose start failed during an outage starts on the next call once Redis is back", async () => {
    const server = await RedisServer.start();
    const transport = await connectRedis({ registry: shopRegistry, connection: server.url, commandTimeoutMs: 1_000, logger: silentLogger });
    try {
      const bus = new EventBus(transport, { router: { blockMs: 100 } });
      server.pause();
      const failed = await timed(() => bus.publish(event(1)));
      assert.ok(isEventwireError(failed.error, "redis-unavailable"), String(failed.error));
      server.resume();
      const seen: string[] = [];
      await bus.subscribe("svc", { "*": (e) => void seen.push(e.eventId) }, { blockMs: 100 });
      const e = event(2);
      await bus.publish(e);
      await until("the event to be routed and handled", () => seen.includes(e.eventId), 10_000);
      await bus.stop();
    } finally {
      if (server.running) server.resume();
      await transport.close();
      await server.stop();
    }
  });
});

describe("Redis refusals reach the caller as redis-refused with Redis's message, at once", { timeout: 60_000 }, () => {
  let server: RedisServer;
  let redis: Redis;
  const transports: StreamTransport<ShopEvent>[] = [];
  before(async () => {
    server = await RedisServer.start({
      args: ["--user", "limited", "on", ">limited-pw", "~*", "&*", "+@all", "-xadd", "--user", "keyed", "on", ">keyed-pw", "~mq:ok*", "~mq:registry", "&*", "+@all"],
    });
    redis = new Redis(server.url);
  });
  after(async () => {
    for (const t of transports) await t.close();
    redis.disconnect();
    await server.stop();
  });

  async function open(user?: string): Promise<StreamTransport<ShopEvent>> {
    const url = user ? `redis://${user}:${user}-pw@127.0.0.1:${server.port}` : server.url;
    const t = await connectRedis({ registry: shopRegistry, connection: url, commandTimeoutMs: 5_000, logger: silentLogger });
    transports.push(t);
    return t;
  }

  async function refused(work: () => Promise<unknown>, message: RegExp, what: string): Promise<void> {
    const outcome = await timed(work);
    assert.ok(isEventwireError(outcome.error, "redis-refused"), `${what}: ${String(outcome.error)}`);
    assert.match((outcome.error as Error).message, message, what);
    assert.ok(outcome.ms < 1_000, `${what}: the refusal took ${outcome.ms} ms (tried again as if Redis were down?)`);
  }

  test("WRONGTYPE: a queue whose key holds a string, before and after the queue was made", async () => {
    const t = await open();
    await redis.set("mq:taken", "a string");
    await refused(() => t.publish("taken", event()), /WRONGTYPE/, "publish to a string key");
    await t.publish("was-fine", event());
    await redis.set("mq:was-fine", "a string now");
    await refused(() => t.publish("was-fine", event()), /WRONGTYPE mq:was-fine holds a string, not a stream/, "publish once the key changed type");
    assert.equal(await redis.type("mq:was-fine"), "string", "the refused publish changed the key");
  });

  test("NOPERM: a user without XADD, and a user without access to the queue's keys", async () => {
    const noXadd = await open("limited");
    // (inside a script, Redis 7.0 words the ACL refusal as an ERR)
    await refused(() => noXadd.publish("orders", event()), /NOPERM|The user executing the script can't run this command/, "publish by a user without xadd");
    assert.equal(await redis.xlen("mq:orders"), 0);
    const keyed = await open("keyed");
    await keyed.publish("ok-queue", event());
    await refused(() => keyed.publish("elsewhere", event()), /NOPERM .*(keys|key)/, "publish to a key the user may not touch");
  });

  test("OOM: maxmemory reached with noeviction, for a new queue and for one made before", async () => {
    const t = await open();
    await t.publish("before-oom", event());
    await redis.set("ballast", "x".repeat(2 * 1024 * 1024));
    await redis.config("SET", "maxmemory-policy", "noeviction");
    await redis.config("SET", "maxmemory", "1mb");
    try {
      await refused(() => t.publish("after-oom", event()), /OOM command not allowed when used memory > 'maxmemory'/, "publish to a new queue");
      await refused(() => t.publish("before-oom", event()), /OOM command not allowed/, "publish to a queue made before");
      assert.equal(await redis.xlen("mq:before-oom"), 1);
    } finally {
      await redis.config("SET", "maxmemory", "0");
      await redis.del("ballast");
    }
  });
});
