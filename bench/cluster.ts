/**
 * Scale on Redis Cluster: one partitioned queue published and drained on a
 * single server, on a cluster of one master and on a cluster of three
 * (the same client, the same events); and the bus's fan-out on each,
 * measured two ways: eventwire's copies (a router reads the shared queue
 * `all` and writes a copy per subscribed service) against one consumer
 * group per service on the shared stream (a hand-written ioredis harness).
 * Besides events/s, it measures what the model of docs/scaling.md uses:
 * CPU per event of the client and of each Redis process, and the XADDs and
 * commands Redis ran per event (INFO cpu, commandstats and stats, before
 * and after each timed span).
 */
import { Cluster, Redis } from "ioredis";
import { connectRedis, EventBus, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../examples/shop/events.js";
import { RedisServer } from "../test/support/redis.js";
import { BenchCluster } from "./cluster-nodes.js";
import { handle } from "./hand.js";
import { seedEvents } from "./inputs.js";
import { count, median, now, percentile } from "./support.js";

const MAXLEN = 100_000;
const QUEUE = "orders";
const BUS = "all";

export interface ClusterSettings {
  /** Events per measured run of the partitioned queue (published, then drained). */
  readonly events: number;
  /** Events per measured run of the bus (published while routed and handled). */
  readonly busEvents: number;
  readonly rounds: number;
  /** Events per publishMany call, and per read of the consumers, routers and hand-written readers. */
  readonly batch: number;
  /** Partitions of the queue and of the bus's shared queue. */
  readonly partitions: number;
  /** Services subscribed to the bus: each count measured (so that the cost of one more shows). */
  readonly subscribers: readonly number[];
  /** The cluster sizes measured (masters), beside the single server. */
  readonly masters: readonly number[];
  /** Events of the warm-up run of each figure on each layout (not measured). */
  readonly warmUpEvents: number;
  /** Events per run of the replica figures: published in batches, and as many again one at a time. */
  readonly replicaEvents: number;
}

/** A figure over rounds: events/s, CPU per event (µs), and what Redis ran per event, each per round. */
export interface Measured {
  readonly perSecond: number[];
  /** This process (user and system). */
  readonly client: number[];
  /** Each Redis process, per round: one value per server (master), in the order of {@link ClusterResults.layouts}' nodes. */
  readonly redis: number[][];
  /** XADD calls per event, top-level or from scripts, summed over the servers. */
  readonly xadds: number[];
  /** Commands Redis ran per event, those run by scripts included (total_commands_processed), summed over the servers. */
  readonly commands: number[];
  /** Script calls per event (EVALSHA and EVAL, as clients sent them), summed over the servers. */
  readonly scripts: number[];
  /**
   * Per command (INFO commandstats: scripts' own calls are counted too),
   * calls and µs of Redis time per event, summed over the servers and the
   * rounds' events.
   */
  readonly byCommand: Record<string, { calls: number; usec: number }>;
}

export interface LayoutInfo {
  readonly name: string;
  readonly servers: number;
  /** Per partition of the queue, the server (index) that holds it. */
  readonly queuePartitions: number[];
  /** Per partition of the bus's shared queue, the server that holds it. */
  readonly busPartitions: number[];
  /** Per subscribed service (the most measured), the server that holds its subscription queue. */
  readonly subscriptionQueues: number[];
}

export interface ClusterResults {
  readonly settings: ClusterSettings;
  readonly layouts: LayoutInfo[];
  /** Per layout: publishMany of the partitioned queue, then draining it. */
  readonly queue: Record<string, { publish: Measured; drain: Measured }>;
  /** Per layout, per count of services: the bus end to end, with copies (eventwire) and with a group per service on the shared stream (hand-written). */
  readonly bus: Record<string, Record<string, { copies: Measured; groups: Measured }>>;
  /**
   * One master and one replica: publishing without and with
   * `waitForReplicas: { replicas: 1 }` (WAIT after each write). Per mode:
   * batches (servers: master, replica) and one at a time, each with the
   * latency of a call (ms, per round).
   */
  readonly replicas: Record<"none" | "wait", { batched: Measured & Latencies; one: Measured & Latencies }>;
}

export interface Latencies {
  /** Per round: the median and the 99th percentile of the calls' times, in ms. */
  readonly p50: number[];
  readonly p99: number[];
}

/** A place the figures are measured on: a single server or a private cluster, with a plain connection to each server. */
interface Layout {
  readonly name: string;
  readonly admins: readonly Redis[];
  connect(prefix: string): Promise<StreamTransport<ShopEvent>>;
  /** A client of its own (for a blocking reader). */
  client(): Redis;
  /** Which server holds `key`. */
  serverOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

async function singleServer(): Promise<Layout> {
  const server = await RedisServer.start();
  const admin = new Redis(server.url);
  return {
    name: "one server",
    admins: [admin],
    connect: (prefix) => connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger, maxLength: MAXLEN, prefix }),
    client: () => new Redis(server.url),
    serverOf: () => Promise.resolve(0),
    stop: async () => {
      admin.disconnect();
      await server.stop();
    },
  };
}

