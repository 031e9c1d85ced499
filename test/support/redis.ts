/**
 * Real redis-server processes for the tests: each on a free loopback port,
 * with its data in a temporary folder, stopped when the test ends. A test
 * that kills or restarts Redis owns its server; plain tests share one per
 * test file, or use REDIS_URL when it is set.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REDIS_SERVER = process.env["REDIS_SERVER_BIN"] ?? "redis-server";

const HOW_TO_GET_REDIS =
  "These tests need a real redis-server: install it (Debian: `apt-get install redis-server`), " +
  "put it on PATH or point REDIS_SERVER_BIN at it, or set REDIS_URL to a server the tests may write to.";

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface RedisServerOptions {
  /** Turn on the append-only file, so that data survives a restart. Default false. */
  readonly appendOnly?: boolean;
  /** More redis-server arguments (users, TLS). With `tls`, the port given is the TLS port and plain TCP is off. */
  readonly args?: readonly string[];
  /** Serve TLS only, with these PEM files. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A redis-server process the test owns. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  private process: ChildProcess | undefined;
  private readonly options: RedisServerOptions;

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.options = options;
  }

  /** Starts a server on a free loopback port; fails with instructions when redis-server is missing. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const found = spawnSync(REDIS_SERVER, ["--version"], { encoding: "utf8" });
    if (found.error || found.status !== 0) {
      throw new Error(`${REDIS_SERVER} could not be run (${found.error?.message ?? found.stderr}). ${HOW_TO_GET_REDIS}`);
    }
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), "eventwire-redis-")), options);
    await server.startProcess();
    return server;
  }

  /** The URL clients connect with. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    const tls = this.options.tls;
    const args = [
      ...(tls
        ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-auth-clients", "no"]
        : ["--port", String(this.port)]),
      "--bind", "127.0.0.1",
      "--dir", this.dir,
      "--save", "",
      "--appendonly", this.options.appendOnly ? "yes" : "no",
      "--appendfsync", "always",
      "--daemonize", "no",
      "--loglevel", "warning",
      ...(this.options.args ?? []),
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.process = child;
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${stderr}`);
      if (tls ? await listening(this.port) : await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`redis-server did not answer on port ${this.port} within 10 s: ${stderr}`);
  }

  /** Kills the server with SIGKILL (no shutdown save) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /**
   * Starts the server again on the same port and folder (with AOF on, the
   * data is back). With `empty`, the folder is emptied first: the server
   * comes back with no data, as one without persistence does.
   */
  async restart(options: { readonly empty?: boolean } = {}): Promise<void> {
    await this.kill();
    if (options.empty) {
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(this.dir, { recursive: true });
    }
    await this.startProcess();
  }

  /** Freezes the server with SIGSTOP: its connections stay open, and nothing is answered until {@link resume}. */
  pause(): void {
    this.signal("SIGSTOP");
  }

  /** Lets a server frozen by {@link pause} run again (SIGCONT). */
  resume(): void {
    this.signal("SIGCONT");
  }

  /** Whether the server process is running (it may be frozen). */
  get running(): boolean {
    const child = this.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`redis-server on port ${this.port} is not running`);
    this.process!.kill(signal);
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether anything answers on a loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import("node:net").then(({ connect }) => {
      const socket = connect(port, "127.0.0.1");
      socket.setTimeout(500);
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (d) => {
        socket.destroy();
        // +PONG, or -NOAUTH from a server that wants a password: either way it is up
        resolve(d.toString().startsWith("+PONG") || d.toString().startsWith("-NOAUTH"));
      });
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
  });
}

/**
 * A Redis for plain tests: REDIS_URL when set, else a private server started
 * for the caller. `stop` stops the private one (and leaves REDIS_URL alone).
 */
export async function testRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = process.env["REDIS_URL"];
  if (url) return { url, stop: async () => {} };
  const server = await RedisServer.start();
  return { url: server.url, stop: () => server.stop() };
}
