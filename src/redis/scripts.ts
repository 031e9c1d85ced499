/**
 * The Lua scripts that make the multi-step operations atomic on the server,
 * read from the `.lua` files beside this module (`lua/`). Each file opens
 * with a header giving its name and version, the libraries it uses
 * (`lua/lib/`, run in front of it), its KEYS (and how many), its ARGV and
 * its reply; the key count is read from there, once, and each script is
 * registered with ioredis under a name that carries its version, so that a
 * changed script is never mistaken for an older one.
 *
 * Each script runs as one step: a crash of the client at any point leaves
 * all of an operation's effects or none.
 */
import { readFileSync } from "node:fs";
import type { ChainableCommander, Cluster, Redis } from "ioredis";

/** One script, as its file declares it. */
export interface RedisScript {
  /** The file's name without `.lua`, e.g. `dead-letter`. */
  readonly name: string;
  readonly version: number;
  /** The number of KEYS, or `variable` when each call says. */
  readonly keys: number | "variable";
  /** The file's text. */
  readonly source: string;
  /** The libraries it uses (`lib/<name>.lua`), in the order its header names them. */
  readonly uses: readonly string[];
  /** What Redis runs: the libraries' text, then the file's, each ending in a newline (the same bytes, the same SHA1, in every client). */
  readonly lua: string;
  /** The name it is registered under with ioredis: `eventwire_<name>_v<version>`. */
  readonly command: string;
}

const HEADER = /^-- eventwire script: ([a-z-]+), version (\d+)\n/;
const KEYS_LINE = /^-- KEYS \((\d+|variable)\): /m;
const USES_LINE = /^-- Uses: (.+)$/m;
const LIBRARY_HEADER = /^-- eventwire library: ([a-z-]+), version (\d+)\n/;

function read(path: string): string {
  return readFileSync(new URL(`./lua/${path}.lua`, import.meta.url), "utf8");
}

/** Reads and checks `lua/<name>.lua` and the libraries it uses. */
function load(name: string): RedisScript {
  const source = read(name);
  const header = HEADER.exec(source);
  const keys = KEYS_LINE.exec(source);
  if (!header || header[1] !== name || !keys) {
    throw new Error(`src/redis/lua/${name}.lua must open with "-- eventwire script: ${name}, version N" and declare "-- KEYS (n): …"`);
  }
  const uses = USES_LINE.exec(source)?.[1]!.split(",").map((u) => u.trim()) ?? [];
  const libraries = uses.map((lib) => {
    const text = read(lib);
    if (!lib.startsWith("lib/") || LIBRARY_HEADER.exec(text)?.[1] !== lib.slice(4)) {
      throw new Error(`src/redis/lua/${name}.lua uses ${lib}, which is not a library (lib/<name>.lua opening with "-- eventwire library: <name>, version N")`);
    }
    return text;
  });
  const version = Number(header[2]);
  return {
    name,
    version,
    keys: keys[1] === "variable" ? "variable" : Number(keys[1]),
    source,
    uses,
    lua: [...libraries, source].map((t) => (t.endsWith("\n") ? t : t + "\n")).join(""),
    command: `eventwire_${name.replaceAll("-", "_")}_v${version}`,
  };
}

/** Every script, by what it does. */
export const Scripts = {
  append: load("append"),
  appendPacked: load("append-packed"),
  ack: load("ack"),
  deadLetter: load("dead-letter"),
  requeue: load("requeue"),
  claimIdle: load("claim-idle"),
  claimOne: load("claim-one"),
  touch: load("touch"),
  route: load("route"),
  prune: load("prune"),
  leave: load("leave"),
  addSchema: load("add-schema"),
  copy: load("copy"),
  owned: load("owned"),
  setPartitions: load("set-partitions"),
} as const;

/** A client scripts run on: one server's, or a cluster's (which sends each call to the node of its first key). */
export type ScriptClient = Redis | Cluster;

/** An argument of a script call. */
export type ScriptArg = string | Buffer | number;

type ScriptMethod = (...args: ScriptArg[]) => Promise<unknown>;

/** Registers every script with an ioredis client (once per client). */
export function defineScripts(client: ScriptClient): void {
  for (const script of Object.values(Scripts)) {
    if (typeof (client as unknown as Record<string, unknown>)[script.command] === "function") continue;
    client.defineCommand(script.command, script.keys === "variable" ? { lua: script.lua } : { lua: script.lua, numberOfKeys: script.keys });
  }
}

/**
 * Queues a script call on a pipeline of a client it was registered with
 * (for a call that must share its connection with the next command: WAIT).
 */
export function queueScript(pipeline: ChainableCommander, script: RedisScript, keys: readonly string[], args: readonly ScriptArg[]): void {
  const method = (pipeline as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[script.command];
  if (method === undefined) throw new Error(`the script ${script.name} is not registered with this client`);
  if (script.keys === "variable") method.call(pipeline, keys.length, ...keys, ...args);
  else method.call(pipeline, ...keys, ...args);
}

/**
 * Runs a script through the client it was registered with (EVALSHA, loading
 * it on NOSCRIPT). With `buffers`, the reply's strings come as Buffers.
 */
export function runScript<T>(client: ScriptClient, script: RedisScript, keys: readonly string[], args: readonly ScriptArg[], buffers = false): Promise<T> {
  const method = (client as unknown as Record<string, ScriptMethod>)[buffers ? `${script.command}Buffer` : script.command];
  if (method === undefined) throw new Error(`the script ${script.name} is not registered with this client`);
  if (script.keys === "variable") return method.call(client, keys.length, ...keys, ...args) as Promise<T>;
  if (keys.length !== script.keys) throw new Error(`the script ${script.name} takes ${script.keys} keys, got ${keys.length}`);
  return method.call(client, ...keys, ...args) as Promise<T>;
}
