// The `eventwire` command on a real Redis Cluster (REDIS_CLUSTER_NODES, or a
// private one of three masters): connecting with --cluster, with
// REDIS_CLUSTER_NODES and with the config file's "cluster"; a usage error for
// --redis with --cluster; and a queue of three partitions (each in a slot of
// its own) as queues, partitions, publish --key, tail, dlq and the
// dashboard's API see it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connectRedis, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { keySlot, testCluster, type RedisCluster } from "../support/cluster.js";
import { cli, jsonLines, startCli } from "../support/cli.js";

let cluster: RedisCluster;
let transport: StreamTransport<ShopEvent>;
let seeds: string;
// each run its own prefix: a cluster named by REDIS_CLUSTER_NODES may hold others' keys
const prefix = `ewcli${process.pid}:`;
const dirs: string[] = [];

before(async () => {
  cluster = await testCluster({ replicasPerMaster: 0 });
  seeds = cluster.seeds.join(",");
  // (it reads the partition count at every publish: the CLI, another process, changes it)
  transport = await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], prefix, logger: silentLogger, partitionRefreshMs: 0 });
});
after(async () => {
  await transport?.close();
  await cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const at = (): string[] => ["--cluster", seeds, "--prefix", prefix];
/** Stream ids in their order: by milliseconds, then sequence. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
const shipped = (i: number): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "UPS" });

function get(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    })
      .on("error", reject)
      .end();
  });
}

describe("connecting to a cluster", { concurrency: true }, () => {
  test("--cluster, REDIS_CLUSTER_NODES and the config file's \"cluster\" reach it; config says which was used", async () => {
    await transport.publish("connect", shipped(1));
    const dir = mkdtempSync(join(tmpdir(), "eventwire-cluster-config-"));
    dirs.push(dir);
    writeFileSync(join(dir, "eventwire.config.json"), JSON.stringify({ cluster: [...cluster.seeds], prefix }));
    const [option, env, file, config] = await Promise.all([
      cli(["queues", "--json", ...at()]),
      cli(["queues", "--json", "--prefix", prefix], { env: { REDIS_CLUSTER_NODES: seeds } }),
      cli(["queues", "--json"], { cwd: dir }),
      cli(["config", "--json"], { env: { REDIS_CLUSTER_NODES: seeds } }),
    ]);
    for (const r of [option, env, file]) {
      assert.equal(r.status, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as { name: string; stream: string; length: number; partitions: number }[];
      const row = rows.find((q) => q.name === "connect");
      // the cluster's key layout: the queue's name in a hash tag
      assert.deepEqual(row && [row.stream, row.length, row.partitions], [`${prefix}{connect}`, 1, 1], r.stdout);
    }
    const c = JSON.parse(config.stdout) as { redis: unknown; cluster: { value: string[]; source: string; from: string } };
    assert.equal(c.redis, null);
    assert.deepEqual(c.cluster, { value: [...cluster.seeds], source: "environment", from: "$REDIS_CLUSTER_NODES" });
  });

  test("--redis with --cluster is a usage error; --redis wins over REDIS_CLUSTER_NODES; a malformed node is named", async () => {
    const [both, optionWins, malformed] = await Promise.all([
      cli(["queues", "--redis", "redis://127.0.0.1:1", ...at()]),
      cli(["config", "--json", "--redis", "redis://127.0.0.1:1"], { env: { REDIS_CLUSTER_NODES: seeds } }),
      cli(["queues", "--cluster", `${cluster.seeds[0]},nodes-without-port`]),
    ]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /give either --redis \(one Redis server\) or --cluster \(a Redis Cluster's seed nodes\), not both/);
    assert.equal(optionWins.status, 0, optionWins.stderr);
    const c = JSON.parse(optionWins.stdout) as { redis: { source: string }; cluster: unknown };
    assert.deepEqual([c.redis.source, c.cluster], ["option", null]);
    assert.equal(malformed.status, 2);
    assert.match(malformed.stderr, /--cluster: the cluster node nodes-without-port is not host:port/);
  });
});

describe("a queue of three partitions on the cluster", () => {
  const queue = "orders";

  test("partitions sets the count; publish --key prints its partition; queues sums the counts", async () => {
    await transport.publish(queue, shipped(0));
    const set = await cli(["partitions", queue, "3", ...at()]);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /^orders: 1 → 3 partitions\.$/m);
    assert.match(set.stdout, /Ordering: events of one partition key stay in order within a partition/);
    assert.match(set.stdout, /^2\s+ewcli\d+:\{orders#2\}\s+0\s+0\s+0\s+0\s+0\s+-$/m);
    // each partition in a slot of its own
    assert.equal(new Set([0, 1, 2].map((p) => keySlot(transport.keys(queue, p).stream))).size, 3);

    // keys k1 and k3 go to different partitions (FNV-1a mod 3): each run prints the one it went to
    const [one, three] = await Promise.all([
      cli(["publish", queue, "OrderShippedEvent", "--key", "k1", '{"order_id": "order-k1"}', ...at()]),
      cli(["publish", queue, "OrderShippedEvent", "--key", "k3", '{"order_id": "order-k3"}', "--json", ...at()]),
    ]);
    assert.equal(one.status, 0, one.stderr);
    const [, p1] = /^partition\s+(\d) of 3 \(key "k1"\)$/m.exec(one.stdout) ?? [];
    assert.ok(p1 !== undefined, one.stdout);
    assert.match(one.stdout, new RegExp(`^published OrderShippedEvent to ${prefix}\\{orders${p1 === "0" ? "" : `#${p1}`}\\} \\(json entry\\)$`, "m"));
    const j = JSON.parse(three.stdout) as { partition: number; partitions: number; stream: string };
    assert.notEqual(String(j.partition), p1);
    assert.equal(j.partitions, 3);
    assert.equal(j.stream, transport.keys(queue, j.partition).stream);
    const again = await transport.publish(queue, shipped(9), { partitionKey: "k1" });
    assert.equal(String(again.partition), p1, "the CLI's partition is the transport's for the key");

    const q = await cli(["queues", "--json", ...at()]);
    const row = (JSON.parse(q.stdout) as { name: string; partitions: number; length: number; lag: number }[]).find((r) => r.name === queue)!;
    assert.deepEqual([row.partitions, row.length, row.lag], [3, 4, 4]);
    const text = await cli(["queues", ...at()]);
    assert.match(text.stdout, /^QUEUE\s+PARTS\s+LENGTH/m);
    assert.match(text.stdout, /^orders\s+3\s+4\s+0\s+0\s+0\s/m);
  });

  test("tail merges every partition in stream-id order, each line with its partition; --follow too", async () => {
    const published = [];
    for (let i = 10; i < 16; i++) published.push(await transport.publish(queue, shipped(i), { partitionKey: `key-${i}` }));
    assert.ok(new Set(published.map((p) => p.partition)).size > 1, "the events are in several partitions");
    const follow = startCli(["tail", queue, "--follow", "--count", "6", ...at()]);
    try {
      const history = jsonLines(await follow.until("stdout", /(.*\n){6}/));
      // (in the order of their ids, ties between partitions by partition)
      const expected = published.map((p, i) => ({ p, order: `order-${10 + i}` })).sort((a, b) => compareIds(a.p.streamId, b.p.streamId) || a.p.partition - b.p.partition);
      assert.deepEqual(
        history.map((l) => [l["_stream_id"], l["_partition"], l["order_id"]]),
        expected.map(({ p, order }) => [p.streamId, p.partition, order]),
      );
      // new events in every partition, published while following, all come
      await new Promise((r) => setTimeout(r, 500));
      const live = await transport.publishMany([20, 21, 22, 23].map((i) => ({ queue, event: shipped(i), options: { partitionKey: `key-${i}` } })));
      const lines = jsonLines(await follow.until("stdout", /(.*\n){10}/)).slice(6);
      assert.deepEqual(
        lines.map((l) => [l["_partition"], l["order_id"]]).sort(),
        live.map((p, i) => [p.partition, `order-${20 + i}`]).sort(),
      );
      // each partition's in its order (entries that reach two partitions at one moment may be printed a read apart)
      for (const partition of new Set(lines.map((l) => l["_partition"]))) {
        const ids = lines.filter((l) => l["_partition"] === partition).map((l) => String(l["_stream_id"]));
        for (let i = 1; i < ids.length; i++) assert.ok(compareIds(ids[i - 1]!, ids[i]!) < 0, `partition ${String(partition)} out of order: ${JSON.stringify(lines)}`);
      }
    } finally {
      follow.child.kill("SIGINT");
    }
    assert.equal((await follow.done).status, 0);
  });

  test("dlq list, requeue and delete take the ids of every partition (p/id)", async () => {
    const q = "refunds";
    await transport.setPartitions(q, 3);
    await transport.publishMany([1, 2, 3, 4, 5, 6].map((i) => ({ queue: q, event: shipped(i), options: { partitionKey: `refund-${i}` } })));
    const consumer = await transport.consume(q, { OrderShippedEvent: (e) => { throw new PermanentError(`lost ${e.payload.orderId}`); } }, { blockMs: 50 });
    await consumer.drain();
    await consumer.stop();
    const list = await cli(["dlq", "list", q, "--json", ...at()]);
    assert.equal(list.status, 0, list.stderr);
    const letters = JSON.parse(list.stdout) as { id: string; partition: number; reason: string }[];
    assert.equal(letters.length, 6);
    const far = letters.find((l) => l.partition > 0)!;
    assert.match(far.id, new RegExp(`^${far.partition}/\\d+-\\d+$`));
    const [requeued, deleted] = [await cli(["dlq", "requeue", q, far.id, ...at()]), await cli(["dlq", "delete", q, "--all", ...at()])];
    assert.equal(requeued.status, 0, requeued.stderr);
    assert.match(requeued.stdout, /^requeued 1 entry from the DLQs of the 3 partitions of refunds/);
    // back in its own partition's stream
    const back = await transport.browse(q, { partition: far.partition }).latest(1);
    assert.match(JSON.stringify(back[0]!.requeues), new RegExp(`"to_queue":"${prefix}\\{refunds#${far.partition}\\}"`));
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.match(deleted.stdout, /^deleted 5 entries/);
    assert.equal(await transport.deadLetters(q).count(), 0);
  });

  test("eventwire ui --cluster: the API lists each queue's partitions", async () => {
    const ui = startCli(["ui", "--port", "0", "--json", ...at()]);
    try {
      const { url } = JSON.parse(await ui.until("stdout", /\}\s*$/)) as { url: string };
      const data = (await get(url + "api/queues")) as { layout: string; queues: { name: string; partitionCount: number; partitions: { partition: number; stream: string; length: number }[] }[] };
      assert.equal(data.layout, "cluster");
      const orders = data.queues.find((q) => q.name === queue)!;
      assert.equal(orders.partitionCount, 3);
      assert.deepEqual(orders.partitions.map((p) => p.stream), [0, 1, 2].map((p) => transport.keys(queue, p).stream));
      const lengths = await Promise.all([0, 1, 2].map(async (p) => (await transport.store.info(transport.keys(queue, p))).length));
      assert.deepEqual(orders.partitions.map((p) => p.length), lengths);
    } finally {
      ui.child.kill("SIGINT");
    }
    assert.equal((await ui.done).status, 0);
  });
});
