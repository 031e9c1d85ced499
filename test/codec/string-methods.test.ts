// Loading ioredis 6 (class VerbatimString extends String) makes V8 put
// String.prototype in dictionary mode, which slows every method call on a
// string for the rest of the process. Loading eventwire, before or after
// ioredis, keeps or makes it fast again (src/wire.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `imports` in order in a fresh process and reports whether String.prototype has fast properties. */
function fastAfter(...imports: string[]): boolean {
  const code = `${imports.map((m) => `await import(${JSON.stringify(m)});`).join(" ")} console.log(%HasFastProperties(String.prototype));`;
  const r = spawnSync(
    process.execPath,
    ["--allow-natives-syntax", "--conditions=eventwire-source", "--import", "tsx", "--input-type=module", "-e", code],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === "true";
}

test("with eventwire loaded, before or after ioredis, String.prototype stays fast", () => {
  assert.equal(fastAfter("eventwire/redis"), true);
  assert.equal(fastAfter("eventwire", "ioredis"), true);
  assert.equal(fastAfter("ioredis", "eventwire"), true);
  assert.equal(fastAfter("eventwire", "data:text/javascript,class VerbatimString extends String {}"), true);
});
