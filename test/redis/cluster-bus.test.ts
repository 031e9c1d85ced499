// The event bus on a Redis Cluster of its own (3 masters with a replica
// each) through faults: three services (billing and shipping with two
// replicas each, audit with one; their subscription queues laid out on
// different masters, audit's alone on its master), the shared queue in 3
// partitions, a router in every replica's and every publisher's bus (each
// with a transport of its own, in this process), every write waiting for a
// replica. Three phases, each counted in a conservation table per service:
// 1. Normal operation: every service handles every event of its types
//    exactly once (no duplicates).
// 2. audit's master refuses writes for a while (`maxmemory 1` with
//    `noeviction`: OOM), then takes them again. Routing to audit fails and
//    is tried again after the routers' claimIdleMs, by whichever router
//    reclaims the entries; billing and shipping, which took their copies,
//    get none again (asserted: no duplicates); once writes are taken again,
//    audit gets every event it missed (asserted: none lost).
// 3. billing's master SIGKILLed, its replica promoted (the killed node
//    back as its replica): every service still gets every event of its
//    types, none lost (asserted); duplicates are allowed (at least once)
//    and reported, as are the errors publishers retried; every publish
//    attempt ends within two of the publishers' commandTimeoutMs (the
//    queue made again after a failure, then the append; plus two seconds of
//    slack), through the failover too.
// And on its own, at the level of the store: an entry whose routing failed
// at one destination, reclaimed and routed by another router (another
// process, which never saw the first try), is copied only to that
// destination.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectRedis, EventBus, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { SERVICE_NAMES, SERVICES, wants, type Service } from "../chaos/plan.js";
import { keySlot, RedisCluster } from "../support/cluster.js";
import { conservationTable, Ledger, Publisher, shopEvent, type Confirmation } from "../support/conservation.js";
import { until } from "../support/wait.js";

const PREFIX = "cb:";
const CLAIM_IDLE_MS = 2_000;
const CONSUMER_OPTIONS = { concurrency: 4, batchSize: 20, blockMs: 200, claimIdleMs: CLAIM_IDLE_MS, claimIntervalMs: 500, shutdownTimeoutMs: 3_000 } as const;
const ROUTER_OPTIONS = { blockMs: 200, claimIdleMs: CLAIM_IDLE_MS, claimIntervalMs: 500, shutdownTimeoutMs: 3_000 } as const;
const WAIT = { replicas: 1, timeoutMs: 1_000 } as const;
/** The service whose master refuses writes in phase 2, and the one whose master is killed in phase 3. */
const BLOCKED: Service = "audit";
const KILLED: Service = "billing";

