// The fixture protos' generated code (test/fixtures/gen/, and gen-bigint/
// and gen-string/ with ts-proto's other representations of 64-bit integers)
// is exactly what `npm run generate:fixtures` makes now, with buf.gen.yaml's
// options.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree } from "../support/generated.js";
import { fixturesGen, fixturesTemplate, generateFixtures, longVariants, root } from "../../scripts/generate-fixtures.js";

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
    assertSameTree(join(root, fixturesGen), out, fixturesGen, "npm run generate:fixtures");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the variants' templates are buf.gen.yaml with the output folder changed and forceLong added", () => {
  const main = readFileSync(join(root, "buf.gen.yaml"), "utf8").split("\n");
  const fixture = fixturesTemplate("x", "bigint").split("\n");
  const added = fixture.filter((line) => !main.includes(line)).map((line) => line.trim());
  assert.deepEqual(added, ['out: "x"', "- forceLong=bigint"]);
});

for (const [folder, forceLong] of Object.entries(longVariants)) {
  test(`${folder}/ is exactly what \`npm run generate:fixtures\` makes with forceLong=${forceLong}`, () => {
    const out = mkdtempSync(join(tmpdir(), "eventwire-fixtures-gen-"));
    try {
      const r = generateFixtures(out, forceLong);
      assert.equal(r.status, 0, r.output);
      assertSameTree(join(root, folder), out, folder, "npm run generate:fixtures");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
