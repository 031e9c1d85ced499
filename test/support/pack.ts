/**
 * The package as npm packs it, made once at a time: `npm pack` runs the
 * build (prepack), and two test files packing at once would write dist/
 * together, so a lock folder in the system's temporary folder lets one
 * pack while the other waits.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { root } from "./cli.js";

/** What `npm pack --json` says of one package. */
export interface Packed {
  readonly filename: string;
  readonly files: readonly { readonly path: string; readonly size: number }[];
  readonly unpackedSize: number;
}

const LOCK = join(tmpdir(), `eventwire-pack-${Buffer.from(root).toString("base64url").slice(-24)}.lock`);
/** A lock older than this was left by a killed process. */
const STALE_MS = 10 * 60_000;

async function locked<T>(work: () => T): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(250);
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function npmPack(args: readonly string[], env: NodeJS.ProcessEnv): Packed {
  const r = spawnSync("npm", ["pack", "--json", ...args], { cwd: root, env, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm pack ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as Packed[])[0]!;
}

/** Packs the package into `destination` (building it first, as `npm pack` does); `env` is the environment npm runs in. */
export function pack(destination: string, env: NodeJS.ProcessEnv = process.env): Promise<Packed> {
  return locked(() => npmPack(["--pack-destination", destination], env));
}

/** What `npm pack --dry-run` would put in the tarball, after a build (which it does not run itself). */
export function packDryRun(env: NodeJS.ProcessEnv = process.env): Promise<Packed> {
  return locked(() => {
    const build = spawnSync("npm", ["run", "build"], { cwd: root, env, encoding: "utf8", timeout: 300_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    return npmPack(["--dry-run", "--ignore-scripts"], env);
  });
}
