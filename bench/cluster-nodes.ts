/**
 * A private Redis Cluster for the benchmark: masters only (no replicas, so
 * that every measured microsecond is a master's), each a redis-server in
 * cluster mode on free loopback ports. Three masters or more are joined by
 * `redis-cli --cluster create`; fewer (which redis-cli refuses) get their
 * slots by hand (`CLUSTER ADDSLOTSRANGE`) and meet each other.
 */
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { freePort, RedisServer } from "../test/support/redis.js";

const SLOTS = 16384;
const REDIS_CLI = process.env["REDIS_CLI_BIN"] ?? "redis-cli";

export class BenchCluster {
  private constructor(
    readonly servers: readonly RedisServer[],
    /** One plain connection per master, for INFO and CLUSTER KEYSLOT. */
    readonly admins: readonly Redis[],
  ) {}

  /** Starts `masters` masters and waits until every one of them says the cluster is up with every slot served. */
  static async start(masters: number): Promise<BenchCluster> {
    if (!Number.isInteger(masters) || masters < 1) throw new Error(`a cluster needs at least one master, not ${masters}`);
    const servers: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        // (the cluster bus needs a port of its own: the default, port + 10000, may be taken or out of range;
        // the address announced, since a node alone never learns its own from a peer)
        servers.push(
          await RedisServer.start({
            args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(await freePort()), "--cluster-node-timeout", "5000", "--cluster-announce-ip", "127.0.0.1"],
          }),
        );
      }
      const admins = servers.map((s) => new Redis(s.port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: 1 }));
      const cluster = new BenchCluster(servers, admins);
      await cluster.join();
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((s) => s.stop()));
      throw error;
    }
  }

  /** The seed nodes, `127.0.0.1:port`. */
  get seeds(): string[] {
    return this.servers.map((s) => `127.0.0.1:${s.port}`);
  }

  private async join(): Promise<void> {
    if (this.servers.length >= 3) {
      await run(REDIS_CLI, ["--cluster", "create", ...this.seeds, "--cluster-replicas", "0", "--cluster-yes"], 60_000);
    } else {
      // (redis-cli --cluster create refuses fewer than three masters: the slots split by hand)
      const per = Math.ceil(SLOTS / this.servers.length);
      await Promise.all(this.admins.map((a, i) => a.call("CLUSTER", "ADDSLOTSRANGE", i * per, Math.min(SLOTS, (i + 1) * per) - 1)));
      for (const s of this.servers.slice(1)) await this.admins[0]!.call("CLUSTER", "MEET", "127.0.0.1", s.port);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(
        this.admins.map(async (a) => {
          const info = String(await a.call("CLUSTER", "INFO"));
          return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${this.servers.length}\\b`).test(info) && /cluster_slots_ok:16384\b/.test(info);
        }),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`the cluster of ${this.servers.length} masters did not come up within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Which master (index into {@link servers}) serves `key`. */
  async masterOf(key: string): Promise<number> {
    const slot = Number(await this.admins[0]!.call("CLUSTER", "KEYSLOT", key));
    const ranges = (await this.admins[0]!.call("CLUSTER", "SLOTS")) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    return this.servers.findIndex((s) => s.port === Number(range?.[2][1]));
  }

  async stop(): Promise<void> {
    for (const a of this.admins) a.disconnect();
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} ${signal ? `was killed (${signal}, after ${timeoutMs} ms)` : `exited with ${code}`}: ${out.trim().slice(-800)}`));
    });
  });
}
