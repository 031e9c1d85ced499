// The transport contract on a real redis-server (REDIS_URL, or a private one).
import { after, before } from "node:test";
import { connectRedis, type StreamTransport } from "eventwire/redis";
import type { ShopEvent } from "../../examples/shop/events.js";
import { shopRegistry } from "../../examples/shop/events.js";
import { describeTransportContract } from "../transport/conformance.js";
import { testRedis } from "../support/redis.js";

let redis: { url: string; stop: () => Promise<void> };
before(async () => {
  redis = await testRedis();
});
after(async () => {
  await redis.stop();
});

let fixtureCounter = 0;
describeTransportContract("redis", async () => {
  // each fixture its own prefix, so tests never see each other's keys
  const base = `ewtest${process.pid}x${++fixtureCounter}:`;
  const opened: StreamTransport<ShopEvent>[] = [];
  return {
    async open(options = {}) {
      const prefix = options.prefix ? base + options.prefix : base;
      const t = await connectRedis({ registry: shopRegistry, connection: redis.url, ...options, prefix });
      opened.push(t);
      return t;
    },
    async close() {
      await Promise.all(opened.map((t) => t.close()));
    },
  };
});
