// Generates the TypeScript of the test fixtures' .proto files
// (test/fixtures/proto/ into test/fixtures/gen/) with exactly the plugin and
// options of buf.gen.yaml: the template is buf.gen.yaml with its output
// folder replaced, so the two cannot drift apart.
//
//   npm run generate:fixtures
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const fixturesProto = "test/fixtures/proto";
export const fixturesGen = "test/fixtures/gen";

/** buf.gen.yaml, writing into `out` instead of gen/. */
export function fixturesTemplate(out: string): string {
  const template = readFileSync(join(root, "buf.gen.yaml"), "utf8");
  const outLine = /^(\s+out:\s*)gen\s*$/m;
  if (!outLine.test(template)) throw new Error("buf.gen.yaml has no `out: gen` line to redirect");
  return template.replace(outLine, (_, prefix: string) => `${prefix}${JSON.stringify(out)}`);
}

/** Runs buf generate over the fixture protos into `out` (relative to the repository root, or absolute). */
export function generateFixtures(out: string = fixturesGen): { status: number | null; output: string } {
  const buf = join(root, "node_modules", ".bin", "buf");
  const r = spawnSync(buf, ["generate", fixturesProto, "--template", fixturesTemplate(out)], { cwd: root, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = generateFixtures();
  if (r.output) process.stderr.write(r.output);
  process.exit(r.status ?? 1);
}
