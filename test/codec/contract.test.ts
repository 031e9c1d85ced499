// The proto contract and the code generated from it: buf lint passes, the
// files are formatted, and `gen/` is exactly what the generator makes now.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { assertSameTree } from "../support/generated.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const buf = join(root, "node_modules", ".bin", "buf");

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(buf, args, { cwd: root, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
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
    assertSameTree(join(root, "gen"), join(out, "gen"), "gen", "npm run generate");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
