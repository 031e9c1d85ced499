// A consumer that has stopped holds nothing that keeps the process alive:
// a service that stops its consumers and closes its transport exits at once,
// not after the shutdown deadline.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, silentLogger } from "eventwire/redis";
import { shopRegistry } from "../../examples/shop/events.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});

after(async () => {
  await server?.stop();
});

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

test("after stop() and close(), no timer of the consumer is left running", async () => {
  const before = timers();
  const transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
  const consumer = await transport.consume("orders", { "*": () => {} }, { blockMs: 50, shutdownTimeoutMs: 3_000 });
  await transport.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-1" }));
  while (consumer.stats.handled < 1) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  await transport.close();
  await new Promise((r) => setTimeout(r, 300)); // what closing sockets takes
  assert.equal(timers(), before, "a timer outlives the consumer (the process would not exit until it fires)");
});

test("closing a transport whose consumers stopped a while ago leaves no timer either", async () => {
  const before = timers();
  const transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
  const consumer = await transport.consume("payments", { "*": () => {} }, { blockMs: 50, shutdownTimeoutMs: 3_000 });
  await consumer.stop();
  await new Promise((r) => setTimeout(r, 200)); // the consumer's own connection is closed by now
  await transport.close();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(timers(), before, "a timer outlives the transport (the process would not exit until it fires)");
});
