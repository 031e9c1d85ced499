/** `eventwire init`'s work: which files go where, refusing to overwrite, then writing them and merging package.json. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { usageError } from "../errors.js";
import type { PackageInfo } from "../package-info.js";
import { mergePackageJson, neededPackages, packageNameFor } from "./package-json.js";
import { bufGenYaml, bufYaml, firstProto, protoFile, REGISTRY_FILE, registryFile, tsconfigJson } from "./templates.js";

export interface ScaffoldOptions {
  /** The project's folder; made when missing. */
  readonly dir: string;
  /** The `.proto` package (`acme.orders.v1`). @defaultValue the project's name, then `.v1` */
  readonly protoPackage?: string | undefined;
  /** Overwrite the files init writes, and replace the scripts it adds. */
  readonly force: boolean;
}

/** What init did, for its report. Paths are relative to the project's folder. */
export interface ScaffoldReport {
  readonly dir: string;
  readonly protoPackage: string;
  /** Files written that were not there. */
  readonly written: readonly string[];
  /** Files written over (with `force`). */
  readonly overwritten: readonly string[];
  /** Whether package.json was made (else merged). */
  readonly packageJsonCreated: boolean;
  /** What was added to an existing package.json, one line each. */
  readonly packageJsonChanges: readonly string[];
  /** What the user should know: what was kept, and why it might matter. */
  readonly notes: readonly string[];
}

/** lower_snake_case names, ending in a version buf's PACKAGE_VERSION_SUFFIX accepts (v1, v2beta1, v1p1alpha, v1test). */
const PROTO_PACKAGE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*((p[1-9][0-9]*)?(alpha|beta)([1-9][0-9]*)?|test[a-z0-9]*)?$/;

/** The default `.proto` package of a project: its name in lower_snake_case, then `.v1`. */
export function defaultProtoPackage(projectName: string): string {
  const base = projectName
    .replace(/^@[^/]*\//, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[_0-9]+|_+$/g, "");
  return `${base === "" ? "events" : base}.v1`;
}

function readPackageJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw usageError(`${path} is not valid JSON: ${(error as Error).message}`, "Fix it (or remove it), then run eventwire init again.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw usageError(`${path} does not hold a JSON object`, "Fix it (or remove it), then run eventwire init again.");
  }
  return parsed as Record<string, unknown>;
}

/** The indentation package.json was written with (npm keeps it), two spaces when new. */
function indentOf(path: string): string | number {
  if (!existsSync(path)) return 2;
  const match = /^\{\r?\n([ \t]+)"/.exec(readFileSync(path, "utf8"));
  return match ? match[1]! : 2;
}

/**
 * Writes the project's eventwire files into `options.dir`. Nothing is
 * written when one of them is already there, unless `force`: the usage
 * error names them. tsconfig.json is written only when there is none;
 * package.json is made, or merged (see {@link mergePackageJson}).
 */
export function scaffold(options: ScaffoldOptions, eventwire: PackageInfo): ScaffoldReport {
  const dir = resolve(options.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw usageError(`${dir} is not a folder`, "Give eventwire init a folder (it is made when missing), or none for the working directory.");
  }
  const packagePath = join(dir, "package.json");
  const existing = readPackageJson(packagePath);
  const projectName = typeof existing?.["name"] === "string" && existing["name"] !== "" ? existing["name"] : packageNameFor(basename(dir));

  const protoPackage = options.protoPackage ?? defaultProtoPackage(projectName);
  if (!PROTO_PACKAGE.test(protoPackage)) {
    throw usageError(
      `--package ${JSON.stringify(protoPackage)} is not a versioned .proto package`,
      "Give lower_snake_case names separated by dots, ending in a version, as buf lint wants it: e.g. --package acme.orders.v1",
    );
  }

  const needed = neededPackages(eventwire);
  const files: [string, string][] = [
    ["buf.yaml", bufYaml()],
    ["buf.gen.yaml", bufGenYaml()],
    [protoFile(protoPackage), firstProto(protoPackage, projectName)],
    [REGISTRY_FILE, registryFile(protoPackage)],
  ];
  const present = files.map(([path]) => path).filter((path) => existsSync(join(dir, path)));
  if (present.length > 0 && !options.force) {
    throw usageError(
      `${present.join(", ")} ${present.length === 1 ? "is" : "are"} already in ${dir}; nothing was written`,
      "Run eventwire init --force to overwrite them, or run it in an empty folder.",
    );
  }
  const notes: string[] = [];
  if (existsSync(join(dir, "tsconfig.json"))) {
    notes.push(`kept your tsconfig.json: the generated code needs "module": "NodeNext" (or "Node16") to resolve its .js imports and eventwire's entry points`);
  } else {
    files.push(["tsconfig.json", tsconfigJson()]);
  }
  const merged = mergePackageJson(existing, projectName, needed, options.force);
  notes.push(...merged.notes);

  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(packagePath, JSON.stringify(merged.json, null, indentOf(packagePath)) + "\n");

  return {
    dir,
    protoPackage,
    written: files.map(([path]) => path).filter((path) => !present.includes(path)),
    overwritten: present,
    packageJsonCreated: existing === undefined,
    packageJsonChanges: merged.changes,
    notes,
  };
}
