/**
 * `npm run bench`: every comparison side by side, in one run, on the same
 * inputs. Prints the tables and the targets, and writes the results as JSON
 * to bench/results/ (with the machine, Node and Redis versions and the
 * date) and the tables as Markdown to bench/results/latest.md.
 *
 *   npm run bench                   the full run (a few minutes)
 *   npm run bench -- --quick        fewer rounds and events, to try the harness
 *   npm run bench -- --only=cluster the Redis Cluster section alone (with --quick too)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, hostname, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RedisServer } from "../test/support/redis.js";
import type { ClusterResults, ClusterSettings } from "./cluster.js";
import type { CodecRun } from "./codec.js";
import { seedEvents } from "./inputs.js";
import { count, markdown, median, now, opsPerSecond, ratio, runChild, table } from "./support.js";
import type { TelemetryResults } from "./telemetry.js";
import type { TransportResults, TransportSettings } from "./transport.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const here = fileURLToPath(new URL(".", import.meta.url));
const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
if (only !== undefined && only !== "cluster") throw new Error(`--only=${only}: only the cluster section runs alone (--only=cluster)`);
const started = now();
const log = (line: string) => process.stderr.write(`[${((now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

// --- the machine --------------------------------------------------------------

const redisVersion = /v=(\S+)/.exec(spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1] ?? "unknown";
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  host: hostname(),
  node: process.version,
  redis: redisVersion,
  date: new Date().toISOString(),
};

// --- the package as users get it: built with tsc ------------------------------

log("building the package (tsc -p tsconfig.build.json, then the Lua scripts copied, as npm run build does)");
const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
if (tsc.status !== 0) throw new Error(`the build failed:\n${tsc.stdout}${tsc.stderr}`);
const lua = spawnSync(process.execPath, [join(root, "scripts", "copy-lua.mjs")], { cwd: root, encoding: "utf8" });
if (lua.status !== 0) throw new Error(`copying the Lua scripts into dist/ failed:\n${lua.stdout}${lua.stderr}`);

// --- Redis Cluster ---------------------------------------------------------------

const clusterSettings: ClusterSettings = quick
  ? { events: 3_000, busEvents: 2_000, rounds: 1, batch: 100, partitions: 6, subscribers: [1, 3], masters: [1, 3], warmUpEvents: 500, replicaEvents: 1_000 }
  : { events: 30_000, busEvents: 10_000, rounds: 3, batch: 100, partitions: 6, subscribers: [1, 3], masters: [1, 3], warmUpEvents: 3_000, replicaEvents: 5_000 };

/** Runs the cluster section (its own servers and clusters, started and stopped here). */
async function clusterSection(): Promise<ClusterResults> {
  // (imported only now: it loads eventwire from dist/, built above)
  const { clusterBench } = await import("./cluster.js");
  return clusterBench(clusterSettings, log);
}

const about = () =>
  `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.os}; Node ${machine.node}; Redis ${machine.redis}; ${machine.date.slice(0, 10)}${quick ? " (quick run)" : ""}`;

function writeResults(results: object, sections: readonly (readonly [string, readonly string[], readonly (readonly string[])[]])[], markdownFile: string): void {
  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, "-");
  const file = join(dir, quick ? `${stamp}${only ? `.${only}` : ""}.quick.tmp.json` : `${stamp}${only ? `.${only}` : ""}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  if (!quick) {
    const md = [`Measured on ${about()}, with \`npm run bench${only ? ` -- --only=${only}` : ""}\`.`, ...sections.map(([title, headers, rows]) => `**${title}**\n\n${markdown(headers, rows)}`)].join("\n\n");
    writeFileSync(join(dir, markdownFile), md + "\n");
  }
  log(`results written to ${file}`);
}

if (only === "cluster") {
  const cluster = await clusterSection();
  const { clusterTables } = await import("./cluster.js");
  const sections = clusterTables(cluster);
  const took = (now() - started) / 1000;
  console.log(`\neventwire benchmarks, the Redis Cluster section — ${about()}\n`);
  for (const [title, headers, rows] of sections) console.log(`${title}\n\n${table(headers, rows)}\n`);
  console.log(`(${took.toFixed(0)} s)`);
  writeResults({ machine, quick, seconds: took, clusterSettings, cluster }, sections, "cluster.md");
  process.exit(0);
}

