// The chaos suite: publishers and consumers in processes of their own, on a
// plain queue and on the event bus (three services, two of them with two
// replicas; a router in every process), while faults chosen at random from
// a seed hit them: consumers SIGKILLed and restarted, Redis SIGKILLed and
// restarted on its AOF, a stream deleted, a consumer group destroyed, a
// subscription queue turned into a key of the wrong type and restored.
// Every event a publisher saw confirmed must end handled, dead-lettered,
// expired, or deleted by a fault that deleted it unread — for the queue and
// for every service that subscribes to its type. The conservation table is
// printed; any loss fails the test. Replay a run with CHAOS_SEED=<seed>
// (CHAOS_MS sets how long faults are injected, default 35000).
import { fork, type ChildProcess } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type DeadLetter, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { formatTable } from "../support/conservation.js";
import { RedisServer } from "../support/redis.js";
import {
  BUS_PREFIX,
  CONSUMER_OPTIONS,
  QUEUE,
  QUEUE_PREFIX,
  random,
  Rec,
  SERVICE_NAMES,
  SERVICES,
  wants,
  type PublishedMeta,
  type Service,
  type WorkerConfig,
  type WorkerMessage,
} from "./plan.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const SEED = process.env["CHAOS_SEED"] || String(Math.floor(Math.random() * 2 ** 31));
const FAULT_PHASE_MS = Number(process.env["CHAOS_MS"] || 35_000);
/** How long the system may take to settle once the faults stop. */
const DRAIN_MS = 90_000;
const PUBLISHERS = 2;
const QUEUE_CONSUMERS = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker process (test/chaos/worker.ts) and what it printed on standard error. */
class Worker {
  readonly child: ChildProcess;
  readonly config: WorkerConfig;
  private stderr = "";
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private stopped: Promise<Extract<WorkerMessage, { type: "stopped" }>> | undefined;
  private onStopped: ((m: Extract<WorkerMessage, { type: "stopped" }>) => void) | undefined;

