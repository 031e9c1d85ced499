// A master of a Redis Cluster SIGKILLed while a partitioned queue is
// published to and consumed, its replica promoted, traffic going on; then
// everything drained and counted. Two runs, each on a cluster of its own
// (3 masters with a replica each; the queue in 6 partitions over them):
// publishers acknowledged by the master alone, and publishers that wait for
// one replica (`waitForReplicas`). Publishers and consumers each have a
// transport (a cluster client) of their own, in this process; a publisher
// tries a failed publish again, the same event, until it is confirmed.
//
// What is claimed, and asserted:
// - With `waitForReplicas: { replicas: 1 }`, no event confirmed to its
//   publisher is lost: every one is handled.
// - Without it, an event confirmed but never handled (lost) is one whose
//   partition the killed master served, confirmed at most LOSS_WINDOW_MS
//   before the kill (what the master acknowledged and had not yet
//   replicated). Such losses are counted and reported (on loopback there
//   are usually none).
// - Nothing is stuck: once publishing stops, every partition's pending
//   count and lag drain to 0, so every confirmed event ends handled or lost
//   by the failover as above.
// - Each store operation ends within commandTimeoutMs whatever the cluster
//   is doing (not held by the cluster client's own retries through the
//   failover): a publish attempt within two of them (the queue made again
//   after a failure, then the append), plus two seconds of slack.
// - Traffic goes on through the promoted replica: events are confirmed on
//   the killed master's partitions after the failover.
// - Duplicates (handled more than once: redeliveries of entries whose
//   acknowledgement the failover lost, publishes tried again after they
//   were written) are allowed — delivery is at least once — and reported,
//   as are the errors publishers saw and retried (`redis-unavailable`
//   while the master was unreachable, `not-replicated` while the promoted
//   replica had no replica of its own, for ALONE_MS, until the killed node
//   came back as one).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, silentLogger, type Consumer, type ReplicaWait, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { RedisCluster } from "../support/cluster.js";
import { conservationTable, formatTable, Ledger, Publisher } from "../support/conservation.js";
import { until } from "../support/wait.js";

const QUEUE = "orders";
const PARTITIONS = 6;
const PUBLISHERS = 3;
const CONSUMERS = 2;
/** How long before the kill an event may have been confirmed and still be lost, without waiting for replicas. */
const LOSS_WINDOW_MS = 3_000;
/** The publishers' commandTimeoutMs: short, so that a publisher sees the outage and tries again, as an application would. */
const PUBLISH_TIMEOUT_MS = 2_000;
/** How long the promoted master runs without a replica before the killed node is restarted. */
const ALONE_MS = 2_000;
const CONSUMER_OPTIONS = { concurrency: 4, batchSize: 20, blockMs: 200, claimIdleMs: 2_000, claimIntervalMs: 500, shutdownTimeoutMs: 3_000 } as const;

const summary: (string | number)[][] = [];
after(() => {
  if (summary.length > 0) {
    console.log(["", "cluster failover, both runs:", ...formatTable(["run", "published", "handled", "duplicates", "lost", "publish errors (retried)", "failover ms"], summary)].join("\n"));
  }
});