async function privateCluster(masters: number): Promise<Layout> {
  const cluster = await BenchCluster.start(masters);
  return {
    name: `cluster, ${masters} master${masters === 1 ? "" : "s"}`,
    admins: cluster.admins,
    connect: (prefix) => connectRedis({ registry: shopRegistry, cluster: cluster.seeds, logger: silentLogger, maxLength: MAXLEN, prefix }),
    // (a Cluster has the same commands as a Redis; typed as one for the reader loop)
    client: () => new Cluster(cluster.seeds.map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) }))) as unknown as Redis,
    serverOf: (key) => cluster.masterOf(key),
    stop: () => cluster.stop(),
  };
}

interface Sample {
  readonly cpu: number;
  readonly commands: number;
  readonly byCommand: Map<string, { calls: number; usec: number }>;
}

/** CPU of this process and of every server, XADDs and commands, over timed spans; one round per start/stop. */
class NodesMeter {
  readonly result: Measured = { perSecond: [], client: [], redis: [], xadds: [], commands: [], scripts: [], byCommand: {} };
  private before: Sample[] = [];
  private events = 0;
  private readonly totals = new Map<string, { calls: number; usec: number }>();
  private client: NodeJS.CpuUsage | undefined;
  private started = 0;
  constructor(private readonly admins: readonly Redis[]) {}

  private async read(): Promise<Sample[]> {
    return Promise.all(
      this.admins.map(async (a) => {
        const info = String(await a.call("INFO", "cpu", "commandstats", "stats"));
        const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
        const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
        const byCommand = new Map<string, { calls: number; usec: number }>();
        for (const [, name, calls, usec] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) byCommand.set(name!, { calls: Number(calls), usec: Number(usec) });
        return { cpu: (user + sys) * 1e6, byCommand, commands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1]) };
      }),
    );
  }

  async start(): Promise<void> {
    this.before = await this.read();
    this.client = process.cpuUsage();
    this.started = now();
  }

  /** Ends the span; the INFO calls themselves are left out of the time and of the command count. */
  async stop(events: number): Promise<void> {
    const seconds = (now() - this.started) / 1000;
    const used = process.cpuUsage(this.client);
    const after = await this.read();
    this.result.perSecond.push(events / seconds);
    this.result.client.push((used.user + used.system) / events);
    this.result.redis.push(after.map((x, i) => (x.cpu - this.before[i]!.cpu) / events));
    const calls = (x: Sample, name: string) => x.byCommand.get(name) ?? { calls: 0, usec: 0 };
    const delta = (name: string) => after.reduce((n, x, i) => n + calls(x, name).calls - calls(this.before[i]!, name).calls, 0);
    this.result.xadds.push(delta("xadd") / events);
    this.result.scripts.push((delta("evalsha") + delta("eval")) / events);
    this.events += events;
    for (const [i, x] of after.entries()) {
      for (const [name, c] of x.byCommand) {
        const was = calls(this.before[i]!, name);
        const total = this.totals.get(name) ?? { calls: 0, usec: 0 };
        total.calls += c.calls - was.calls;
        total.usec += c.usec - was.usec;
        this.totals.set(name, total);
      }
    }
    for (const [name, c] of this.totals) {
      if (c.calls > 0) this.result.byCommand[name] = { calls: c.calls / this.events, usec: c.usec / this.events };
    }
    // (each server's INFO call at the start is counted by it)
    this.result.commands.push((after.reduce((n, x, i) => n + x.commands - this.before[i]!.commands, 0) - this.admins.length) / events);
  }
}

