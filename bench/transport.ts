/**
 * The transport measurements, on a private redis-server: the redis-benchmark
 * XADD ceiling; publishing one at a time and batched; draining a pre-filled
 * queue; end to end (publish → consumer group → typed handler →
 * acknowledgement); each batched figure side by side with the hand-written
 * ioredis loops of hand.ts, in both entry formats; latency at a fixed
 * offered rate; and memory over a million events.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type EntryFormat, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../examples/shop/events.js";
import { handConsume, handle, handPublish, loadStatic, type StaticCodecs } from "./hand.js";
import { seedEvents } from "./inputs.js";
import { median, now, percentile, runChild } from "./support.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const MAXLEN = 100_000;

export interface TransportSettings {
  /** Events per measured run of the throughput figures. */
  readonly events: number;
  readonly rounds: number;
  /** Events per publishMany call, and per read of the consumers. */
  readonly batch: number;
  readonly latencySeconds: number;
  readonly latencyRate: number;
  /** Seconds of publishing at the latency rate before the latency samples count. */
  readonly latencyWarmUpSeconds: number;
  readonly memoryEvents: number;
}

export interface Rate {
  /** Events per second, per round. */
  readonly perSecond: number[];
}

export interface TransportResults {
  readonly settings: TransportSettings;
  readonly entryBytes: Record<EntryFormat, number>;
  readonly ceiling: Record<EntryFormat, Rate>;
  readonly publishOne: Record<EntryFormat, Rate>;
  readonly publishBatched: Record<EntryFormat, Rate>;
  /** The hand-written pipelined XADD of the same entries. */
  readonly handPublish: Record<EntryFormat, Rate>;
  /** Draining a pre-filled queue: eventwire's consumer, and the hand-written loop. */
  readonly drain: Record<EntryFormat, Rate>;
  readonly handDrain: Record<EntryFormat, Rate>;
  readonly endToEnd: Record<EntryFormat, Rate>;
  readonly handEndToEnd: Record<EntryFormat, Rate>;
  /** CPU per event of the batched publishers and the draining consumers, eventwire's and the hand-written. */
  readonly cpu: Record<"publishBatched" | "handPublish" | "drain" | "handDrain", Record<EntryFormat, CpuPerEvent>>;
  readonly latency: Record<EntryFormat, { p50: number; p99: number; p999: number; max: number; samples: number; offeredPerSecond: number; achievedPerSecond: number }>;
  readonly memory: MemoryResult;
}

export interface MemoryResult {
  readonly format: EntryFormat;
  readonly rssAt100k: number;
  readonly rssAt1M: number;
  readonly heapAt100k: number;
  readonly heapAt1M: number;
  readonly handled: number;
}

/** CPU per event, in µs, over the timed part of each round: this process's (user and system) and the redis-server's. */
export interface CpuPerEvent {
  readonly client: number[];
  readonly redis: number[];
}

/** Measures CPU time of this process and of the redis-server (INFO cpu) over a span. */
export class CpuMeter {
  readonly client: number[] = [];
  readonly redis: number[] = [];
  private startClient: NodeJS.CpuUsage | undefined;
  private startRedis = 0;
  constructor(private readonly admin: Redis) {}

  private async redisMicros(): Promise<number> {
    const info = await this.admin.info("cpu");
    const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
    const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
    return (user + sys) * 1e6;
  }

  async start(): Promise<void> {
    this.startRedis = await this.redisMicros();
    this.startClient = process.cpuUsage();
  }

  async stop(events: number): Promise<void> {
    const used = process.cpuUsage(this.startClient);
    const redis = await this.redisMicros();
    this.client.push((used.user + used.system) / events);
    this.redis.push((redis - this.startRedis) / events);
  }

  get result(): CpuPerEvent {
    return { client: this.client, redis: this.redis };
  }
}

let queueCounter = 0;
const queueName = (what: string) => `bench-${what}-${++queueCounter}-${process.pid}`;

