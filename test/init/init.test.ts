// The README's "Your own events" steps, followed in a temporary folder
// against the packed tarball: npm pack, npm init, npm install of the tarball,
// eventwire init, npm install (from the npm registry), npm run generate, a
// strict type-check, then one event published and consumed on a private
// redis-server by a program compiled in that folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { root } from "../support/cli.js";
import { pack } from "../support/pack.js";
import { RedisServer } from "../support/redis.js";

/** Each npm step's limit; the whole test's is below. */
const STEP_MS = 240_000;
/** Installs use what npm's cache holds, and skip what a test does not need. */
const INSTALL_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];

const work = mkdtempSync(join(tmpdir(), "eventwire-init-e2e-"));
const project = join(work, "my-service");
let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

/** What `npm test` sets for its own scripts that would make npm, in the project, act on the repository instead. */
const NPM_RUN_VARIABLES = /^(npm_(?!config_).*|npm_config_local_prefix|npm_config_call|INIT_CWD)$/i;

/**
 * The environment of a user's shell: without what npm sets for the running
 * script (npm's settings, npm_config_registry say, stay), the test runner's
 * variables, and the repository's node_modules/.bin on PATH.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (NPM_RUN_VARIABLES.test(key) || key === "NODE_TEST_CONTEXT" || key === "NODE_OPTIONS" || key === "REDIS_URL") continue;
    env[key] = value;
  }
  env["PATH"] = (process.env["PATH"] ?? "")
    .split(delimiter)
    .filter((dir) => !dir.startsWith(join(root, "node_modules")))
    .join(delimiter);
  return { ...env, ...extra };
}

/** Runs one step as a user would type it; fails with its output when it fails. */
function step(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): string {
  const r = spawnSync(command, args, { cwd: options.cwd, env: userEnv(options.env), encoding: "utf8", timeout: STEP_MS });
  const line = `${command} ${args.join(" ")} (in ${options.cwd})`;
  if (r.error) assert.fail(`${line}: ${r.error.message}`);
  assert.equal(r.status, 0, `${line} exited with ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The commands of the README's "Your own events" steps, one a line. */
function readmeSteps(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /^### Your own events, from an empty folder\n\n```sh\n([\s\S]*?)```/m.exec(readme);
  assert.ok(block, 'the README has no "Your own events, from an empty folder" section opening with a sh block');
  const lines = block[1]!.trim().split("\n");
  assert.deepEqual(lines, ["mkdir my-service && cd my-service", "npm init -y", "npm install eventwire", "npx eventwire init", "npm install", "npm run generate"]);
  return lines;
}

/** The npm registry must answer: the second npm install fetches ts-proto, buf and the rest from it. */
function requireRegistry(): void {
  const registry = spawnSync("npm", ["config", "get", "registry"], { env: userEnv(), encoding: "utf8" }).stdout.trim();
  const ping = spawnSync("npm", ["ping", "--fetch-retries=0", "--fetch-timeout=20000"], { cwd: work, env: userEnv(), encoding: "utf8", timeout: 60_000 });
  if (ping.status !== 0) {
    assert.fail(
      `the npm registry (${registry || "npm's default"}) cannot be reached: ${(ping.error?.message ?? ping.stderr).trim()}\n` +
        "This test installs ts-proto, @bufbuild/buf and the other packages eventwire init adds, as a user's npm install does: " +
        "run it where the registry is reachable.",
    );
  }
}

/** The program the test compiles in the project: one event of each entry format, published and consumed. */
const SMOKE = `// Publishes a UserSignedUpEvent in each entry format to the Redis at REDIS_URL, consumes them, prints what arrived.
import { connectRedis } from "eventwire/redis";
import { registry, type AppEvent } from "./events.js";

// The payload is typed: a misspelt field does not compile.
// @ts-expect-error: "emial" is not a field of UserSignedUpEvent
export const misspelt = (): unknown => registry.create("UserSignedUpEvent", { emial: "ada@example.com" });

const transport = await connectRedis({ registry });
// The int64 field is a bigint: 2^60 + 1 arrives exact, in both entry formats.
const sent = registry.create("UserSignedUpEvent", { userId: "user-42", email: "ada@example.com", invitations: 3, creditMinor: 2n ** 60n + 1n });
await transport.publish("signups", sent);
await transport.publish("signups", sent, { format: "binary" });

const received: AppEvent[] = [];
const consumer = await transport.consume("signups", { UserSignedUpEvent: (event) => void received.push(event) });
await consumer.drain();
await transport.close();
for (const event of received) {
  switch (event.eventType) {
    case "UserSignedUpEvent":
      console.log(JSON.stringify({ same: event.eventId === sent.eventId, payload: event.payload }, (_, v: unknown) => (typeof v === "bigint" ? \`\${v}n\` : v)));
  }
}
`;

test("from an empty folder to an event published and consumed, with the packed eventwire", { timeout: 10 * 60_000 }, async () => {
  requireRegistry();

  // npm pack runs prepack (the build): the tarball has dist/, the Redis scripts included.
  const packed = await pack(work, userEnv());
  const tarball = join(work, packed.filename);
  const inTarball = new Set(packed.files.map((f) => f.path));
  const scripts = readdirSync(join(root, "src", "redis", "lua")).filter((name) => name.endsWith(".lua"));
  for (const path of ["dist/src/index.js", "dist/src/redis/index.js", "dist/src/cli/main.js", "dist/src/redis/lua/lib/streams.lua", ...scripts.map((name) => `dist/src/redis/lua/${name}`)]) {
    assert.ok(inTarball.has(path), `the tarball lacks ${path}`);
  }

  // The README's steps, as written there, with the tarball for "eventwire".
  let init = "";
  for (const line of readmeSteps()) {
    if (line === "mkdir my-service && cd my-service") mkdirSync(project);
    else if (line === "npm install eventwire") step("npm", ["install", tarball, ...INSTALL_FLAGS], { cwd: project });
    else if (line === "npm install") step("npm", ["install", ...INSTALL_FLAGS], { cwd: project });
    else if (line === "npx eventwire init") init = step("npx", ["--no", "--", "eventwire", "init"], { cwd: project });
    else step(line.split(" ")[0]!, line.split(" ").slice(1), { cwd: project });
  }
  assert.match(init, /^ {2}wrote +buf\.gen\.yaml$/m);
  assert.match(init, /\nNext:\n {2}npm install +#.*\n {2}npm run generate +#/);
  step("npm", ["run", "lint:proto"], { cwd: project });

  // What the generated code imports at run time is the project's own dependency, not one hoisted from eventwire's.
  const generated = join(project, "src", "gen", "my_service", "v1", "events.ts");
  assert.ok(existsSync(generated), "npm run generate wrote no src/gen/my_service/v1/events.ts");
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { type: string; dependencies: Record<string, string> };
  assert.equal(pkg.type, "module");
  const imported = [...readFileSync(generated, "utf8").matchAll(/^import .* from "([^".][^"]*)";$/gm)].map((m) => m[1]!.match(/^(@[^/]+\/[^/]+|[^/]+)/)![1]!);
  assert.deepEqual([...new Set(imported)].sort(), ["@bufbuild/protobuf", "ts-proto-descriptors"]);
  for (const name of imported) assert.ok(pkg.dependencies[name], `${name} is imported by the generated code but not in the project's dependencies`);

  // The installed eventwire has its Redis scripts where connectRedis loads them.
  const installed = join(project, "node_modules", "eventwire", "dist", "src", "redis", "lua");
  assert.deepEqual(readdirSync(installed).filter((name) => name.endsWith(".lua")).sort(), scripts.sort());
  assert.deepEqual(readdirSync(join(installed, "lib")).sort(), readdirSync(join(root, "src", "redis", "lua", "lib")).sort());

  // Strictly type-checked with the project's tsconfig and TypeScript, compiled, run.
  writeFileSync(join(project, "src", "smoke.ts"), SMOKE);
  step("npx", ["--no", "--", "tsc", "-p", "tsconfig.json", "--strict", "--noEmit"], { cwd: project });
  step("npm", ["run", "build"], { cwd: project });
  const out = step("node", ["dist/smoke.js"], { cwd: project, env: { REDIS_URL: server.url } });
  const lines = out.trim().split("\n").map((line) => JSON.parse(line) as unknown);
  const arrived = { same: true, payload: { userId: "user-42", email: "ada@example.com", invitations: 3, creditMinor: "1152921504606846977n" } };
  assert.deepEqual(lines, [arrived, arrived]);
});
