// What the CLI says when something is wrong, and its exit statuses: every
// message goes to standard error and says what to do.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { cli } from "../support/cli.js";
import { freePort, RedisServer } from "../support/redis.js";

let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

const COMMANDS = ["publish", "tail", "decode", "encode", "queues", "dlq list", "dlq requeue", "dlq delete", "types", "schemas", "ui", "config", "completion", "init"];

describe("help", { concurrency: true }, () => {
  test("--help on every command: its usage and options, status 0", async () => {
    const results = await Promise.all(COMMANDS.map((c) => cli([...c.split(" "), "--help"])));
    for (const [i, name] of COMMANDS.entries()) {
      const r = results[i]!;
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`Usage: eventwire ${name}`), r.stdout);
      assert.match(r.stdout, /^ {2}-h, --help\s+show this help$/m);
      assert.equal(r.stderr, "");
    }
    assert.match(results[0]!.stdout, /--format F\s+the entry format/);
    assert.match(results[1]!.stdout, /-f, --follow\s+keep printing new entries/);
  });

  test("eventwire --help lists the commands; no command at all prints it on standard error with status 2", async () => {
    const [help, none] = await Promise.all([cli(["--help"]), cli([])]);
    assert.equal(help.status, 0);
    for (const name of COMMANDS) assert.match(help.stdout, new RegExp(`^ {2}${name} `, "m"));
    assert.equal(none.status, 2);
    assert.equal(none.stdout, "");
    assert.equal(none.stderr, help.stdout);
  });
});

describe("wrong command lines: status 2", () => {
  test("an unknown command, an unknown option, a missing argument, an extra argument, a bad option value", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /^eventwire: unknown command "frobnicate"\nRun "eventwire --help" for the commands\.\n$/],
      [["dlq", "purge", "q"], /^eventwire: unknown command "dlq purge"\nThe dlq commands are "dlq list", "dlq requeue" and "dlq delete"\.\n$/],
      [["queues", "--verbose"], /^eventwire queues: Unknown option '--verbose'\nRun "eventwire queues --help"\.\n$/],
      [["publish", "orders", "OrderCreatedEvent"], /^eventwire publish: missing arguments: eventwire publish <queue> <EventType> <payload>\n/],
      [["tail", "a", "b"], /^eventwire tail: unexpected argument "b"\n/],
      [["tail", "orders", "--count", "-3"], /^eventwire tail: Option '--count' argument is ambiguous/],
      [["tail", "orders", "--from", "yesterday"], /^eventwire tail: --from must be a stream id/],
      [["publish", "orders", "OrderShippedEvent", "{}", "--format", "xml"], /^eventwire publish: --format must be json or binary, got "xml"\n$/],
      [["publish", "orders", "OrderShippedEvent", "{}", "--ttl", "0"], /^eventwire publish: --ttl must be a positive number of seconds, got "0"\n$/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli([...args, "--redis", server.url])));
    for (const [i, [args, message]] of cases.entries()) {
      assert.equal(results[i]!.status, 2, `${args.join(" ")}: ${results[i]!.stderr}`);
      assert.match(results[i]!.stderr, message, args.join(" "));
      assert.equal(results[i]!.stdout, "");
    }
    assert.equal(await redis.dbsize(), 0, "nothing was written");
  });
});

describe("wrong input to publish: status 2, nothing published", () => {
  test("an unknown type, malformed JSON, not an object, a misspelt field, a value of the wrong type", async () => {
    const cases: [string, string, RegExp][] = [
      ["OrderShipped", "{}", /^eventwire publish: no event type "OrderShipped" is registered\nKnown event types: OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent\. Run "eventwire types"/],
      ["OrderShippedEvent", "{order_id: 1}", /^eventwire publish: the payload is not JSON: .*\nGive one JSON object, e\.g\. '\{"order_id": "order-1"\}'/],
      ["OrderShippedEvent", '["order-1"]', /^eventwire publish: the payload must be a JSON object of the event's fields, not an array\n/],
      ["OrderShippedEvent", '{"order_idd": "order-1"}', /^eventwire publish: the payload: eventwire\.shop\.v1\.OrderShippedEvent has no field "order_idd" \(its fields: order_id, tracking_number, carrier\)\n/],
      ["OrderCreatedEvent", '{"items": [{"qty": 1}]}', /the payload: items\[0\]: eventwire\.shop\.v1\.OrderItem has no field "qty"/],
      ["OrderCreatedEvent", '{"total": "a lot"}', /^eventwire publish: the payload: total: expected a number, got the string "a lot"\nRun "eventwire types" for the fields of OrderCreatedEvent/],
      ["OrderCreatedEvent", '{"event_id": "42"}', /the payload: event_id: event_id is not a UUID/],
    ];
    const results = await Promise.all(cases.map(([type, payload]) => cli(["publish", "orders", type, payload, "--redis", server.url])));
    for (const [i, [type, payload, message]] of cases.entries()) {
      assert.equal(results[i]!.status, 2, `${type} ${payload}: ${results[i]!.stderr}`);
      assert.match(results[i]!.stderr, message, `${type} ${payload}`);
    }
    assert.equal(await redis.exists("mq:orders"), 0, "nothing was published");
  });
});

describe("Redis", () => {
  test("unreachable: status 1, the address, and what to do", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const results = await Promise.all([cli(["queues", "--redis", url]), cli(["tail", "orders"], { env: { REDIS_URL: url } })]);
    for (const r of results) {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^eventwire (queues|tail): cannot reach Redis at ${url.replace(/[.]/g, "\\.")}/?: .*\nStart redis-server, or pass --redis URL \\(or set REDIS_URL\\)`));
    }
  });

  test("REDIS_URL is the default; --redis wins over it", async () => {
    await redis.sadd("mq:registry", "mq:jobs", "mq:jobs:dlq");
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const [fromEnv, fromFlag] = await Promise.all([
      cli(["queues", "--json"], { env: { REDIS_URL: server.url } }),
      cli(["queues", "--json", "--redis", server.url], { env: { REDIS_URL: unreachable } }),
    ]);
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.equal(fromFlag.status, 0, fromFlag.stderr);
    assert.deepEqual((JSON.parse(fromEnv.stdout) as { name: string }[]).map((q) => q.name), ["jobs"]);
    assert.equal(fromFlag.stdout, fromEnv.stdout.replace(/"oldest_age_ms": \d+/, '"oldest_age_ms": null'));
  });

  test("a key of the wrong type: Redis's refusal, status 1", async () => {
    await redis.set("mq:broken", "not a stream");
    await redis.sadd("mq:registry", "mq:broken", "mq:broken:dlq");
    const r = await cli(["tail", "broken", "--redis", server.url]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^eventwire tail: Redis at redis:\/\/127\.0\.0\.1:\d+\/? refused reading mq:broken: WRONGTYPE/);
  });
});
