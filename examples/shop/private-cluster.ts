/**
 * A private Redis Cluster for the demo (`--cluster` without nodes): three
 * masters with a replica each, redis-server processes in cluster mode on
 * free loopback ports, their data in a temporary folder, joined by
 * `redis-cli --cluster create`, and tied to the demo's life as the private
 * single server is (one watchdog for all of them: see redis-servers.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ask, freePorts, onPath, serverArgs, startWatched, waitFor } from "./redis-servers.js";

export interface PrivateCluster {
  /** Every node, "127.0.0.1:port". */
  readonly nodes: readonly string[];
  readonly masters: number;
  readonly replicasPerMaster: number;
  /** Stops every node and removes the folder. */
  stop(): Promise<void>;
}

/** What is missing to start a private cluster (redis-server, redis-cli), or undefined when nothing is. */
export function missingForCluster(): string | undefined {
  const missing = ["redis-server", "redis-cli"].filter((c) => !onPath(c));
  return missing.length === 0 ? undefined : missing.join(" and ");
}

/** `redis-cli --cluster create`, bounded in time. */
function create(nodes: readonly string[], replicas: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ["--cluster", "create", ...nodes, "--cluster-replicas", String(replicas), "--cluster-yes"];
    execFile("redis-cli", args, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) =>
      error ? reject(new Error(`redis-cli --cluster create failed: ${`${stdout}${stderr}`.trim().split("\n").slice(-3).join(" ") || error.message}`)) : resolve(),
    );
  });
}

/** Whether a node says the cluster is ok, and its replication is in place (a master with its replicas, a replica linked). */
async function settled(port: number, replicas: number): Promise<boolean> {
  const info = await ask(port, "CLUSTER INFO");
  if (!info?.includes("cluster_state:ok")) return false;
  const replication = (await ask(port, "INFO replication")) ?? "";
  if (replication.includes("role:master")) return new RegExp(`connected_slaves:${replicas}\\r`).test(replication);
  return replication.includes("master_link_status:up");
}

/** Starts the cluster and waits until every node says it is ok. */
export async function startPrivateCluster(options: { masters?: number; replicasPerMaster?: number } = {}): Promise<PrivateCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  // Each node's cluster bus port is set, as port + 10000 may be taken (or past 65535).
  const ports = await freePorts(count * 2);
  const dir = mkdtempSync(join(tmpdir(), "eventwire-demo-cluster-"));
  const args = ports.slice(0, count).map((port, i) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    return [
      ...serverArgs(port, nodeDir),
      "--cluster-enabled", "yes",
      "--cluster-config-file", join(nodeDir, "nodes.conf"),
      "--cluster-port", String(ports[count + i]),
      "--cluster-node-timeout", "5000",
      "--repl-diskless-sync", "yes",
      "--repl-diskless-sync-delay", "0",
    ];
  });
  const servers = startWatched(args, dir);
  const nodes = ports.slice(0, count).map((port) => `127.0.0.1:${port}`);
  const stop = (): Promise<void> => servers.stop();
  try {
    const deadline = Date.now() + 60_000;
    const all = async (check: (port: number) => Promise<boolean>): Promise<boolean> =>
      (await Promise.all(ports.slice(0, count).map(check))).every(Boolean);
    if (!(await waitFor(() => all(async (port) => (await ask(port, "PING", 500))?.startsWith("+PONG") === true), servers.running, deadline))) {
      throw new Error(`the cluster's redis-servers did not start (ports ${ports.slice(0, count).join(", ")})`);
    }
    await create(nodes, replicas, 30_000);
    if (!(await waitFor(() => all((port) => settled(port, replicas)), servers.running, deadline))) {
      throw new Error(`the private Redis Cluster on ${nodes.join(", ")} did not become ready in time`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, masters, replicasPerMaster: replicas, stop };
}
