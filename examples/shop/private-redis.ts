/**
 * A private redis-server for the demo: on a free loopback port, with its
 * data in a temporary folder, and tied to the demo's life. It runs under a
 * tiny watchdog process that stops it when asked, on SIGINT or SIGTERM, and
 * when the demo's IPC channel closes, so that even a demo killed with
 * SIGKILL leaves no redis-server behind.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** True when `redis-server` can be run from PATH. */
export function redisServerOnPath(): boolean {
  const r = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

// The watchdog (plain JavaScript, run with `node -e`): argv[1] is the server, the rest its arguments.
const WATCHDOG = `
const { spawn } = require("node:child_process");
const server = spawn(process.argv[1], process.argv.slice(2), { stdio: ["ignore", "ignore", "inherit"] });
const stop = () => server.kill("SIGTERM");
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
server.on("exit", (code) => process.exit(code ?? 0));
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(500);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Starts a redis-server on a free loopback port and waits until it answers. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "eventwire-demo-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--loglevel", "warning"];
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, "redis-server", ...args], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (watchdog.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
