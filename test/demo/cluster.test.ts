// `npm run demo -- --cluster`: the four services on a real Redis Cluster of
// three masters with a replica each, the bus's shared queue in partitions
// over the masters, each order's events in one; checked from the demo's
// output and from what the services left on each master.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { partitionOf } from "eventwire/redis";
import { RedisCluster } from "../support/cluster.js";
import { listening } from "../support/redis.js";
import { startScript } from "../support/cli.js";
import { alive, checkOrders, demo, DEMO, descendants, eventLines, result, untraced, type DemoResult } from "../support/demo.js";

const SERVICE_QUEUES = ["sub:order-service", "sub:payment-service", "sub:shipping-service", "sub:notification-service"];

/** The field list of a stream entry as ioredis returns it, as a map. */
function fieldMap(fields: unknown): Map<string, string> {
  const list = fields as string[];
  const map = new Map<string, string>();
  for (let i = 0; i < list.length; i += 2) map.set(list[i]!, list[i + 1]!);
  return map;
}


describe("npm run demo -- --cluster", { timeout: 90_000 }, () => {
  let cluster: RedisCluster;
  let first: DemoResult;

  before(async () => {
    // A cluster of the test's own (not REDIS_CLUSTER_NODES): the demo's prefix is fixed, and the test counts what it left.
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Sends a command to the master serving `key`'s slot. */
  async function onMaster(key: string, ...args: (string | number)[]): Promise<unknown> {
    return cluster.command(await cluster.masterOf(key), ...args);
  }

  /** Nothing pending in any group of the shared queue's partitions and the service queues, and nothing dead-lettered. */
  async function nothingLeft(run: DemoResult): Promise<void> {
    const streams = [...run.partitions.map((p) => p.stream), ...SERVICE_QUEUES.map((q) => `events:{${q}}`)];
    for (const stream of streams) {
      const groups = (await onMaster(stream, "XINFO", "GROUPS", stream)) as unknown[][];
      assert.ok(groups.length > 0, `${stream}: a consumer group`);
      for (const g of groups) assert.equal(Number(g[g.indexOf("pending") + 1]), 0, `${stream}: nothing pending`);
      assert.equal(await onMaster(stream, "XLEN", `${stream}:dlq`), 0, `${stream}: nothing dead-lettered`);
    }
  }

  test("--cluster host:port,…: every order reaches its final state, the partitions of events:all are on more than one master, each order's events in one of them, nothing left pending", async () => {
    const [onCluster, inMemory] = await Promise.all([
      demo(["--cluster", cluster.seeds.join(","), "--fast", "--seed", "1234", "--orders", "6", "--json"], { timeoutMs: 60_000 }),
      demo(["--fast", "--seed", "1234", "--orders", "6", "--memory", "--json"], { timeoutMs: 60_000 }),
    ]);
    first = result(onCluster);
    assert.equal(first.transport, "redis");
    assert.equal(first.redis, "cluster");
    checkOrders(first, 6);
    eventLines(onCluster.stderr, first);
    // the same orders as on one server or in memory, for the same seed
    assert.deepEqual(untraced(first.orders), untraced(result(inMemory).orders));
    assert.match(onCluster.stderr, new RegExp(`^Redis Cluster: ${cluster.seeds.join(",").replace(/\./g, "\\.")} \\(--cluster\\)\\.$`, "m"));

    // three partitions by default, each where the cluster says its slot is served, on more than one master
    assert.equal(first.masters, 3);
    assert.deepEqual(first.partitions.map((p) => p.stream), ["events:{all}", "events:{all#1}", "events:{all#2}"]);
    for (const p of first.partitions) assert.equal(p.master, await cluster.masterOf(p.stream), `${p.stream}: its master`);
    const used = new Set(first.partitions.map((p) => p.master));
    assert.ok(used.size > 1, `partitions on ${[...used].join(", ")}`);
    const bus = /^Bus: events:all in 3 partitions over (\d) of the cluster's 3 masters, each order's events in one, picked by its order id \(partition key\): (.*)\.$/m.exec(onCluster.stderr);
    assert.ok(bus, onCluster.stderr);
    assert.equal(Number(bus[1]), used.size);
    assert.equal(bus[2], first.partitions.map((p) => `${p.stream} on ${p.master}`).join(", "));

    // What each master holds: every event once, in the partition its order id picks, on more than one master.
    const partitionsOfOrder = new Map<string, Set<number>>();
    const mastersWithEvents = new Set<string>();
    let total = 0;
    for (const p of first.partitions) {
      const entries = (await cluster.command(p.master!, "XRANGE", p.stream, "-", "+")) as [string, unknown][];
      assert.equal(entries.length, p.entries, `${p.stream}: the entries the demo counted`);
      total += entries.length;
      if (entries.length > 0) mastersWithEvents.add(p.master!);
      for (const [, fields] of entries) {
        const { order_id } = JSON.parse(fieldMap(fields).get("data")!) as { order_id: string };
        partitionsOfOrder.set(order_id, (partitionsOfOrder.get(order_id) ?? new Set()).add(p.partition));
      }
    }
    assert.equal(total, first.events, "every event once in the shared queue");
    assert.ok(mastersWithEvents.size > 1, `events on ${[...mastersWithEvents].join(", ")} only`);
    assert.deepEqual([...partitionsOfOrder.keys()].sort(), first.orders.map((o) => o.order_id).sort());
    for (const [orderId, partitions] of partitionsOfOrder) {
      assert.deepEqual([...partitions], [partitionOf(orderId, 3)], `${orderId}: all its events in the partition its order id picks`);
    }
    await nothingLeft(first);
  });

  test("REDIS_CLUSTER_NODES, with binary entries and --partitions 4: the same orders, the shared queue grown to four partitions over every master", async () => {
    assert.ok(first, "runs after the first test");
    const r = await demo(["--fast", "--seed", "1234", "--orders", "6", "--format", "binary", "--partitions", "4", "--json"], {
      env: { REDIS_CLUSTER_NODES: cluster.seeds.join(",") },
      timeoutMs: 60_000,
    });
    const run = result(r);
    assert.equal(run.redis, "REDIS_CLUSTER_NODES");
    assert.equal(run.format, "binary");
    checkOrders(run, 6);
    assert.deepEqual(untraced(run.orders), untraced(first.orders));
    assert.match(r.stderr, /^Redis Cluster: \S+ \(REDIS_CLUSTER_NODES\)\.$/m);
    assert.deepEqual(run.partitions.map((p) => p.stream), ["events:{all}", "events:{all#1}", "events:{all#2}", "events:{all#3}"]);
    for (const p of run.partitions) assert.equal(p.master, await cluster.masterOf(p.stream), `${p.stream}: its master`);
    assert.equal(new Set(run.partitions.map((p) => p.master)).size, 3, "four partitions, on all three masters");
    // the first run's entries stay where they were; this run's are added over the four partitions
    const added = run.partitions.reduce((n, p) => n + p.entries, 0) - first.partitions.reduce((n, p) => n + p.entries, 0);
    assert.equal(added, run.events);
    const envelopes = (await cluster.command(run.partitions[3]!.master!, "XRANGE", "events:{all#3}", "-", "+")) as [string, unknown][];
    assert.ok(envelopes.every(([, fields]) => fieldMap(fields).has("envelope")), "binary entries in the new partition");
    await nothingLeft(run);
  });

  test("--cluster without nodes: a private cluster of three masters with a replica each, stopped at the end", async () => {
    const r = await demo(["--cluster", "--fast", "--seed", "99", "--orders", "2", "--json"], { timeoutMs: 60_000 });
    const run = result(r);
    assert.equal(run.redis, "private cluster");
    checkOrders(run, 2);
    const [, nodes] = /^Redis Cluster: a private one of 3 masters with a replica each, on (.+), stopped at the end \(REDIS_CLUSTER_NODES is not set\)\.$/m.exec(r.stderr) ?? [];
    assert.ok(nodes, r.stderr);
    const ports = nodes.split(", ").map((n) => Number(/^127\.0\.0\.1:(\d+)$/.exec(n)?.[1]));
    assert.equal(ports.length, 6);
    assert.equal(run.masters, 3);
    assert.match(r.stderr, /^Stopped the four services and the private Redis Cluster\.$/m);
    for (const port of ports) assert.equal(await listening(port), false, `nothing left on ${port}`);
  });

  test("Ctrl-C with a private cluster: the demo stops its four service processes and every node, and exits 130", async () => {
    const running = startScript(DEMO, ["--cluster", "--orders", "2"], { timeoutMs: 60_000 });
    await running.until("stdout", /OrderCreatedEvent/, 40_000);
    const family = descendants(running.child.pid!);
    const services = family.filter(([, args]) => args.includes("service-process.ts"));
    assert.deepEqual(services.map(([, args]) => args.split(" ").at(-1)).sort(), ["notification-service", "order-service", "payment-service", "shipping-service"]);
    assert.equal(family.filter(([, args]) => args.startsWith("redis-server")).length, 6, family.map(([, a]) => a).join("\n"));

    running.child.kill("SIGINT");
    const r = await running.done;
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stderr, /demo: interrupted; stopping the services\ndemo: stopped the four services and the private Redis Cluster\n/);
    const deadline = Date.now() + 5000;
    while (family.some(([pid]) => alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(family.filter(([pid]) => alive(pid)), [], "processes outlived the demo");
  });

  test("refused: --python on a cluster (the Python service knows one server's layout only), nodes that are not host:port, a partition count out of range", async () => {
    const [python, pythonEnv, nodes, partitions] = await Promise.all([
      demo(["--python", "--cluster", cluster.seeds.join(",")]),
      demo(["--python"], { env: { REDIS_CLUSTER_NODES: cluster.seeds.join(",") } }),
      demo(["--cluster", "no-port-here"]),
      demo(["--cluster", "--partitions", "0"]),
    ]);
    for (const r of [python, pythonEnv, nodes, partitions]) assert.equal(r.status, 2, r.stderr);
    assert.match(python.stderr, /^demo: --python cannot be combined with a Redis Cluster: the Python notification service \(eventwire's Python package\) knows only one Redis server's key layout, not a cluster's$/m);
    assert.match(pythonEnv.stderr, /^demo: --python cannot be combined with a Redis Cluster: .* \(REDIS_CLUSTER_NODES is set\)$/m);
    assert.match(nodes.stderr, /^demo: --cluster: the cluster node no-port-here is not host:port or a redis:\/\/ URL$/m);
    assert.match(partitions.stderr, /^demo: --partitions: a queue has from 1 to \d+ partitions, got 0$/m);
  });
});
