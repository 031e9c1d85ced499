/**
 * What the demo's private Redis (one server, or a cluster of them) is made
 * of: redis-server processes on free loopback ports under one tiny watchdog
 * process, which stops them all when asked, on SIGINT or SIGTERM, when the
 * demo's IPC channel closes, and when any of them exits, then removes their
 * data folder, so that even a demo killed with SIGKILL leaves no
 * redis-server (nor its folder) behind; and a way to ask a server one
 * command without a client library.
 */
import { spawn, spawnSync } from "node:child_process";
import { connect, createServer } from "node:net";

/** True when `command --version` runs (redis-server, redis-cli). */
export function onPath(command: string): boolean {
  const r = spawnSync(command, ["--version"], { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

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

/** `count` different free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The length of the first complete RESP reply in `text` (simple, error, integer or bulk string), or -1 while it is incomplete. */
function replyLength(text: string): number {
  const eol = text.indexOf("\r\n");
  if (eol < 0) return -1;
  if (text[0] !== "$") return eol + 2;
  const size = Number(text.slice(1, eol));
  if (size < 0) return eol + 2; // a null bulk string
  const end = eol + 2 + size + 2;
  return Buffer.byteLength(text) >= end ? end : -1;
}

/**
 * Sends one inline command (words without spaces) to the server on
 * `127.0.0.1:port` and resolves with its reply as RESP text (`+PONG`,
 * `$…` and the bulk string), or undefined when nothing answered in time.
 */
export function ask(port: number, command: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (value: string | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs);
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (d) => {
      reply += d.toString("utf8");
      if (replyLength(reply) >= 0) done(reply);
    });
    socket.once("error", () => done(undefined));
    socket.once("timeout", () => done(undefined));
  });
}

/** Polls `check` every 20 ms until it holds; false when `stillRunning` turns false or `deadline` passes first. */
export async function waitFor(check: () => Promise<boolean>, stillRunning: () => boolean, deadline: number): Promise<boolean> {
  while (!(await check())) {
    if (!stillRunning() || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

// The watchdog (plain JavaScript, run with `node -e`): argv[1] is a JSON list of the servers' argument lists, argv[2] their folder.
const WATCHDOG = `
const { spawn } = require("node:child_process");
const { rmSync } = require("node:fs");
const servers = JSON.parse(process.argv[1]).map((args) => spawn("redis-server", args, { stdio: ["ignore", "ignore", "inherit"] }));
let running = servers.length;
const stop = () => { for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill("SIGTERM"); };
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for (const s of servers) s.on("exit", (code) => {
  stop();
  if (--running > 0) return;
  rmSync(process.argv[2], { recursive: true, force: true });
  process.exit(code ?? 0);
});
`;

/** redis-server processes under one watchdog. */
export interface WatchedServers {
  /** Whether the watchdog still runs (it ends once every server has). */
  readonly running: () => boolean;
  /** Stops every server and waits until they and the watchdog have exited (and their folder is gone). */
  stop(): Promise<void>;
}

/** Starts a redis-server for each argument list, their data in `dir` (removed at the end), under a watchdog tied to this process. */
export function startWatched(servers: readonly (readonly string[])[], dir: string): WatchedServers {
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, JSON.stringify(servers), dir], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
  const running = (): boolean => watchdog.exitCode === null && watchdog.signalCode === null;
  return {
    running,
    async stop() {
      if (running()) watchdog.kill("SIGTERM");
      await exited;
    },
  };
}

/** The arguments every private redis-server takes: loopback only, its data in `dir`, nothing saved. */
export function serverArgs(port: number, dir: string): string[] {
  return ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--loglevel", "warning"];
}