// --- protobufjs static code, generated for this run ---------------------------

const generated = join(here, ".generated");
mkdirSync(generated, { recursive: true });
const staticModule = join(generated, "static.js");
log("generating protobufjs static code (pbjs -t static-module)");
const pbjs = spawnSync(
  join(root, "node_modules", ".bin", "pbjs"),
  ["-t", "static-module", "-w", "es6", "--es6", "-o", staticModule, "proto/eventwire/envelope/v1/envelope.proto", "proto/eventwire/shop/v1/events.proto"],
  { cwd: root, encoding: "utf8" },
);
if (pbjs.status !== 0) throw new Error(`pbjs failed: ${pbjs.stderr}${pbjs.error ? String(pbjs.error) : ""}`);

// --- protobufjs static code and a descriptor set for the all-types fixture -----

const fullStatic = join(generated, "full-static.js");
const descriptorSet = join(generated, "full.binpb");
log("generating protobufjs static code and a descriptor set for the all-types fixture");
const pbjsFull = spawnSync(
  join(root, "node_modules", ".bin", "pbjs"),
  ["-t", "static-module", "-w", "es6", "--es6", "-p", "test/fixtures/proto", "-p", "/usr/include", "-o", fullStatic, "proto/eventwire/envelope/v1/envelope.proto", "test/fixtures/proto/fixtures/full/v1/full.proto", "test/fixtures/proto/fixtures/types/v1/types.proto"],
  { cwd: root, encoding: "utf8" },
);
if (pbjsFull.status !== 0) throw new Error(`pbjs failed: ${pbjsFull.stderr}${pbjsFull.error ? String(pbjsFull.error) : ""}`);
const bufBuild = spawnSync(join(root, "node_modules", ".bin", "buf"), ["build", "test/fixtures/proto", "-o", descriptorSet], { cwd: root, encoding: "utf8" });
if (bufBuild.status !== 0) throw new Error(`buf build failed: ${bufBuild.stderr}`);

// --- codec --------------------------------------------------------------------

const modes = ["plain", "ioredis", "ioredis+eventwire"] as const;
const codec: Record<string, CodecRun> = {};
for (const mode of modes) {
  log(`codec: ${mode === "plain" ? "nothing else loaded" : mode === "ioredis" ? "ioredis loaded, eventwire not" : "ioredis loaded, then eventwire"}`);
  codec[mode] = await runChild<CodecRun>(join(here, "codec.ts"), [mode, staticModule], [], quick ? { BENCH_QUICK: "1" } : {});
}

const fidelity: Record<string, CodecRun> = {};
for (const mode of ["compiled", "interpreted"] as const) {
  log(`codec: the all-types and 64-bit heavy events, ${mode} codec`);
  fidelity[mode] = await runChild<CodecRun>(join(here, "fidelity.ts"), [fullStatic, descriptorSet], [], { EVENTWIRE_CODEC: mode, ...(quick ? { BENCH_QUICK: "1" } : {}) });
}

// --- transport ----------------------------------------------------------------

const settings: TransportSettings = quick
  ? { events: 10_000, rounds: 1, batch: 100, latencySeconds: 1, latencyRate: 10_000, latencyWarmUpSeconds: 1, memoryEvents: 150_000 }
  : { events: 50_000, rounds: 3, batch: 100, latencySeconds: 5, latencyRate: 10_000, latencyWarmUpSeconds: 3, memoryEvents: 1_000_000 };
log(`transport: starting a private redis-server`);
const server = await RedisServer.start();
let transport: TransportResults;
let telemetry: TelemetryResults;
try {
  // (imported only now: it loads eventwire from dist/, built above)
  const { transportBench } = await import("./transport.js");
  transport = await transportBench(server.url, server.port, settings, staticModule, log);
  const { telemetryBench } = await import("./telemetry.js");
  telemetry = await telemetryBench(server.url, settings, log);
} finally {
  await server.stop();
}
log("cluster: one partitioned queue and the bus on one server and on private clusters");
const cluster = await clusterSection();

// --- tables ---------------------------------------------------------------------

