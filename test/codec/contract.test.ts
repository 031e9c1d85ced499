// The proto contract and the code generated from it: buf lint passes, the
// files are formatted, and `gen/` is exactly what the generator makes now.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const buf = join(root, "node_modules", ".bin", "buf");

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(buf, args, { cwd: root, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

test("buf lint passes with the STANDARD and comment rules", () => {
  const r = run(["lint"]);
  assert.equal(r.status, 0, r.output);
});

test("proto files are formatted as buf format writes them", () => {
  const r = run(["format", "--diff", "--exit-code"]);
  assert.equal(r.status, 0, r.output);
});

test("gen/ is exactly what `npm run generate` makes from proto/", () => {
  const out = mkdtempSync(join(tmpdir(), "eventwire-gen-"));
  try {
    const r = run(["generate", "--output", out]);
    assert.equal(r.status, 0, r.output);
    const fresh = files(join(out, "gen"));
    const committed = files(join(root, "gen"));
    assert.ok(fresh.size > 0, "the generator wrote nothing");
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "gen/ has other files than the generator makes: run `npm run generate`");
    for (const [name, text] of fresh) {
      const mine = committed.get(name) ?? "";
      if (mine === text) continue;
      const a = mine.split("\n");
      const b = text.split("\n");
      let line = 0;
      while (a[line] === b[line]) line++;
      assert.fail(
        `gen/${name} differs from the generator's output from line ${line + 1} ` +
          `(committed: ${JSON.stringify(a[line])}, generated: ${JSON.stringify(b[line])}): run \`npm run generate\` and commit`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
