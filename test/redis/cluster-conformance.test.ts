// The transport contract on a real Redis Cluster: REDIS_CLUSTER_NODES, or a
// private one of three masters with a replica each. The same suite the
// memory store and one Redis server pass, in the cluster's key layout.
import { after, before } from "node:test";
import { connectRedis, type StreamTransport } from "eventwire/redis";
import type { ShopEvent } from "../../examples/shop/events.js";
import { shopRegistry } from "../../examples/shop/events.js";
import { describeTransportContract } from "../transport/conformance.js";
import { testCluster, type RedisCluster } from "../support/cluster.js";

let cluster: RedisCluster;
before(async () => {
  cluster = await testCluster();
});
after(async () => {
  await cluster.stop();
});

let fixtureCounter = 0;
describeTransportContract("redis cluster", async () => {
  // each fixture its own prefix, so tests never see each other's keys
  const base = `ewtest${process.pid}x${++fixtureCounter}:`;
  const opened: StreamTransport<ShopEvent>[] = [];
  return {
    async open(options = {}) {
      const prefix = options.prefix ? base + options.prefix : base;
      const t = await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], ...options, prefix });
      opened.push(t);
      return t;
    },
    async close() {
      await Promise.all(opened.map((t) => t.close()));
    },
  };
});
