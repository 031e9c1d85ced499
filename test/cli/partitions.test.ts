// `eventwire partitions`, and tail, dlq and queues on queues with partitions,
// as processes, on a private redis-server (partitions work on one server
// too: each is a queue pair of its own); and what the command line says of
// --cluster where no Redis is needed: help, completion, settings.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connectRedis, PermanentError, silentLogger, type Published, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli, jsonLines } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let transport: StreamTransport<ShopEvent>;
const dirs: string[] = [];

before(async () => {
  server = await RedisServer.start();
  transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
});
after(async () => {
  await transport.close();
  await server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const at = (): string[] => ["--redis", server.url];
const order = (i: number): ShopEvent => shopRegistry.create("OrderCreatedEvent", { orderId: `order-${i}`, userId: `user-${i}`, total: i });

/** Stream ids in their order: by milliseconds, then sequence. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
const inOrder = (list: readonly Published[]): Published[] => [...list].sort((a, b) => compareIds(a.streamId, b.streamId) || a.partition - b.partition);

describe("a queue of three partitions on one server", { concurrency: true }, () => {
  test("tail --from 0 --count N: the first N of all partitions, merged by id; --raw too", async () => {
    await transport.setPartitions("tailed", 3);
    const published: Published[] = [];
    for (let i = 0; i < 9; i++) published.push(await transport.publish("tailed", order(i), { partitionKey: `user-${i}` }));
    assert.equal(new Set(published.map((p) => p.partition)).size, 3);
    const [first, raw, latest] = await Promise.all([
      cli(["tail", "tailed", "--from", "0", "--count", "5", ...at()]),
      cli(["tail", "tailed", "--from", "0", "--raw", ...at()]),
      cli(["tail", "tailed", "--count", "4", ...at()]),
    ]);
    assert.equal(first.status, 0, first.stderr);
    const expected = inOrder(published);
    assert.deepEqual(jsonLines(first.stdout).map((l) => [l["_stream_id"], l["_partition"]]), expected.slice(0, 5).map((p) => [p.streamId, p.partition]));
    assert.deepEqual(jsonLines(raw.stdout).map((l) => [l["_stream_id"], l["_partition"]]), expected.map((p) => [p.streamId, p.partition]));
    assert.deepEqual(jsonLines(latest.stdout).map((l) => l["_stream_id"]), expected.slice(-4).map((p) => p.streamId));

    // a queue of one partition: no _partition
    await transport.publish("single", order(1));
    const single = jsonLines((await cli(["tail", "single", ...at()])).stdout);
    assert.equal(single.length, 1);
    assert.equal("_partition" in single[0]!, false);
  });

  test("dlq list pages on over the partitions with --after p/id; a wrong id is refused", async () => {
    await transport.setPartitions("failing", 3);
    await transport.publishMany([0, 1, 2, 3, 4, 5].map((i) => ({ queue: "failing", event: order(i), options: { partitionKey: `user-${i}` } })));
    const consumer = await transport.consume("failing", { OrderCreatedEvent: () => { throw new PermanentError("refused"); } }, { blockMs: 50 });
    await consumer.drain();
    await consumer.stop();
    const all = await transport.deadLetters("failing").list();
    assert.equal(all.length, 6);
    const page = await cli(["dlq", "list", "failing", "--count", "4", ...at()]);
    assert.equal(page.status, 0, page.stderr);
    assert.deepEqual(page.stdout.trimEnd().split("\n").slice(1).map((l) => l.split(/\s+/)[0]), all.slice(0, 4).map((l) => l.id));
    const [, next] = /page on with --after (\S+)/.exec(page.stderr) ?? [];
    assert.equal(next, all[3]!.id);
    const rest = await cli(["dlq", "list", "failing", "--after", next!, "--json", ...at()]);
    assert.equal(rest.status, 0, rest.stderr);
    assert.deepEqual((JSON.parse(rest.stdout) as { id: string; partition: number }[]).map((l) => [l.id, l.partition]), all.slice(4).map((l) => [l.id, l.partition]));
    const [wrong, missing] = await Promise.all([
      cli(["dlq", "requeue", "failing", "x/1-0", ...at()]),
      cli(["dlq", "delete", "failing", "7/1-0", ...at()]),
    ]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /"x\/1-0" is not a stream entry id \(such as 1732700000123-0; in partition 2 of a queue with partitions, 2\/1732700000123-0\)/);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /not in the DLQs of the 3 partitions of failing \(mq:failing:dlq, …\): 7\/1-0/);
  });

  test("partitions shows each partition's counts; lowering the count leaves the others read; wrong counts are refused", async () => {
    await transport.setPartitions("resized", 3);
    await transport.publishMany([0, 1, 2, 3, 4, 5].map((i) => ({ queue: "resized", event: order(i), options: { partitionKey: `user-${i}` } })));
    const lengths = await Promise.all([0, 1, 2].map(async (p) => (await transport.store.info(transport.keys("resized", p))).length));
    const shown = await cli(["partitions", "resized", "--json", ...at()]);
    assert.equal(shown.status, 0, shown.stderr);
    const s = JSON.parse(shown.stdout) as { count: number; highest: number; partitions: { partition: number; stream: string; length: number }[] };
    assert.deepEqual([s.count, s.highest], [3, 3]);
    assert.deepEqual(s.partitions.map((p) => [p.partition, p.stream, p.length]), [0, 1, 2].map((p) => [p, p === 0 ? "mq:resized" : `mq:resized#${p}`, lengths[p]]));

    const lowered = await cli(["partitions", "resized", "2", ...at()]);
    assert.equal(lowered.status, 0, lowered.stderr);
    assert.match(lowered.stdout, /^resized: 3 → 2 partitions\.$/m);
    assert.match(lowered.stdout, /Partition 2 is no longer written; consumers go on reading every partition the queue has had \(3\)/);
    assert.match(lowered.stdout, /^resized: 2 partitions written, 3 read$/m);
    assert.match(lowered.stdout, new RegExp(`^2 \\(not written\\)\\s+mq:resized#2\\s+${lengths[2]}\\s`, "m"));
    assert.deepEqual(await transport.partitions("resized", { fresh: true }), { count: 2, highest: 3 });

    const [queues, same, word, zero, tooMany, unknown] = await Promise.all([
      cli(["queues", ...at()]),
      cli(["partitions", "resized", "2", "--json", ...at()]),
      cli(["partitions", "resized", "two", ...at()]),
      cli(["partitions", "resized", "0", ...at()]),
      cli(["partitions", "resized", "5000", ...at()]),
      cli(["partitions", "resizd", "4", ...at()]),
    ]);
    assert.match(queues.stdout, /^resized\s+2 of 3\s+6\s/m);
    assert.deepEqual(JSON.parse(same.stdout).previous, { count: 2, highest: 3 });
    assert.deepEqual([word.status, zero.status, tooMany.status, unknown.status], [2, 2, 2, 2]);
    assert.match(word.stderr, /the partition count must be a whole number/);
    assert.match(zero.stderr, /a queue has from 1 to 1024 partitions, got 0/);
    assert.match(unknown.stderr, /there is no queue "resizd"/);
    assert.deepEqual(await transport.partitions("resized", { fresh: true }), { count: 2, highest: 3 });
  });
});

describe("--cluster on the command line", { concurrency: true }, () => {
  test("help and completion list --cluster, REDIS_CLUSTER_NODES, partitions and publish --key", async () => {
    const [help, bash, fish, json, publishHelp] = await Promise.all([
      cli(["--help"]),
      cli(["completion", "bash"]),
      cli(["completion", "fish"]),
      cli(["completion", "--json"]),
      cli(["publish", "--help"]),
    ]);
    assert.match(help.stdout, /^ {2}--cluster NODES {2,}a Redis Cluster instead, from seed nodes host:port\[,host:port…\] \(default: \$REDIS_CLUSTER_NODES\)$/m);
    assert.match(help.stdout, /^ {2}partitions <queue> \[count\] +Show a queue's partitions/m);
    assert.match(help.stdout, /REDIS_URL or REDIS_CLUSTER_NODES/);
    assert.match(bash.stdout, /--redis\|--cluster\|--prefix\|--proto\|--config\) \(\(i\+\+\)\) ;;/);
    assert.match(bash.stdout, /compgen -W "--help --version [^"]*--cluster/);
    assert.match(fish.stdout, /__fish_seen_subcommand_from partitions' -l cluster -r/);
    const commands = (JSON.parse(json.stdout) as { commands: Record<string, string[]> }).commands;
    for (const [name, options] of Object.entries(commands)) assert.ok(options.includes("--cluster"), name);
    assert.ok(commands["publish"]!.includes("--key"));
    assert.ok("partitions" in commands);
    assert.match(publishHelp.stdout, /--key KEY +the partition key/);
  });

  test("settings: the config file's \"cluster\"; REDIS_URL wins over REDIS_CLUSTER_NODES; a file with both is refused", async () => {
    const folder = (files: Record<string, unknown>): string => {
      const dir = mkdtempSync(join(tmpdir(), "eventwire-settings-"));
      dirs.push(dir);
      for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value));
      return dir;
    };
    const fromFile = folder({ "eventwire.config.json": { cluster: "10.0.0.1:7000, redis://ops:secret@10.0.0.2:7000" } });
    const both = folder({ "eventwire.config.json": { redis: "redis://127.0.0.1:6390", cluster: ["10.0.0.1:7000"] } });
    const bad = folder({ "eventwire.config.json": { cluster: [] } });
    const [file, env, option, refused, empty] = await Promise.all([
      cli(["config", "--json"], { cwd: fromFile }),
      cli(["config", "--json"], { cwd: fromFile, env: { REDIS_URL: "redis://127.0.0.1:6391", REDIS_CLUSTER_NODES: "10.0.0.3:7000" } }),
      cli(["config"], { cwd: fromFile, env: { REDIS_CLUSTER_NODES: "10.0.0.3:7000" } }),
      cli(["config"], { cwd: both }),
      cli(["config"], { cwd: bad }),
    ]);
    assert.equal(file.status, 0, file.stderr);
    const f = JSON.parse(file.stdout) as { redis: unknown; cluster: { value: string[]; source: string } };
    assert.deepEqual([f.redis, f.cluster.value, f.cluster.source], [null, ["10.0.0.1:7000", "redis://ops:***@10.0.0.2:7000"], "config"]);
    const e = JSON.parse(env.stdout) as { redis: { value: string; source: string }; cluster: unknown };
    assert.deepEqual([e.redis.value, e.redis.source, e.cluster], ["redis://127.0.0.1:6391", "environment", null]);
    assert.match(option.stdout, /^cluster +10\.0\.0\.3:7000 +\$REDIS_CLUSTER_NODES$/m);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /gives both "redis" \(one Redis server\) and "cluster" \(a Redis Cluster's seed nodes\)/);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /"cluster" must be a list of seed nodes|a Redis Cluster needs at least one seed node/);
  });
});
