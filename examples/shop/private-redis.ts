/**
 * A private redis-server for the demo: on a free loopback port, with its
 * data in a temporary folder, and tied to the demo's life (under the
 * watchdog of redis-servers.ts, so that even a demo killed with SIGKILL
 * leaves no redis-server behind).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ask, freePorts, onPath, serverArgs, startWatched, waitFor } from "./redis-servers.js";

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** True when `redis-server` can be run from PATH. */
export function redisServerOnPath(): boolean {
  return onPath("redis-server");
}

/** Starts a redis-server on a free loopback port and waits until it answers. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const [port] = (await freePorts(1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), "eventwire-demo-redis-"));
  const servers = startWatched([serverArgs(port, dir)], dir);
  const stop = (): Promise<void> => servers.stop();
  if (!(await waitFor(async () => (await ask(port, "PING", 500))?.startsWith("+PONG") === true, servers.running, Date.now() + 10_000))) {
    await stop();
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
