// The layers of src/ (docs/architecture.md draws them): each file's imports
// go only to its own layer or to the layers it is allowed to stand on, the
// transport and the CLI reach the codec only through public entry points,
// the codec loads no Redis client and no protobufjs, and nothing imports in
// a cycle.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

type Layer =
  | "errors"
  | "wire"
  | "python"
  | "schema"
  | "compile"
  | "codec"
  | "codec entry"
  | "dynamic"
  | "dynamic entry"
  | "leanmq"
  | "store contract"
  | "transport"
  | "transport entry"
  | "redis"
  | "redis entry"
  | "memory"
  | "memory entry"
  | "ui"
  | "ui entry"
  | "cli";

/** The layer of a file under src/. */
function layerOf(file: string): Layer {
  const rules: [RegExp, Layer][] = [
    [/^src\/errors\.ts$/, "errors"],
    [/^src\/wire\//, "wire"],
    [/^src\/python\//, "python"],
    [/^src\/schema\//, "schema"],
    [/^src\/compile\//, "compile"],
    [/^src\/index\.ts$/, "codec entry"],
    [/^src\/[^/]+\.ts$/, "codec"],
    [/^src\/dynamic\/index\.ts$/, "dynamic entry"],
    [/^src\/dynamic\//, "dynamic"],
    [/^src\/transport\/leanmq\//, "leanmq"],
    [/^src\/transport\/store\.ts$/, "store contract"],
    [/^src\/transport\/index\.ts$/, "transport entry"],
    [/^src\/transport\//, "transport"],
    [/^src\/redis\/index\.ts$/, "redis entry"],
    [/^src\/redis\//, "redis"],
    [/^src\/memory\/index\.ts$/, "memory entry"],
    [/^src\/memory\//, "memory"],
    [/^src\/ui\/index\.ts$/, "ui entry"],
    [/^src\/ui\//, "ui"],
    [/^src\/cli\//, "cli"],
  ];
  for (const [pattern, layer] of rules) if (pattern.test(file)) return layer;
  throw new Error(`${file} is in no layer: add it to the rules here and to docs/architecture.md`);
}

/** What each layer may import besides itself. */
const allowed: Record<Layer, readonly Layer[]> = {
  errors: [],
  wire: ["errors"],
  python: ["errors"],
  schema: ["errors", "wire"],
  compile: ["errors", "wire", "schema"],
  codec: ["errors", "wire", "python", "schema", "compile"],
  "codec entry": ["errors", "python", "schema", "codec"],
  dynamic: ["codec entry"],
  "dynamic entry": ["dynamic"],
  leanmq: ["codec entry"],
  "store contract": ["leanmq"],
  transport: ["codec entry", "leanmq", "store contract"],
  "transport entry": ["codec entry", "leanmq", "store contract", "transport"],
  redis: ["codec entry", "transport entry", "leanmq"],
  "redis entry": ["codec entry", "transport entry", "redis"],
  memory: ["codec entry", "transport entry", "leanmq"],
  "memory entry": ["codec entry", "transport entry", "memory"],
  ui: ["codec entry", "transport entry"],
  "ui entry": ["ui"],
  cli: ["codec entry", "dynamic entry", "redis entry", "ui entry"],
};

/** npm packages each layer may load (node: built-ins are free). */
const packages: Partial<Record<Layer, readonly string[]>> = {
  codec: ["uuid", "@bufbuild/protobuf/wire"],
  schema: ["@bufbuild/protobuf/wire"],
  dynamic: ["protobufjs", "@bufbuild/protobuf/wire"],
  leanmq: ["uuid"],
  // (for types only, and loaded at run time only where it may be missing: see the test below)
  transport: ["uuid", "@opentelemetry/api"],
  redis: ["ioredis"],
  "redis entry": ["ioredis"],
  cli: ["uuid"],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(relative(root, path));
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Each file's imports: files of src/ (relative imports) and packages. */
function imports(): Map<string, { files: string[]; packages: string[] }> {
  const out = new Map<string, { files: string[]; packages: string[] }>();
  for (const file of sourceFiles(join(root, "src"))) {
    const text = readFileSync(join(root, file), "utf8");
    const entry = { files: [] as string[], packages: [] as string[] };
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith(".")) entry.files.push(normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"));
      else if (!spec.startsWith("node:")) entry.packages.push(spec);
    }
    out.set(file, entry);
  }
  return out;
}

test("every import goes to the file's own layer or to one it stands on", () => {
  const wrong: string[] = [];
  for (const [file, { files }] of imports()) {
    const from = layerOf(file);
    for (const target of files) {
      const to = layerOf(target);
      if (to !== from && !allowed[from].includes(to)) wrong.push(`${file} (${from}) imports ${target} (${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("each layer loads only the npm packages it needs: no Redis client in the codec or the transport, no protobufjs outside eventwire/dynamic", () => {
  const wrong: string[] = [];
  for (const [file, { packages: used }] of imports()) {
    const layer = layerOf(file);
    for (const name of used) if (!(packages[layer] ?? []).includes(name)) wrong.push(`${file} (${layer}) loads ${name}`);
  }
  assert.deepEqual(wrong, []);
});

test("@opentelemetry/api is optional: imported for its types only, and loaded at run time in one place, where its absence is caught", () => {
  const loads: string[] = [];
  for (const file of sourceFiles(join(root, "src"))) {
    const text = readFileSync(join(root, file), "utf8");
    for (const line of text.split("\n")) {
      if (!line.includes('"@opentelemetry/api"') || /^\s*(\/\/|\*|\/\*\*)/.test(line)) continue;
      const typeOnly = /^\s*import type\b/.test(line) || /^\} from "@opentelemetry\/api";$/.test(line.trim()) || /typeof import\("@opentelemetry\/api"\)/.test(line);
      if (!typeOnly) loads.push(`${file}: ${line.trim()}`);
    }
    // a multi-line `import {` … `} from "@opentelemetry/api"` must be `import type {`
    for (const m of text.matchAll(/(^|\n)import (type )?\{[^}]*\} from "@opentelemetry\/api";/g)) {
      if (m[2] === undefined) loads.push(`${file}: a value import of @opentelemetry/api`);
    }
  }
  assert.deepEqual(loads, ['src/transport/telemetry/otel-api.ts: loaded = createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;']);
  const loader = readFileSync(join(root, "src/transport/telemetry/otel-api.ts"), "utf8");
  assert.match(loader, /try \{\s*loaded = createRequire\(import\.meta\.url\)\("@opentelemetry\/api"\) as OtelApi;\s*\} catch \{/);
});

test("no import cycle among the files of src/", () => {
  const graph = imports();
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of graph.get(file)?.files ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("every file of src/ opens with a comment saying what it is for", () => {
  const bare = sourceFiles(join(root, "src")).filter((file) => {
    const first = readFileSync(join(root, file), "utf8").split("\n").find((line) => !line.startsWith("#!")) ?? "";
    return !/^(\/\*\*|\/\/) ?\S/.test(first) && first !== "/**";
  });
  assert.deepEqual(bare, []);
});
