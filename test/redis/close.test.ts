// Closing a transport lets go of everything built on it: a process that
// used the event bus and closed its transport exits by itself (the bus's
// router used to keep reading, and the process alive).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});

after(async () => {
  await server?.stop();
});

test("a process that used the event bus exits by itself once its transport is closed", async () => {
  const script = fileURLToPath(new URL("./fixtures/close-bus.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=eventwire-source", "--import", "tsx", script, server.url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // (a generous bound: the point is that it ends at all, not how fast)
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(out.trim(), "closed", err);
  assert.equal(code, 0, `the process did not exit by itself after closing its transport (killed after 30 s); stderr: ${err}`);
});
