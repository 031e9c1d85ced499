// The fixture protos' generated code (test/fixtures/gen/) is exactly what
// `npm run generate:fixtures` makes now, with buf.gen.yaml's options.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fixturesGen, fixturesTemplate, generateFixtures, root } from "../../scripts/generate-fixtures.js";

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

test("the fixtures' template is buf.gen.yaml with only the output folder changed", () => {
  const main = readFileSync(join(root, "buf.gen.yaml"), "utf8").split("\n");
  const fixture = fixturesTemplate("somewhere/else").split("\n");
  assert.equal(fixture.length, main.length);
  const changed = main.flatMap((line, i) => (line === fixture[i] ? [] : [[line.trim(), fixture[i]!.trim()]]));
  assert.deepEqual(changed, [["out: gen", 'out: "somewhere/else"']]);
});

test("test/fixtures/gen/ is exactly what `npm run generate:fixtures` makes", () => {
  const out = mkdtempSync(join(tmpdir(), "eventwire-fixtures-gen-"));
  try {
    const r = generateFixtures(out);
    assert.equal(r.status, 0, r.output);
    const fresh = files(out);
    const committed = files(join(root, fixturesGen));
    assert.ok(fresh.size > 0, "the generator wrote nothing");
    assert.deepEqual(
      [...committed.keys()].sort(),
      [...fresh.keys()].sort(),
      `${fixturesGen}/ has other files than the generator makes: run \`npm run generate:fixtures\``,
    );
    for (const [name, text] of fresh) {
      assert.equal(committed.get(name), text, `${fixturesGen}/${name} differs: run \`npm run generate:fixtures\` and commit`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
