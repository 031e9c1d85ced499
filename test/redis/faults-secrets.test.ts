// No secret in any output: with a server that wants a password (requirepass
// for the default user, and an ACL user), the errors of a wrong port, a wrong
// password and a malformed URL — their messages, cause chains, util.inspect
// with everything shown, JSON, and console.error in a process of their own —
// the log lines of a transport that lives through an outage, and the CLI's
// output never show the password. A malformed URL is an invalid-option error
// (CLI exit status 2) showing the URL with the password as ***.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { Redis } from "ioredis";
import { connectRedis, isEventwireError, RedisUnavailableError, type Logger } from "eventwire/redis";
import { shopRegistry } from "../../examples/shop/events.js";
import { cli, startScript } from "../support/cli.js";
import { freePort, RedisServer } from "../support/redis.js";
import { timed, until } from "../support/wait.js";

const DEFAULT_PW = "hunter2-Default-pw";
const ALICE_PW = "s3cr3t-Alice-pw";
const WRONG_PW = "wr0ng-Guess-pw";
const SECRETS = [DEFAULT_PW, ALICE_PW, WRONG_PW];
const PRINT_ERROR = fileURLToPath(new URL("./fixtures/print-error.ts", import.meta.url));

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")])) {
      assert.ok(!text.includes(form), `${where} shows a password (${form}):\n${text}`);
    }
  }
}

/** Everything an error can be turned into: message, stack, String, util.inspect showing all, JSON, and the same for each cause. */
function renderings(error: unknown): string {
  const out: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    out.push(String(e), inspect(e, { depth: Infinity, showHidden: true, getters: true }));
    if (e instanceof Error) out.push(e.message, e.stack ?? "");
    try {
      out.push(JSON.stringify(e, Object.getOwnPropertyNames(e)));
    } catch {
      // (a cycle: inspect has it)
    }
    e = (e as { cause?: unknown }).cause;
  }
  return out.join("\n");
}

