/** What `eventwire init` adds to a project's package.json: ES modules, the scripts, and the packages the generated code and buf need. */
import { CliError, ExitCode } from "../errors.js";
import type { PackageInfo } from "../package-info.js";

/** The scripts init adds. */
export const SCRIPTS: Readonly<Record<string, string>> = {
  generate: "buf generate",
  "lint:proto": "buf lint",
  build: "tsc",
};

/** The packages a project needs, by section, with the ranges eventwire itself uses. */
export interface Needed {
  /** Loaded at run time: eventwire, and what ts-proto's output imports (`@bufbuild/protobuf/wire`, `ts-proto-descriptors`). */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Used to generate and compile: buf, ts-proto, TypeScript and Node's types. */
  readonly devDependencies: Readonly<Record<string, string>>;
}

const RUNTIME = ["@bufbuild/protobuf", "ts-proto-descriptors"] as const;
const TOOLS = ["@bufbuild/buf", "ts-proto", "typescript", "@types/node"] as const;

/** The packages to add, read from eventwire's package.json; a failure naming the range it lacks. */
export function neededPackages(eventwire: PackageInfo): Needed {
  const all: Record<string, string> = { ...eventwire.devDependencies, ...eventwire.dependencies };
  const range = (name: string): string => {
    const r = all[name];
    if (r === undefined) {
      throw new CliError(`eventwire's package.json names no version of ${name}`, ExitCode.failure, "The installed eventwire package is incomplete: reinstall it.");
    }
    return r;
  };
  return {
    dependencies: sorted({ eventwire: `^${eventwire.version}`, ...Object.fromEntries(RUNTIME.map((n) => [n, range(n)])) }),
    devDependencies: sorted(Object.fromEntries(TOOLS.map((n) => [n, range(n)]))),
  };
}

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b, "en")));
}

/** A package.json after init, and what init changed in it, one line each. */
export interface MergedPackageJson {
  readonly json: Record<string, unknown>;
  readonly changes: readonly string[];
  /** Things the user should know: entries kept that may not be what eventwire needs. */
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A section of package.json as a record of strings (a usage error when it is something else). */
function section(pkg: Json, key: string): Record<string, string> {
  const value = pkg[key];
  if (value === undefined) return {};
  if (!isObject(value)) throw new CliError(`package.json's "${key}" is not an object`, ExitCode.usage, `Fix package.json, then run eventwire init again.`);
  return value as Record<string, string>;
}

/**
 * The project's package.json (`existing`, or a new one named `name`) with
 * what eventwire needs: `"type": "module"` (the generated code is ES
 * modules), the scripts (kept when present, unless `force`), and the
 * packages (a package already declared anywhere is never changed).
 */
export function mergePackageJson(existing: Json | undefined, name: string, needed: Needed, force: boolean): MergedPackageJson {
  const pkg: Json = existing ? { ...existing } : { name, version: "0.1.0", private: true };
  const changes: string[] = [];
  const notes: string[] = [];

  if (pkg["type"] !== "module") {
    const was = pkg["type"];
    pkg["type"] = "module";
    if (existing) {
      changes.push(
        was === undefined
          ? `"type": "module" (the generated code is ES modules)`
          : `"type": "module", was ${JSON.stringify(was)} (the generated code is ES modules; rename CommonJS .js files of yours to .cjs)`,
      );
    }
  }

  const scripts = { ...section(pkg, "scripts") };
  const added: string[] = [];
  for (const [script, command] of Object.entries(SCRIPTS)) {
    if (scripts[script] === command) continue;
    if (scripts[script] !== undefined && !force) {
      notes.push(`kept your script "${script}": ${JSON.stringify(scripts[script])} (eventwire's is ${JSON.stringify(command)}; --force replaces it)`);
      continue;
    }
    scripts[script] = command;
    added.push(script);
  }
  pkg["scripts"] = scripts;
  if (existing && added.length > 0) changes.push(`scripts ${added.join(", ")}`);

  const sections = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;
  const declared = new Map<string, string>();
  for (const key of sections) for (const dep of Object.keys(section(pkg, key))) if (!declared.has(dep)) declared.set(dep, key);
  for (const key of ["dependencies", "devDependencies"] as const) {
    const current = { ...section(pkg, key) };
    const addedHere: string[] = [];
    for (const [dep, range] of Object.entries(needed[key])) {
      const where = declared.get(dep);
      if (where === undefined) {
        current[dep] = range;
        addedHere.push(`${dep}@${range}`);
      } else if (key === "dependencies" && where === "devDependencies") {
        notes.push(`${dep} is in devDependencies: the generated code loads it at run time, so it belongs in dependencies`);
      } else if (dep !== "eventwire" && section(pkg, where)[dep] !== range) {
        notes.push(`kept your ${dep}@${section(pkg, where)[dep]} (eventwire is built and tested with ${range})`);
      }
    }
    pkg[key] = sorted(current);
    if (existing && addedHere.length > 0) changes.push(`${key} ${addedHere.join(", ")}`);
  }
  return { json: pkg, changes, notes };
}

/** The npm package name for a folder's name: lowercase, only the characters npm allows. */
export function packageNameFor(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|[-_.]+$/g, "");
  return name === "" ? "events" : name;
}
