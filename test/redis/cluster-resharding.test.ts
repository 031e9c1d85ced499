// Resharding a Redis Cluster under eventwire's traffic: the slot of one
// partition of a queue (every key of a partition shares one hash tag, so
// one slot: `keySlot("<prefix>{<queue>#<i>}")`) moved to another master
// while publishers and consumers run, the move held half done between its
// batches (clients redirected with ASK, multi-key scripts refused with
// TRYAGAIN until their keys are together); then the shared queue of the
// bus, partitioned, moved the same way while services and their routers
// run. Each run starts its own cluster (3 masters with a replica each);
// publishers and consumers each have a transport of their own, in this
// process, and a publisher tries a failed publish again until confirmed.
//
// What is claimed, and asserted: nothing confirmed is lost (every event
// handled, by every service that subscribes to its type), nothing is stuck
// (pending and lag 0 once drained), no publisher gives up; publish errors
// a publisher saw and retried are counted and reported; after the move the
// partition's keys live on the new master and none on the old. And, on
// its own: a write that waits for replicas follows ASK (its keys moved,
// the slot still migrating) and MOVED (the slot moved) as any other
// command does, rather than failing with the redirection.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, EventBus, partitionOf, silentLogger, type Consumer, type ReplicaWait, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { SERVICE_NAMES, SERVICES, wants, type Service } from "../chaos/plan.js";
import { keySlot, RedisCluster } from "../support/cluster.js";
import { conservationTable, Ledger, Publisher, shopEvent } from "../support/conservation.js";
import { until } from "../support/wait.js";

const QUEUE = "orders";
const PARTITIONS = 6;
const CONSUMER_OPTIONS = { concurrency: 4, batchSize: 20, blockMs: 200, claimIdleMs: 2_000, claimIntervalMs: 500, shutdownTimeoutMs: 3_000 } as const;
const ROUTER_OPTIONS = { blockMs: 200, claimIdleMs: 2_000, claimIntervalMs: 500, shutdownTimeoutMs: 3_000 } as const;
/** How long the move is held half done after each batch (traffic flows meanwhile). */
const HOLD_MS = 400;

/** A cluster and the transports opened on it, all closed (and the cluster stopped) by `stop`. */
async function open(prefix: string) {
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  const transports: StreamTransport<ShopEvent>[] = [];
  const connect = async (extra: { waitForReplicas?: ReplicaWait; commandTimeoutMs?: number } = {}) => {
    const t = await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], prefix, logger: silentLogger, commandTimeoutMs: 5_000, ...extra });
    transports.push(t);
    return t;
  };
  const stop = async () => {
    await Promise.all(transports.map((t) => t.close().catch(() => {})));
    await cluster.stop();
  };
  return { cluster, connect, stop };
}

/** Holds the move after each batch for HOLD_MS, and reports whether the slot was seen half moved. */
function holding(cluster: RedisCluster, slot: number, from: string, to: string, seen: { halfMoved: number }) {
  return async () => {
    const left = Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot));
    const arrived = Number(await cluster.command(to, "CLUSTER", "COUNTKEYSINSLOT", slot));
    if (left > 0 && arrived > 0) seen.halfMoved++;
    await new Promise((r) => setTimeout(r, HOLD_MS));
  };
}