/** The headline event, with a fresh id per copy (so that the partitions share the events evenly). */
function orders(n: number): ShopEvent[] {
  const seed = seedEvents[0]!;
  const out: ShopEvent[] = [];
  for (let i = 0; i < n; i++) out.push(shopRegistry.create(seed.eventType, seed.payload as never, { timestamp: seed.timestamp }));
  return out;
}

const consumerOptions = (batch: number) => ({ batchSize: batch, concurrency: batch * 2, blockMs: 100 });

/** Resolves when every `stats` has counted `events`; fails with what `failed` gives, when it gives something. */
async function handledAll(stats: readonly { readonly handled: number }[], events: number, what: string, failed: () => unknown = () => undefined): Promise<void> {
  const deadline = now() + 120_000;
  while (!stats.every((s) => s.handled >= events)) {
    const failure = failed();
    if (failure !== undefined) throw new Error(`${what}: a reader failed`, { cause: failure });
    if (now() > deadline) throw new Error(`${what}: only ${stats.map((s) => s.handled).join(", ")} of ${events} events handled after 120 s`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

let runs = 0;
const prefixOf = (what: string) => `bench-${what}-${++runs}:`;

/** Publishes `events` to a queue of `partitions` partitions in batches, then drains it with one consumer; each timed and metered apart. */
async function queueRun(layout: Layout, settings: ClusterSettings, events: number, meters?: { publish: NodesMeter; drain: NodesMeter }): Promise<void> {
  const t = await layout.connect(prefixOf("queue"));
  try {
    await t.setPartitions(QUEUE, settings.partitions);
    const all = orders(events);
    await meters?.publish.start();
    for (let i = 0; i < events; i += settings.batch) await t.publishMany(all.slice(i, i + settings.batch).map((event) => ({ queue: QUEUE, event })));
    await meters?.publish.stop(events);
    await meters?.drain.start();
    const consumer = await t.consume(QUEUE, { OrderCreatedEvent: (event) => handle(event.payload.items) }, consumerOptions(settings.batch));
    await handledAll([consumer.stats], events, `draining ${QUEUE} on ${layout.name}`);
    await meters?.drain.stop(events);
    await consumer.stop();
  } finally {
    await t.close();
  }
}

const services = (n: number) => ["billing", "shipping", "email", "analytics", "stock", "search"].slice(0, n).concat(Array.from({ length: Math.max(0, n - 6) }, (_, i) => `service-${i + 7}`));

/** The bus, as eventwire runs it: every event published to `all`, routed (one router per partition) to a queue per service, handled there. */
async function copiesRun(layout: Layout, settings: ClusterSettings, subscribers: number, events: number, meter?: NodesMeter): Promise<void> {
  const t = await layout.connect(prefixOf("copies"));
  try {
    const bus = new EventBus(t, { partitions: settings.partitions, router: { batchSize: settings.batch, blockMs: 100 } });
    const subscriptions = [];
    for (const service of services(subscribers)) {
      subscriptions.push(await bus.subscribe(service, { OrderCreatedEvent: (event) => handle(event.payload.items) }, consumerOptions(settings.batch)));
    }
    const all = orders(events);
    await meter?.start();
    for (let i = 0; i < events; i += settings.batch) await bus.publishMany(all.slice(i, i + settings.batch));
    await handledAll(
      subscriptions.map((s) => s.consumer.stats),
      events,
      `the bus with copies on ${layout.name}`,
    );
    await meter?.stop(events);
  } finally {
    await t.close();
  }
}

/**
 * The other design, written by hand: the same events published with
 * eventwire to the shared queue's partitions, and each service reading
 * every partition with a consumer group of its own (XREADGROUP COUNT
 * `batch` BLOCK 100, each entry's `data` parsed and handled, one XACK per
 * batch), a connection per service and partition.
 */
async function groupsRun(layout: Layout, settings: ClusterSettings, subscribers: number, events: number, meter?: NodesMeter): Promise<void> {
  const t = await layout.connect(prefixOf("groups"));
  const readers: Redis[] = [];
  try {
    await t.setPartitions(BUS, settings.partitions);
    const partitions = await t.partitionKeys(BUS);
    for (const k of partitions) await t.store.ensureQueue(k);
    const streams = partitions.map((k) => k.stream);
    const admin = layout.client();
    readers.push(admin);
    const names = services(subscribers);
    for (const stream of streams) for (const service of names) await admin.xgroup("CREATE", stream, service, "0", "MKSTREAM");
    const counts = names.map(() => ({ handled: 0 }));
    let stopping = false;
    let failure: unknown;
    const loops: Promise<void>[] = [];
    for (const [s, service] of names.entries()) {
      for (const stream of streams) {
        const reader = layout.client();
        readers.push(reader);
        loops.push(
          (async () => {
            while (!stopping) {
              const reply = (await reader.xreadgroupBuffer("GROUP", service, "hand", "COUNT", settings.batch, "BLOCK", 100, "STREAMS", stream, ">")) as
                | [Buffer, [Buffer, Buffer[]][]][]
                | null;
              if (!reply) continue;
              const entries = reply[0]![1];
              const ids: Buffer[] = [];
              for (const [id, fields] of entries) {
                const at = fields.findIndex((f, i) => i % 2 === 0 && f.toString("latin1") === "data");
                handle((JSON.parse(fields[at + 1]!.toString("utf8")) as { items: unknown[] }).items);
                ids.push(id);
              }
              await reader.xack(stream, service, ...ids);
              counts[s]!.handled += entries.length;
            }
          })().catch((error: unknown) => {
            failure ??= error;
          }),
        );
      }
    }
    const all = orders(events);
    await meter?.start();
    try {
      for (let i = 0; i < events; i += settings.batch) await t.publishMany(all.slice(i, i + settings.batch).map((event) => ({ queue: BUS, event })));
      await handledAll(counts, events, `the bus with a group per service on ${layout.name}`, () => failure);
      await meter?.stop(events);
    } finally {
      stopping = true;
      await Promise.all(loops);
    }
  } finally {
    for (const r of readers) r.disconnect();
    await t.close();
  }
}

/** A master with one replica (plain replication, as each shard of a cluster has), both private. */
async function replicated(): Promise<{ master: RedisServer; replica: RedisServer; admins: Redis[]; stop(): Promise<void> }> {
  const master = await RedisServer.start();
  const replica = await RedisServer.start({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  const admins = [new Redis(master.url), new Redis(replica.url)];
  const stop = async () => {
    for (const a of admins) a.disconnect();
    await Promise.all([replica.stop(), master.stop()]);
  };
  const deadline = now() + 30_000;
  while (!/master_link_status:up/.test(await admins[1]!.info("replication")) || !/connected_slaves:1/.test(await admins[0]!.info("replication"))) {
    if (now() > deadline) {
      await stop();
      throw new Error("the replica did not catch up with its master within 30 s");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { master, replica, admins, stop };
}

/** Publishing to one queue on a master with a replica, without and with WAIT: batches, then one event at a time, each call timed. */
async function replicaRun(
  url: string,
  wait: boolean,
  settings: ClusterSettings,
  events: number,
  meters?: { batched: NodesMeter; one: NodesMeter; latency: { batched: Latencies; one: Latencies } },
): Promise<void> {
  const t = await connectRedis({
    registry: shopRegistry,
    connection: url,
    logger: silentLogger,
    maxLength: MAXLEN,
    prefix: prefixOf(wait ? "wait" : "no-wait"),
    ...(wait ? { waitForReplicas: { replicas: 1, timeoutMs: 1000 } } : {}),
  });
  const record = (into: Latencies | undefined, times: number[]) => {
    const sorted = times.sort((a, b) => a - b);
    into?.p50.push(percentile(sorted, 0.5));
    into?.p99.push(percentile(sorted, 0.99));
  };
  try {
    const all = orders(events);
    await t.publish(QUEUE, all[0]!); // makes the queue
    let times: number[] = [];
    await meters?.batched.start();
    for (let i = 0; i < events; i += settings.batch) {
      const start = now();
      await t.publishMany(all.slice(i, i + settings.batch).map((event) => ({ queue: QUEUE, event })));
      times.push(now() - start);
    }
    await meters?.batched.stop(events);
    record(meters?.latency.batched, times);
    times = [];
    await meters?.one.start();
    for (const event of all) {
      const start = now();
      await t.publish(QUEUE, event);
      times.push(now() - start);
    }
    await meters?.one.stop(events);
    record(meters?.latency.one, times);
  } finally {
    await t.close();
  }
}

/** Where the partitions and subscription queues of the runs land (the prefix does not matter on a cluster: the hash tag is the queue's name). */
async function placement(layout: Layout, settings: ClusterSettings): Promise<LayoutInfo> {
  const tag = (name: string, p: number) => `x{${p === 0 ? name : `${name}#${p}`}}`;
  const partitions = Array.from({ length: settings.partitions }, (_, p) => p);
  return {
    name: layout.name,
    servers: layout.admins.length,
    queuePartitions: await Promise.all(partitions.map((p) => layout.serverOf(tag(QUEUE, p)))),
    busPartitions: await Promise.all(partitions.map((p) => layout.serverOf(tag(BUS, p)))),
    subscriptionQueues: await Promise.all(services(Math.max(...settings.subscribers)).map((s) => layout.serverOf(tag(`sub:${s}`, 0)))),
  };
}

export async function clusterBench(settings: ClusterSettings, log: (line: string) => void): Promise<ClusterResults> {
  const layouts: Layout[] = [];
  try {
    log("cluster: starting a private redis-server");
    layouts.push(await singleServer());
    for (const masters of settings.masters) {
      log(`cluster: starting a private cluster of ${masters} master${masters === 1 ? "" : "s"}, no replicas`);
      layouts.push(await privateCluster(masters));
    }
    const infos = await Promise.all(layouts.map((l) => placement(l, settings)));
    const meters = layouts.map((l) => ({
      publish: new NodesMeter(l.admins),
      drain: new NodesMeter(l.admins),
      bus: new Map(settings.subscribers.map((n) => [n, { copies: new NodesMeter(l.admins), groups: new NodesMeter(l.admins) }])),
    }));
    const most = Math.max(...settings.subscribers);
    const warmUp = settings.warmUpEvents;
    for (const l of warmUp > 0 ? layouts : []) {
      log(`cluster: warming up on ${l.name}`);
      await queueRun(l, settings, warmUp);
      await copiesRun(l, settings, most, warmUp);
      await groupsRun(l, settings, most, warmUp);
    }
    for (let r = 0; r < settings.rounds; r++) {
      for (const [i, l] of layouts.entries()) {
        log(`cluster: round ${r + 1}/${settings.rounds}, ${l.name}: a queue of ${settings.partitions} partitions`);
        await queueRun(l, settings, settings.events, meters[i]!);
        for (const [n, m] of meters[i]!.bus) {
          log(`cluster: round ${r + 1}/${settings.rounds}, ${l.name}: the bus, ${n} service${n === 1 ? "" : "s"}, copies and a group per service`);
          await copiesRun(l, settings, n, settings.busEvents, m.copies);
          await groupsRun(l, settings, n, settings.busEvents, m.groups);
        }
      }
    }
    log("cluster: a master and its replica, publishing without and with WAIT");
    const pair = await replicated();
    const waitMeters = () => ({ batched: new NodesMeter(pair.admins), one: new NodesMeter(pair.admins), latency: { batched: { p50: [] as number[], p99: [] as number[] }, one: { p50: [] as number[], p99: [] as number[] } } });
    const waits = { none: waitMeters(), wait: waitMeters() };
    try {
      if (warmUp > 0) for (const wait of [false, true]) await replicaRun(pair.master.url, wait, settings, Math.min(warmUp, settings.replicaEvents));
      for (let r = 0; r < settings.rounds; r++) {
        for (const wait of [false, true]) await replicaRun(pair.master.url, wait, settings, settings.replicaEvents, waits[wait ? "wait" : "none"]);
      }
    } finally {
      await pair.stop();
    }
    const both = (w: ReturnType<typeof waitMeters>) => ({ batched: { ...w.batched.result, ...w.latency.batched }, one: { ...w.one.result, ...w.latency.one } });
    const replicas = { none: both(waits.none), wait: both(waits.wait) };
    return {
      settings,
      replicas,
      layouts: infos,
      queue: Object.fromEntries(layouts.map((l, i) => [l.name, { publish: meters[i]!.publish.result, drain: meters[i]!.drain.result }])),
      bus: Object.fromEntries(
        layouts.map((l, i) => [l.name, Object.fromEntries([...meters[i]!.bus].map(([n, m]) => [String(n), { copies: m.copies.result, groups: m.groups.result }]))]),
      ),
    };
  } finally {
    await Promise.all(layouts.map((l) => l.stop()));
  }
}

/** The tables `npm run bench` prints: title, headers, rows. */
export function clusterTables(r: ClusterResults): [string, string[], string[][]][] {
  const us = (x: number) => x.toFixed(1);
  const headers = ["figure, layout", "events/s", "client µs/event", "Redis µs/event", "… per server", "XADD/event", "script calls/event", "commands/event", "Redis-bound ceiling", "per client core"];
  const row = (label: string, m: Measured): string[] => {
    const servers = m.redis[0]?.length ?? 0;
    const perServer = Array.from({ length: servers }, (_, i) => median(m.redis.map((round) => round[i]!)));
    const redis = median(m.redis.map((round) => round.reduce((a, b) => a + b, 0)));
    return [
      label,
      count(median(m.perSecond)),
      us(median(m.client)),
      us(redis),
      servers > 1 ? perServer.map(us).join(" / ") : "",
      median(m.xadds).toFixed(2),
      median(m.scripts).toFixed(2),
      median(m.commands).toFixed(2),
      count(1e6 / Math.max(...perServer)),
      count(1e6 / median(m.client)),
    ];
  };
  const s = r.settings;
  const spread = (servers: number, at: number[]) => Array.from({ length: servers }, (_, i) => at.filter((x) => x === i).length).join(" / ");
  const queueRows: string[][] = [];
  for (const what of ["publish", "drain"] as const) {
    for (const l of r.layouts) {
      const label = `${what === "publish" ? `publishMany, batches of ${s.batch}` : `draining, batchSize ${s.batch}`}: ${l.name}${l.servers > 1 ? ` (partitions ${spread(l.servers, l.queuePartitions)})` : ""}`;
      queueRows.push(row(label, r.queue[l.name]![what]));
    }
  }
  const busRows: string[][] = [];
  for (const design of ["copies", "groups"] as const) {
    for (const n of s.subscribers) {
      for (const l of r.layouts) {
        const queues = spread(l.servers, l.subscriptionQueues.slice(0, n));
        const where = l.servers > 1 ? ` (partitions ${spread(l.servers, l.busPartitions)}${design === "copies" ? `; subscription queues ${queues}` : ""})` : "";
        const label = `${design === "copies" ? "copies (eventwire)" : "a group per service (by hand)"}, ${n} service${n === 1 ? "" : "s"}: ${l.name}${where}`;
        busRows.push(row(label, r.bus[l.name]![String(n)]![design]));
      }
    }
  }
  return [
    [
      `Redis Cluster: one queue of ${s.partitions} partitions, ${count(s.events)} JSON events published, then drained (medians of ${s.rounds} rounds; CPU per event of this process and of each Redis server; commands/event counts those scripts run; the ceilings: 1e6 / the busiest server's µs, and 1e6 / the client's µs)`,
      headers,
      queueRows,
    ],
    [
      `The bus end to end: ${s.subscribers.join(" or ")} services subscribed to every event, ${s.partitions} partitions of \`all\`, ${count(s.busEvents)} events published in batches of ${s.batch} while routed and handled (medians of ${s.rounds} rounds)`,
      headers,
      busRows,
    ],
    [
      `Waiting for a replica: one master and one replica on loopback, ${count(s.replicaEvents)} events published in batches of ${s.batch}, then as many one at a time (each awaited), without and with \`waitForReplicas: { replicas: 1 }\` (WAIT after each write; medians of ${s.rounds} rounds)`,
      ["figure", "events/s", "call p50 (ms)", "call p99 (ms)", "client µs/event", "master µs/event", "replica µs/event"],
      (["batched", "one"] as const).flatMap((how) =>
        (["none", "wait"] as const).map((mode) => {
          const m = r.replicas[mode][how];
          return [
            `${how === "batched" ? `publishMany, batches of ${s.batch}` : "publish, one at a time"}${mode === "wait" ? ", with WAIT" : ""}`,
            count(median(m.perSecond)),
            median(m.p50).toFixed(3),
            median(m.p99).toFixed(3),
            us(median(m.client)),
            us(median(m.redis.map((x) => x[0]!))),
            us(median(m.redis.map((x) => x[1]!))),
          ];
        }),
      ),
    ],
  ];
}
