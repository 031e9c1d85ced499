// Generates the TypeScript of the test fixtures' .proto files
// (test/fixtures/proto/) with exactly the plugin and options of
// buf.gen.yaml — the template is buf.gen.yaml with its output folder
// replaced, so the two cannot drift apart — into test/fixtures/gen/, and
// again with each of ts-proto's other representations of 64-bit integers
// (`forceLong=bigint`, `forceLong=string`) into gen-bigint/ and gen-string/.
//
//   npm run generate:fixtures
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const fixturesProto = "test/fixtures/proto";
export const fixturesGen = "test/fixtures/gen";

/** The representations of 64-bit integers the fixtures are generated with, besides buf.gen.yaml's own: folder → forceLong. */
export const longVariants = { "test/fixtures/gen-bigint": "bigint", "test/fixtures/gen-string": "string" } as const;

/** buf.gen.yaml, writing into `out` instead of gen/, with `forceLong` set when given. */
export function fixturesTemplate(out: string, forceLong?: string): string {
  const template = readFileSync(join(root, "buf.gen.yaml"), "utf8");
  const outLine = /^(\s+out:\s*)gen\s*$/m;
  if (!outLine.test(template)) throw new Error("buf.gen.yaml has no `out: gen` line to redirect");
  let text = template.replace(outLine, (_, prefix: string) => `${prefix}${JSON.stringify(out)}`);
  if (forceLong !== undefined) {
    const existing = /^(\s+- )forceLong=\w+\s*$/m;
    if (existing.test(text)) text = text.replace(existing, (_, prefix: string) => `${prefix}forceLong=${forceLong}`);
    else text = text.replace(/^([ \t]+- )(\S+)[ \t]*$(?![\s\S]*^[ \t]+- )/m, (line: string, prefix: string) => `${line}\n${prefix}forceLong=${forceLong}`);
  }
  return text;
}

/** Runs buf generate over the fixture protos into `out` (relative to the repository root, or absolute). */
export function generateFixtures(out: string = fixturesGen, forceLong?: string): { status: number | null; output: string } {
  const buf = join(root, "node_modules", ".bin", "buf");
  const r = spawnSync(buf, ["generate", fixturesProto, "--template", fixturesTemplate(out, forceLong)], { cwd: root, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [out, forceLong] of [[fixturesGen, undefined], ...Object.entries(longVariants)] as const) {
    const r = generateFixtures(out, forceLong);
    if (r.output) process.stderr.write(r.output);
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