describe("resharding under traffic", { timeout: 170_000 }, () => {
  test("a write waiting for replicas follows ASK while its slot migrates, and MOVED once it has moved", { timeout: 40_000 }, async () => {
    const { cluster, connect, stop } = await open("rw:");
    try {
      const t = await connect({ waitForReplicas: { replicas: 1, timeoutMs: 2_000 }, commandTimeoutMs: 3_000 });
      // (with a TTL, the queue's :expiry set exists, so that the publish script's three keys can be moved together)
      const publish = (seq: number) => t.publish(QUEUE, shopEvent("rw", seq), { ttlSeconds: 3_600 });
      await publish(0);
      const keys = t.keys(QUEUE);
      const slot = keySlot(keys.stream);
      const from = await cluster.masterOfSlot(slot);
      const to = (await cluster.masters()).find((m) => m !== from)!;
      const [fromId, toId] = [String(await cluster.command(from, "CLUSTER", "MYID")), String(await cluster.command(to, "CLUSTER", "MYID"))];
      const [host, port] = [to.slice(0, to.lastIndexOf(":")), Number(to.slice(to.lastIndexOf(":") + 1))];

      // The slot half moved: the publish script's keys on the new master, the DLQ's still on the old one.
      await cluster.command(to, "CLUSTER", "SETSLOT", slot, "IMPORTING", fromId);
      await cluster.command(from, "CLUSTER", "SETSLOT", slot, "MIGRATING", toId);
      await cluster.command(from, "MIGRATE", host, port, "", 0, 5_000, "KEYS", keys.stream, keys.streamExpiry, keys.streamMetadata);
      assert.ok(Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot)) > 0, "the DLQ's keys are still on the old master");
      const asked = await publish(1); // the old master answers ASK
      // The rest moved, the slot handed over; the client has not heard of it yet.
      await cluster.moveSlot(slot, to);
      const moved = await publish(2); // the old master answers MOVED
      assert.equal(await cluster.masterOf(keys.stream), to);
      assert.equal(Number(await cluster.command(to, "XLEN", keys.stream)), 3);
      const ids = ((await cluster.command(to, "XRANGE", keys.stream, "-", "+")) as [string, unknown][]).map((e) => e[0]);
      assert.deepEqual(ids.slice(1), [asked.streamId, moved.streamId]);
    } finally {
      await stop();
    }
  });

  test("a partition's slot moved to another master while publishers and consumers run: nothing lost, nothing stuck", { timeout: 60_000 }, async () => {
    const { cluster, connect, stop } = await open("rs:");
    const consumers: Consumer<ShopEvent>[] = [];
    const publishers: Publisher[] = [];
    try {
      const admin = await connect();
      await admin.setPartitions(QUEUE, PARTITIONS);
      const partition = 2;
      const keys = admin.keys(QUEUE, partition);
      assert.equal(keys.stream, `rs:{${QUEUE}#${partition}}`);
      const slot = keySlot(`rs:{${QUEUE}#${partition}}`);
      const from = await cluster.masterOfSlot(slot);
      const to = (await cluster.masters()).find((m) => m !== from)!;

      const ledger = new Ledger();
      for (let i = 1; i <= 2; i++) {
        const t = await connect();
        consumers.push(await t.consume(QUEUE, { "*": (event) => ledger.handle("queue", event.eventId) }, { ...CONSUMER_OPTIONS, consumer: `consumer-${i}` }));
      }
      // (a publish to the moving partition waits for the move: the fourth publisher avoids it, so that traffic flows meanwhile)
      const elsewhere = (eventId: string) => {
        let key = eventId;
        while (partitionOf(key, PARTITIONS) === partition) key += "+";
        return key;
      };
      for (let i = 1; i <= 4; i++) {
        // the third waiting for a replica, so that its writes are redirected through the pipeline with WAIT
        const t = await connect({ commandTimeoutMs: 2_000, ...(i === 3 ? { waitForReplicas: { replicas: 1, timeoutMs: 1_000 } } : {}) });
        const options = (event: ShopEvent) => (i === 4 ? { partitionKey: elsewhere(event.eventId) } : {});
        publishers.push(new Publisher(`rs-p${i}`, ledger, (event) => t.publish(QUEUE, event, options(event)), { pauseMs: 15 }));
      }
      const onPartition = () => [...ledger.confirmed.values()].filter((c) => c.partition === partition).length;
      await until("20 events confirmed on the partition before the move", () => onPartition() >= 20, 30_000);

      const seen = { halfMoved: 0 };
      const started = Date.now();
      const before = { confirmed: ledger.confirmed.size, partition: onPartition() };
      const moved = await cluster.moveSlot(slot, to, { batchSize: 1, betweenBatches: holding(cluster, slot, from, to, seen) });
      const moveMs = Date.now() - started;
      const during = { confirmed: ledger.confirmed.size - before.confirmed, partition: onPartition() - before.partition };
      const afterMove = onPartition();
      await until("20 more events confirmed on the moved partition", () => onPartition() >= afterMove + 20, 30_000);
      await Promise.all(publishers.map((p) => p.stop()));

      let info = await admin.info(QUEUE);
      await until(
        "every confirmed event handled, nothing pending",
        async () => {
          info = await admin.info(QUEUE);
          return ledger.complete("queue") && (info.partitions ?? [info]).every((p) => p.pending === 0 && p.lag === 0);
        },
        45_000,
        200,
      );
      const row = ledger.row("queue");
      const lines = [
        `partition ${partition} (slot ${slot}) moved from ${from} to ${to}: ${moved.keys} keys in ${moved.batches} batches, ${moveMs} ms, seen half moved after ${seen.halfMoved} batches;`,
        `  during the move ${during.confirmed} events confirmed (${during.partition} on the moving partition); publish errors (each retried): ${ledger.describeErrors()}; the slowest publish took ${Math.max(...publishers.map((p) => p.slowestMs))} ms`,
        ...[...ledger.samples].map(([code, message]) => `    e.g. ${code}: ${message}`),
        ...conservationTable([row], { head: ["publish errors"], cells: () => [ledger.errorCount] }).map((l) => `  ${l}`),
      ];
      console.log(lines.join("\n"));

      assert.equal(row.lost, 0, `confirmed events lost: ${row.lostIds.slice(0, 10).join(", ")}`);
      assert.equal(ledger.gaveUp.size, 0, "a publisher gave up on an event");
      assert.deepEqual(ledger.messages.filter((m) => /\b(MOVED|ASK) \d+/.test(m)), [], "a publish failed with a redirection");
      assert.ok(seen.halfMoved >= 2, `the slot was seen half moved after only ${seen.halfMoved} batches`);
      assert.ok(during.confirmed >= 10, `only ${during.confirmed} events confirmed during the move`);
      assert.equal(await cluster.masterOf(keys.stream), to);
      assert.equal(Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot)), 0);
      assert.equal(Number(await cluster.command(to, "EXISTS", keys.stream)), 1, "the partition's stream is not on the new master");
      assert.ok(Number(await cluster.command(to, "XLEN", keys.stream)) >= afterMove + 20);
    } finally {
      await Promise.all(publishers.map((p) => p.stop()));
      await Promise.all(consumers.map((c) => c.stop().catch(() => {})));
      await stop();
    }
  });

  test("a partition of the bus's shared queue moved while services and routers run: every service gets every event of its types", { timeout: 60_000 }, async () => {
    const { cluster, connect, stop } = await open("rb:");
    const buses: EventBus<ShopEvent>[] = [];
    const publishers: Publisher[] = [];
    try {
      const ledger = new Ledger();
      // the services, each replica with a transport and a bus (and so a router) of its own
      for (const service of SERVICE_NAMES) {
        for (let i = 1; i <= SERVICES[service].replicas; i++) {
          const bus = new EventBus(await connect(), { partitions: 3, router: { ...ROUTER_OPTIONS, consumer: `router-${service}-${i}` } });
          buses.push(bus);
          await bus.subscribe(service, { "*": (event) => ledger.handle(service, event.eventId) }, { ...CONSUMER_OPTIONS, consumer: `${service}-${i}`, eventTypes: SERVICES[service].types });
        }
      }
      for (let i = 1; i <= 2; i++) {
        const bus = new EventBus(await connect({ commandTimeoutMs: 2_000 }), { partitions: 3, router: { ...ROUTER_OPTIONS, consumer: `router-pub-${i}` } });
        buses.push(bus);
        await bus.start();
        publishers.push(new Publisher(`rb-p${i}`, ledger, (event) => bus.publish(event), { pauseMs: 15 }));
      }
      const partition = 1;
      const stream = buses[0]!.transport.keys("all", partition).stream;
      assert.equal(stream, "rb:{all#1}");
      const slot = keySlot(stream);
      const from = await cluster.masterOfSlot(slot);
      const to = (await cluster.masters()).find((m) => m !== from)!;
      const onPartition = () => [...ledger.confirmed.values()].filter((c) => c.partition === partition).length;
      await until("20 events confirmed on the partition before the move", () => onPartition() >= 20, 30_000);

      const seen = { halfMoved: 0 };
      const started = Date.now();
      const moved = await cluster.moveSlot(slot, to, { batchSize: 1, betweenBatches: holding(cluster, slot, from, to, seen) });
      const moveMs = Date.now() - started;
      const afterMove = onPartition();
      await until("20 more events confirmed on the moved partition", () => onPartition() >= afterMove + 20, 30_000);
      await Promise.all(publishers.map((p) => p.stop()));

      const wanted = (service: Service) => (c: { type: string }) => wants(service, c.type);
      await until("every service to handle every confirmed event of its types", () => SERVICE_NAMES.every((s) => ledger.complete(s, wanted(s))), 45_000, 200);
      const admin = buses[0]!.transport;
      await until(
        "nothing pending in the shared queue and the subscription queues",
        async () => {
          const infos = await Promise.all(["all", ...SERVICE_NAMES.map((s) => `sub:${s}`)].map((q) => admin.info(q)));
          return infos.flatMap((i) => i.partitions ?? [i]).every((p) => p.pending === 0 && p.lag === 0);
        },
        30_000,
        200,
      );
      const rows = SERVICE_NAMES.map((s) => ledger.row(s, wanted(s)));
      const lines = [
        `bus: shared queue partition ${partition} (slot ${slot}) moved from ${from} to ${to}: ${moved.keys} keys in ${moved.batches} batches, ${moveMs} ms, seen half moved after ${seen.halfMoved} batches;`,
        `  publish errors (each retried): ${ledger.describeErrors()}; the slowest publish took ${Math.max(...publishers.map((p) => p.slowestMs))} ms`,
        ...[...ledger.samples].map(([code, message]) => `    e.g. ${code}: ${message}`),
        ...conservationTable(rows).map((l) => `  ${l}`),
      ];
      console.log(lines.join("\n"));

      for (const row of rows) assert.equal(row.lost, 0, `${row.target}: confirmed events lost: ${row.lostIds.slice(0, 10).join(", ")}`);
      assert.equal(ledger.gaveUp.size, 0, "a publisher gave up on an event");
      assert.ok(seen.halfMoved >= 2, `the slot was seen half moved after only ${seen.halfMoved} batches`);
      assert.equal(await cluster.masterOf(stream), to);
      assert.equal(Number(await cluster.command(from, "CLUSTER", "COUNTKEYSINSLOT", slot)), 0);
      assert.equal(Number(await cluster.command(to, "EXISTS", stream)), 1, "the shared queue's partition is not on the new master");
    } finally {
      await Promise.all(publishers.map((p) => p.stop()));
      await Promise.all(buses.map((b) => b.stop().catch(() => {})));
      await stop();
    }
  });
});
