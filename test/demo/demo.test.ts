// `npm run demo`: the four services of the seed, run as a user runs them,
// checked from their output and from what they left in Redis.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startScript } from "../support/cli.js";
import { alive, checkOrders, demo, DEMO, descendants, eventLines, result, untraced, type DemoResult } from "../support/demo.js";
import { RedisServer } from "../support/redis.js";

describe("npm run demo", () => {
  let server: RedisServer;
  let redis: Redis;
  let onRedis: DemoResult;

  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  test("on Redis (REDIS_URL), --fast: every order reaches its final state, through the bus", async () => {
    const r = await demo(["--fast", "--seed", "1234", "--orders", "4", "--json"], { env: { REDIS_URL: server.url } });
    onRedis = result(r);
    assert.equal(onRedis.transport, "redis");
    assert.equal(onRedis.redis, "REDIS_URL");
    assert.equal(onRedis.seed, "1234");
    checkOrders(onRedis, 4);
    assert.match(r.stderr, new RegExp(`^Redis: ${server.url.replace(/[.]/g, "\\.")} \\(REDIS_URL\\)\\.$`, "m"));
    const lines = eventLines(r.stderr, onRedis);
    assert.equal(lines.filter((m) => m[2] === "OrderCreatedEvent" && m[1] === "order").length, 4);

    // What the services left in Redis: every event went through the bus's shared queue, as LeanMQ JSON entries,
    // every subscription queue is drained, and nothing was dead-lettered.
    const all = await redis.xrange("events:all", "-", "+");
    assert.equal(all.length, onRedis.events);
    assert.ok(all.every(([, fields]) => fields[0] === "data"));
    // every entry carries the trace of its order in its headers, as W3C traceparent
    for (const [, fields] of all) {
      const data = JSON.parse(fields[1]!) as { order_id: string; _headers?: Record<string, string> };
      const order = onRedis.orders.find((o) => o.order_id === data.order_id)!;
      assert.match(data._headers?.["traceparent"] ?? "", new RegExp(`^00-${order.trace_id}-[0-9a-f]{16}-01$`));
    }
    assert.deepEqual(Object.keys(await redis.hgetall("events:subscriptions")).sort(), ["notification-service", "order-service", "payment-service", "shipping-service"]);
    for (const queue of ["all", "sub:order-service", "sub:payment-service", "sub:shipping-service", "sub:notification-service"]) {
      const groups = (await redis.xinfo("GROUPS", `events:${queue}`)) as unknown[][];
      const pending = groups.map((g) => Number(g[g.indexOf("pending") + 1]));
      assert.deepEqual(pending, [0], `${queue}: nothing pending`);
      assert.equal(await redis.xlen(`events:${queue}:dlq`), 0, `${queue}: nothing dead-lettered`);
    }
  });

  test("the same seed gives the same orders: with binary entries, and in memory (--memory)", async () => {
    assert.ok(onRedis, "runs after the first test");
    const before = await redis.xlen("events:all");
    const [binary, memory, otherSeed] = await Promise.all([
      demo(["--fast", "--seed", "1234", "--orders", "4", "--format", "binary", "--json"], { env: { REDIS_URL: server.url } }),
      demo(["--fast", "--seed", "1234", "--orders", "4", "--memory", "--json"]),
      demo(["--fast", "--seed", "4321", "--orders", "4", "--memory", "--json"]),
    ]);
    const onBinary = result(binary);
    assert.equal(onBinary.format, "binary");
    assert.deepEqual(untraced(onBinary.orders), untraced(onRedis.orders));
    checkOrders(onBinary, 4);
    const added = (await redis.xrange("events:all", "-", "+")).slice(before);
    assert.equal(added.length, onBinary.events);
    assert.ok(added.every(([, fields]) => fields.includes("envelope")), "binary entries on the bus");

    const inMemory = result(memory);
    assert.equal(inMemory.transport, "memory");
    assert.deepEqual(untraced(inMemory.orders), untraced(onRedis.orders));
    checkOrders(inMemory, 4);
    assert.match(memory.stderr, /^In memory \(--memory\): the four services run in this process/m);
    eventLines(memory.stderr, inMemory);

    const other = result(otherSeed);
    checkOrders(other, 4);
    assert.notDeepEqual(other.orders.map((o) => o.user_id), onRedis.orders.map((o) => o.user_id));
  });

  test("--python: the notification service runs in Python, reads JSON and binary entries alike, and every order ends the same", async () => {
    assert.ok(onRedis, "runs after the first test");
    // one after the other: two runs on one Redis would share its bus
    const json = await demo(["--fast", "--seed", "1234", "--orders", "4", "--python", "--json"], { env: { REDIS_URL: server.url } });
    const binary = await demo(["--fast", "--seed", "1234", "--orders", "4", "--python", "--format", "binary", "--json"], { env: { REDIS_URL: server.url } });
    for (const r of [json, binary]) {
      const run = result(r);
      assert.deepEqual(untraced(run.orders), untraced(onRedis.orders));
      // (the trace goes through the Python service too: it reads the traceparent the others write)
      checkOrders(run, 4);
      assert.match(r.stderr, /^Starting order-service, payment-service, shipping-service, notification-service \(Python\): one process each/m);
      // the Python service's notifications, in the same words as the TypeScript one's
      eventLines(r.stderr, run);
      const confirmations = r.stderr.match(/^\S+ {2}order-service +OrderCreatedEvent +order-[0-9a-f]{8} {2}confirmation to user-\d{4}: 2 items, total \d+\.\d\d$/gm);
      assert.equal(confirmations?.length, 4, r.stderr);
    }
    assert.equal(result(binary).format, "binary");
  });

  test("--python cannot be combined with --memory", async () => {
    const r = await demo(["--python", "--memory"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^demo: --python runs a service in a process of its own, on Redis: it cannot be combined with --memory$/m);
  });

  test("without REDIS_URL or redis-server on PATH: in memory, and it says so", async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), "eventwire-demo-path-")); // no redis-server here
    const r = await demo(["--fast", "--seed", "1234", "--orders", "4", "--json"], { env: { REDIS_URL: undefined, PATH: emptyPath } });
    rmSync(emptyPath, { recursive: true });
    const run = result(r);
    assert.equal(run.transport, "memory");
    assert.match(r.stderr, /^No Redis: REDIS_URL is not set and redis-server is not on PATH, so the four services run in this process, on the in-memory transport/m);
    assert.deepEqual(untraced(run.orders), untraced(onRedis.orders));
  });
});