describe("the event bus on a Redis Cluster, through faults", { timeout: 170_000 }, () => {
  test("a router that reclaims an entry whose routing failed at one destination copies it only there", { timeout: 40_000 }, async () => {
    const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    const prefix = "rp:";
    const transports: StreamTransport<ShopEvent>[] = [];
    let refusing: string | undefined;
    try {
      // x's queue alone on its master (empty slots move at once)
      const x = keySlot(`${prefix}{sub:x}`);
      refusing = await cluster.masterOfSlot(x);
      const rest = (await cluster.masters()).filter((m) => m !== refusing);
      for (const key of [`${prefix}{all}`, `${prefix}{sub:y}`, `${prefix}subscriptions`, `${prefix}registry`, `${prefix}{eventwire}:schemas`]) {
        if ((await cluster.masterOf(key)) === refusing) await cluster.moveSlot(keySlot(key), rest[0]!);
      }
      for (let i = 0; i < 2; i++) transports.push(await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], prefix, logger: silentLogger, commandTimeoutMs: 3_000 }));
      const [a, b] = transports as [StreamTransport<ShopEvent>, StreamTransport<ShopEvent>];
      const all = a.keys("all");
      for (const service of ["x", "y"]) {
        await a.store.ensureQueue(a.keys(`sub:${service}`));
        await a.store.setSubscription(prefix, service, ["*"]);
      }
      await a.publish("all", shopEvent("rp", 1));
      const limits = { maxLength: 1_000, trim: "acknowledged" } as const;
      const routeEntries = (entries: readonly { id: string; fields: ReadonlyMap<string, Buffer> }[]) =>
        entries.map((e) => ({ id: e.id, eventType: "OrderCreatedEvent", expireAt: null, fields: [...e.fields].flatMap(([k, v]) => [Buffer.from(k), v]) }));
      const length = async (queue: string) => Number(await cluster.command(await cluster.masterOf(a.keys(queue).stream), "XLEN", a.keys(queue).stream));

      // router A reads the entry; x's master refuses writes, so its copy fails and y's is made
      const read = await a.store.readNew(all, "router-a", 10, 100);
      assert.equal(read.length, 1);
      await cluster.command(refusing, "CONFIG", "SET", "maxmemory-policy", "noeviction");
      await cluster.command(refusing, "CONFIG", "SET", "maxmemory", "1");
      await assert.rejects(a.store.route(all, "router-a", routeEntries(read), limits), /OOM/);
      assert.deepEqual([await length("sub:x"), await length("sub:y")], [0, 1]);
      await cluster.command(refusing, "CONFIG", "SET", "maxmemory", "0");

      // router B, in another transport, reclaims it and routes it: x gets its copy, y none again
      const claimed = await b.store.claimIdle(all, "router-b", 0, "0-0", 10);
      assert.deepEqual(claimed.entries.map((e) => e.id), read.map((e) => e.id));
      const routed = await b.store.route(all, "router-b", routeEntries(claimed.entries), limits);
      assert.deepEqual(routed.entries, [{ copies: 2, parked: 0 }]);
      assert.deepEqual([await length("sub:x"), await length("sub:y")], [1, 1], "y was given a second copy");
      assert.equal((await a.info("all")).pending, 0);
      assert.equal(Number(await cluster.command(await cluster.masterOf(all.stream), "EXISTS", `${all.stream}:routing`)), 0, "the routing progress outlived the entry's acknowledgement");
    } finally {
      if (refusing) await cluster.command(refusing, "CONFIG", "SET", "maxmemory", "0").catch(() => {});
      await Promise.all(transports.map((t) => t.close().catch(() => {})));
      await cluster.stop();
    }
  });

  test("exactly once normally; a destination refusing writes costs only itself; a subscription queue's master killed loses nothing", { timeout: 160_000 }, async () => {
    const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    const transports: StreamTransport<ShopEvent>[] = [];
    const buses: EventBus<ShopEvent>[] = [];
    let publishers: Publisher[] = [];
    const connect = async (commandTimeoutMs = 5_000) => {
      const t = await connectRedis({ registry: shopRegistry, cluster: [...cluster.seeds], prefix: PREFIX, logger: silentLogger, commandTimeoutMs, waitForReplicas: WAIT });
      transports.push(t);
      return t;
    };
    let blockedMaster: string | undefined;
    try {
      // The layout, before any key exists (empty slots move at once): audit's queue alone on its master; billing's and shipping's on the two others.
      const queueKey = (queue: string) => `${PREFIX}{${queue}}`;
      const slotOf = {
        blocked: keySlot(queueKey(`sub:${BLOCKED}`)),
        others: [
          ...["all", "all#1", "all#2", ...SERVICE_NAMES.filter((s) => s !== BLOCKED).map((s) => `sub:${s}`)].map((q) => keySlot(queueKey(q))),
          keySlot(`${PREFIX}subscriptions`),
          keySlot(`${PREFIX}registry`),
          keySlot(`${PREFIX}{eventwire}:schemas`),
        ],
      };
      blockedMaster = await cluster.masterOfSlot(slotOf.blocked);
      const rest = (await cluster.masters()).filter((m) => m !== blockedMaster);
      for (const slot of slotOf.others) if ((await cluster.masterOfSlot(slot)) === blockedMaster) await cluster.moveSlot(slot, rest[0]!);
      const [billingSlot, shippingSlot] = [keySlot(queueKey("sub:billing")), keySlot(queueKey("sub:shipping"))];
      if ((await cluster.masterOfSlot(billingSlot)) === (await cluster.masterOfSlot(shippingSlot))) {
        const other = rest.find((m) => m !== rest[0])!;
        await cluster.moveSlot(shippingSlot, (await cluster.masterOfSlot(billingSlot)) === other ? rest[0]! : other);
      }
      const layout = new Map<string, string>();
      for (const q of ["all", "all#1", "all#2", ...SERVICE_NAMES.map((s) => `sub:${s}`)]) layout.set(q, await cluster.masterOf(queueKey(q)));
      assert.equal(new Set(SERVICE_NAMES.map((s) => layout.get(`sub:${s}`))).size, 3, "the subscription queues are not on three masters");
      for (const [q, m] of layout) if (q !== `sub:${BLOCKED}`) assert.notEqual(m, blockedMaster, `${q} is on ${BLOCKED}'s master`);

      const ledger = new Ledger();
      let reclaims = 0;
      for (const service of SERVICE_NAMES) {
        for (let i = 1; i <= SERVICES[service].replicas; i++) {
          const t = await connect();
          t.on("reclaim", (e) => void (e.source === "router" && (reclaims += e.streamIds.length)));
          const bus = new EventBus(t, { partitions: 3, router: { ...ROUTER_OPTIONS, consumer: `router-${service}-${i}` } });
          buses.push(bus);
          await bus.subscribe(service, { "*": (event) => ledger.handle(service, event.eventId) }, { ...CONSUMER_OPTIONS, consumer: `${service}-${i}`, eventTypes: SERVICES[service].types });
        }
      }
      const publisherBuses: EventBus<ShopEvent>[] = [];
      for (let i = 1; i <= 2; i++) {
        const t = await connect(2_000);
        t.on("reclaim", (e) => void (e.source === "router" && (reclaims += e.streamIds.length)));
        const bus = new EventBus(t, { partitions: 3, router: { ...ROUTER_OPTIONS, consumer: `router-pub-${i}` } });
        await bus.start();
        buses.push(bus);
        publisherBuses.push(bus);
      }
      let run = 0;
      const publish = () => {
        run++;
        publishers = publisherBuses.map((bus, i) => new Publisher(`cb${run}-p${i + 1}`, ledger, (event) => bus.publish(event), { pauseMs: 15 }));
      };
      const inPhase = (from: number, to: number, service: Service) => (c: Confirmation) => c.at >= from && c.at <= to && wants(service, c.type);
      const drained = async (what: string, from: number, to: number, timeoutMs = 45_000) => {
        await until(`${what}: every service to handle every confirmed event of its types`, () => SERVICE_NAMES.every((s) => ledger.complete(s, inPhase(from, to, s))), timeoutMs, 200);
        const admin = transports[0]!;
        await until(
          `${what}: nothing pending or undelivered in the shared queue and the subscription queues`,
          async () => {
            const infos = await Promise.all(["all", ...SERVICE_NAMES.map((s) => `sub:${s}`)].map((q) => admin.info(q)));
            return infos.flatMap((i) => i.partitions ?? [i]).every((p) => p.pending === 0 && p.lag === 0);
          },
          30_000,
          200,
        );
      };
      const report = (title: string, from: number, to: number, extra: string[] = []) => {
        const rows = SERVICE_NAMES.map((s) => ledger.row(s, inPhase(from, to, s)));
        console.log(
          [
            title,
            ...extra.map((l) => `  ${l}`),
            `  publish errors (each retried): ${ledger.describeErrors()}; the slowest publish took ${Math.max(...publishers.map((p) => p.slowestMs))} ms, its slowest attempt ${Math.max(...publishers.map((p) => p.slowestAttemptMs))} ms`,
            ...conservationTable(rows).map((l) => `  ${l}`),
          ].join("\n"),
        );
        ledger.errors.clear();
        return rows;
      };

      // 1. Normal operation.
      let from = Date.now();
      publish();
      await until("150 events confirmed", () => ledger.confirmed.size >= 150, 30_000);
      await Promise.all(publishers.map((p) => p.stop()));
      let to = Date.now();
      await drained("normal operation", from, to);
      const normal = report(
        `1. normal operation; queues: ${[...layout].map(([q, m]) => `${q}@${m}`).join(", ")}`,
        from,
        to,
      );
      for (const row of normal) {
        assert.equal(row.lost, 0, `${row.target}: events lost in normal operation`);
        assert.equal(row.duplicates, 0, `${row.target}: events handled more than once in normal operation`);
      }

      // 2. audit's master refuses writes (OOM), then takes them again.
      const reclaimsBefore = reclaims;
      await cluster.command(blockedMaster, "CONFIG", "SET", "maxmemory-policy", "noeviction");
      await cluster.command(blockedMaster, "CONFIG", "SET", "maxmemory", "1");
      from = Date.now();
      publish();
      await until("100 events confirmed while audit's master refuses writes", () => [...ledger.confirmed.values()].filter((c) => c.at >= from).length >= 100, 30_000);
      await Promise.all(publishers.map((p) => p.stop()));
      to = Date.now();
      const others = SERVICE_NAMES.filter((s) => s !== BLOCKED);
      await until("the other services to handle every event of the fault", () => others.every((s) => ledger.complete(s, inPhase(from, to, s))), 30_000, 200);
      const blockedGot = ledger.row(BLOCKED, inPhase(from, to, BLOCKED)).handled;
      // routing to audit tried again (after claimIdleMs) at least twice over while it refuses
      const held = [...ledger.confirmed.values()].filter((c) => c.at >= from).length;
      await until("the fault's entries reclaimed by the routers twice over", () => reclaims - reclaimsBefore >= 2 * held, 6 * CLAIM_IDLE_MS + 10_000, 100);
      const heldMs = Date.now() - from;
      await cluster.command(blockedMaster, "CONFIG", "SET", "maxmemory", "0");
      await drained("after the destination takes writes again", from, to);
      const refused = report(`2. ${BLOCKED}'s master (${blockedMaster}) refusing writes (OOM) for ${heldMs} ms, then taking them`, from, to, [
        `${BLOCKED} handled ${blockedGot} of these events while its master refused writes; entries reclaimed by routers meanwhile: ${reclaims - reclaimsBefore}`,
      ]);
      for (const row of refused) {
        assert.equal(row.lost, 0, `${row.target}: events lost while ${BLOCKED}'s master refused writes`);
        if (row.target !== BLOCKED) assert.equal(row.duplicates, 0, `${row.target} received copies again when routing to ${BLOCKED} was retried`);
      }
      assert.equal(blockedGot, 0, `${BLOCKED} received events while its master refused writes: the fault did not hold`);

      // 3. billing's master killed, its replica promoted, the killed node back as its replica.
      const victim = layout.get(`sub:${KILLED}`)!;
      from = Date.now();
      publish();
      await until("100 events confirmed before the kill", () => [...ledger.confirmed.values()].filter((c) => c.at >= from).length >= 100, 30_000);
      const killAt = Date.now();
      await cluster.kill(victim);
      const promoted = await cluster.waitForFailover(victim, 30_000);
      const failoverMs = Date.now() - killAt;
      await cluster.restart(victim);
      await until("100 events confirmed after the failover", () => [...ledger.confirmed.values()].filter((c) => c.at >= killAt + failoverMs).length >= 100, 40_000);
      await Promise.all(publishers.map((p) => p.stop()));
      to = Date.now();
      await drained("after the failover", from, to, 60_000);
      const killed = report(`3. ${KILLED}'s master (${victim}) SIGKILLed; ${promoted} promoted in ${failoverMs} ms, the killed node back as its replica`, from, to);
      for (const row of killed) assert.equal(row.lost, 0, `${row.target}: events lost in the failover`);
      assert.equal(ledger.gaveUp.size, 0, "a publisher gave up on an event");
      const slowest = Math.max(...publishers.map((p) => p.slowestAttemptMs));
      assert.ok(slowest <= 2 * 2_000 + 2_000, `a publish attempt took ${slowest} ms through the failover, with commandTimeoutMs 2000 (for each of its store operations)`);
      assert.deepEqual(ledger.messages.filter((m) => /\b(MOVED|ASK) \d+/.test(m)), [], "a publish failed with a redirection");
    } finally {
      await Promise.all(publishers.map((p) => p.stop()));
      if (blockedMaster) await cluster.command(blockedMaster, "CONFIG", "SET", "maxmemory", "0").catch(() => {});
      await Promise.all(buses.map((b) => b.stop().catch(() => {})));
      await Promise.all(transports.map((t) => t.close().catch(() => {})));
      await cluster.stop();
    }
  });
});