/** The headline event, with a fresh id per copy. */
function orders(n: number): ShopEvent[] {
  const seed = seedEvents[0]!;
  const out: ShopEvent[] = [];
  for (let i = 0; i < n; i++) out.push(shopRegistry.create(seed.eventType, seed.payload as never, { timestamp: seed.timestamp }));
  return out;
}

/** The fields of an entry holding the headline event, as the transport writes it, and their size in bytes. */
async function sampleEntry(t: StreamTransport<ShopEvent>, redis: Redis, format: EntryFormat): Promise<{ fields: (string | Buffer)[]; bytes: number }> {
  const queue = queueName(`sample-${format}`);
  const { streamId } = await t.publish(queue, orders(1)[0]!, { format });
  const [entry] = (await redis.xrangeBuffer(t.keys(queue).stream, streamId, streamId)) as unknown as [Buffer, Buffer[]][];
  const fields = entry![1].map((f) => (/^[\x20-\x7e]*$/.test(f.toString("latin1")) ? f.toString("latin1") : f));
  return { fields, bytes: entry![1].reduce((n, f) => n + f.length, 0) };
}

/**
 * redis-benchmark's XADD rate with entries of the same fields and sizes
 * (binary values replaced by as many printable bytes: a command line cannot
 * carry them), `-P 16`, its other settings at their defaults (50 clients).
 */
