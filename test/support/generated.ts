// Compares a committed tree of generated code with what the generator makes now.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Every file under `dir`, by path relative to it. */
export function files(dir: string): Map<string, string> {
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

/** Fails, naming the first differing line, unless `committed` holds exactly the files of `fresh`. */
export function assertSameTree(committed: string, fresh: string, label: string, regenerate: string): void {
  const want = files(fresh);
  const have = files(committed);
  assert.ok(want.size > 0, "the generator wrote nothing");
  assert.deepEqual([...have.keys()].sort(), [...want.keys()].sort(), `${label}/ has other files than the generator makes: run \`${regenerate}\``);
  for (const [name, text] of want) {
    const mine = have.get(name) ?? "";
    if (mine === text) continue;
    const a = mine.split("\n");
    const b = text.split("\n");
    let line = 0;
    while (a[line] === b[line]) line++;
    assert.fail(
      `${label}/${name} differs from the generator's output from line ${line + 1} ` +
        `(committed: ${JSON.stringify(a[line])}, generated: ${JSON.stringify(b[line])}): run \`${regenerate}\` and commit`,
    );
  }
}
