// The proto contract and the code generated from it: buf lint passes, the
// files are formatted, and `gen/`, `python/gen/` and `go/gen/` are exactly
// what the generators make now.
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

// Each template and the folder it writes: TypeScript (ts-proto), Python
// (protoc's Python and .pyi generators) and Go (protoc-gen-go).
const templates = [
  { template: "buf.gen.yaml", folder: "gen" },
  { template: "buf.gen.python.yaml", folder: "python/gen" },
  { template: "buf.gen.go.yaml", folder: "go/gen" },
] as const;

for (const { template, folder } of templates) {
  test(`${folder}/ is exactly what \`npm run generate\` makes from proto/ (${template})`, () => {
    const out = mkdtempSync(join(tmpdir(), "eventwire-gen-"));
    try {
      const r = run(["generate", "--template", template, "--output", out]);
      assert.equal(r.status, 0, r.output);
      assertSameTree(join(root, folder), join(out, folder), folder, "npm run generate");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