async function failoverRun(label: string, waitForReplicas: ReplicaWait | undefined): Promise<void> {
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  const transports: StreamTransport<ShopEvent>[] = [];
  const consumers: Consumer<ShopEvent>[] = [];
  const publishers: Publisher[] = [];
  const connect = async (extra: { waitForReplicas?: ReplicaWait; commandTimeoutMs?: number } = {}) => {
    const t = await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], prefix: "fo:", logger: silentLogger, commandTimeoutMs: 5_000, ...extra });
    transports.push(t);
    return t;
  };
  try {
    const admin = await connect();
    await admin.setPartitions(QUEUE, PARTITIONS);
    const masterOf = new Map<number, string>();
    for (let p = 0; p < PARTITIONS; p++) masterOf.set(p, await cluster.masterOf(admin.keys(QUEUE, p).stream));
    // the master with the most partitions dies
    const byMaster = new Map<string, number[]>();
    for (const [p, m] of masterOf) byMaster.set(m, [...(byMaster.get(m) ?? []), p]);
    const [victim, victimPartitions] = [...byMaster].sort((a, b) => b[1].length - a[1].length)[0]!;
    const onVictim = new Set(victimPartitions);

    const ledger = new Ledger();
    for (let i = 1; i <= CONSUMERS; i++) {
      const t = await connect();
      consumers.push(await t.consume(QUEUE, { "*": (event) => ledger.handle("queue", event.eventId) }, { ...CONSUMER_OPTIONS, consumer: `consumer-${i}` }));
    }
    for (let i = 1; i <= PUBLISHERS; i++) {
      // (a short command timeout, so that a publisher sees the outage and tries again, as an application would)
      const t = await connect({ commandTimeoutMs: PUBLISH_TIMEOUT_MS, ...(waitForReplicas ? { waitForReplicas } : {}) });
      publishers.push(new Publisher(`${label}-p${i}`, ledger, (event) => t.publish(QUEUE, event), { pauseMs: 15 }));
    }
    await until("150 events confirmed before the kill", () => ledger.confirmed.size >= 150, 30_000);

    const confirmedAtKill = ledger.confirmed.size;
    const killAt = Date.now();
    await cluster.kill(victim);
    const promoted = await cluster.waitForFailover(victim, 30_000);
    const failoverMs = Date.now() - killAt;
    // Traffic goes on with the promoted master alone for a while (with WAIT,
    // its writes are not confirmed: not-replicated, tried again); then the
    // killed node comes back, as its replica.
    await new Promise((r) => setTimeout(r, ALONE_MS));
    await cluster.restart(victim);
    const rejoinedMs = Date.now() - killAt;
    const afterFailover = () => [...ledger.confirmed.values()].filter((c) => c.at > killAt + failoverMs && onVictim.has(c.partition)).length;
    await until("60 events confirmed on the killed master's partitions after the failover", () => afterFailover() >= 60, 40_000);
    await Promise.all(publishers.map((p) => p.stop()));
    const stoppedAt = Date.now();

    // Drained: every confirmed event handled, or (when some were lost) nothing pending and nothing undelivered for a while.
    let quietSince: number | undefined;
    let info = await admin.info(QUEUE);
    await until(
      "the queue to drain (pending and lag 0 in every partition)",
      async () => {
        info = await admin.info(QUEUE);
        const parts = info.partitions ?? [info];
        const quiet = parts.every((p) => p.pending === 0 && p.lag === 0);
        if (quiet && ledger.complete("queue")) return true;
        if (!quiet) quietSince = undefined;
        else quietSince ??= Date.now();
        return quietSince !== undefined && Date.now() - quietSince > 2 * CONSUMER_OPTIONS.claimIdleMs;
      },
      60_000,
      200,
    );
    const drainMs = Date.now() - stoppedAt;
    const row = ledger.row("queue");
    const lostMeta = row.lostIds.map((id) => ({ id, ...ledger.confirmed.get(id)! }));
    const lines = [
      `${label}: cluster of 3 masters + 3 replicas; ${PARTITIONS} partitions, ${victimPartitions.length} (${victimPartitions.join(", ")}) on ${victim}, SIGKILLed once ${confirmedAtKill} events were confirmed`,
      `  failover to ${promoted} in ${failoverMs} ms; the killed node back as its replica after ${rejoinedMs} ms; ${afterFailover()} events confirmed on its partitions after the failover; drained in ${drainMs} ms`,
      `  publish errors (each retried): ${ledger.describeErrors()}; given up: ${ledger.gaveUp.size}; the slowest publish took ${Math.max(...publishers.map((p) => p.slowestMs))} ms, its slowest attempt ${Math.max(...publishers.map((p) => p.slowestAttemptMs))} ms`,
      ...[...ledger.samples].map(([code, message]) => `    e.g. ${code}: ${message}`),
      ...conservationTable([row], {
        head: ["publish errors", "pending after drain"],
        cells: () => [ledger.errorCount, info.pending],
      }).map((l) => `  ${l}`),
      ...(lostMeta.length > 0
        ? [`  lost: ${lostMeta.map((l) => `${l.id} (partition ${l.partition}, confirmed ${killAt - l.at} ms before the kill)`).join("; ")}`]
        : []),
    ];
    console.log(lines.join("\n"));
    summary.push([label, row.published, row.handled, row.duplicates, row.lost, `${ledger.errorCount} (${ledger.describeErrors()})`, failoverMs]);

    // Assertions.
    const parts = info.partitions ?? [info];
    assert.deepEqual(parts.map((p) => p.pending), parts.map(() => 0), "entries are stuck pending after the drain");
    assert.deepEqual(parts.map((p) => p.lag), parts.map(() => 0), "entries were never delivered after the drain");
    assert.equal(ledger.gaveUp.size, 0, "a publisher gave up on an event");
    // (each store operation of a publish — making the queue again after a failure, then the append — ends within
    // commandTimeoutMs, whatever the cluster is doing; two seconds of slack for a loaded machine)
    const slowest = Math.max(...publishers.map((p) => p.slowestAttemptMs));
    assert.ok(slowest <= 2 * PUBLISH_TIMEOUT_MS + 2_000, `a publish attempt took ${slowest} ms, with commandTimeoutMs ${PUBLISH_TIMEOUT_MS}`);
    // (a redirection is followed, never handed to the publisher as an error)
    assert.deepEqual(ledger.messages.filter((m) => /\b(MOVED|ASK) \d+/.test(m)), [], "a publish failed with a redirection");
    assert.equal(row.unconfirmed, 0, "events handled that no publisher had confirmed");
    if (waitForReplicas) {
      assert.equal(row.lost, 0, `with waitForReplicas, confirmed events were lost: ${row.lostIds.slice(0, 10).join(", ")}`);
    } else {
      for (const l of lostMeta) {
        assert.ok(onVictim.has(l.partition), `event ${l.id} was lost from partition ${l.partition}, which the killed master did not serve`);
        assert.ok(l.at <= killAt && killAt - l.at <= LOSS_WINDOW_MS, `event ${l.id} was lost, confirmed ${killAt - l.at} ms before the kill (outside the window of ${LOSS_WINDOW_MS} ms)`);
      }
    }
    assert.equal(row.handled + row.lost, row.published);
  } finally {
    await Promise.all(publishers.map((p) => p.stop()));
    await Promise.all(consumers.map((c) => c.stop().catch(() => {})));
    await Promise.all(transports.map((t) => t.close().catch(() => {})));
    await cluster.stop();
  }
}

describe("a master SIGKILLed under a partitioned queue's traffic, its replica promoted", { timeout: 150_000 }, () => {
  test("acknowledged by the master alone: losses only of what the killed master confirmed in its last moments; nothing stuck", { timeout: 75_000 }, async () => {
    await failoverRun("no WAIT", undefined);
  });

  test("waiting for a replica (waitForReplicas): no confirmed event lost; nothing stuck", { timeout: 75_000 }, async () => {
    await failoverRun("WAIT 1", { replicas: 1, timeoutMs: 1_000 });
  });
});