const headline = "OrderCreatedEvent";
const codecNames = ["eventwire binary", "eventwire JSON", "JSON.stringify/parse", "protobufjs static"];
const m = (mode: string, event: string, name: string) => codec[mode]?.results[event]?.[name];
const enc = (mode: string, event: string, name: string) => median(m(mode, event, name)?.encodeNs ?? [NaN]);
const dec = (mode: string, event: string, name: string) => median(m(mode, event, name)?.decodeNs ?? [NaN]);
const ops = (ns: number) => (Number.isFinite(ns) ? count(opsPerSecond(ns)) : "—");

const codecHeaders = ["event", "codec", "encode ops/s", "decode ops/s", "bytes"];
const codecRows: string[][] = [];
for (const seed of seedEvents) {
  for (const name of codecNames) {
    const base = m("plain", seed.eventType, name);
    if (!base) continue;
    codecRows.push([
      seed.eventType === headline ? `${seed.eventType} (3 items)` : seed.eventType,
      name,
      ops(enc("plain", seed.eventType, name)),
      ops(dec("plain", seed.eventType, name)),
      String(base.bytes),
    ]);
  }
}
const ioredisHeaders = ["codec (OrderCreatedEvent)", "encode: alone", "ioredis loaded", "ioredis, then eventwire", "decode: alone", "ioredis loaded", "ioredis, then eventwire"];
const ioredisRows = codecNames.map((name) => [
  name,
  ops(enc("plain", headline, name)),
  ops(enc("ioredis", headline, name)),
  ops(enc("ioredis+eventwire", headline, name)),
  ops(dec("plain", headline, name)),
  ops(dec("ioredis", headline, name)),
  ops(dec("ioredis+eventwire", headline, name)),
]);

const fidelityHeaders = ["event", "codec", "encode ops/s", "decode ops/s", "bytes"];
const fidelityRows: string[][] = [];
for (const [event, byCodec] of Object.entries(fidelity["compiled"]?.results ?? {})) {
  for (const [name, r] of Object.entries(byCodec)) {
    fidelityRows.push([event, name, ops(median(r.encodeNs)), ops(median(r.decodeNs)), String(r.bytes)]);
    if (name === "eventwire binary") {
      const i = fidelity["interpreted"]?.results[event]?.[name];
      if (i) fidelityRows.push([event, "eventwire binary, interpreted", ops(median(i.encodeNs)), ops(median(i.decodeNs)), String(i.bytes)]);
    }
  }
}

