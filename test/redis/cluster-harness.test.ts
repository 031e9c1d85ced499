// The local Redis Cluster of the tests (test/support/cluster.ts): it starts
// with every slot served and replicated, a cluster client reads and writes
// it, a killed master's replica takes over, a slot moves with its keys while
// traffic goes on, REDIS_CLUSTER_NODES names a cluster to use instead, and
// stopping it frees its ports.
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster, Redis } from "ioredis";
import { crc16, keySlot, RedisCluster, SLOTS, testCluster } from "../support/cluster.js";
import { until } from "../support/wait.js";

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function hostPort(node: string): { host: string; port: number } {
  const [host = "", port = ""] = node.split(":");
  return { host, port: Number(port) };
}

describe("a local Redis Cluster of 3 masters and 3 replicas", () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const timings: string[] = [];

  before(async () => {
    const started = Date.now();
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    timings.push(`start ${Date.now() - started} ms`);
    // Options for a quick recovery once a failover or a slot move is done:
    // - retryDelayOnClusterDown / retryDelayOnFailover / retryDelayOnTryAgain:
    //   retry after 100 ms (CLUSTERDOWN while a master is down, a lost node,
    //   TRYAGAIN while keys are half moved), with maxRedirections high enough
    //   that those retries last through a failover of a few seconds;
    // - slotsRefreshInterval: refresh the slot map every second, so that a
    //   new master is known even without a MOVED;
    // - connectTimeout: a dead node's connection fails fast.
    client = new Cluster(
      cluster.seeds.map(hostPort),
      {
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        retryDelayOnTryAgain: 100,
        maxRedirections: 100,
        slotsRefreshInterval: 1_000,
        slotsRefreshTimeout: 2_000,
        clusterRetryStrategy: () => 100,
        redisOptions: { connectTimeout: 1_000 },
      },
    );
    client.on("error", () => {});
  });

  after(async () => {
    client?.disconnect();
    await cluster?.stop();
    console.log(`# cluster timings: ${timings.join(", ")}`);
  });

  test("every slot is served, each master has one replica online, and all nodes agree", async () => {
    assert.equal(cluster.nodes.length, 6);
    assert.ok(cluster.owned);
    const masters = await cluster.masters();
    assert.equal(masters.length, 3);
    for (const node of cluster.nodes) {
      const info = String(await cluster.command(node, "CLUSTER", "INFO"));
      assert.match(info, /cluster_state:ok/, node);
      assert.match(info, new RegExp(`cluster_slots_ok:${SLOTS}\\b`), node);
      assert.match(info, /cluster_known_nodes:6\b/, node);
    }
    const replicas = new Set<string>();
    for (const master of masters) {
      const of = await cluster.replicasOf(master);
      assert.equal(of.length, 1, `${master} has replicas ${of.join(", ")}`);
      assert.match(String(await cluster.command(master, "INFO", "replication")), /connected_slaves:1\b[\s\S]*slave0:.*state=online/);
      replicas.add(of[0]!);
    }
    assert.equal(replicas.size, 3, "a node replicates two masters");
    // every slot has a master, and the masters share them all
    const owners = new Set<string>();
    for (let slot = 0; slot < SLOTS; slot += 1_000) owners.add(await cluster.masterOfSlot(slot));
    owners.add(await cluster.masterOfSlot(SLOTS - 1));
    assert.deepEqual([...owners].sort(), [...masters].sort());
  });

  test("hash slots are computed as Redis computes them, hash tags honoured", async () => {
    assert.equal(crc16(Buffer.from("123456789")), 0x31c3);
    const keys = ["foo", "{user1000}.following", "{user1000}.followers", "a{}b", "{}{x}", "{x}{y}", "x{", "x}y{z}", "é⌘", "stream:orders"];
    for (const key of keys) assert.equal(keySlot(key), await cluster.command(cluster.nodes[0]!, "CLUSTER", "KEYSLOT", key), key);
    assert.equal(keySlot("{user1000}.following"), keySlot("{user1000}.followers"));
    assert.equal(keySlot("{user1000}.following"), keySlot("user1000"));
  });

  test("a cluster client writes keys to slots on every master and reads them back", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `{tag${i}}:value`);
    for (const key of keys) await client.set(key, `v-${key}`);
    for (const key of keys) assert.equal(await client.get(key), `v-${key}`);
    const masters = new Set(await Promise.all(keys.map((k) => cluster.masterOf(k))));
    assert.equal(masters.size, 3, "the keys did not reach every master");
    // each key is where the harness says it is
    for (const key of keys.slice(0, 5)) {
      const direct = new Redis({ ...hostPort(await cluster.masterOf(key)), lazyConnect: true });
      try {
        assert.equal(await direct.get(key), `v-${key}`);
      } finally {
        direct.disconnect();
      }
    }
  });

  test("when a key's master is killed, its replica takes over and the client writes and reads through it", async () => {
    const key = "{failover}:k";
    const master = await cluster.masterOf(key);
    const [replica] = await cluster.replicasOf(master);
    assert.ok(replica);
    // written on the master and acknowledged by its replica before the kill
    const direct = new Redis({ ...hostPort(master), lazyConnect: true });
    await direct.set(key, "before");
    assert.equal(await direct.wait(1, 5_000), 1);
    direct.disconnect();

    const killed = Date.now();
    await cluster.kill(master);
    const promoted = await cluster.waitForFailover(master, 30_000);
    timings.push(`failover ${Date.now() - killed} ms`);
    assert.equal(promoted, replica);
    assert.equal(await cluster.masterOf(key), replica);
    assert.ok(!(await cluster.masters()).includes(master));
    assert.equal(await client.get(key), "before");
    await client.set(key, "after");
    assert.equal(await client.get(key), "after");

    const restarting = Date.now();
    await cluster.restart(master);
    timings.push(`restart ${Date.now() - restarting} ms`);
    assert.deepEqual(await cluster.replicasOf(replica), [master], "the old master did not come back as the new master's replica");
    await cluster.waitUntilSettled({ replicasPerMaster: 1 });

    // and a graceful failover hands the slots back
    const failingOver = Date.now();
    await cluster.failover(master);
    timings.push(`manual failover ${Date.now() - failingOver} ms`);
    assert.equal(await cluster.masterOf(key), master);
    assert.deepEqual(await cluster.replicasOf(master), [replica]);
    assert.equal(await client.get(key), "after");
  });

  test("a slot moves with its keys to another master while the client keeps writing and reading them", async () => {
    const tag = "{moving}";
    const slot = keySlot(tag);
    const from = await cluster.masterOfSlot(slot);
    const to = (await cluster.masters()).find((m) => m !== from)!;
    const written = new Map<string, string>();
    const pipeline = client.pipeline();
    for (let i = 0; i < 300; i++) {
      const key = `${tag}:pre:${i}`;
      written.set(key, `pre-${i}`);
      pipeline.set(key, `pre-${i}`);
    }
    await pipeline.exec();

    // traffic on the slot: a new key written and read back, and an old one read, in a loop
    let ops = 0;
    let running = true;
    const failures: string[] = [];
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const key = `${tag}:live:${i}`;
        try {
          await client.set(key, `live-${i}`);
          written.set(key, `live-${i}`);
          const back = await client.get(key);
          if (back !== `live-${i}`) failures.push(`${key} read back ${back}`);
          const old = await client.get(`${tag}:pre:${i % 300}`);
          if (old !== `pre-${i % 300}`) failures.push(`${tag}:pre:${i % 300} read ${old}`);
        } catch (error) {
          failures.push(`${key}: ${String(error)}`);
        }
        ops++;
      }
    })();

    let halfMoved = 0;
    const moving = Date.now();
    const moved = await cluster.moveSlot(slot, to, {
      batchSize: 25,
      betweenBatches: async () => {
        // keys on both sides: the client is redirected with ASK for those gone
        const left = Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot));
        const arrived = Number(await cluster.command(to, "CLUSTER", "COUNTKEYSINSLOT", slot));
        if (left > 0 && arrived > 0) halfMoved++;
        const target = ops + 3;
        await until("traffic on the half-moved slot", () => ops >= target, 10_000, 5);
      },
    }).catch(async (error: unknown) => {
      // the loop stops with the move when it fails
      running = false;
      await traffic;
      throw error;
    });
    timings.push(`moveSlot of ${moved.keys} keys in ${moved.batches} batches ${Date.now() - moving} ms`);
    const opsDuringMove = ops;
    const after = ops + 5;
    await until("traffic after the move", () => ops >= after, 10_000, 5);
    running = false;
    await traffic;

    assert.deepEqual(failures, []);
    assert.equal(moved.from, from);
    assert.equal(moved.to, to);
    assert.ok(moved.batches >= 10, `only ${moved.batches} batches`);
    assert.ok(halfMoved >= 5, `the slot was seen half moved after only ${halfMoved} batches`);
    assert.ok(opsDuringMove >= 3 * moved.batches, `only ${opsDuringMove} operations during the move`);
    assert.equal(await cluster.masterOfSlot(slot), to);
    assert.equal(Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot)), 0);
    assert.equal(Number(await cluster.command(to, "CLUSTER", "COUNTKEYSINSLOT", slot)), written.size);
    for (const [key, value] of written) assert.equal(await client.get(key), value, key);
    // the replica of the new owner has them too
    const [replica] = await cluster.replicasOf(to);
    await until("the new owner's replica to hold the slot's keys", async () => Number(await cluster.command(replica!, "CLUSTER", "COUNTKEYSINSLOT", slot)) === written.size, 10_000);
  });

  test("with REDIS_CLUSTER_NODES, testCluster uses that cluster as it is, and cannot kill or stop it", async () => {
    const before = process.env["REDIS_CLUSTER_NODES"];
    process.env["REDIS_CLUSTER_NODES"] = cluster.nodes.slice(0, 2).join(",");
    try {
      const given = await testCluster();
      assert.equal(given.owned, false);
      assert.deepEqual(given.seeds, cluster.nodes.slice(0, 2));
      assert.deepEqual([...given.nodes].sort(), [...cluster.nodes].sort(), "the other nodes were not found");
      assert.deepEqual(await given.masters(), await cluster.masters());
      assert.equal(await given.masterOf("{tag1}:value"), await cluster.masterOf("{tag1}:value"));
      await assert.rejects(given.kill(given.nodes[0]!), /not owned/);
      await given.stop();
      assert.equal(cluster.live().length, 6);
    } finally {
      if (before === undefined) delete process.env["REDIS_CLUSTER_NODES"];
      else process.env["REDIS_CLUSTER_NODES"] = before;
    }
  });

  test("stop kills every node and frees their ports", async () => {
    client.disconnect();
    const ports = cluster.nodes.map((n) => hostPort(n).port);
    await cluster.stop();
    assert.deepEqual(cluster.live(), []);
    for (const port of ports) assert.ok(await portIsFree(port), `port ${port} is still taken`);
  });
});
