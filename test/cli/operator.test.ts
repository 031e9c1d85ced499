// The CLI as an operator meets it: global options anywhere, help on every
// command and group, --json on every command that prints, defaults from the
// environment and a config file, no queue made by a typo, a raw view of
// entries, colour only on a terminal, one wording per fault, completion.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { connectRedis, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli, jsonLines, root } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let redis: Redis;
let transport: StreamTransport<ShopEvent>;
const scratch = mkdtempSync(join(tmpdir(), "eventwire-operator-"));

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
});
after(async () => {
  await transport.close();
  redis.disconnect();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const queue = (): string => `q-${randomUUID().slice(0, 8)}`;
const shipped = (i: number): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "DHL" });
const ESC = "\u001b[";

/** A folder of its own under the scratch folder. */
function folder(name: string): string {
  const dir = join(scratch, name, randomUUID().slice(0, 8));
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("global options before or after the command", { concurrency: true }, () => {
  test("eventwire --prefix P queues, eventwire --redis URL --prefix=P queues --json and eventwire queues --prefix P agree", async () => {
    await transport.publish("sub:billing", shipped(1));
    const other = await connectRedis({ registry: shopRegistry, connection: server.url, prefix: "nu:", logger: silentLogger });
    try {
      await other.publish("inventory", shipped(2));
    } finally {
      await other.close();
    }
    const [before, beforeEq, afterCmd] = await Promise.all([
      cli(["--prefix", "nu:", "queues", "--json"], { env: { REDIS_URL: server.url } }),
      cli(["--redis", server.url, "--prefix=nu:", "queues", "--json"]),
      cli(["queues", "--prefix", "nu:", "--redis", server.url, "--json"]),
    ]);
    for (const r of [before, beforeEq, afterCmd]) {
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((q) => q.name), ["inventory"]);
    }
  });

  test("an option the CLI does not know, before the command, is named; one without its value too", async () => {
    const [unknown, noValue] = await Promise.all([cli(["--prefx", "nu:", "queues"]), cli(["--prefix"])]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^eventwire: unknown option "--prefx"\n/);
    assert.equal(noValue.status, 2);
    assert.match(noValue.stderr, /^eventwire: option --prefix needs a value/);
  });
});

describe("help everywhere", { concurrency: true }, () => {
  test("dlq --help, help dlq and dlq -h show the dlq commands; dlq alone shows them on standard error, status 2", async () => {
    const [help, helpWord, short, bare] = await Promise.all([cli(["dlq", "--help"]), cli(["help", "dlq"]), cli(["dlq", "-h"]), cli(["dlq"])]);
    for (const r of [help, helpWord, short]) {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: eventwire dlq <list\|requeue\|delete>/);
      for (const sub of ["list", "requeue", "delete"]) assert.match(r.stdout, new RegExp(`^  dlq ${sub} <queue>`, "m"));
    }
    assert.equal(bare.status, 2);
    assert.equal(bare.stderr, help.stdout);
  });

  test("--help before the command, and help <command>, give the command's help, with the global options", async () => {
    const [before, word, after] = await Promise.all([cli(["--help", "tail"]), cli(["help", "dlq", "requeue"]), cli(["tail", "--help"])]);
    assert.equal(before.status, 0);
    assert.equal(before.stdout, after.stdout);
    assert.match(after.stdout, /^Global options \(before or after the command\):$/m);
    assert.match(after.stdout, /^ {2}--raw\s+print the entries as stored/m);
    assert.match(word.stdout, /^Usage: eventwire dlq requeue <queue>/);
  });
});