describe("no secret in any output", { timeout: 180_000 }, () => {
  let server: RedisServer;
  let closedPort: number;
  before(async () => {
    server = await RedisServer.start({ args: ["--requirepass", DEFAULT_PW, "--user", "alice", "on", `>${ALICE_PW}`, "~*", "&*", "+@all"] });
    closedPort = await freePort();
  });
  after(() => server.stop());

  const unreachable = () => [
    [`redis://alice:${ALICE_PW}@127.0.0.1:${closedPort}`, "a wrong port (ACL user)"],
    [`redis://:${DEFAULT_PW}@127.0.0.1:${closedPort}/2`, "a wrong port (requirepass)"],
    [`redis://alice:${WRONG_PW}@127.0.0.1:${server.port}`, "a wrong password (ACL user)"],
    [`redis://:${WRONG_PW}@127.0.0.1:${server.port}`, "a wrong password (requirepass)"],
    [`redis://default:${encodeURIComponent(WRONG_PW + "@/#")}@127.0.0.1:${server.port}`, "a wrong password with characters to escape"],
  ] as const;
  // (the second and third hold '@' and '/' in the password, which a malformed URL leaves to guesswork)
  const MALFORMED = [`redis://u:${ALICE_PW}@host:notaport`, `redis://u:${ALICE_PW}@x@host:notaport`, `redis://u:${ALICE_PW}/x@host:notaport`];

  test("RedisUnavailableError for a wrong port or a wrong password: message, causes, inspect and JSON", async () => {
    for (const [url, what] of unreachable()) {
      const { error } = await timed(() => connectRedis({ registry: shopRegistry, connection: url, connectTimeoutMs: 3000 }));
      assert.ok(error instanceof RedisUnavailableError, `${what}: ${String(error)}`);
      assert.ok(isEventwireError(error, "redis-unavailable"));
      assert.match(error.message, /redis:\/\/[a-z]*:\*\*\*@127\.0\.0\.1/, `${what}: the URL is not shown redacted`);
      assertNoSecret(renderings(error), what);
    }
  });

  test("a malformed URL is an invalid-option error showing the URL redacted", async () => {
    for (const url of MALFORMED) {
      const { error } = await timed(() => connectRedis({ registry: shopRegistry, connection: url }));
      assert.ok(isEventwireError(error, "invalid-option"), String(error));
      assert.match((error as Error).message, /the Redis URL redis:\/\/u:\*\*\*@host:notaport is not a valid URL/);
      assertNoSecret(renderings(error), url.replace(ALICE_PW, "<password>"));
    }
  });

  test("a transport living through an outage and a refusal: its errors and every log line", async () => {
    const lines: string[] = [];
    const keep = (level: string) => (message: string, details?: Record<string, unknown>) =>
      void lines.push(`${level}: ${message}${details === undefined ? "" : " " + inspect(details, { depth: Infinity, showHidden: true })}`);
    const logger: Logger = { debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
    const url = `redis://alice:${ALICE_PW}@127.0.0.1:${server.port}`;
    const transport = await connectRedis({ registry: shopRegistry, connection: url, commandTimeoutMs: 1_000, logger });
    const raw = new Redis(url);
    raw.on("error", () => {}); // (it reconnects through the outage too)
    try {
      const seen: string[] = [];
      await transport.consume("orders", { "*": (e) => void seen.push(e.eventId) }, { blockMs: 100, claimIntervalMs: 200 });
      const first = shopRegistry.create("OrderShippedEvent", { orderId: "o-1" });
      await transport.publish("orders", first);
      await until("the first event to be handled", () => seen.includes(first.eventId));

      await server.kill();
      const outage = await timed(() => transport.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-2" })));
      assert.ok(isEventwireError(outage.error, "redis-unavailable"), String(outage.error));
      assertNoSecret(renderings(outage.error), "a publish during the outage");
      await server.restart(); // empty: the consumer finds its group gone and says so

      const second = shopRegistry.create("OrderShippedEvent", { orderId: "o-3" });
      await until("a publish to succeed again", async () => (await timed(() => transport.publish("orders", second))).error === undefined, 20_000);
      await until("the consumer to handle it", () => seen.includes(second.eventId), 20_000);

      await raw.set("mq:wrong", "a string");
      const refusal = await timed(() => transport.publish("wrong", first));
      assert.ok(isEventwireError(refusal.error, "redis-refused"), String(refusal.error));
      assertNoSecret(renderings(refusal.error), "a refusal");
    } finally {
      raw.disconnect();
      await transport.close();
    }
    assert.ok(lines.some((l) => l.startsWith("warn:")), `nothing was logged at warn, so nothing was checked:\n${lines.join("\n")}`);
    assertNoSecret(lines.join("\n"), "the log lines");
  });

  test("console.error(err), util.inspect and an uncaught error, in a process of their own", async () => {
    const runs = [
      ...unreachable().slice(0, 3).map(([url, what]) => [url, what, {}] as const),
      ["env", "REDIS_URL with a wrong password", { REDIS_URL: `redis://alice:${WRONG_PW}@127.0.0.1:${server.port}` }] as const,
      [MALFORMED[1]!, "a malformed URL", {}] as const,
    ];
    const results = await Promise.all(runs.map(([url, , env]) => startScript(PRINT_ERROR, [url], { env, timeoutMs: 60_000 }).done));
    for (const [i, [, what]] of runs.entries()) {
      const r = results[i]!;
      assert.notEqual(r.status, 0, `${what}: the process did not fail`);
      assert.match(r.stderr, what === "a malformed URL" ? /invalid-option|is not a valid URL/ : /RedisUnavailableError/, `${what}: the error was not printed:\n${r.stderr}`);
      assertNoSecret(r.stdout + r.stderr, `${what}, printed`);
    }
  });

  test("the CLI: an unreachable port, a wrong password, a malformed URL", async () => {
    const runs = [
      [["queues", "--redis", `redis://alice:${ALICE_PW}@127.0.0.1:${closedPort}`], {}, 1, "an unreachable port"],
      [["queues", "--redis", `redis://alice:${WRONG_PW}@127.0.0.1:${server.port}`], {}, 1, "a wrong password"],
      [["tail", "orders"], { REDIS_URL: `redis://:${WRONG_PW}@127.0.0.1:${server.port}` }, 1, "a wrong password in REDIS_URL"],
      [["queues", "--redis", `redis://u:${ALICE_PW}@host:notaport`], {}, 2, "a malformed URL"],
    ] as const;
    const results = await Promise.all(runs.map(([args, env]) => cli(args, { env, timeoutMs: 60_000 })));
    for (const [i, [, , status, what]] of runs.entries()) {
      const r = results[i]!;
      assert.equal(r.status, status, `${what}: ${r.stderr}`);
      assertNoSecret(r.stdout + r.stderr, `the CLI's output for ${what}`);
    }
    assert.match(results[3]!.stderr, /^eventwire queues: the Redis URL redis:\/\/u:\*\*\*@host:notaport is not a valid URL\n/);
    assert.match(results[0]!.stderr, /cannot reach Redis at redis:\/\/alice:\*\*\*@127\.0\.0\.1/);
  });
});
