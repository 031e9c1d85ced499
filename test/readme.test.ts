// The README's examples run exactly as written: every ```ts block preceded
// by `<!-- run: name -->` is written to a file inside the package (so that
// `eventwire/...` imports resolve) and run against a private redis-server,
// and what it prints is checked; every ```python block so marked is run the
// same way with Debian's Python and the Python package (PYTHONPATH=python).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { f, PythonLeanMQ } from "./support/leanmq-model.js";
import { RedisServer } from "./support/redis.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = [...readme.matchAll(/<!-- run: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, code: m[2]! }));
const pythonExamples = [...readme.matchAll(/<!-- run: ([\w-]+) -->\n```python\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, code: m[2]! }));

/** What each Python example must print. */
const pythonExpectations: Record<string, RegExp[]> = {
  "python-codec": [/^True\nTrue\n2\ninvalid-event-id event_id\n$/],
  "python-transport": [/^order-9 20\.0 1\norder-9 20\.0 1\n2 0\n$/],
  "python-bus": [/^\['OrderShippedEvent'\]\n$/],
};

/**
 * The example's code as it runs from test/.tmp: its imports of the
 * repository's files (`./examples/…`, `./gen/…`) are written as from the
 * repository's root, where a reader runs them.
 */
function atRoot(code: string): string {
  return code.replace(/from "\.\/(?!\.)/g, 'from "../../');
}

/** What each example must print (in order), and what must be in Redis before it runs. */
const expectations: Record<string, { output: RegExp[]; setup?: (url: string) => Promise<void> }> = {
  codec: {
    output: [/^2 items, total 65\.96$/m, /^true\ntrue$/m, /^invalid-event-id event_id$/m],
  },
  "publish-and-consume": {
    output: [/^\d+-\d+: TRACK-4F2A9C01 \(delivery 1\)$/m, /^true 2$/m],
  },
  bus: {
    output: [/^\[ 'OrderCreatedEvent', 'PaymentProcessedEvent' \]$/m],
  },
  observe: {
    output: [/^dead-lettered: OrderShippedEvent permanent-failure$/m, /^true$/m, /^process orders, process orders, publish orders, publish orders, publish payments 1$/m],
  },
  "dead-letters": {
    output: [/^\d+-\d+ PaymentProcessedEvent 2 handler-failed \(attempt 2 of 2\): Error: ledger offline$/m, /^1$/m, /^2 0 0 1$/m],
  },
  leanmq: {
    output: [/^order-9 20$/m],
    setup: async (url) => {
      // What a Python service's LeanMQ writes for
      //   orders, _ = mq.create_queue_pair("orders")
      //   orders.send_message(serialize_event(OrderCreatedEvent("order-9", "user-3", 20.0, [])))
      const python = new PythonLeanMQ(url);
      python.createQueuePair("mq:", "orders");
      python.sendEvents("mq:", "orders", [{ event_type: "OrderCreatedEvent", order_id: "order-9", user_id: "user-3", total: f(20), items: [] }]);
    },
  },
};

describe("README examples", () => {
  let server: RedisServer;
  const dir = join(root, "test", ".tmp");
  before(async () => {
    server = await RedisServer.start();
    mkdirSync(dir, { recursive: true });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("every runnable example has expectations, and every expectation an example", () => {
    assert.deepEqual(examples.map((e) => e.name).sort(), Object.keys(expectations).sort());
    assert.deepEqual(pythonExamples.map((e) => e.name).sort(), Object.keys(pythonExpectations).sort());
  });

  for (const { name, code } of pythonExamples) {
    test(`${name} runs as written (Python)`, async () => {
      const redis = new Redis(server.url);
      await redis.flushall();
      redis.disconnect();
      const file = join(dir, `readme-${name}.py`);
      writeFileSync(file, code);
      const run = spawnSync("/usr/bin/python3", [file], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, REDIS_URL: server.url, PYTHONPATH: join(root, "python"), PYTHONDONTWRITEBYTECODE: "1" },
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
      for (const pattern of pythonExpectations[name]!) assert.match(run.stdout, pattern);
    });
  }

  test("the examples type-check under the project's strict settings", () => {
    const files = examples.map(({ name, code }) => {
      const file = join(dir, `typecheck-${name}.ts`);
      writeFileSync(file, atRoot(code));
      return file;
    });
    const config = join(dir, "tsconfig.json");
    writeFileSync(config, JSON.stringify({ extends: "../../tsconfig.json", include: [], files, compilerOptions: { noEmit: true } }));
    const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: root, encoding: "utf8" });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  for (const { name, code } of examples) {
    test(`${name} runs as written`, async () => {
      const redis = new Redis(server.url);
      await redis.flushall();
      redis.disconnect();
      const expected = expectations[name];
      assert.ok(expected, `no expectations for ${name}`);
      await expected.setup?.(server.url);
      const file = join(dir, `readme-${name}.ts`);
      writeFileSync(file, atRoot(code));
      const run = spawnSync(process.execPath, ["--conditions=eventwire-source", "--import", "tsx", file], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, REDIS_URL: server.url },
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
      for (const pattern of expected.output) assert.match(run.stdout, pattern);
    });
  }
});
