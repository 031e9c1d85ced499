// Loading ioredis 6 (class VerbatimString extends String) makes V8 put
// String.prototype in dictionary mode, which slows every method call on a
// string for the rest of the process. eventwire/redis, which loads ioredis,
// makes it fast again right after (src/redis/string-methods.ts); the codec
// alone (`eventwire`) does not touch it.
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

test("with eventwire/redis loaded, before or after ioredis itself, String.prototype stays fast", () => {
  assert.equal(fastAfter("ioredis"), false, "ioredis alone makes it slow (else this test proves nothing)");
  assert.equal(fastAfter("eventwire/redis"), true);
  assert.equal(fastAfter("ioredis", "eventwire/redis"), true);
  assert.equal(fastAfter("eventwire/redis", "ioredis"), true);
});

test("the codec alone leaves String.prototype as it is", () => {
  assert.equal(fastAfter("eventwire"), true);
  assert.equal(fastAfter("ioredis", "eventwire"), false);
});