describe("--json on every command that prints", { concurrency: true }, () => {
  test("tail --json and queues --proto DIR are accepted; every printing command's --json output is JSON", async () => {
    const q = queue();
    await transport.publish(q, shipped(1));
    const at = ["--redis", server.url];
    const dir = folder("init");
    const runs = await Promise.all([
      cli(["tail", q, "--json", ...at]),
      cli(["queues", "--proto", "proto", "--json", ...at]),
      cli(["dlq", "list", q, "--json", ...at]),
      cli(["dlq", "requeue", q, "--all", "--json", ...at]),
      cli(["dlq", "delete", q, "--all", "--json", ...at]),
      cli(["publish", q, "OrderShippedEvent", '{"order_id": "o-2"}', "--json", ...at]),
      cli(["types", "--json"]),
      cli(["config", "--json"]),
      cli(["completion", "--json"]),
      cli(["encode", "OrderShippedEvent", "--json"], { input: '{"order_id": "o-3"}' }),
      cli(["init", dir, "--json"]),
    ]);
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const [tailed, queues, list, requeued, deleted, published, types, config, completion, encoded, init] = runs.map((r) => r.stdout);
    assert.deepEqual(jsonLines(tailed!).map((l) => l["order_id"]), ["order-1"]);
    assert.ok((JSON.parse(queues!) as { name: string }[]).some((x) => x.name === q));
    assert.deepEqual(JSON.parse(list!), []);
    assert.equal((JSON.parse(requeued!) as { done: number }).done, 0);
    assert.equal((JSON.parse(deleted!) as { action: string }).action, "delete");
    assert.equal((JSON.parse(published!) as { event_type: string }).event_type, "OrderShippedEvent");
    assert.ok((JSON.parse(types!) as { event_types: unknown[] }).event_types.length > 0);
    assert.equal((JSON.parse(config!) as { prefix: { value: string } }).prefix.value, "mq:");
    assert.ok("dlq requeue" in (JSON.parse(completion!) as { commands: object }).commands);
    const bytes = Buffer.from((JSON.parse(encoded!) as { base64: string }).base64, "base64");
    assert.equal(shopRegistry.fromBinary(bytes).eventType, "OrderShippedEvent");
    assert.ok((JSON.parse(init!) as { written: string[] }).written.includes("buf.yaml"));
  });
});

describe("publishing to a queue that does not exist", { concurrency: true }, () => {
  test("is refused without --create, naming the queues there are; with --create it is made", async () => {
    await transport.publish("inventory", shipped(1));
    const refused = await cli(["publish", "inventry", "OrderShippedEvent", '{"order_id": "o-1"}', "--redis", server.url]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^eventwire publish: there is no queue "inventry" under prefix "mq:" at redis:\/\/127\.0\.0\.1:\d+\/?\nQueues under prefix "mq:": .*inventory.*\. Add --create to create it\.\n$/);
    assert.equal(await redis.exists("mq:inventry"), 0);
    assert.equal(await redis.sismember("mq:registry", "mq:inventry"), 0);

    const made = await cli(["publish", "inventry", "OrderShippedEvent", '{"order_id": "o-1"}', "--create", "--redis", server.url]);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /created the queue mq:inventry/);
    assert.equal(await redis.xlen("mq:inventry"), 1);
  });
});

describe("defaults from the environment and eventwire.config.json", { concurrency: true }, () => {
  test("REDIS_URL and EVENTWIRE_PREFIX are defaults; options win over them", async () => {
    const q = queue();
    const other = await connectRedis({ registry: shopRegistry, connection: server.url, prefix: "env:", logger: silentLogger });
    try {
      await other.publish(q, shipped(1));
    } finally {
      await other.close();
    }
    const env = { REDIS_URL: server.url, EVENTWIRE_PREFIX: "env:" };
    const [fromEnv, flagWins] = await Promise.all([cli(["tail", q], { env }), cli(["tail", q, "--prefix", "mq:"], { env })]);
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.deepEqual(jsonLines(fromEnv.stdout).map((l) => l["order_id"]), ["order-1"]);
    assert.equal(flagWins.status, 2);
    assert.match(flagWins.stderr, new RegExp(`there is no queue "${q}" under prefix "mq:"`));
  });

  test("the nearest eventwire.config.json above the working directory gives redis, prefix and proto; the environment wins over it", async () => {
    const project = folder("project");
    const nested = join(project, "services", "billing");
    mkdirSync(nested, { recursive: true });
    mkdirSync(join(project, "contracts", "acme", "v1"), { recursive: true });
    writeFileSync(
      join(project, "contracts", "acme", "v1", "billing.proto"),
      'syntax = "proto3";\npackage acme.v1;\n// An invoice was paid.\nmessage InvoicePaid {\n  string invoice_id = 1;\n}\n',
    );
    writeFileSync(join(project, "eventwire.config.json"), JSON.stringify({ redis: server.url, prefix: "cfg:", proto: ["contracts"] }));
    const q = queue();
    const published = await cli(["publish", q, "InvoicePaid", '{"invoice_id": "i-1"}', "--create", "--json"], { cwd: nested });
    assert.equal(published.status, 0, published.stderr);
    assert.equal((JSON.parse(published.stdout) as { stream: string }).stream, `cfg:${q}`);
    assert.equal(await redis.xlen(`cfg:${q}`), 1);

    const [config, envWins] = await Promise.all([
      cli(["config", "--json"], { cwd: nested }),
      cli(["config", "--json"], { cwd: nested, env: { EVENTWIRE_PREFIX: "env:" } }),
    ]);
    const c = JSON.parse(config.stdout) as Record<string, { value: string; source: string; from: string }> & { proto: { value: string; source: string }[]; config_file: string };
    assert.equal(c.config_file, join(project, "eventwire.config.json"));
    assert.deepEqual([c["redis"]!.source, c["prefix"]!.value, c["prefix"]!.source], ["config", "cfg:", "config"]);
    assert.deepEqual(c.proto.map((p) => [p.value, p.source]), [[join(project, "contracts"), "config"]]);
    const e = JSON.parse(envWins.stdout) as { prefix: { value: string; from: string } };
    assert.deepEqual(e.prefix, { value: "env:", source: "environment", from: "$EVENTWIRE_PREFIX" });
  });

  test("a config file with an unknown key or of the wrong shape is refused, naming the file", async () => {
    const dir = folder("bad-config");
    writeFileSync(join(dir, "eventwire.config.json"), JSON.stringify({ prefx: "x:" }));
    const wrongType = folder("bad-config");
    writeFileSync(join(wrongType, "eventwire.config.json"), JSON.stringify({ proto: 3 }));
    const [unknown, shape] = await Promise.all([cli(["queues"], { cwd: dir }), cli(["types"], { cwd: wrongType })]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /the config file .*eventwire\.config\.json has an unknown key "prefx"\nIts keys: redis, prefix, proto/);
    assert.equal(shape.status, 2);
    assert.match(shape.stderr, /"proto" must be a path or a list of paths/);
  });
});