const rate = (r: { perSecond: number[] }) => median(r.perSecond);
const t = transport;
const transportHeaders = ["figure", "JSON entries", "binary entries"];
const transportRows: string[][] = [
  ["entry size (bytes: field names and values)", String(t.entryBytes.json), String(t.entryBytes.binary)],
  ["redis-benchmark XADD ceiling, -P 16 (entries/s)", count(rate(t.ceiling.json)), count(rate(t.ceiling.binary))],
  ["publish, one at a time, awaited (events/s)", count(rate(t.publishOne.json)), count(rate(t.publishOne.binary))],
  [`publishMany, batches of ${settings.batch} (events/s)`, count(rate(t.publishBatched.json)), count(rate(t.publishBatched.binary))],
  [`… hand-written: pipelined XADD, batches of ${settings.batch}`, count(rate(t.handPublish.json)), count(rate(t.handPublish.binary))],
  [`draining a pre-filled queue, consumer batchSize ${settings.batch} (events/s)`, count(rate(t.drain.json)), count(rate(t.drain.binary))],
  [`… hand-written: XREADGROUP COUNT ${settings.batch}, parse, handle, one XACK per batch`, count(rate(t.handDrain.json)), count(rate(t.handDrain.binary))],
  ["end to end: publish → group → handler → ack (events/s)", count(rate(t.endToEnd.json)), count(rate(t.endToEnd.binary))],
  ["… hand-written: the two loops above at once", count(rate(t.handEndToEnd.json)), count(rate(t.handEndToEnd.binary))],
  [`latency publish → handler at ${count(settings.latencyRate)}/s: p50 (ms)`, t.latency.json.p50.toFixed(3), t.latency.binary.p50.toFixed(3)],
  ["… p99 (ms)", t.latency.json.p99.toFixed(3), t.latency.binary.p99.toFixed(3)],
  ["… p99.9 (ms)", t.latency.json.p999.toFixed(3), t.latency.binary.p999.toFixed(3)],
  ["… samples", count(t.latency.json.samples), count(t.latency.binary.samples)],
];
const us = (xs: number[]) => median(xs).toFixed(1);
const cpuHeaders = ["CPU per event, µs (medians of rounds)", "JSON: client", "JSON: redis-server", "binary: client", "binary: redis-server"];
const cpuRow = (label: string, c: TransportResults["cpu"][keyof TransportResults["cpu"]]) => [label, us(c.json.client), us(c.json.redis), us(c.binary.client), us(c.binary.redis)];
const cpuRows = [
  cpuRow(`publishMany, batches of ${settings.batch}`, t.cpu.publishBatched),
  cpuRow("… hand-written pipelined XADD", t.cpu.handPublish),
  ["… (the redis-benchmark ceiling, for scale)", "—", us(t.ceiling.json.perSecond.map((r) => 1e6 / r)), "—", us(t.ceiling.binary.perSecond.map((r) => 1e6 / r))],
  cpuRow(`draining, consumer batchSize ${settings.batch}`, t.cpu.drain),
  cpuRow("… hand-written loop", t.cpu.handDrain),
];
const telemetryHeaders = ["figure (JSON entries)", "telemetry off", "tracing on", "tracing and metrics on"];
const tm = telemetry;
const telemetryRows: string[][] = [
  [`publish, batches of ${settings.batch} (events/s)`, count(rate(tm.publishBatched.off)), count(rate(tm.publishBatched.traces)), count(rate(tm.publishBatched["traces+metrics"]))],
  ["end to end: publish → group → handler → ack (events/s)", count(rate(tm.endToEnd.off)), count(rate(tm.endToEnd.traces)), count(rate(tm.endToEnd["traces+metrics"]))],
  ["… relative to telemetry off", "1.00×", ratio(rate(tm.endToEnd.traces) / rate(tm.endToEnd.off)), ratio(rate(tm.endToEnd["traces+metrics"]) / rate(tm.endToEnd.off))],
  ["spans made", count(tm.spans.off), count(tm.spans.traces), count(tm.spans["traces+metrics"])],
];
const mem = t.memory;
const memoryHeaders = ["figure", "after 100,000", `after ${count(mem.handled)}`, "growth"];
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const growth = mem.rssAt1M / mem.rssAt100k - 1;
const memoryRows = [
  ["resident set size", mib(mem.rssAt100k), mib(mem.rssAt1M), `${(growth * 100).toFixed(1)}%`],
  ["JS heap used", mib(mem.heapAt100k), mib(mem.heapAt1M), `${((mem.heapAt1M / mem.heapAt100k - 1) * 100).toFixed(1)}%`],
];

// --- targets ----------------------------------------------------------------------