async function ceiling(port: number, fields: readonly (string | Buffer)[], format: EntryFormat, rounds: number, events: number): Promise<Rate> {
  const args = fields.map((f) => (typeof f === "string" ? f : "x".repeat(f.length)));
  const perSecond: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const csv = await run("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-n", String(events * 2), "-P", "16", "--csv", "XADD", `bench:ceiling:${format}`, "MAXLEN", "~", String(MAXLEN), "*", ...args]);
    const line = csv.trim().split("\n").at(-1) ?? "";
    // (the command is quoted unescaped: count the columns from the end)
    const rps = Number(line.split(",").at(-7)?.replace(/"/g, ""));
    if (!Number.isFinite(rps)) throw new Error(`redis-benchmark said: ${csv}`);
    perSecond.push(rps);
  }
  return { perSecond };
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err}`))));
  });
}

async function publishOne(t: StreamTransport<ShopEvent>, format: EntryFormat, rounds: number, events: number): Promise<Rate> {
  const perSecond: number[] = [];
  const all = orders(events);
  for (let r = 0; r < rounds; r++) {
    const queue = queueName("publish-one");
    await t.publish(queue, all[0]!, { format }); // creates the queue
    const start = now();
    for (const e of all) await t.publish(queue, e, { format });
    perSecond.push(events / ((now() - start) / 1000));
  }
  return { perSecond };
}

export async function publishBatched(t: StreamTransport<ShopEvent>, format: EntryFormat, rounds: number, events: number, batch: number, cpu?: CpuMeter): Promise<Rate> {
  const perSecond: number[] = [];
  const all = orders(events);
  for (let r = 0; r < rounds; r++) {
    const queue = queueName("publish-batched");
    await t.publish(queue, all[0]!, { format });
    await cpu?.start();
    const start = now();
    for (let i = 0; i < events; i += batch) {
      await t.publishMany(all.slice(i, i + batch).map((event) => ({ queue, event, options: { format } })));
    }
    perSecond.push(events / ((now() - start) / 1000));
    await cpu?.stop(events);
  }
  return { perSecond };
}

/**
 * Publish (batched) → consumer group → typed handler → acknowledgement, in
 * one process: the time from the first publish until the last event is
 * acknowledged.
 */
export async function endToEnd(t: StreamTransport<ShopEvent>, format: EntryFormat, events: number, batch: number): Promise<number> {
  const queue = queueName(`e2e-${format}`);
  const all = orders(events);
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = await t.consume(
    queue,
    {
      OrderCreatedEvent: (event) => handle(event.payload.items),
    },
    consumerOptions(batch),
  );
  const start = now();
  const publishing = (async () => {
    for (let i = 0; i < events; i += batch) {
      await t.publishMany(all.slice(i, i + batch).map((event) => ({ queue, event, options: { format } })));
    }
  })();
  const poll = setInterval(() => {
    handled = consumer.stats.handled;
    if (handled >= events) done();
  }, 1);
  await publishing;
  await finished;
  const seconds = (now() - start) / 1000;
  clearInterval(poll);
  await consumer.stop();
  return events / seconds;
}

/** The consumer options of the throughput figures: batches as large as the hand loop's, and room for two of them. */
const consumerOptions = (batch: number) => ({ batchSize: batch, concurrency: batch * 2, blockMs: 100 });

/** Resolves when `consumer` has acknowledged `events` entries. */
function handledAll(stats: { handled: number }, events: number): { done: Promise<void>; stop: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const poll = setInterval(() => {
    if (stats.handled >= events) finish();
  }, 1);
  return { done, stop: () => clearInterval(poll) };
}

/** eventwire's consumer draining a queue filled beforehand (not timed): the time from its start to the last acknowledgement. */
export async function drain(t: StreamTransport<ShopEvent>, format: EntryFormat, events: number, batch: number, cpu?: CpuMeter): Promise<number> {
  const queue = queueName(`drain-${format}`);
  const all = orders(events);
  for (let i = 0; i < events; i += 1000) await t.publishMany(all.slice(i, i + 1000).map((event) => ({ queue, event, options: { format } })));
  await cpu?.start();
  const start = now();
  const consumer = await t.consume(queue, { OrderCreatedEvent: (event) => handle(event.payload.items) }, consumerOptions(batch));
  const watch = handledAll(consumer.stats, events);
  await watch.done;
  const seconds = (now() - start) / 1000;
  await cpu?.stop(events);
  watch.stop();
  await consumer.stop();
  return events / seconds;
}

/** The hand-written loop draining a queue filled beforehand by the hand-written publisher. */
export async function handDrain(url: string, codecs: StaticCodecs, format: EntryFormat, events: number, batch: number, cpu?: CpuMeter): Promise<number> {
  const stream = queueName(`hand-drain-${format}`);
  const redis = new Redis(url);
  try {
    await redis.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
    await handPublish(redis, stream, format, codecs, events, 1000, MAXLEN);
    await cpu?.start();
    const start = now();
    await handConsume(redis, stream, "workers", format, codecs, events, batch);
    const rate = events / ((now() - start) / 1000);
    await cpu?.stop(events);
    return rate;
  } finally {
    redis.disconnect();
  }
}

/** The hand-written pipelined XADD, batches awaited one after the other. */
export async function handPublishRate(url: string, codecs: StaticCodecs, format: EntryFormat, rounds: number, events: number, batch: number, cpu?: CpuMeter): Promise<Rate> {
  const redis = new Redis(url);
  const perSecond: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const stream = queueName(`hand-publish-${format}`);
      await redis.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
      await cpu?.start();
      const start = now();
      await handPublish(redis, stream, format, codecs, events, batch, MAXLEN);
      perSecond.push(events / ((now() - start) / 1000));
      await cpu?.stop(events);
    }
  } finally {
    redis.disconnect();
  }
  return { perSecond };
}

/** The hand-written publisher and consumer at once (two connections, as the library has): the time until the last acknowledgement. */
export async function handEndToEnd(url: string, codecs: StaticCodecs, format: EntryFormat, events: number, batch: number): Promise<number> {
  const stream = queueName(`hand-e2e-${format}`);
  const producer = new Redis(url);
  const reader = new Redis(url);
  try {
    await producer.xgroup("CREATE", stream, "workers", "$", "MKSTREAM");
    const start = now();
    await Promise.all([handPublish(producer, stream, format, codecs, events, batch, MAXLEN), handConsume(reader, stream, "workers", format, codecs, events, batch)]);
    return events / ((now() - start) / 1000);
  } finally {
    producer.disconnect();
    reader.disconnect();
  }
}

/**
 * Publish → handler latency: a consumer with the default options in a
 * process of its own (latency-consumer.ts), and a publisher in another
 * (publisher.ts) offering `rate` events per second (after `warmUpSeconds`
 * at that rate, not counted: the consumer's code is compiled and its backlog
 * from starting cold worked off, as in a service that has been running).
 */
export async function latency(t: StreamTransport<ShopEvent>, url: string, format: EntryFormat, seconds: number, rate: number, warmUpSeconds: number): Promise<TransportResults["latency"][EntryFormat]> {
  const queue = queueName(`latency-${format}`);
  await t.publish(queue, orders(1)[0]!, { format }); // creates the queue before the consumer joins
  const child = spawn(process.execPath, ["--import", "tsx", `${here}latency-consumer.ts`, url, queue], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let count = 0;
  let samples: number[] | undefined;
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const exited = new Promise<void>((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the latency consumer exited with ${code}`)))));
  child.on("message", (m: { ready?: boolean; count?: number; samples?: number[] }) => {
    if (m.ready) ready();
    if (m.count !== undefined) count = m.count;
    if (m.samples) samples = m.samples;
  });
  await Promise.race([started, exited]);
  const report = await runChild<{ published: number; seconds: number }>(`${here}publisher.ts`, [url, queue, format, String(seconds), String(rate), String(warmUpSeconds)]);
  const deadline = now() + 5000;
  while (count < report.published && now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const received = new Promise<void>((resolve) => child.on("message", (m: { samples?: number[] }) => m.samples && resolve()));
  child.send("stop");
  await Promise.all([received, exited]);
  const sorted = (samples ?? []).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted.at(-1) ?? NaN,
    samples: sorted.length,
    offeredPerSecond: rate,
    achievedPerSecond: report.published / report.seconds,
  };
}