describe("event types", { concurrency: true }, () => {
  test("outside eventwire's repository no example shop types are listed", async () => {
    const empty = folder("empty");
    const r = await cli(["types", "--json"], { cwd: empty, env: { EVENTWIRE_PROTO: undefined } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { event_types: unknown[] }).event_types, []);
    assert.match(r.stderr, /no event types/);
  });

  test("an unknown event type reads the same whether typed, encoded, decoded, or met in a JSON or a binary entry", async () => {
    const q = queue();
    await transport.publish(q, shipped(1));
    const refund = { event_id: randomUUID(), timestamp: 1, event_type: "RefundIssuedEvent", refund_id: "r-1" };
    await redis.xadd(`mq:${q}`, "*", "data", JSON.stringify(refund));
    // the binary envelope: event_id (1), timestamp (2, double), event_type (3)
    const envelope = Buffer.concat([
      Buffer.from([0x0a, 36]),
      Buffer.from(refund.event_id),
      Buffer.from([0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]),
      Buffer.from([0x1a, refund.event_type.length]),
      Buffer.from(refund.event_type),
    ]);
    await redis.xadd(`mq:${q}`, "*", "event_type", "RefundIssuedEvent", "envelope", envelope, "_metadata", "{}");
    const [typed, encoded, decoded, tailed] = await Promise.all([
      cli(["publish", q, "RefundIssuedEvent", "{}", "--redis", server.url]),
      cli(["encode", "RefundIssuedEvent"], { input: "{}" }),
      cli(["decode"], { input: envelope }),
      cli(["tail", q, "--redis", server.url]),
    ]);
    const wording = 'no event type "RefundIssuedEvent" is registered';
    for (const [who, r] of [["publish", typed], ["encode", encoded], ["decode", decoded]] as const) {
      assert.equal(r.status, 2, `${who}: ${r.stderr}`);
      assert.equal(r.stderr.split("\n")[0], `eventwire ${who}: ${wording}`);
      assert.match(r.stderr.split("\n")[1]!, /^Known event types: OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent\. Run "eventwire types"/);
    }
    const errors = jsonLines(tailed.stdout).slice(1).map((l) => l["_error"]);
    assert.deepEqual(errors, [wording, wording]);
  });
});

describe("tail --raw", { concurrency: true }, () => {
  test("prints the fields as stored: text as text, binary as base64, and the envelope decodes", async () => {
    const q = queue();
    const json = await transport.publish(q, shipped(1));
    const binary = await transport.publish(q, shipped(2), { format: "binary" });
    const r = await cli(["tail", q, "--raw", "--redis", server.url]);
    assert.equal(r.status, 0, r.stderr);
    const [first, second] = jsonLines(r.stdout) as { _stream_id: string; fields: Record<string, string>; base64: string[] }[];
    assert.equal(first!._stream_id, json.streamId);
    assert.deepEqual(Object.keys(first!.fields), ["data"]);
    assert.deepEqual(first!.base64, []);
    assert.equal((JSON.parse(first!.fields["data"]!) as { order_id: string }).order_id, "order-1");
    assert.equal(second!._stream_id, binary.streamId);
    assert.deepEqual(second!.base64, ["envelope"]);
    assert.equal(second!.fields["event_type"], "OrderShippedEvent");
    const stored = (await redis.xrangeBuffer(`mq:${q}`, binary.streamId, binary.streamId))[0]![1];
    const envelope = stored[stored.findIndex((f) => f.toString() === "envelope") + 1]!;
    assert.deepEqual(Buffer.from(second!.fields["envelope"]!, "base64"), envelope);
    assert.equal((shopRegistry.fromBinary(envelope).payload as { orderId: string }).orderId, "order-2");
  });
});