  constructor(config: WorkerConfig) {
    this.config = config;
    this.child = fork(WORKER, [JSON.stringify(config)], {
      execArgv: ["--conditions=eventwire-source", "--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${config.label} was not ready within 60 s; stderr: ${this.stderr}`)), 60_000);
      this.child.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else if (m.type === "stopped") this.onStopped?.(m);
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${config.label} exited before it was ready (${this.child.exitCode ?? this.child.signalCode}); stderr: ${this.stderr}`));
      });
    });
    this.ready.catch(() => {});
  }

  get label(): string {
    return this.config.label;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks it to stop gracefully; resolves with its own timings and the time to its exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<{ label: string; times: Readonly<Record<string, number>>; exitMs: number; published?: number; failed?: number }> {
    const started = Date.now();
    this.stopped ??= new Promise((resolve) => (this.onStopped = resolve));
    this.child.send("stop");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const report = await Promise.race([this.stopped, this.exited.then(() => undefined)]);
    await this.exited;
    clearTimeout(timer);
    if (!report) throw new Error(`${this.label} exited without stopping gracefully within ${timeoutMs} ms; stderr: ${this.stderr}`);
    return { label: this.label, times: report.times, exitMs: Date.now() - started, ...(report.published === undefined ? {} : { published: report.published, failed: report.failed ?? 0 }) };
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/**
 * Deletes (or overwrites with a string) a stream in one step with reading
 * what in it the group had not yet had acknowledged: the entries after the
 * group's last delivered id and those pending. Those are what the fault
 * deletes unread; the rest had been handled already. With no group, every
 * entry counts.
 */
const CAPTURE_AND_DELETE = `
local function id(s)
  local ms, seq = string.match(s, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function after(a, b)
  local am, as = id(a)
  local bm, bs = id(b)
  return am > bm or (am == bm and as > bs)
end
local out = {}
if redis.call('TYPE', KEYS[1]).ok == 'stream' then
  local last = nil
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local f = {}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    if f['name'] == ARGV[1] then last = f['last-delivered-id'] end
  end
  local pending = {}
  if last then
    for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000000)) do pending[p[1]] = true end
  end
  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
    if last == nil or pending[e[1]] or after(e[1], last) then out[#out + 1] = e end
  end
end
if ARGV[2] == 'set' then redis.call('SET', KEYS[1], 'not a stream') else redis.call('DEL', KEYS[1]) end
return out
`;

/** The event id of a stream entry, in either format. */
function eventIdOf(fields: Buffer[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    try {
      if (name === "data") return (JSON.parse(fields[i + 1]!.toString()) as { event_id?: string }).event_id;
      if (name === "envelope") return shopRegistry.fromBinary(fields[i + 1]!).eventId;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A queue the suite checks: its stream, its group, and which targets lose what a fault deletes in it. */
interface Stream {
  readonly key: string;
  readonly group: string;
  readonly targets: readonly string[];
}

const STREAMS: readonly Stream[] = [
  { key: QUEUE_PREFIX + QUEUE, group: `${QUEUE}-group`, targets: ["queue"] },
  { key: `${BUS_PREFIX}all`, group: "all-group", targets: SERVICE_NAMES },
  ...SERVICE_NAMES.map((s) => ({ key: `${BUS_PREFIX}sub:${s}`, group: `sub:${s}-group`, targets: [s] })),
];

/** One row of the conservation table. */
interface Row {
  target: string;
  published: number;
  handled: number;
  duplicates: number;
  deadLettered: number;
  parked: number;
  expired: number;
  deletedByFault: number;
  trimmed: number;
  lost: number;
  /** Handled, though their publish was not confirmed (it failed on the publisher's side, yet Redis had it). */
  handledUnconfirmed: number;
  /** Handled by a service that does not subscribe to the type, or events that must fail seen handled. */
  wrong: number;
  lostIds: string[];
}

async function allLetters(transport: StreamTransport<ShopEvent>, queue: string): Promise<DeadLetter<ShopEvent>[]> {
  const out: DeadLetter<ShopEvent>[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await transport.deadLetters(queue).list({ count: 500, ...(after ? { after } : {}) });
    out.push(...page);
    if (page.length < 500) return out;
    after = page.at(-1)!.id;
  }
}

test(`chaos: faults at random (seed ${SEED}); every confirmed event handled, dead-lettered, expired or deleted by the fault`, { timeout: 280_000 }, async (t) => {
  process.stderr.write(`chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED})\n`);
  // The seed chooses the faults' order, gaps and targets, and each process's own choices (events, formats, TTLs, flags).
  const rand = random(`${SEED}/faults`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const main = await RedisServer.start({ appendOnly: true });
  const recServer = await RedisServer.start();
  const rec = new Redis(recServer.url);
  const admin = new Redis(main.url, { maxRetriesPerRequest: null });
  admin.on("error", () => {});
  const workers: Worker[] = [];
  const faults: string[] = [];
  const deleted = new Map<string, Set<string>>();
  const restarts: Promise<void>[] = [];
  let phaseStart = Date.now();
  const at = () => `${((Date.now() - phaseStart) / 1000).toFixed(1)}s`;
  let queueSide: StreamTransport<ShopEvent> | undefined;
  let busSide: StreamTransport<ShopEvent> | undefined;
  let incarnation = 0;

  /** The process now in each consumer slot (`queue#1`, `billing#2`…), and its restart under way. */
  const slots = new Map<string, { worker: Worker; restarted?: Promise<void> }>();
  const spawn = (config: Omit<WorkerConfig, "main" | "rec" | "seed">): Worker => {
    const worker = new Worker({ ...config, main: main.url, rec: recServer.url, seed: SEED });
    workers.push(worker);
    if (config.role !== "publisher") slots.set(config.label.split(".")[0]!, { worker });
    return worker;
  };
  const consumers = (): Worker[] => [...slots.values()].map((s) => s.worker).filter((w) => w.alive);

  try {
    // Consumers first, so that every service is subscribed before anything is published.
    const first: Worker[] = [];
    for (let i = 1; i <= QUEUE_CONSUMERS; i++) first.push(spawn({ role: "queue-consumer", label: `queue#${i}` }));
    for (const service of SERVICE_NAMES) {
      for (let i = 1; i <= SERVICES[service].replicas; i++) first.push(spawn({ role: "service", service, label: `${service}#${i}` }));
    }
    await Promise.all(first.map((w) => w.ready));
    const publishers: Worker[] = [];
    for (let i = 1; i <= PUBLISHERS; i++) publishers.push(spawn({ role: "publisher", label: `pub${i}` }));
    await Promise.all(publishers.map((w) => w.ready));
    const startupMs = Date.now() - phaseStart;

    // The faults: each kind at least once, in an order and with targets and gaps the seed chooses.
    const kinds = ["kill", "kill", "kill", "restart-redis", "restart-redis", "del-stream", "del-stream", "destroy-group", "destroy-group", "wrong-type"];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const gap = FAULT_PHASE_MS / kinds.length;
    phaseStart = Date.now();
    for (const kind of kinds) {
      await sleep(gap * (0.3 + rand() * 0.7));
      switch (kind) {
        case "kill": {
          const name = pick([...slots.keys()]);
          const slot = slots.get(name)!;
          await slot.restarted; // (the slot's last victim is back first)
          const victim = slots.get(name)!.worker;
          // (a worker restarted a moment ago may still be starting on a loaded machine: killed only once ready)
          await victim.ready;
          await victim.kill();
          const back = 300 + Math.floor(rand() * 1500);
          faults.push(`${at()} SIGKILL ${victim.label} (restarted after ${back} ms)`);
          const restarted = (async () => {
            await sleep(back);
            await spawn({ ...victim.config, label: `${name}.${++incarnation}` }).ready;
          })();
          slots.set(name, { worker: victim, restarted });
          restarts.push(restarted);
          break;
        }
        case "restart-redis": {
          // down long enough, at times, for publishes to fail (commandTimeoutMs) and consumers to retry
          const started = Date.now();
          const hold = Math.floor(rand() * 3000);
          await main.kill();
          await sleep(hold);
          await main.restart();
          faults.push(`${at()} Redis SIGKILLed, restarted on its AOF after ${hold} ms (${Date.now() - started} ms down)`);
          break;
        }
        case "del-stream": {
          const stream = pick(STREAMS);
          const gone = await deleteStream(admin, stream, "del", deleted);
          faults.push(`${at()} DEL ${stream.key}: ${gone} entries deleted unread or pending`);
          break;
        }
        case "destroy-group": {
          const stream = pick(STREAMS);
          const n = await admin.xgroup("DESTROY", stream.key, stream.group).catch((e: Error) => e.message);
          faults.push(`${at()} XGROUP DESTROY ${stream.key} ${stream.group}: ${String(n)}`);
          break;
        }
        case "wrong-type": {
          const audit = STREAMS.find((s) => s.key === `${BUS_PREFIX}sub:audit`)!;
          const gone = await deleteStream(admin, audit, "set", deleted);
          const hold = 1000 + Math.floor(rand() * 1500);
          await sleep(hold);
          await admin.del(audit.key);
          faults.push(`${at()} SET ${audit.key} (a string, ${gone} entries deleted unread or pending) for ${hold} ms, then DEL`);
          break;
        }
      }
    }
    const faultPhaseMs = Date.now() - phaseStart;

    // The faults stop: publishers finish, killed consumers are back, the system drains.
    const publisherReports = await Promise.all(publishers.map((w) => w.stop()));
    await Promise.all(restarts);
    queueSide = await connectRedis({ registry: shopRegistry, connection: main.url, prefix: QUEUE_PREFIX, logger: silentLogger });
    busSide = await connectRedis({ registry: shopRegistry, connection: main.url, prefix: BUS_PREFIX, logger: silentLogger });
    const drainStart = Date.now();
    let rows = await account(rec, admin, queueSide, busSide, deleted);
    while (Date.now() - drainStart < DRAIN_MS) {
      if (rows.every((r) => r.lost === 0) && (await quiet(admin))) break;
      await sleep(500);
      rows = await account(rec, admin, queueSide, busSide, deleted);
    }
    const drainMs = Date.now() - drainStart;
    const settled = await quiet(admin);

    // Graceful stops, timed.
    const stops = await Promise.all(consumers().map((w) => w.stop()));
    rows = await account(rec, admin, queueSide, busSide, deleted);
    const resets = await Promise.all(STREAMS.map(async (s) => `${s.key} ${(await admin.hget(`${s.key}:metadata`, "resets")) ?? 0}`));
    const unconfirmed = (await rec.hlen(Rec.unconfirmed("queue"))) + (await rec.hlen(Rec.unconfirmed("bus")));

    const lines = [
      `seed ${SEED} (replay: CHAOS_SEED=${SEED}); ${workers.length - restarts.length} processes started in ${(startupMs / 1000).toFixed(1)} s; ${(faultPhaseMs / 1000).toFixed(1)} s of faults, drained in ${(drainMs / 1000).toFixed(1)} s${settled ? "" : " (NOT settled at the deadline)"}`,
      ...faults.map((f) => `fault ${f}`),
      `publishes that failed (not confirmed, not counted below): ${unconfirmed}; resets counted: ${resets.join(", ")}`,
      "",
      ...table(rows),
      "",
      "published: confirmed (the publish resolved). A publish that failed (commandTimeoutMs ran out while Redis was down) is not counted; Redis may have had it all the same: 'handled, unconfirmed'.",
      "dead-lettered: events whose handler always fails or refuses (by design); parked: copies the bus could not write to the queue of the wrong type; expired: TTL ran out first (dead-lettered as expired).",
      "deleted by the fault: confirmed events a DEL or SET of their stream removed before they were acknowledged (the operator's own loss, not the library's).",
      "duplicates: handlings beyond the first (a killed consumer's unacknowledged entries, a group destroyed and made again at the start); trimmed: entries trimmed unread (trim 'acknowledged': must be 0).",
      "",
      "shutdown times (ms; graceful stop with Redis up):",
      ...[...publisherReports, ...stops].map(
        (s) => `  ${s.label.padEnd(12)} ${Object.entries(s.times).map(([k, v]) => `${k} ${v}`).join(", ")}; exited after ${s.exitMs}${s.published === undefined ? "" : ` (published ${s.published}, failed ${s.failed})`}`,
      ),
    ];
    for (const line of lines) t.diagnostic(line);

    const logs = await rec.lrange(Rec.log, -40, -1);
    const lost = rows.filter((r) => r.lost > 0);
    assert.equal(
      lost.length,
      0,
      `confirmed events lost (seed ${SEED}):\n${lost.map((r) => `${r.target}: ${r.lostIds.slice(0, 10).join(", ")}`).join("\n")}\nlast log lines:\n${logs.join("\n")}`,
    );
    for (const r of rows) {
      assert.equal(r.wrong, 0, `${r.target}: events handled that it should not have (seed ${SEED})`);
      assert.equal(r.trimmed, 0, `${r.target}: entries trimmed unread, with trim "acknowledged" (seed ${SEED})`);
    }
    assert.ok(settled, `the system did not settle within ${DRAIN_MS} ms of the last fault (seed ${SEED}):\n${logs.join("\n")}`);
    // The run proves something: events flowed, and the faults hit.
    for (const r of rows) assert.ok(r.published >= 200, `only ${r.published} events for ${r.target}: the run proves little`);
    assert.ok(rows.find((r) => r.target === "service audit")!.parked > 0, "the queue of the wrong type parked no copy: the test proves nothing of it");
    for (const s of stops) assert.ok(Object.values(s.times).every((ms) => ms < CONSUMER_OPTIONS.shutdownTimeoutMs + 1500), `${s.label} took too long to stop: ${JSON.stringify(s.times)}`);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await queueSide?.close();
    await busSide?.close();
    rec.disconnect();
    admin.disconnect();
    await main.stop();
    await recServer.stop();
  }
});

/** Runs {@link CAPTURE_AND_DELETE} on a stream; records the event ids it deleted unread for the stream's targets. Returns how many. */
async function deleteStream(admin: Redis, stream: Stream, mode: "del" | "set", deleted: Map<string, Set<string>>): Promise<number> {
  const entries = (await admin.callBuffer("EVAL", CAPTURE_AND_DELETE, "1", stream.key, stream.group, mode)) as [Buffer, Buffer[]][];
  for (const [, fields] of entries) {
    const id = eventIdOf(fields);
    if (id === undefined) continue;
    for (const target of stream.targets) {
      let set = deleted.get(target);
      if (!set) deleted.set(target, (set = new Set()));
      set.add(id);
    }
  }
  return entries.length;
}

/** Whether every stream's group has delivered everything and has nothing pending. */
async function quiet(admin: Redis): Promise<boolean> {
  for (const s of STREAMS) {
    if ((await admin.type(s.key)) !== "stream") return false;
    const info = flat((await admin.xinfo("STREAM", s.key)) as unknown[]);
    const groups = ((await admin.xinfo("GROUPS", s.key)) as unknown[][]).map(flat);
    const group = groups.find((g) => g["name"] === s.group);
    if (!group || Number(group["pending"]) > 0 || group["last-delivered-id"] !== info["last-generated-id"]) return false;
  }
  return true;
}

function flat(list: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

/** The conservation table, from the recording server, the DLQs and the faults' records. */
async function account(
  rec: Redis,
  admin: Redis,
  queueSide: StreamTransport<ShopEvent>,
  busSide: StreamTransport<ShopEvent>,
  deleted: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<Row[]> {
  const published = {
    queue: new Map(Object.entries(await rec.hgetall(Rec.published("queue"))).map(([id, m]) => [id, JSON.parse(m) as PublishedMeta])),
    bus: new Map(Object.entries(await rec.hgetall(Rec.published("bus"))).map(([id, m]) => [id, JSON.parse(m) as PublishedMeta])),
  };
  const busLetters = await allLetters(busSide, "all");
  const rows: Row[] = [];
  for (const target of ["queue", ...SERVICE_NAMES] as const) {
    const isQueue = target === "queue";
    const expected = [...(isQueue ? published.queue : published.bus)].filter(([, m]) => isQueue || wants(target as Service, m.t));
    const handled = await rec.hgetall(Rec.handled(target));
    const letters = new Map<string, "parked" | "expired" | "dead-lettered">();
    const own = isQueue ? await allLetters(queueSide, QUEUE) : await allLetters(busSide, `sub:${target}`);
    const shared = isQueue ? [] : busLetters.filter((l) => !l.reason.startsWith("undeliverable:") || l.reason.includes(`the copy for sub:${target} `));
    for (const letter of [...own, ...shared]) {
      const id = letter.event?.eventId;
      if (id === undefined || letters.has(id)) continue;
      letters.set(id, letter.reason.startsWith("undeliverable:") ? "parked" : letter.kind === "expired" ? "expired" : "dead-lettered");
    }
    const stream = isQueue ? QUEUE_PREFIX + QUEUE : `${BUS_PREFIX}sub:${target}`;
    const row: Row = {
      target: isQueue ? `queue ${QUEUE}` : `service ${target}`,
      published: expected.length,
      handled: 0,
      duplicates: 0,
      deadLettered: 0,
      parked: 0,
      expired: 0,
      deletedByFault: 0,
      trimmed: Number((await rec.get(Rec.trimmed(target))) ?? 0) + Number((await admin.hget(`${stream}:metadata`, "trimmed_unread")) ?? 0),
      lost: 0,
      handledUnconfirmed: 0,
      wrong: 0,
      lostIds: [],
    };
    const gone = deleted.get(target);
    for (const [id] of expected) {
      const n = Number(handled[id] ?? 0);
      const letter = letters.get(id);
      if (n > 0) {
        row.handled++;
        row.duplicates += n - 1;
      } else if (letter === "parked") row.parked++;
      else if (letter === "expired") row.expired++;
      else if (letter === "dead-lettered") row.deadLettered++;
      else if (gone?.has(id)) row.deletedByFault++;
      else {
        row.lost++;
        row.lostIds.push(id);
      }
    }
    const all = isQueue ? published.queue : published.bus;
    for (const id of Object.keys(handled)) {
      const meta = all.get(id);
      if (meta === undefined) row.handledUnconfirmed++;
      // (an event whose handler always fails or refuses is never handled)
      else if (meta.f !== null || (!isQueue && !wants(target as Service, meta.t))) row.wrong++;
    }
    rows.push(row);
  }
  return rows;
}

function table(rows: readonly Row[]): string[] {
  const head = ["", "published", "handled", "duplicates", "dead-lettered", "parked", "expired", "deleted by fault", "trimmed", "lost", "handled, unconfirmed"];
  const body = rows.map((r) => [r.target, r.published, r.handled, r.duplicates, r.deadLettered, r.parked, r.expired, r.deletedByFault, r.trimmed, r.lost, r.handledUnconfirmed]);
  return formatTable(head, body, { total: true });
}
