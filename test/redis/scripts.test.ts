// The Redis scripts as files: every .lua file under src/redis/lua is loaded,
// its header names it and counts its keys truly, each is registered under
// a versioned name, and what Redis runs is the bytes of the libraries it
// uses (src/redis/lua/lib) followed by its file's.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { defineScripts, runScript, Scripts } from "../../src/redis/scripts.js";
import { testRedis } from "../support/redis.js";

const dir = new URL("../../src/redis/lua/", import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith(".lua")).sort();
const scripts = Object.values(Scripts);

let redis: { url: string; stop: () => Promise<void> };
before(async () => {
  redis = await testRedis();
});
after(async () => {
  await redis.stop();
});

test("every .lua file is a script, and every script a .lua file", () => {
  assert.deepEqual(scripts.map((s) => `${s.name}.lua`).sort(), files);
});

test("each header gives the name, version, KEYS, ARGV and reply; a fixed key count is the highest KEYS index the body uses", () => {
  for (const script of scripts) {
    const lines = script.source.split("\n");
    assert.equal(lines[0], `-- eventwire script: ${script.name}, version ${script.version}`);
    const header = lines.filter((l) => l.startsWith("--")).join("\n");
    assert.match(header, /^-- KEYS \(/m, script.name);
    assert.match(header, /^-- ARGV: /m, script.name);
    assert.match(header, /^-- Reply: /m, script.name);
    const body = lines.filter((l) => !l.startsWith("--")).join("\n");
    const indexes = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (script.keys === "variable") {
      assert.match(body, /#KEYS/, `${script.name} takes a variable number of keys, so its body must count them`);
    } else {
      assert.equal(Math.max(0, ...indexes), script.keys, `${script.name} declares ${script.keys} keys`);
      assert.doesNotMatch(body, /#KEYS/, script.name);
    }
  }
});

test("each script is registered under a name of its own that carries its version", () => {
  const names = scripts.map((s) => s.command);
  assert.equal(new Set(names).size, names.length);
  for (const s of scripts) assert.equal(s.command, `eventwire_${s.name.replaceAll("-", "_")}_v${s.version}`);
});

test("Redis runs the libraries' bytes, then the file's: the SHA1 it reports is theirs", async () => {
  const client = new Redis(redis.url);
  try {
    for (const name of files) {
      const script = scripts.find((s) => `${s.name}.lua` === name)!;
      const text = [...script.uses.map((lib) => readFileSync(new URL(`${lib}.lua`, dir), "utf8")), readFileSync(new URL(name, dir), "utf8")].join("");
      assert.equal(script.lua, text, name);
      const sha = await client.script("LOAD", text);
      assert.equal(sha, createHash("sha1").update(text).digest("hex"), name);
    }
  } finally {
    client.disconnect();
  }
});

test("the scripts that write streams use the streams library; each library is used", () => {
  for (const name of ["append", "append-packed", "dead-letter", "requeue", "route"]) {
    assert.deepEqual(scripts.find((s) => s.name === name)!.uses, ["lib/streams"], name);
  }
  const libs = readdirSync(new URL("lib/", dir)).filter((n) => n.endsWith(".lua")).map((n) => `lib/${n.slice(0, -4)}`);
  for (const lib of libs) assert.ok(scripts.some((s) => s.uses.includes(lib)), `${lib} is used by no script`);
});

test("a call with the wrong number of keys is refused before it reaches Redis", async () => {
  const client = new Redis(redis.url);
  try {
    defineScripts(client);
    assert.throws(() => runScript(client, Scripts.ack, ["only-one-key"], ["group", "1-0"]), /takes 2 keys, got 1/);
    // with the right number it runs (nothing was pending)
    assert.equal(await runScript(client, Scripts.ack, ["s", "s:expiry"], ["g", "1-0"]), 0);
  } finally {
    client.disconnect();
  }
});
