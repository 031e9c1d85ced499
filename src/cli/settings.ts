/**
 * Where the CLI's settings come from, in order: the command line, the
 * environment (`REDIS_URL`, `EVENTWIRE_PREFIX`, `EVENTWIRE_PROTO`), the
 * config file (`eventwire.config.json`, looked for upward from the working
 * directory, or `--config FILE`), then the built-in defaults.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { usageError } from "./errors.js";

/** The config file's name, looked for in the working directory and every folder above it. */
export const CONFIG_FILE = "eventwire.config.json";

/** The environment variables the CLI reads its defaults from. */
export const ENV = {
  redis: "REDIS_URL",
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
 */
export interface ConfigFile {
  readonly redis?: string;
  readonly prefix?: string;
  readonly proto?: string | readonly string[];
}

const CONFIG_KEYS = ["redis", "prefix", "proto"] as const;

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
  readonly redis: Setting<string>;
  readonly prefix: Setting<string>;
  /** The folders or files of `.proto` event types (absolute), with where each list came from. */
  readonly proto: readonly Setting<string>[];
  /** The config file read, if any. */
  readonly configFile: string | undefined;
}

/** What the command line gave. */
export interface SettingFlags {
  readonly redis?: string | undefined;
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
    const ok = key === "proto" ? typeof v === "string" || (Array.isArray(v) && v.every((p) => typeof p === "string")) : typeof v === "string" && v !== "";
    if (!ok) throw usageError(`the config file ${path}: "${key}" must be ${key === "proto" ? "a path or a list of paths" : "a non-empty string"}`, hint);
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

  const pick = (name: "redis" | "prefix"): Setting<string> => {
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
  return {
    redis: pick("redis"),
    prefix: pick("prefix"),
    proto: proto.filter((p) => !seen.has(p.value) && seen.add(p.value)),
    configFile,
  };
}
