/**
 * Where the CLI's settings come from, in order: the command line, the
 * environment (`REDIS_URL` or `REDIS_CLUSTER_NODES`, `EVENTWIRE_PREFIX`,
 * `EVENTWIRE_PROTO`), the config file (`eventwire.config.json`, looked for
 * upward from the working directory, or `--config FILE`), then the built-in
 * defaults.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { parseClusterNodes } from "../redis/index.js";
import { usageError } from "./errors.js";

/** The config file's name, looked for in the working directory and every folder above it. */
export const CONFIG_FILE = "eventwire.config.json";

/** The environment variables the CLI reads its defaults from. */
export const ENV = {
  redis: "REDIS_URL",
  /** A Redis Cluster's seed nodes, `host:port` separated by commas (used when `REDIS_URL` is not set, as `connectRedis` does). */
  cluster: "REDIS_CLUSTER_NODES",
  prefix: "EVENTWIRE_PREFIX",
  /** Folders (or files) of `.proto` event types, separated as in `PATH`. */
  proto: "EVENTWIRE_PROTO",
} as const;

/** The built-in defaults. */
export const BUILT_IN = { redis: "redis://127.0.0.1:6379", prefix: "mq:" } as const;

/**
 * The config file: every key optional. Paths in `proto` are relative to the
 * file's folder.
 *
 * ```json
 * { "redis": "redis://cache.internal:6379/2", "prefix": "events:", "proto": ["proto", "../shared/proto"] }
 * ```
 *
 * `cluster` instead of `redis` names a Redis Cluster's seed nodes (a list,
 * or one string separated by commas); a file may not give both.
 */
export interface ConfigFile {
  readonly redis?: string;
  readonly cluster?: string | readonly string[];
  readonly prefix?: string;
  readonly proto?: string | readonly string[];
}

const CONFIG_KEYS = ["redis", "prefix", "proto", "cluster"] as const;

/** Where a setting's value came from. */
export type Source = "option" | "environment" | "config" | "default";

/** A setting and where it came from (`--prefix`, `$EVENTWIRE_PREFIX`, `/srv/app/eventwire.config.json`, `default`). */
export interface Setting<T> {
  readonly value: T;
  readonly source: Source;
  /** The option, variable or file it was read from. */
  readonly from: string;
}

/** The settings of one run. */
export interface Settings {
  /** One Redis server's URL; undefined when {@link cluster} is in effect instead. */
  readonly redis: Setting<string> | undefined;
  /** A Redis Cluster's seed nodes (checked), when they are in effect instead of {@link redis}. */
  readonly cluster: Setting<readonly string[]> | undefined;
  readonly prefix: Setting<string>;
  /** The folders or files of `.proto` event types (absolute), with where each list came from. */
  readonly proto: readonly Setting<string>[];
  /** The config file read, if any. */
  readonly configFile: string | undefined;
}

/** What the command line gave. */
export interface SettingFlags {
  readonly redis?: string | undefined;
  readonly cluster?: string | undefined;
  readonly prefix?: string | undefined;
  readonly proto?: readonly string[] | undefined;
  readonly config?: string | undefined;
}