interface Target {
  readonly figure: string;
  readonly target: string;
  /** Per event (headline first) or per entry format (JSON, binary). */
  readonly measured: number[];
  readonly ok: (x: number) => boolean;
  readonly format: (x: number) => string;
  /** Whether the first value is the headline event's. */
  readonly perEvent: boolean;
}
const per = (f: (event: string) => number) => seedEvents.map((s) => f(s.eventType));
const targets: Target[] = [
  { figure: "binary encode vs protobufjs static", target: "≥ 1.0×", perEvent: true, measured: per((e) => enc("plain", e, "protobufjs static") / enc("plain", e, "eventwire binary")), ok: (x) => x >= 1, format: ratio },
  { figure: "binary decode vs protobufjs static", target: "≥ 1.0×", perEvent: true, measured: per((e) => dec("plain", e, "protobufjs static") / dec("plain", e, "eventwire binary")), ok: (x) => x >= 1, format: ratio },
  { figure: "binary encode vs JSON.stringify", target: "≥ 1.5×", perEvent: true, measured: per((e) => enc("plain", e, "JSON.stringify/parse") / enc("plain", e, "eventwire binary")), ok: (x) => x >= 1.5, format: ratio },
  { figure: "binary decode vs JSON.parse", target: "≥ 1.5×", perEvent: true, measured: per((e) => dec("plain", e, "JSON.stringify/parse") / dec("plain", e, "eventwire binary")), ok: (x) => x >= 1.5, format: ratio },
  { figure: "binary size vs the seed's JSON", target: "≤ 0.6×", perEvent: true, measured: per((e) => (m("plain", e, "eventwire binary")?.bytes ?? NaN) / (m("plain", e, "JSON.stringify/parse")?.bytes ?? NaN)), ok: (x) => x <= 0.6, format: ratio },
  { figure: "draining a pre-filled queue vs the hand-written loop", target: "≥ 1.5×", perEvent: false, measured: [rate(t.drain.json) / rate(t.handDrain.json), rate(t.drain.binary) / rate(t.handDrain.binary)], ok: (x) => x >= 1.5, format: ratio },
  { figure: "publishMany vs hand-written pipelined XADD", target: "≥ 1.0×", perEvent: false, measured: [rate(t.publishBatched.json) / rate(t.handPublish.json), rate(t.publishBatched.binary) / rate(t.handPublish.binary)], ok: (x) => x >= 1, format: ratio },
  { figure: "publishMany vs the XADD ceiling", target: "≥ 0.5×", perEvent: false, measured: [rate(t.publishBatched.json) / rate(t.ceiling.json), rate(t.publishBatched.binary) / rate(t.ceiling.binary)], ok: (x) => x >= 0.5, format: ratio },
  { figure: "end to end vs the hand-written loops", target: "≥ 1.5×", perEvent: false, measured: [rate(t.endToEnd.json) / rate(t.handEndToEnd.json), rate(t.endToEnd.binary) / rate(t.handEndToEnd.binary)], ok: (x) => x >= 1.5, format: ratio },
  { figure: `p99 publish → handler at ${count(settings.latencyRate)}/s`, target: "≤ 2 ms", perEvent: false, measured: [t.latency.json.p99, t.latency.binary.p99], ok: (x) => x <= 2, format: (x) => `${x.toFixed(2)} ms` },
  { figure: `memory growth, 100,000 → ${count(mem.handled)} events (RSS)`, target: "≤ 10%", perEvent: false, measured: [growth], ok: (x) => x <= 0.1, format: (x) => `${(x * 100).toFixed(1)}%` },
];
const targetHeaders = ["target", "goal", "measured", "met"];
const targetRows = targets.map((x) => {
  const all = x.measured.every(x.ok);
  const met = all ? "yes" : x.perEvent && x.ok(x.measured[0]!) ? "headline event" : "no";
  const values = x.perEvent
    ? `${x.measured.map(x.format).join(" / ")} (order / payment / shipped)`
    : x.measured.length === 2
      ? `${x.measured.map(x.format).join(" / ")} (JSON / binary)`
      : x.measured.map(x.format).join(", ");
  return [x.figure, x.target, values, met];
});

// --- output --------------------------------------------------------------------------

const took = (now() - started) / 1000;
const { clusterTables } = await import("./cluster.js");
const sections: [string, readonly string[], readonly (readonly string[])[]][] = [
  ["Codec: the whole event (envelope and payload), medians of rounds", codecHeaders, codecRows],
  ["Codec, ops/s, with ioredis loaded in the process (each column a process of its own)", ioredisHeaders, ioredisRows],
  ["Codec: an event of every field type and a 64-bit heavy event (forceLong=bigint), medians of rounds", fidelityHeaders, fidelityRows],
  ["Transport (private redis-server on loopback)", transportHeaders, transportRows],
  ["Where the time goes: CPU per event of each side, over the same timed spans (the ceiling's row: wall time per entry with Redis saturated)", cpuHeaders, cpuRows],
  ["Telemetry: OpenTelemetry tracing and metrics off and on (spans batched to an exporter that drops them)", telemetryHeaders, telemetryRows],
  ["Memory of a consumer (its own process)", memoryHeaders, memoryRows],
  ...clusterTables(cluster),
  ["Targets (ratios of medians, this run)", targetHeaders, targetRows],
];
console.log(`\neventwire benchmarks — ${about()}\n`);
for (const [title, headers, rows] of sections) console.log(`${title}\n\n${table(headers, rows)}\n`);
console.log(`(${took.toFixed(0)} s)`);

const results = {
  machine,
  quick,
  seconds: took,
  settings,
  codec,
  fidelity,
  transport,
  telemetry,
  clusterSettings,
  cluster,
  targets: targets.map((x) => ({ figure: x.figure, target: x.target, measured: x.measured, met: x.measured.every(x.ok), headlineMet: x.ok(x.measured[0]!) })),
};
writeResults(results, sections, "latest.md");
