#!/usr/bin/env node
// Runs every test file under test/ (or those named on the command line)
// through Node's test runner, with TypeScript loaded by tsx and the package's
// own imports resolved to its sources; then the codec's tests (test/codec/)
// among them a second time with EVENTWIRE_CODEC=interpreted, so that both
// codec modes pass the same suite.
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
const run = (list, env) =>
  spawnSync(process.execPath, ["--conditions=eventwire-source", "--import", "tsx", "--test", "--test-reporter=spec", ...list], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  }).status ?? 1;

const codec = files.filter((f) => f.split(/[\\/]/).slice(0, 2).join("/") === "test/codec");
const status = run(files, {});
let interpreted = 0;
if (codec.length > 0) {
  console.log(`\n# ${codec.length} codec test files again, with the interpreted codec (EVENTWIRE_CODEC=interpreted)\n`);
  interpreted = run(codec, { EVENTWIRE_CODEC: "interpreted" });
}
process.exit(status !== 0 ? status : interpreted);
