// The Python package (python/): its own tests — the codec against the
// golden vectors and the TypeScript side's output, the transport on a real
// Redis — run with Debian's Python and pytest, as `npm test` runs them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install python3 python3-protobuf python3-redis python3-pytest (npm test installs them)";

test("the Python package's tests pass (pytest python/tests)", () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing (${INSTALL})`);
  const probe = spawnSync(PYTHON, ["-c", "import google.protobuf, redis, pytest"], { encoding: "utf8" });
  assert.equal(probe.status, 0, `Debian's Python lacks a package the tests need (${INSTALL}):\n${probe.stderr}`);
  const run = spawnSync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", join("python", "tests")], {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  assert.equal(run.status, 0, `pytest failed:\n${run.stdout}\n${run.stderr}`);
  const summary = /(\d+) passed/.exec(run.stdout);
  assert.ok(summary && Number(summary[1]) >= 30, `expected the whole suite to run:\n${run.stdout}`);
  assert.doesNotMatch(run.stdout, /skipped|xfail|deselected/, "no test of the package may be skipped");
});
