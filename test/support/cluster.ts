/**
 * A real local Redis Cluster for the tests: redis-server processes in cluster
 * mode on free loopback ports, joined by `redis-cli --cluster create`, with
 * their data in a temporary folder, stopped when the test ends. Besides
 * starting and stopping, it answers what a test needs to know (which master
 * serves a key, who replicates whom) and does what a test needs done (kill
 * and restart a node, wait for a failover, fail over by hand, move a slot
 * with its keys as resharding does). A test that kills nodes owns its
 * cluster; plain tests use `testCluster()`, which honours REDIS_CLUSTER_NODES.
 * With CLUSTER_DEBUG set, every wait prints what it is still waiting for.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./redis.js";

const REDIS_SERVER = process.env["REDIS_SERVER_BIN"] ?? "redis-server";
const REDIS_CLI = process.env["REDIS_CLI_BIN"] ?? "redis-cli";

const HOW_TO_GET_REDIS =
  "The cluster tests need a real redis-server and redis-cli: install them (Debian: `apt-get install redis-server redis-tools`), " +
  "put them on PATH or point REDIS_SERVER_BIN and REDIS_CLI_BIN at them, " +
  "or set REDIS_CLUSTER_NODES (host:port,host:port,...) to a cluster the tests may write to.";

/** The number of hash slots of a Redis Cluster. */
export const SLOTS = 16384;

// ---------------------------------------------------------------------------
// Hash slots

/** CRC16 as Redis Cluster computes it: the XMODEM variant (polynomial 0x1021, initial value 0, no reflection). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * The hash slot of a key, as Redis computes it: CRC16 of the key mod 16384,
 * or of its hash tag only, when the key has a `{...}` with something inside
 * (the first `{` and the first `}` after it).
 */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS;
  }
  return crc16(bytes) % SLOTS;
}

// ---------------------------------------------------------------------------
// Talking to one node

type Arg = string | number | Buffer;

function hostPort(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(":");
  const port = Number(node.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) throw new Error(`"${node}" is not a host:port address`);
  return { host: node.slice(0, at), port };
}

/**
 * Sends one command to one node on a connection of its own, and closes it.
 * No retries, no offline queue: a dead node fails at once (ECONNREFUSED),
 * which is what the polling loops below want to see.
 */
async function send(node: string, args: readonly Arg[], options: { timeoutMs?: number; buffers?: boolean } = {}): Promise<unknown> {
  const { host, port } = hostPort(node);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const [command, ...rest] = args;
    return options.buffers ? await client.callBuffer(String(command), rest) : await client.call(String(command), rest);
  } finally {
    client.disconnect();
  }
}

/** The `key:value` lines of an INFO-style reply. */
function fields(text: unknown): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of String(text).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return map;
}

/** One line of CLUSTER NODES. */
interface NodeLine {
  readonly id: string;
  readonly address: string;
  readonly flags: readonly string[];
  readonly masterId: string | undefined;
  readonly failed: boolean;
}

function clusterNodes(text: unknown): NodeLine[] {
  return String(text)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id = "", address = "", flags = "", master = "-"] = line.split(" ");
      const flagList = flags.split(",");
      return {
        id,
        address: address.split("@")[0] ?? "",
        flags: flagList,
        masterId: master === "-" ? undefined : master,
        failed: flagList.includes("fail") || flagList.includes("fail?") || flagList.includes("noaddr"),
      };
    });
}

/** A slot range of CLUSTER SLOTS and the master that serves it. */
interface SlotRange {
  readonly from: number;
  readonly to: number;
  readonly master: string;
  readonly replicas: readonly string[];
}

function clusterSlots(reply: unknown, asked: string): SlotRange[] {
  const askedHost = hostPort(asked).host;
  // A node answers "" for its own host when it does not know it: it is the host it was asked on.
  const address = (entry: unknown[]) => `${String(entry[0]) || askedHost}:${String(entry[1])}`;
  return (reply as unknown[][])
    .map((range) => ({
      from: Number(range[0]),
      to: Number(range[1]),
      master: address(range[2] as unknown[]),
      replicas: range.slice(3).map((r) => address(r as unknown[])),
    }))
    .sort((a, b) => a.from - b.from);
}