describe("colour", { concurrency: true }, () => {
  test("none when piped or with NO_COLOR; FORCE_COLOR and --color ask for it; --no-color wins", async () => {
    await transport.publish("colours", shipped(1));
    const at = ["queues", "--redis", server.url];
    const [piped, forced, flag, noColour, noFlag] = await Promise.all([
      cli(at, { env: { FORCE_COLOR: undefined, NO_COLOR: undefined } }),
      cli(at, { env: { FORCE_COLOR: "1", NO_COLOR: undefined } }),
      cli([...at, "--color"], { env: { FORCE_COLOR: undefined, NO_COLOR: "1" } }),
      cli(at, { env: { FORCE_COLOR: "1", NO_COLOR: "1" } }),
      cli(["--no-color", ...at], { env: { FORCE_COLOR: "1", NO_COLOR: undefined } }),
    ]);
    for (const r of [piped, forced, flag, noColour, noFlag]) assert.equal(r.status, 0, r.stderr);
    assert.ok(!piped.stdout.includes(ESC), piped.stdout);
    assert.ok(forced.stdout.startsWith(`${ESC}1mQUEUE`), forced.stdout);
    assert.ok(flag.stdout.includes(ESC));
    assert.ok(!noColour.stdout.includes(ESC));
    assert.ok(!noFlag.stdout.includes(ESC));
  });

  test("on a terminal: colour, and none with NO_COLOR", async () => {
    await transport.publish("colours", shipped(1));
    const terminal = (env: Record<string, string | undefined>): string => {
      const command = [process.execPath, "--conditions=eventwire-source", "--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts"), "queues", "--redis", server.url]
        .map((a) => `'${a}'`)
        .join(" ");
      const base: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm" };
      delete base["FORCE_COLOR"];
      delete base["NO_COLOR"];
      for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
      const r = spawnSync("script", ["-qec", command, "/dev/null"], { env: base, encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 0, `script(1) from util-linux runs the CLI on a terminal: ${r.stderr}`);
      return r.stdout;
    };
    assert.ok(terminal({}).includes(`${ESC}1mQUEUE`));
    assert.ok(!terminal({ NO_COLOR: "1" }).includes(ESC));
  });
});

describe("shell completion", () => {
  test("bash: commands, dlq subcommands, a command's options and --format's values", () => {
    const script = spawnSync(process.execPath, ["--conditions=eventwire-source", "--import", "tsx", "src/cli/main.ts", "completion", "bash"], { cwd: root, encoding: "utf8" });
    assert.equal(script.status, 0, script.stderr);
    const complete = (...words: string[]): string[] => {
      const file = join(scratch, `completion-${randomUUID().slice(0, 8)}.bash`);
      writeFileSync(file, script.stdout);
      const quoted = words.map((w) => `'${w}'`).join(" ");
      const r = spawnSync("bash", ["--norc", "-c", `source '${file}'; COMP_WORDS=(eventwire ${quoted}); COMP_CWORD=${words.length}; _eventwire; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split("\n").filter((l) => l !== "").sort();
    };
    assert.deepEqual(complete("dl"), ["dlq"]);
    assert.deepEqual(complete("dlq", "re"), ["requeue"]);
    assert.deepEqual(complete("dlq", "requeue", "q", "--a"), ["--all"]);
    assert.deepEqual(complete("--prefix", "x:", "ta"), ["tail"]);
    assert.deepEqual(complete("tail", "q", "--r"), ["--raw", "--redis"]);
    assert.deepEqual(complete("publish", "--format", ""), ["binary", "json"]);
  });

  test("zsh and fish scripts name every command; an unknown shell is refused", async () => {
    const [zsh, fish, other] = await Promise.all([cli(["completion", "zsh"]), cli(["completion", "fish"]), cli(["completion", "tcsh"])]);
    assert.match(zsh.stdout, /^#compdef eventwire\n/);
    assert.match(zsh.stdout, /complete -F _eventwire eventwire/);
    for (const c of ["publish", "tail", "queues", "types", "schemas"]) assert.match(fish.stdout, new RegExp(`-a ${c} `));
    assert.match(fish.stdout, /__fish_seen_subcommand_from dlq; and not __fish_seen_subcommand_from list requeue delete" -a requeue/);
    assert.equal(other.status, 2);
    assert.match(other.stderr, /no completion for "tcsh": bash, zsh or fish/);
  });
});
