/**
 * The transport measurements, on a private redis-server: the redis-benchmark
 * XADD ceiling, publishing (one at a time and batched), end to end (publish
 * → consumer group → typed handler → acknowledgement) against a hand-written
 * ioredis loop, latency at a fixed offered rate, and memory over a million
 * events.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type EntryFormat, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../examples/shop/events.js";
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
  readonly endToEnd: Record<EntryFormat | "baseline", Rate>;
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

export async function publishBatched(t: StreamTransport<ShopEvent>, format: EntryFormat, rounds: number, events: number, batch: number): Promise<Rate> {
  const perSecond: number[] = [];
  const all = orders(events);
  for (let r = 0; r < rounds; r++) {
    const queue = queueName("publish-batched");
    await t.publish(queue, all[0]!, { format });
    const start = now();
    for (let i = 0; i < events; i += batch) {
      await t.publishMany(all.slice(i, i + batch).map((event) => ({ queue, event, options: { format } })));
    }
    perSecond.push(events / ((now() - start) / 1000));
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
      OrderCreatedEvent: (event) => {
        if (event.payload.items.length !== 3) throw new Error("wrong event");
      },
    },
    { batchSize: batch, concurrency: batch * 2, blockMs: 100 },
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

/**
 * The same with a minimal hand-written ioredis loop: XADD of
 * `JSON.stringify` of the seed's flat dict (pipelined in batches, as above),
 * XREADGROUP of a batch, `JSON.parse` and the handler per entry, XACK per
 * entry once its handler is done.
 */
async function baseline(url: string, events: number, batch: number): Promise<number> {
  const stream = queueName("baseline");
  const group = "workers";
  const producer = new Redis(url);
  const reader = new Redis(url);
  await producer.xgroup("CREATE", stream, group, "$", "MKSTREAM");
  const seed = seedEvents[0]!;
  const dicts = orders(events).map((e) => ({ ...seed.dict, event_id: e.eventId }));
  let handled = 0;
  const handler = (event: { items: unknown[] }) => {
    if (event.items.length !== 3) throw new Error("wrong event");
  };
  const start = now();
  const publishing = (async () => {
    for (let i = 0; i < events; i += batch) {
      const p = producer.pipeline();
      for (const d of dicts.slice(i, i + batch)) p.xadd(stream, "MAXLEN", "~", MAXLEN, "*", "data", JSON.stringify(d));
      await p.exec();
    }
  })();
  while (handled < events) {
    const reply = (await reader.xreadgroup("GROUP", group, "c1", "COUNT", batch, "BLOCK", 100, "STREAMS", stream, ">")) as [string, [string, string[]][]][] | null;
    if (!reply) continue;
    for (const [id, fields] of reply[0]![1]) {
      handler(JSON.parse(fields[1]!) as { items: unknown[] });
      await reader.xack(stream, group, id);
      handled++;
    }
  }
  const seconds = (now() - start) / 1000;
  await publishing;
  producer.disconnect();
  reader.disconnect();
  return events / seconds;
}

/**
 * Publish → handler latency, with a publisher in another process offering
 * `rate` events per second (after one second of warm-up at that rate, not
 * counted), and the consumer's default options.
 */
async function latency(t: StreamTransport<ShopEvent>, url: string, format: EntryFormat, seconds: number, rate: number): Promise<TransportResults["latency"][EntryFormat]> {
  const queue = queueName(`latency-${format}`);
  const samples: number[] = [];
  const consumer = await t.consume(queue, {
    OrderCreatedEvent: (_event, context) => {
      const sent = context.headers["bench-sent"];
      if (sent !== undefined && context.headers["bench-warm-up"] === undefined) samples.push(Number(process.hrtime.bigint() - BigInt(sent)) / 1e6);
    },
  });
  const report = await runChild<{ published: number; seconds: number }>(`${here}publisher.ts`, [url, queue, format, String(seconds), String(rate), "1"]);
  const deadline = now() + 5000;
  while (samples.length < report.published && now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  const sorted = samples.sort((a, b) => a - b);
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

export async function transportBench(url: string, port: number, settings: TransportSettings, log: (line: string) => void): Promise<TransportResults> {
  const t = await connectRedis({ registry: shopRegistry, connection: url, logger: silentLogger, maxLength: MAXLEN });
  const redis = new Redis(url);
  const formats: EntryFormat[] = ["json", "binary"];
  const samples = { json: await sampleEntry(t, redis, "json"), binary: await sampleEntry(t, redis, "binary") };
  redis.disconnect();
  const entryBytes = { json: samples.json.bytes, binary: samples.binary.bytes };
  const rec = <T>(f: (format: EntryFormat) => Promise<T>) => async (): Promise<Record<EntryFormat, T>> => ({ json: await f("json"), binary: await f("binary") });
  try {
    log("transport: redis-benchmark ceiling");
    const ceil = await rec((f) => ceiling(port, samples[f].fields, f, settings.rounds, settings.events))();
    log("transport: publishing one at a time");
    const one = await rec((f) => publishOne(t, f, settings.rounds, Math.max(1000, settings.events / 20)))();
    log("transport: publishing in batches");
    const batched = await rec((f) => publishBatched(t, f, settings.rounds, settings.events, settings.batch))();
    log("transport: end to end, and the hand-written loop");
    const e2e: Record<EntryFormat | "baseline", number[]> = { json: [], binary: [], baseline: [] };
    for (let r = 0; r < settings.rounds; r++) {
      e2e.baseline.push(await baseline(url, settings.events, settings.batch));
      for (const f of formats) e2e[f].push(await endToEnd(t, f, settings.events, settings.batch));
    }
    log(`transport: latency at ${settings.latencyRate} events/s`);
    const lat = await rec((f) => latency(t, url, f, settings.latencySeconds, settings.latencyRate))();
    log(`transport: memory over ${settings.memoryEvents.toLocaleString("en-US")} events`);
    const mem = await memory(t, url, "json", settings.memoryEvents, settings.batch);
    return {
      settings,
      entryBytes,
      ceiling: ceil,
      publishOne: one,
      publishBatched: batched,
      endToEnd: { json: { perSecond: e2e.json }, binary: { perSecond: e2e.binary }, baseline: { perSecond: e2e.baseline } },
      latency: lat,
      memory: mem,
    };
  } finally {
    await t.close();
  }
}

export { median };
