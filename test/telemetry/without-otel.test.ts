// Without @opentelemetry/api installed, eventwire runs unchanged: a process
// in which the package cannot be loaded — neither by require nor by import,
// as in an installation without the optional peer dependency — publishes,
// routes, consumes and wraps handlers as ever, and traces nothing. Had any
// module of the library imported the package unconditionally, that process
// could not even load it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Headers } from "eventwire";
import { startScript } from "../support/cli.js";
import { testRedis } from "../support/redis.js";

const WORKER = fileURLToPath(new URL("./fixtures/no-otel-worker.ts", import.meta.url));
const HIDE = fileURLToPath(new URL("./fixtures/without-otel.mjs", import.meta.url));

let redis: { url: string; stop: () => Promise<void> };

before(async () => {
  redis = await testRedis();
});

after(async () => {
  await redis.stop();
});

interface Seen {
  otel: { viaImport: boolean; viaRequire: boolean };
  tracing: boolean;
  plainTracing: boolean;
  rootId: string;
  seen: { type: string; headers: Record<string, string> }[];
  deadLettered: string[];
  directHeaders: (Record<string, string> | null)[];
}

async function run(args: readonly string[], hide: boolean): Promise<Seen> {
  const r = await startScript(WORKER, args, {
    timeoutMs: 40_000,
    env: { REDIS_URL: redis.url, NODE_OPTIONS: hide ? `--import=${HIDE}` : undefined },
  }).done;
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

test("with the package there, an explicit tracer provider is used (the control: the hiding below is what changes it)", async () => {
  const seen = await run(["probe"], false);
  assert.deepEqual(seen.otel, { viaImport: true, viaRequire: true });
  assert.equal(seen.tracing, true);
});

test("without @opentelemetry/api: publishing, the bus, middleware and lifecycle events work, and nothing is traced", async () => {
  const seen = await run([], true);
  assert.deepEqual(seen.otel, { viaImport: false, viaRequire: false }, "the package cannot be loaded in that process");
  assert.equal(seen.tracing, false, "an explicit provider is ignored without the API");
  assert.equal(seen.plainTracing, false);
  assert.deepEqual(
    seen.seen.map((s) => s.type),
    ["OrderCreatedEvent", "PaymentProcessedEvent"],
  );
  assert.deepEqual(seen.seen[0]!.headers, {}, "no trace headers");
  assert.deepEqual(seen.seen[1]!.headers, { [Headers.correlationId]: seen.rootId, [Headers.causationId]: seen.rootId }, "correlation needs no OpenTelemetry");
  assert.deepEqual(seen.deadLettered, ["handler-failed"]);
  assert.deepEqual(seen.directHeaders, [{}]);
});
