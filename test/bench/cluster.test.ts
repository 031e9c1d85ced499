/**
 * The benchmark's Redis Cluster section (bench/cluster.ts) with tiny sizes:
 * it starts one server and private clusters of one and three masters,
 * measures every figure on each, and what it counts per event is what the
 * designs write (one XADD per published event; the bus's copies one more
 * per subscribed service; a group per service none), with one CPU figure
 * per Redis server; and publishing to a master with a replica, without and
 * with WAIT.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterBench, clusterTables, type ClusterSettings, type Measured } from "../../bench/cluster.js";

const settings: ClusterSettings = { events: 200, busEvents: 120, rounds: 1, batch: 50, partitions: 3, subscribers: [1, 2], masters: [1, 3], warmUpEvents: 0, replicaEvents: 100 };

test("the cluster section measures a partitioned queue and both bus designs on one server and on clusters of one and three masters, and WAIT on a master with a replica", { timeout: 180_000 }, async () => {
  const r = await clusterBench(settings, () => {});
  assert.deepEqual(
    r.layouts.map((l) => [l.name, l.servers]),
    [
      ["one server", 1],
      ["cluster, 1 master", 1],
      ["cluster, 3 masters", 3],
    ],
  );
  const three = r.layouts[2]!;
  for (const at of [three.queuePartitions, three.busPartitions]) {
    assert.equal(at.length, settings.partitions);
    for (const server of at) assert.ok(server >= 0 && server < 3, `partition on server ${server}`);
  }
  assert.equal(three.subscriptionQueues.length, 2);

  const check = (m: Measured, servers: number, xadds: number, what: string, fewestXadds = xadds) => {
    assert.equal(m.perSecond.length, settings.rounds, what);
    assert.ok(m.perSecond.every((x) => Number.isFinite(x) && x > 0), `${what}: events/s ${m.perSecond.join(", ")}`);
    assert.ok(m.client.every((x) => x > 0), `${what}: client CPU ${m.client.join(", ")}`);
    for (const round of m.redis) {
      assert.equal(round.length, servers, `${what}: one CPU figure per server`);
      assert.ok(round.every((x) => x >= 0) && round.some((x) => x > 0), `${what}: Redis CPU ${round.join(", ")}`);
    }
    // (private servers: nothing else writes to them)
    for (const x of m.xadds) {
      if (fewestXadds === xadds) assert.equal(x, xadds, `${what}: XADDs per event`);
      else assert.ok(x >= fewestXadds && x <= xadds, `${what}: XADDs per event ${x}, not from ${fewestXadds} to ${xadds}`);
    }
    assert.ok(m.commands.every((c) => c >= fewestXadds), `${what}: commands per event ${m.commands.join(", ")} count the scripts' XADDs`);
  };
  for (const l of r.layouts) {
    check(r.queue[l.name]!.publish, l.servers, 1, `publishing on ${l.name}`);
    check(r.queue[l.name]!.drain, l.servers, 0, `draining on ${l.name}`);
    for (const n of settings.subscribers) {
      const bus = r.bus[l.name]![String(n)]!;
      check(bus.copies, l.servers, 1 + n, `the bus's copies to ${n} services on ${l.name}`);
      check(bus.groups, l.servers, 1, `a group for each of ${n} services on ${l.name}`);
      assert.ok(bus.copies.scripts[0]! > 0, "routing runs scripts");
    }
  }
  // the queue's partitions were written on every master that holds one
  const publish = r.queue[three.name]!.publish.redis[0]!;
  for (const server of new Set(three.queuePartitions)) assert.ok(publish[server]! > 0, `server ${server} holds a partition and spent no CPU`);

  // a master and its replica: the replica runs every XADD too (scripts replicate their effects); with WAIT it has run
  // them all when the publish returns, without WAIT some may still be on their way when the counts are read
  for (const mode of ["none", "wait"] as const) {
    for (const how of ["batched", "one"] as const) {
      const m = r.replicas[mode][how];
      check(m, 2, 2, `publishing ${how}, ${mode === "wait" ? "with" : "without"} WAIT`, mode === "wait" ? 2 : 1);
      assert.ok(m.redis.every((x) => x[1]! > 0), "the replica's CPU is measured");
      assert.ok(m.p50.length === settings.rounds && m.p50.every((x, i) => x > 0 && x <= m.p99[i]!), `latencies ${m.p50.join(", ")} / ${m.p99.join(", ")}`);
    }
  }

  const tables = clusterTables(r);
  // publishing and draining per layout; both designs per count of services and layout; four ways to publish with a replica
  assert.deepEqual(
    tables.map(([, , rows]) => rows.length),
    [2 * r.layouts.length, 2 * settings.subscribers.length * r.layouts.length, 4],
  );
  for (const [, headers, rows] of tables) for (const row of rows) assert.equal(row.length, headers.length);
});