/**
 * A consumer in a process of its own handles `total` events while this
 * process publishes them (never more than 20,000 ahead, so that nothing is
 * trimmed unread); it reports its resident size after 100,000 and after
 * all, each time after a full garbage collection.
 */
async function memory(t: StreamTransport<ShopEvent>, url: string, format: EntryFormat, total: number, batch: number): Promise<MemoryResult> {
  const queue = queueName(`memory-${format}`);
  await t.publish(queue, orders(1)[0]!, { format }); // creates the queue before the consumer joins
  const pool = orders(1000);
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", `${here}memory-consumer.ts`, url, queue, String(total + 1)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let handled = 0;
  let result: MemoryResult | undefined;
  const exited = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the memory consumer exited with ${code}`))));
  });
  child.on("message", (m: { handled: number; result?: Omit<MemoryResult, "format"> }) => {
    handled = m.handled;
    if (m.result) result = { format, ...m.result };
  });
  let published = 0;
  try {
    while (published < total) {
      if (published - handled > 20_000) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const items = [];
      for (let i = 0; i < batch && published < total; i++, published++) items.push({ queue, event: pool[published % pool.length]!, options: { format } });
      await t.publishMany(items);
    }
  } catch (error) {
    child.kill();
    throw error;
  }
  await exited;
  if (!result) throw new Error("the memory consumer reported nothing");
  return result;
}

export async function transportBench(url: string, port: number, settings: TransportSettings, staticModule: string, log: (line: string) => void): Promise<TransportResults> {
  const codecs = await loadStatic(staticModule);
  const t = await connectRedis({ registry: shopRegistry, connection: url, logger: silentLogger, maxLength: MAXLEN });
  const redis = new Redis(url);
  const formats: EntryFormat[] = ["json", "binary"];
  const samples = { json: await sampleEntry(t, redis, "json"), binary: await sampleEntry(t, redis, "binary") };
  const meters = () => ({ json: new CpuMeter(redis), binary: new CpuMeter(redis) });
  const cpu = { publishBatched: meters(), handPublish: meters(), drain: meters(), handDrain: meters() };
  const entryBytes = { json: samples.json.bytes, binary: samples.binary.bytes };
  const rec = <T>(f: (format: EntryFormat) => Promise<T>) => async (): Promise<Record<EntryFormat, T>> => ({ json: await f("json"), binary: await f("binary") });
  try {
    log("transport: redis-benchmark ceiling");
    const ceil = await rec((f) => ceiling(port, samples[f].fields, f, settings.rounds, settings.events))();
    log("transport: publishing one at a time");
    const one = await rec((f) => publishOne(t, f, settings.rounds, Math.max(1000, settings.events / 20)))();
    log("transport: publishing in batches, and the hand-written pipelined XADD");
    const batched: Record<EntryFormat, number[]> = { json: [], binary: [] };
    const handBatched: Record<EntryFormat, number[]> = { json: [], binary: [] };
    for (let r = 0; r < settings.rounds; r++) {
      for (const f of formats) {
        batched[f].push(...(await publishBatched(t, f, 1, settings.events, settings.batch, cpu.publishBatched[f])).perSecond);
        handBatched[f].push(...(await handPublishRate(url, codecs, f, 1, settings.events, settings.batch, cpu.handPublish[f])).perSecond);
      }
    }
    log("transport: draining a pre-filled queue, and the hand-written loop");
    const drained: Record<EntryFormat, number[]> = { json: [], binary: [] };
    const handDrained: Record<EntryFormat, number[]> = { json: [], binary: [] };
    for (let r = 0; r < settings.rounds; r++) {
      for (const f of formats) {
        handDrained[f].push(await handDrain(url, codecs, f, settings.events, settings.batch, cpu.handDrain[f]));
        drained[f].push(await drain(t, f, settings.events, settings.batch, cpu.drain[f]));
      }
    }
    log("transport: end to end, and the hand-written loop");
    const e2e: Record<EntryFormat, number[]> = { json: [], binary: [] };
    const handE2e: Record<EntryFormat, number[]> = { json: [], binary: [] };
    for (let r = 0; r < settings.rounds; r++) {
      for (const f of formats) {
        handE2e[f].push(await handEndToEnd(url, codecs, f, settings.events, settings.batch));
        e2e[f].push(await endToEnd(t, f, settings.events, settings.batch));
      }
    }
    log(`transport: latency at ${settings.latencyRate} events/s`);
    const lat = await rec((f) => latency(t, url, f, settings.latencySeconds, settings.latencyRate, settings.latencyWarmUpSeconds))();
    log(`transport: memory over ${settings.memoryEvents.toLocaleString("en-US")} events`);
    const mem = await memory(t, url, "json", settings.memoryEvents, settings.batch);
    return {
      settings,
      entryBytes,
      ceiling: ceil,
      publishOne: one,
      publishBatched: { json: { perSecond: batched.json }, binary: { perSecond: batched.binary } },
      handPublish: { json: { perSecond: handBatched.json }, binary: { perSecond: handBatched.binary } },
      drain: { json: { perSecond: drained.json }, binary: { perSecond: drained.binary } },
      handDrain: { json: { perSecond: handDrained.json }, binary: { perSecond: handDrained.binary } },
      endToEnd: { json: { perSecond: e2e.json }, binary: { perSecond: e2e.binary } },
      handEndToEnd: { json: { perSecond: handE2e.json }, binary: { perSecond: handE2e.binary } },
      cpu: Object.fromEntries(Object.entries(cpu).map(([k, m]) => [k, { json: m.json.result, binary: m.binary.result }])) as TransportResults["cpu"],
      latency: lat,
      memory: mem,
    };
  } finally {
    redis.disconnect();
    await t.close();
  }
}

export { median };
