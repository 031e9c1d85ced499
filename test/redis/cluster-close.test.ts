// Closing a transport on a Redis Cluster lets go of the cluster client's
// timers: a refresh of the slots under way when it closes (ioredis refreshes
// every slotsRefreshInterval) must not re-arm the periodic refresh, which
// would then run for ever and hold the process open.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Cluster } from "ioredis";
import { connectRedis, RedisStore, silentLogger } from "eventwire/redis";
import { shopRegistry } from "../../examples/shop/events.js";
import { RedisCluster } from "../support/cluster.js";
import { until } from "../support/wait.js";

test("a transport closed while its cluster client refreshes the slots leaves no refresh timer behind", { timeout: 60_000 }, async () => {
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
  try {
    const t = await connectRedis({
      registry: shopRegistry,
      cluster: { nodes: [...cluster.seeds], clusterOptions: { slotsRefreshInterval: 50 } },
      logger: silentLogger,
      commandTimeoutMs: 2_000,
    });
    // (ioredis's own state, private to it: whether a refresh is under way, and the timer of the next)
    const client = (t.store as RedisStore).redis as Cluster as unknown as { isRefreshing: boolean; slotsTimer: NodeJS.Timeout | null };
    await t.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-1", trackingNumber: "T-1", carrier: "UPS" }));
    // every node holds its clients' commands for a second: the next periodic refresh waits for its CLUSTER SLOTS
    await Promise.all(cluster.nodes.map((n) => cluster.command(n, "CLIENT", "PAUSE", 1_500, "ALL")));
    await until("a refresh of the slots under way", () => client.isRefreshing, 5_000, 5);
    await t.close();
    // the refresh ends once the nodes answer again (or times out); then nothing is left to run
    await until("the refresh under way at the close to end", () => !client.isRefreshing, 10_000, 20);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(client.slotsTimer, null, "the periodic refresh of the slots was re-armed after the close");
    assert.equal(client.isRefreshing, false);
  } finally {
    await cluster.stop();
  }
});
