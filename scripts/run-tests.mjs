#!/usr/bin/env node
// Runs every test file under test/ (or those named on the command line)
// through Node's test runner, with TypeScript loaded by tsx and the package's
// own imports resolved to its sources.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && !name.startsWith(".")) out.push(...find(path));
    } else if (name.endsWith(".test.ts")) {
      out.push(relative(root, path));
    }
  }
  return out;
}

const given = process.argv.slice(2);
const files = given.length > 0 ? given.flatMap((p) => (statSync(p).isDirectory() ? find(p) : [p])) : find(join(root, "test"));
const result = spawnSync(
  process.execPath,
  ["--conditions=eventwire-source", "--import", "tsx", "--test", "--test-reporter=spec", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