/** The nearest `eventwire.config.json` at or above `dir`, if any. */
export function findConfigFile(dir: string): string | undefined {
  let at = resolve(dir);
  for (;;) {
    const candidate = join(at, CONFIG_FILE);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/** Reads and checks a config file; a usage error naming the file and the fault when it is wrong. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw usageError(`cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`the config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw usageError(`the config file ${path} must hold a JSON object`);
  const hint = `Its keys: ${CONFIG_KEYS.join(", ")} (see "eventwire config --help").`;
  for (const [key, v] of Object.entries(value)) {
    if (key === "$schema") continue;
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw usageError(`the config file ${path} has an unknown key ${JSON.stringify(key)}`, hint);
    const list = key === "proto" || key === "cluster";
    const ok = list ? (typeof v === "string" && v !== "") || (Array.isArray(v) && v.every((p) => typeof p === "string")) : typeof v === "string" && v !== "";
    const shape = key === "proto" ? "a path or a list of paths" : key === "cluster" ? 'a list of seed nodes ("host:port"), or one string of them separated by commas' : "a non-empty string";
    if (!ok) throw usageError(`the config file ${path}: "${key}" must be ${shape}`, hint);
  }
  if ("redis" in value && "cluster" in value) {
    throw usageError(`the config file ${path} gives both "redis" (one Redis server) and "cluster" (a Redis Cluster's seed nodes)`, "Keep the one that says where your Redis is.");
  }
  return value as ConfigFile;
}

/** The folder `./proto` of `cwd`, when there is one (a project laid out for buf). */
function localProto(cwd: string): string | undefined {
  const local = resolve(cwd, "proto");
  return existsSync(local) && statSync(local).isDirectory() ? local : undefined;
}

/**
 * The settings in effect. Event types: those of `$EVENTWIRE_PROTO`, else
 * of the config file's `proto`, else of `./proto` when there is one; and,
 * added to them, those of every `--proto`.
 */
export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const configFile = flags.config !== undefined ? resolve(cwd, flags.config) : findConfigFile(cwd);
  if (flags.config !== undefined && !existsSync(configFile!)) throw usageError(`there is no config file ${configFile}`);
  const config = configFile === undefined ? {} : readConfigFile(configFile);
  const configDir = configFile === undefined ? cwd : dirname(configFile);

  const pick = (name: "prefix"): Setting<string> => {
    const flag = flags[name];
    if (flag !== undefined) return { value: flag, source: "option", from: `--${name}` };
    const fromEnv = env[ENV[name]];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: "environment", from: `$${ENV[name]}` };
    const fromConfig = config[name];
    if (fromConfig !== undefined) return { value: fromConfig, source: "config", from: configFile! };
    return { value: BUILT_IN[name], source: "default", from: "default" };
  };

  const proto: Setting<string>[] = [];
  const listed = env[ENV.proto];
  if (listed !== undefined && listed !== "") {
    for (const p of listed.split(delimiter)) if (p !== "") proto.push({ value: resolve(cwd, p), source: "environment", from: `$${ENV.proto}` });
  } else if (config.proto !== undefined) {
    for (const p of typeof config.proto === "string" ? [config.proto] : config.proto) proto.push({ value: resolve(configDir, p), source: "config", from: configFile! });
  } else {
    const local = localProto(cwd);
    if (local !== undefined) proto.push({ value: local, source: "default", from: "./proto" });
  }
  for (const p of flags.proto ?? []) proto.push({ value: resolve(cwd, p), source: "option", from: "--proto" });
  const seen = new Set<string>();
  const where = connection(flags, env, config, configFile);
  return {
    ...where,
    prefix: pick("prefix"),
    proto: proto.filter((p) => !seen.has(p.value) && seen.add(p.value)),
    configFile,
  };
}

/**
 * Where Redis is: one server (`--redis`, `$REDIS_URL`, the file's "redis")
 * or a cluster (`--cluster`, `$REDIS_CLUSTER_NODES`, the file's "cluster"),
 * whichever comes first in the order of the settings; in the environment,
 * `REDIS_URL` wins over `REDIS_CLUSTER_NODES`, as in `connectRedis`.
 * `--redis` and `--cluster` together are a usage error.
 */
function connection(
  flags: SettingFlags,
  env: NodeJS.ProcessEnv,
  config: ConfigFile,
  configFile: string | undefined,
): { redis: Setting<string>; cluster: undefined } | { redis: undefined; cluster: Setting<readonly string[]> } {
  const server = (value: string, source: Source, from: string) => ({ redis: { value, source, from }, cluster: undefined });
  const cluster = (given: string | readonly string[], source: Source, from: string) => ({ redis: undefined, cluster: { value: seedNodes(given, from), source, from } });
  if (flags.redis !== undefined && flags.cluster !== undefined) {
    throw usageError("give either --redis (one Redis server) or --cluster (a Redis Cluster's seed nodes), not both", 'Run "eventwire config --help" for where each setting comes from.');
  }
  if (flags.cluster !== undefined) return cluster(flags.cluster, "option", "--cluster");
  if (flags.redis !== undefined) return server(flags.redis, "option", "--redis");
  const url = env[ENV.redis];
  if (url !== undefined && url !== "") return server(url, "environment", `$${ENV.redis}`);
  const nodes = env[ENV.cluster];
  if (nodes !== undefined && nodes.trim() !== "") return cluster(nodes, "environment", `$${ENV.cluster}`);
  if (config.cluster !== undefined) return cluster(config.cluster, "config", configFile!);
  if (config.redis !== undefined) return server(config.redis, "config", configFile!);
  return server(BUILT_IN.redis, "default", "default");
}

/** A seed list, checked; a usage error naming where it came from when a node is not `host:port` or a redis:// URL. */
function seedNodes(given: string | readonly string[], from: string): string[] {
  try {
    return parseClusterNodes(given);
  } catch (error) {
    throw usageError(`${from}: ${(error as Error).message}`, "Give a Redis Cluster's seed nodes as host:port,host:port (or redis://user:password@host:port).");
  }
}