/** Who serves and replicates which slots, in one comparable line: "0-5460@127.0.0.1:p1+127.0.0.1:p4 5461-...". */
function describeSlots(ranges: readonly SlotRange[]): string {
  return ranges.map((r) => `${r.from}-${r.to}@${[r.master, ...[...r.replicas].sort()].join("+")}`).join(" ");
}

function covered(ranges: readonly SlotRange[]): number {
  return ranges.reduce((sum, r) => sum + r.to - r.from + 1, 0);
}

/**
 * Polls `check` until it returns true; a string it returns says what is not
 * so yet. After `timeoutMs`, fails naming the step and the last thing seen.
 */
async function poll(step: string, timeoutMs: number, check: () => Promise<true | string>, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "not checked yet";
  for (;;) {
    try {
      const result = await check();
      if (result === true) return;
      if (process.env["CLUSTER_DEBUG"] && result !== last) console.error(`${new Date().toISOString()} ${step}: ${result}`);
      last = result;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${step}: not done after ${timeoutMs} ms (last seen: ${last})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------
// Processes

/**
 * Every cluster process this test process started, and every cluster folder
 * it made: if it exits without stopping them (a test that timed out, an
 * uncaught error), the processes are killed and the folders removed.
 */
const started = new Set<ChildProcess>();
const folders = new Set<string>();
let exitHook = false;
function onExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const child of started) child.kill("SIGKILL");
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
}
function track(child: ChildProcess): void {
  started.add(child);
  child.once("exit", () => started.delete(child));
  onExit();
}

interface NodeProcess {
  readonly address: string;
  readonly port: number;
  readonly busPort: number;
  readonly dir: string;
  readonly args: readonly string[];
  child: ChildProcess | undefined;
  stderr: string;
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function findable(command: string, what: string): void {
  const found = spawnSync(command, ["--version"], { encoding: "utf8" });
  if (found.error || found.status !== 0) {
    throw new Error(`${what} (${command}) could not be run (${found.error?.message ?? found.stderr}). ${HOW_TO_GET_REDIS}`);
  }
}

/** `count` distinct free loopback ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

// ---------------------------------------------------------------------------
// The cluster

export interface RedisClusterOptions {
  /** Masters, each serving an equal share of the slots. Default 3 (the fewest Redis accepts). */
  readonly masters?: number;
  /** Replicas of each master. Default 1. */
  readonly replicasPerMaster?: number;
  /** Turn on the append-only file (with fsync always), so that a restarted node has its data back. Default false. */
  readonly appendOnly?: boolean;
  /**
   * cluster-node-timeout, ms: how long a node may not answer before it is
   * suspected; a failover takes about this plus a second or two. Default 1500:
   * short for fast failovers, yet long enough that a busy 2-core machine does
   * not make a slow node look dead.
   */
  readonly nodeTimeoutMs?: number;
  /** How long starting may take in all, before it fails naming the step. Default 60 s. */
  readonly startTimeoutMs?: number;
}

export interface MoveSlotOptions {
  /** Keys per GETKEYSINSLOT and MIGRATE. Default 100. */
  readonly batchSize?: number;
  /**
   * Called after each batch has moved, while the slot is half moved (the
   * source answers ASK for keys it no longer has): a test can let traffic
   * flow here. The move goes on when it resolves.
   */
  readonly betweenBatches?: (progress: { readonly batch: number; readonly moved: number }) => Promise<void> | void;
  /** MIGRATE's own timeout, ms. Default 10 s. */
  readonly migrateTimeoutMs?: number;
  /** How long every node may take to see the new owner. Default 30 s. */
  readonly timeoutMs?: number;
}

/** What {@link RedisCluster.moveSlot} did. */
export interface MovedSlot {
  readonly slot: number;
  readonly from: string;
  readonly to: string;
  /** Keys migrated. */
  readonly keys: number;
  /** MIGRATE batches sent. */
  readonly batches: number;
}

/**
 * A Redis Cluster on this machine (or one given by REDIS_CLUSTER_NODES, which
 * the tests may read and write but not kill). Nodes are named by their
 * "127.0.0.1:port" address throughout.
 */
export class RedisCluster {
  /** Every node's address, "127.0.0.1:port", in the order they were created (masters first). */
  readonly nodes: readonly string[];
  /** A few nodes to give a cluster client to start from (for a cluster attached to, the nodes given). */
  readonly seeds: readonly string[];
  /** Whether this cluster's processes belong to the test (it can kill, restart and stop them). */
  readonly owned: boolean;
  /** The temporary folder with a subfolder per node (nodes.conf, AOF), when owned. */
  readonly dir: string | undefined;
  /** How long each step of {@link start} took, ms: the processes up, `redis-cli --cluster create`, the cluster ready. */
  readonly startTimings = { spawnMs: 0, createMs: 0, settleMs: 0 };
  private readonly processes: ReadonlyMap<string, NodeProcess>;
  /** The slots each killed master served when it was killed, for {@link waitForFailover}. */
  private readonly slotsAtKill = new Map<string, SlotRange[]>();

  private constructor(nodes: readonly string[], processes: ReadonlyMap<string, NodeProcess>, dir: string | undefined, seeds = nodes.slice(0, 3)) {
    this.nodes = nodes;
    this.seeds = seeds;
    this.owned = dir !== undefined;
    this.dir = dir;
    this.processes = processes;
  }

  /**
   * Starts `masters * (1 + replicasPerMaster)` redis-server processes in
   * cluster mode on free loopback ports, joins them with `redis-cli --cluster
   * create`, and waits until every node says cluster_state:ok with all 16384
   * slots served, every master has its replicas attached and online, and all
   * nodes agree on who serves which slots. Fails with instructions when
   * redis-server or redis-cli is missing, and names the step that did not
   * finish in time otherwise (stopping what it started).
   */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const nodeTimeout = options.nodeTimeoutMs ?? 1_500;
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    const left = () => Math.max(1_000, deadline - Date.now());
    if (masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters (redis-cli --cluster create refuses fewer), not ${masters}`);
    findable(REDIS_SERVER, "redis-server");
    findable(REDIS_CLI, "redis-cli");

    const count = masters * (1 + replicas);
    // Two ports a node: its clients' port and its cluster bus port. The bus
    // port is set explicitly, as port + 10000 may be taken or past 65535.
    const ports = await freePorts(count * 2);
    const dir = mkdtempSync(join(tmpdir(), "eventwire-cluster-"));
    folders.add(dir);
    onExit();
    const processes = new Map<string, NodeProcess>();
    for (let i = 0; i < count; i++) {
      const port = ports[i]!;
      const busPort = ports[count + i]!;
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const address = `127.0.0.1:${port}`;
      const args = [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", join(nodeDir, "nodes.conf"),
        "--cluster-port", String(busPort),
        "--cluster-node-timeout", String(nodeTimeout),
        // A replica that has been cut off from its master for long (as on a
        // loaded machine, or a restarted old master) still stands for
        // election: with the default factor it may refuse, and a failover
        // the test waits for would never come.
        "--cluster-replica-validity-factor", "0",
        // Replicas stay with the master they were given: no migration to an
        // orphaned master behind the test's back, and a master emptied by
        // moving slots stays a master.
        "--cluster-allow-replica-migration", "no",
        // Full coverage stays required (the default), and reads are refused
        // while the cluster is down (the default): the tests see what
        // applications see in production.
        // Replicas sync at once: the default waits 5 s for more replicas
        // before a diskless sync starts.
        "--repl-diskless-sync", "yes",
        "--repl-diskless-sync-delay", "0",
        // A replica's offset stays 0 until its master sends it something,
        // and CLUSTER SLOTS leaves out replicas at offset 0: with the default
        // (a PING to the replicas every 10 s), a new cluster's replicas stay
        // out of sight for up to 10 s. Once a second, they show in a second.
        "--repl-ping-replica-period", "1",
        "--dir", nodeDir,
        "--save", "",
        "--appendonly", options.appendOnly ? "yes" : "no",
        "--appendfsync", "always",
        "--daemonize", "no",
        "--loglevel", "warning",
      ];
      processes.set(address, { address, port, busPort, dir: nodeDir, args, child: undefined, stderr: "" });
    }
    const cluster = new RedisCluster([...processes.keys()], processes, dir);
    try {
      let since = Date.now();
      const lap = (step: keyof RedisCluster["startTimings"]) => {
        cluster.startTimings[step] = Date.now() - since;
        since = Date.now();
      };
      await Promise.all([...processes.values()].map((node) => cluster.spawnNode(node, left())));
      lap("spawnMs");
      await createCluster(cluster.nodes, replicas, left());
      lap("createMs");
      await cluster.waitUntilSettled({ replicasPerMaster: replicas, timeoutMs: left(), step: "waiting for the new cluster to be ready" });
      lap("settleMs");
    } catch (error) {
      const logs = [...processes.values()]
        .filter((n) => n.stderr.trim() !== "")
        .map((n) => `\n${n.address}: ${n.stderr.trim().slice(-500)}`)
        .join("");
      await cluster.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}${logs}`);
    }
    return cluster;
  }

  /**
   * A cluster someone else runs, found from the nodes given (its other nodes
   * are learnt from CLUSTER NODES; the given ones are the seeds): the tests
   * may read and write it and move slots, but not kill, restart or stop its
   * nodes.
   */
  static async attach(given: readonly string[]): Promise<RedisCluster> {
    if (given.length === 0) throw new Error("a Redis Cluster needs at least one node address (host:port)");
    for (const node of given) hostPort(node);
    const errors: string[] = [];
    for (const node of given) {
      try {
        const lines = clusterNodes(await send(node, ["CLUSTER", "NODES"])).filter((l) => !l.failed && !l.address.startsWith(":"));
        const known = lines.map((l) => (l.flags.includes("myself") ? node : l.address));
        return new RedisCluster([...given, ...known.filter((n) => !given.includes(n))], new Map(), undefined, [...given]);
      } catch (error) {
        errors.push(`${node}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(`none of the Redis Cluster nodes given answered CLUSTER NODES (${errors.join("; ")}). ${HOW_TO_GET_REDIS}`);
  }

  // ---- finding out -------------------------------------------------------

  /** The nodes that are up as far as this harness knows: for an owned cluster, those whose process runs. */
  live(): string[] {
    return this.owned ? this.nodes.filter((n) => isRunning(this.processes.get(n)?.child)) : [...this.nodes];
  }

  /** The answer of the first live node that answers. */
  private async ask(args: readonly Arg[]): Promise<{ node: string; reply: unknown }> {
    const errors: string[] = [];
    for (const node of this.live()) {
      try {
        return { node, reply: await send(node, args) };
      } catch (error) {
        errors.push(`${node}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(`no node of the cluster answered ${String(args[0])} ${String(args[1] ?? "")} (${errors.join("; ") || "none is running"})`);
  }

  private async slotRanges(): Promise<SlotRange[]> {
    const { node, reply } = await this.ask(["CLUSTER", "SLOTS"]);
    return clusterSlots(reply, node);
  }

  /** The master serving `slot` now, as CLUSTER SLOTS of a live node says. */
  async masterOfSlot(slot: number): Promise<string> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) throw new Error(`${slot} is not a hash slot (0..16383)`);
    const range = (await this.slotRanges()).find((r) => r.from <= slot && slot <= r.to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return range.master;
  }

  /** The master serving the slot of `key` now. */
  async masterOf(key: string): Promise<string> {
    return this.masterOfSlot(keySlot(key));
  }

  /**
   * What each live node says of itself (its "myself" line of CLUSTER NODES):
   * its own word on its role and master is never behind, as another node's
   * gossip may be for a moment.
   */
  private async selves(): Promise<NodeLine[]> {
    const selves = await Promise.all(
      this.live().map(async (node) => {
        try {
          return clusterNodes(await send(node, ["CLUSTER", "NODES"])).find((l) => l.flags.includes("myself"));
        } catch {
          return undefined; // a node that does not answer is not up
        }
      }),
    );
    return selves.filter((s): s is NodeLine => s !== undefined);
  }

  /** The masters that are up (those that answer and say they are masters), in the order of {@link nodes}. */
  async masters(): Promise<string[]> {
    const masters = new Set((await this.selves()).filter((l) => l.flags.includes("master")).map((l) => l.address));
    return this.nodes.filter((n) => masters.has(n));
  }

  /** The replicas of `master` that are up (those that answer and say they replicate it), in the order of {@link nodes}. */
  async replicasOf(master: string): Promise<string[]> {
    const selves = await this.selves();
    const id = selves.find((l) => l.address === master)?.id ?? (await this.nodeId(master));
    const replicas = new Set(selves.filter((l) => l.masterId === id).map((l) => l.address));
    return this.nodes.filter((n) => replicas.has(n));
  }

  /** A node's cluster id (CLUSTER MYID). */
  async nodeId(node: string): Promise<string> {
    return String(await send(node, ["CLUSTER", "MYID"]));
  }

  /** Sends one command to one node (no redirections followed). */
  command(node: string, ...args: Arg[]): Promise<unknown> {
    return send(node, args);
  }

  /**
   * Waits until every live node says cluster_state:ok with all slots served,
   * all of them agree on who serves and who replicates which slots (so that
   * any node answers {@link masters} and {@link replicasOf} alike), and (when
   * `replicasPerMaster` is given) every master has that many replicas online.
   */
  async waitUntilSettled(options: { replicasPerMaster?: number; timeoutMs?: number; step?: string } = {}): Promise<void> {
    await poll(options.step ?? "waiting for the cluster to settle", options.timeoutMs ?? 30_000, async () => {
      const live = this.live();
      const views = new Set<string>();
      for (const node of live) {
        const info = fields(await send(node, ["CLUSTER", "INFO"]));
        if (info.get("cluster_state") !== "ok") return `${node} says cluster_state:${info.get("cluster_state")}`;
        if (info.get("cluster_slots_ok") !== String(SLOTS)) return `${node} says cluster_slots_ok:${info.get("cluster_slots_ok")}`;
        const ranges = clusterSlots(await send(node, ["CLUSTER", "SLOTS"]), node);
        if (covered(ranges) !== SLOTS) return `${node} sees ${covered(ranges)} slots served`;
        if (options.replicasPerMaster !== undefined) {
          const short = ranges.find((r) => r.replicas.length !== options.replicasPerMaster);
          if (short) return `${node} sees ${short.replicas.length} replica(s) of ${short.master}, not ${options.replicasPerMaster}`;
        }
        views.add(describeSlots(ranges));
        if (views.size > 1) return `the nodes do not agree on who serves and replicates the slots: ${[...views].join(" | ")}`;
      }
      if (options.replicasPerMaster !== undefined) {
        const masters = new Set((clusterSlots(await send(live[0]!, ["CLUSTER", "SLOTS"]), live[0]!)).map((r) => r.master));
        for (const master of masters) {
          const replication = fields(await send(master, ["INFO", "replication"]));
          const online = [...replication].filter(([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online")).length;
          if (online < options.replicasPerMaster) return `${master} has ${online} replica(s) online, not ${options.replicasPerMaster}`;
        }
      }
      return true;
    });
  }

  // ---- doing -------------------------------------------------------------

  private processOf(node: string, doing: string): NodeProcess {
    if (!this.owned) throw new Error(`cannot ${doing} ${node}: this cluster (REDIS_CLUSTER_NODES) is not owned by the test; start one with RedisCluster.start()`);
    const found = this.processes.get(node);
    if (!found) throw new Error(`cannot ${doing} ${node}: it is not a node of this cluster (${this.nodes.join(", ")})`);
    return found;
  }

  private async spawnNode(node: NodeProcess, timeoutMs: number): Promise<void> {
    node.stderr = "";
    const child = spawn(REDIS_SERVER, node.args, { stdio: ["ignore", "ignore", "pipe"] });
    track(child);
    node.child = child;
    child.stderr?.on("data", (d: Buffer) => (node.stderr += d.toString()));
    await poll(`starting redis-server on ${node.address}`, Math.min(timeoutMs, 20_000), async () => {
      if (!isRunning(child)) throw new Error(`redis-server exited at start: ${node.stderr}`);
      return String(await send(node.address, ["PING"], { timeoutMs: 1_000 })) === "PONG" || "no PONG";
    }, 20);
  }

  /**
   * Kills a node with SIGKILL and waits for its process to exit. The slots it
   * served are remembered, for {@link waitForFailover}.
   */
  async kill(node: string): Promise<void> {
    const proc = this.processOf(node, "kill");
    const child = proc.child;
    if (!isRunning(child)) return;
    try {
      const ranges = (await this.slotRanges()).filter((r) => r.master === node);
      if (ranges.length > 0) this.slotsAtKill.set(node, ranges);
    } catch {
      // no live node answered: nothing to remember
    }
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /**
   * Starts a killed node again, on the same port with the same nodes.conf:
   * it rejoins the cluster, as a replica of whoever took over its slots if it
   * was a master. Waits until it says cluster_state:ok, is linked to its
   * master if it is a replica, and every live node sees it as it sees itself
   * (not failed, same role, same master).
   */
  async restart(node: string, timeoutMs = 30_000): Promise<void> {
    const proc = this.processOf(node, "restart");
    if (isRunning(proc.child)) await this.kill(node);
    await this.spawnNode(proc, timeoutMs);
    await poll(`waiting for ${node} to rejoin the cluster`, timeoutMs, async () => {
      const info = fields(await send(node, ["CLUSTER", "INFO"]));
      if (info.get("cluster_state") !== "ok") return `${node} says cluster_state:${info.get("cluster_state")}`;
      const replication = fields(await send(node, ["INFO", "replication"]));
      if (replication.get("role") === "slave" && replication.get("master_link_status") !== "up") return `${node} is a replica whose link is ${replication.get("master_link_status")}`;
      const self = clusterNodes(await send(node, ["CLUSTER", "NODES"])).find((l) => l.flags.includes("myself"));
      const role = (l: NodeLine) => `${l.flags.includes("master") ? "master" : "replica"} of ${l.masterId ?? "-"}`;
      if (!self) return `${node} does not list itself`;
      for (const other of this.live()) {
        const line = clusterNodes(await send(other, ["CLUSTER", "NODES"])).find((l) => l.address === node);
        if (!line || line.failed) return `${other} sees ${node} as ${line ? line.flags.join(",") : "unknown"}`;
        if (role(line) !== role(self)) return `${other} sees ${node} as ${role(line)}, and it is ${role(self)}`;
      }
      return true;
    });
    this.slotsAtKill.delete(node);
  }

  /**
   * Waits until the slots `deadMaster` served are served by another node (the
   * replica that was promoted) in the view of every live node, and every live
   * node says cluster_state:ok. Returns the new master.
   */
  async waitForFailover(deadMaster: string, timeoutMs = 30_000): Promise<string> {
    const ranges = this.slotsAtKill.get(deadMaster) ?? (await this.slotRanges()).filter((r) => r.master === deadMaster);
    if (ranges.length === 0) throw new Error(`${deadMaster} served no slots: there is no failover to wait for`);
    let promoted = "";
    await poll(`waiting for a replica to take over the slots of ${deadMaster}`, timeoutMs, async () => {
      const owners = new Set<string>();
      for (const node of this.live()) {
        const info = fields(await send(node, ["CLUSTER", "INFO"]));
        if (info.get("cluster_state") !== "ok") return `${node} says cluster_state:${info.get("cluster_state")}`;
        const view = clusterSlots(await send(node, ["CLUSTER", "SLOTS"]), node);
        for (const { from } of ranges) {
          const owner = view.find((r) => r.from <= from && from <= r.to)?.master;
          if (!owner || owner === deadMaster) return `${node} sees slot ${from} served by ${owner ?? "nobody"}`;
          owners.add(owner);
        }
      }
      if (owners.size !== 1) return `the nodes do not agree who took over: ${[...owners].join(", ")}`;
      promoted = [...owners][0]!;
      return true;
    });
    return promoted;
  }

  /**
   * A graceful manual failover: `CLUSTER FAILOVER` on the replica `node`,
   * which takes over its master's slots once it has caught up. Waits until
   * every live node sees it serving them, and the former master has become
   * its replica with its link up.
   */
  async failover(node: string, timeoutMs = 30_000): Promise<void> {
    const lines = clusterNodes(await send(node, ["CLUSTER", "NODES"]));
    const self = lines.find((l) => l.flags.includes("myself"));
    const master = lines.find((l) => l.id === self?.masterId);
    if (!self?.flags.includes("slave") || !master) throw new Error(`cannot fail over to ${node}: it is not a replica`);
    const ranges = clusterSlots(await send(node, ["CLUSTER", "SLOTS"]), node).filter((r) => r.master === master.address);
    const reply = await send(node, ["CLUSTER", "FAILOVER"]);
    if (reply !== "OK") throw new Error(`CLUSTER FAILOVER on ${node} answered ${String(reply)}`);
    await poll(`waiting for ${node} to take over from ${master.address}`, timeoutMs, async () => {
      for (const other of this.live()) {
        const info = fields(await send(other, ["CLUSTER", "INFO"]));
        if (info.get("cluster_state") !== "ok") return `${other} says cluster_state:${info.get("cluster_state")}`;
        const view = clusterSlots(await send(other, ["CLUSTER", "SLOTS"]), other);
        for (const { from } of ranges) {
          const owner = view.find((r) => r.from <= from && from <= r.to)?.master;
          if (owner !== node) return `${other} sees slot ${from} served by ${owner ?? "nobody"}`;
        }
      }
      if (this.live().includes(master.address)) {
        const replication = fields(await send(master.address, ["INFO", "replication"]));
        if (replication.get("role") !== "slave" || replication.get("master_link_status") !== "up") {
          return `${master.address} is ${replication.get("role")} (link ${replication.get("master_link_status") ?? "-"})`;
        }
      }
      return true;
    });
  }

  /**
   * Moves one slot, with its keys, from the master serving it to `toMaster`,
   * as resharding does: the target IMPORTING, the source MIGRATING, then
   * GETKEYSINSLOT and MIGRATE in batches until the source has none left
   * (clients get ASK redirections meanwhile), then SETSLOT NODE on the target,
   * the source and the other masters. Waits until every live node sees the
   * new owner.
   */
  async moveSlot(slot: number, toMaster: string, options: MoveSlotOptions = {}): Promise<MovedSlot> {
    const from = await this.masterOfSlot(slot);
    if (from === toMaster) return { slot, from, to: toMaster, keys: 0, batches: 0 };
    const batchSize = options.batchSize ?? 100;
    const migrateTimeout = options.migrateTimeoutMs ?? 10_000;
    const [fromId, toId] = await Promise.all([this.nodeId(from), this.nodeId(toMaster)]);
    const target = hostPort(toMaster);
    const step = async (what: string, node: string, args: readonly Arg[], buffers = false): Promise<unknown> => {
      try {
        return await send(node, args, { timeoutMs: migrateTimeout + 5_000, buffers });
      } catch (error) {
        throw new Error(`Redis Cluster: moving slot ${slot} from ${from} to ${toMaster}: ${what} on ${node} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await step("SETSLOT IMPORTING", toMaster, ["CLUSTER", "SETSLOT", slot, "IMPORTING", fromId]);
    await step("SETSLOT MIGRATING", from, ["CLUSTER", "SETSLOT", slot, "MIGRATING", toId]);
    let keys = 0;
    let batches = 0;
    for (;;) {
      const batch = (await step("GETKEYSINSLOT", from, ["CLUSTER", "GETKEYSINSLOT", slot, batchSize], true)) as Buffer[];
      if (batch.length === 0) break;
      await step("MIGRATE", from, ["MIGRATE", target.host, target.port, "", 0, migrateTimeout, "KEYS", ...batch]);
      keys += batch.length;
      batches += 1;
      await options.betweenBatches?.({ batch: batches, moved: keys });
    }
    // The target first, so that it serves the slot before the source stops
    // redirecting to it; then the source, then every other master, so that
    // none of them redirects to the old owner until gossip reaches it.
    await step("SETSLOT NODE", toMaster, ["CLUSTER", "SETSLOT", slot, "NODE", toId]);
    await step("SETSLOT NODE", from, ["CLUSTER", "SETSLOT", slot, "NODE", toId]);
    for (const master of await this.masters()) {
      if (master !== toMaster && master !== from) await step("SETSLOT NODE", master, ["CLUSTER", "SETSLOT", slot, "NODE", toId]);
    }
    await poll(`waiting for every node to see slot ${slot} served by ${toMaster}`, options.timeoutMs ?? 30_000, async () => {
      for (const node of this.live()) {
        const owner = clusterSlots(await send(node, ["CLUSTER", "SLOTS"]), node).find((r) => r.from <= slot && slot <= r.to)?.master;
        if (owner !== toMaster) return `${node} sees slot ${slot} served by ${owner ?? "nobody"}`;
      }
      return true;
    });
    return { slot, from, to: toMaster, keys, batches };
  }

  /** Moves the slot of `key` (see {@link moveSlot}). */
  moveKeySlot(key: string, toMaster: string, options: MoveSlotOptions = {}): Promise<MovedSlot> {
    return this.moveSlot(keySlot(key), toMaster, options);
  }

  /** Kills every node and removes the folder (for a cluster the test does not own, does nothing). */
  async stop(): Promise<void> {
    if (!this.owned) return;
    await Promise.all(
      [...this.processes.values()].map(async (node) => {
        const child = node.child;
        if (!isRunning(child)) return;
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        });
      }),
    );
    rmSync(this.dir!, { recursive: true, force: true });
    folders.delete(this.dir!);
  }
}

/** `redis-cli --cluster create`, bounded in time (it waits for the nodes to agree, and has no deadline of its own). */
function createCluster(nodes: readonly string[], replicas: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      REDIS_CLI,
      ["--cluster", "create", ...nodes, "--cluster-replicas", String(replicas), "--cluster-yes"],
      { timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        const why = error.killed ? `did not finish within ${timeoutMs} ms` : `failed (${error.message.split("\n")[0]})`;
        reject(new Error(`Redis Cluster: redis-cli --cluster create ${why}: ${`${stdout}${stderr}`.trim().slice(-1000)}`));
      },
    );
  });
}

/**
 * A Redis Cluster for plain tests: the nodes of REDIS_CLUSTER_NODES
 * (comma-separated host:port) as they are, when it is set (not owned: it
 * cannot be killed, and `stop` leaves it alone); else a cluster started for
 * the caller. Tests that kill or restart nodes start their own with
 * {@link RedisCluster.start}.
 */
export async function testCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const given = process.env["REDIS_CLUSTER_NODES"];
  if (given) {
    return await RedisCluster.attach(
      given
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    );
  }
  return await RedisCluster.start(options);
}