describe("Ctrl-C", () => {
  test("with a private redis-server: the demo stops its four service processes and the server, and exits 130", async () => {
    const running = startScript(DEMO, ["--orders", "2"], { env: { REDIS_URL: undefined }, timeoutMs: 40_000 });
    const out = await running.until("stdout", /OrderCreatedEvent/);
    const [, port] = /^Redis: a private redis-server on 127\.0\.0\.1:(\d+), stopped at the end/m.exec(out) ?? [];
    assert.ok(port, out);
    const family = descendants(running.child.pid!);
    const services = family.filter(([, args]) => args.includes("service-process.ts"));
    assert.deepEqual(services.map(([, args]) => args.split(" ").at(-1)).sort(), ["notification-service", "order-service", "payment-service", "shipping-service"]);
    assert.ok(family.some(([, args]) => args.startsWith("redis-server")), family.map(([, a]) => a).join("\n"));

    running.child.kill("SIGINT");
    const r = await running.done;
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stderr, /demo: interrupted; stopping the services\ndemo: stopped the four services and the private redis-server\n/);
    const deadline = Date.now() + 5000;
    while (family.some(([pid]) => alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(family.filter(([pid]) => alive(pid)), [], "processes outlived the demo");
    const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => {});
    await assert.rejects(probe.connect());
    probe.disconnect();
  });
});
