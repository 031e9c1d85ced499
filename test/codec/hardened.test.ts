// Hardened runtimes: under `node --disallow-code-generation-from-strings`
// (where `new Function` throws) importing eventwire works, and the
// interpreted codec it falls back to makes the same bytes and the same
// events as the compiled codec. (The whole of test/codec also runs a second
// time with EVENTWIRE_CODEC=interpreted: see scripts/run-tests.mjs.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { shopRegistry } from "../../examples/shop/events.js";
import { sampleEvents } from "../support/codec.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A script that encodes the sample events and a bigint all-types event, decodes them again, and prints what it got. */
const script = `
import { createRegistry } from "eventwire";
import { shopRegistry } from "./examples/shop/events.ts";
import { sampleEvents } from "./test/support/codec.ts";
import * as full from "./test/fixtures/gen-bigint/fixtures/full/v1/full.ts";
let generated = true;
try { new Function("return 1"); } catch { generated = false; }
const r = createRegistry([full.EverythingEvent], { files: [full.protoMetadata] });
const e = r.create("EverythingEvent", { all: { fInt64: 2n ** 60n + 1n, mBoolInt32: new Map([[true, 1]]), rSint64: [-(2n ** 63n)] }, known: { ts: new Date(1500), struct: { a: [1, "x", null] }, int64Value: 2n ** 62n } }, { eventId: "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", timestamp: 1.5 });
const out = sampleEvents().map((s) => Buffer.from(shopRegistry.toBinary(shopRegistry.fromBinary(shopRegistry.toBinary(s)))).toString("hex"));
out.push(Buffer.from(r.toBinary(r.fromBinary(r.toBinary(e)))).toString("hex"), r.toJson(r.fromJson(r.toJson(e))));
console.log(JSON.stringify({ generated, out }));
`;

function run(flags: string[], env: Record<string, string> = {}): { generated: boolean; out: string[] } {
  const r = spawnSync(process.execPath, [...flags, "--conditions=eventwire-source", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env, EVENTWIRE_CODEC: env["EVENTWIRE_CODEC"] ?? "" },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { generated: boolean; out: string[] };
}

test("under --disallow-code-generation-from-strings eventwire loads and its codec gives what the compiled codec gives", () => {
  const hardened = run(["--disallow-code-generation-from-strings"]);
  assert.equal(hardened.generated, false, "the flag took effect");
  const normal = run([]);
  assert.equal(normal.generated, true);
  assert.deepEqual(hardened.out, normal.out);
  // and what this process's registry makes
  assert.deepEqual(hardened.out.slice(0, 3), sampleEvents().map((s) => Buffer.from(shopRegistry.toBinary(s)).toString("hex")));
});

test("EVENTWIRE_CODEC=interpreted asks for the interpreted codec where code generation works, with the same results", () => {
  assert.deepEqual(run([], { EVENTWIRE_CODEC: "interpreted" }).out, run([]).out);
});
