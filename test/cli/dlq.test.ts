// `eventwire dlq list | requeue | delete`, as processes, on dead letters
// made the way production makes them: a consumer whose handler throws
// PermanentError.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { connectRedis, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { cli, startCli } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let redis: Redis;
let transport: StreamTransport<ShopEvent>;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
});
after(async () => {
  await transport.close();
  redis.disconnect();
  await server.stop();
});

const at = (): string[] => ["--redis", server.url];

function order(i: number): ShopEvent {
  return shopRegistry.create("OrderCreatedEvent", { orderId: `order-${i}`, userId: `user-${i}`, total: i, items: [] });
}

/** `n` events published to a new queue and dead-lettered by a handler that refuses them all. */
async function deadLetters(n: number): Promise<{ queue: string; events: ShopEvent[] }> {
  const queue = `orders-${randomUUID().slice(0, 8)}`;
  const events = Array.from({ length: n }, (_, i) => order(i));
  for (let i = 0; i < n; i += 500) {
    await transport.publishMany(events.slice(i, i + 500).map((event, j) => ({ queue, event, options: { format: (i + j) % 2 ? "binary" : "json" } as const })));
  }
  const consumer = await transport.consume(
    queue,
    { OrderCreatedEvent: (e) => { throw new PermanentError(`no stock for ${e.payload.orderId}`); } },
    { concurrency: 50, batchSize: 100, blockMs: 50 },
  );
  await consumer.drain();
  await consumer.stop();
  assert.equal(await transport.deadLetters(queue).count(), n);
  return { queue, events };
}

/** `_metadata.id` of every entry of a stream: LeanMQ's message id, kept across moves. */
async function messageIds(stream: string): Promise<string[]> {
  const ids: string[] = [];
  for (const [, fields] of await redis.xrange(stream, "-", "+")) {
    const i = fields.indexOf("data");
    const meta = i >= 0 ? (JSON.parse(fields[i + 1]!) as { _metadata: { id: string } })._metadata : (JSON.parse(fields[fields.indexOf("_metadata") + 1]!) as { id: string });
    ids.push(meta.id);
  }
  return ids;
}

describe("dlq", { concurrency: true }, () => {
  test("list: ids, types, attempts, requeues and reasons; --json adds the history and the event", async () => {
    const { queue, events } = await deadLetters(3);
    const [text, json, tailed] = await Promise.all([
      cli(["dlq", "list", queue, ...at()]),
      cli(["dlq", "list", queue, "--json", ...at()]),
      cli(["tail", queue, "--dlq", ...at()]),
    ]);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID\s+EVENT TYPE\s+ATTEMPTS\s+REQUEUES\s+REASON$/);
    assert.equal(lines.length, 4);
    for (const [i, line] of lines.slice(1).entries()) {
      assert.match(line, new RegExp(`^\\d+-\\d+\\s+OrderCreatedEvent\\s+1\\s+0\\s+permanent-failure \\(attempt 1 of 3\\): PermanentError: no stock for order-${i}$`));
    }
    const letters = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.deepEqual(letters.map((l) => l["event_id"]), events.map((e) => e.eventId));
    assert.deepEqual(letters.map((l) => l["format"]), ["json", "binary", "json"]);
    const first = letters[0]!;
    assert.equal(first["attempts"], 1);
    assert.equal(first["requeues"], 0);
    assert.equal((first["failures"] as unknown[]).length, 1);
    assert.deepEqual(first["event"], shopRegistry.toJsonObject(events[0]!));
    const ids = letters.map((l) => l["id"] as string);
    assert.deepEqual(ids, lines.slice(1).map((l) => l.split(/\s+/)[0]));

    // tail --dlq: the same entries, as events with their history
    const entries = tailed.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(entries.map((e) => e["_stream_id"]), ids);
    assert.deepEqual(entries.map((e) => e["event_id"]), events.map((e) => e.eventId));
    assert.deepEqual(entries.map((e) => (e["_failures"] as { reason: string }[]).map((f) => f.reason)), letters.map((l) => [l["reason"]]));

    const page = await cli(["dlq", "list", queue, "--count", "2", "--json", ...at()]);
    assert.deepEqual((JSON.parse(page.stdout) as { id: string }[]).map((l) => l.id), ids.slice(0, 2));
    assert.match(page.stderr, new RegExp(`page on with --after ${ids[1]}`));
    const rest = await cli(["dlq", "list", queue, "--after", ids[1]!, "--json", ...at()]);
    assert.deepEqual((JSON.parse(rest.stdout) as { id: string }[]).map((l) => l.id), ids.slice(2));
  });

  test("requeue by id moves the entry back (recording the move); an id not in the DLQ is reported with status 1", async () => {
    const { queue, events } = await deadLetters(3);
    const letters = await transport.deadLetters(queue).list();
    const r = await cli(["dlq", "requeue", queue, letters[1]!.id, "1-1", ...at()]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, `requeued 1 entry from mq:${queue}:dlq to mq:${queue}\n`);
    assert.match(r.stderr, new RegExp(`not in mq:${queue}:dlq: 1-1`));
    assert.deepEqual((await transport.deadLetters(queue).list()).map((l) => l.id), [letters[0]!.id, letters[2]!.id]);
    // back in the queue: a consumer gets it, with its history
    const seen: string[] = [];
    const consumer = await transport.consume(queue, { OrderCreatedEvent: (e) => void seen.push(e.eventId) }, { blockMs: 50 });
    await consumer.drain();
    await consumer.stop();
    assert.deepEqual(seen, [events[1]!.eventId]);
    const [last] = await redis.xrevrange(`mq:${queue}`, "+", "-", "COUNT", 1);
    assert.deepEqual(last![1].filter((_, i) => i % 2 === 0).sort(), ["_failures", "_metadata", "_requeues", "envelope", "event_type"]);
  });

  test("delete --all empties the DLQ; --json reports the counts", async () => {
    const { queue } = await deadLetters(3);
    const r = await cli(["dlq", "delete", queue, "--all", "--json", ...at()]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { queue, dlq: `mq:${queue}:dlq`, action: "delete", done: 3, requested: 3, missing: [], interrupted: false });
    assert.equal(await transport.deadLetters(queue).count(), 0);
    assert.equal((await transport.info(queue)).length, 3, "the main queue is untouched");
  });

  test("requeue --all, interrupted with Ctrl-C: stops between entries with status 130, nothing lost or duplicated", async () => {
    const n = 1500;
    const { queue } = await deadLetters(n);
    const before = new Set(await messageIds(`mq:${queue}:dlq`));
    assert.equal(before.size, n);
    const running = startCli(["dlq", "requeue", queue, "--all", ...at()]);
    await running.until("stderr", /^requeued \d+ of 1500$/m);
    running.child.kill("SIGINT");
    const r = await running.done;
    assert.equal(r.status, 130, r.stderr);
    const [, doneText] = /^requeued (\d+) entries from/m.exec(r.stdout) ?? [];
    const done = Number(doneText);
    assert.ok(done > 0 && done < n, `requeued ${done} of ${n}: the interruption came too late to prove anything`);
    assert.match(r.stderr, new RegExp(`interrupted after ${done} of ${n}; the other ${n - done} are still in mq:${queue}:dlq`));
    // every message is in exactly one place: the DLQ, or back in the queue (after the n originals)
    const inDlq = await messageIds(`mq:${queue}:dlq`);
    const requeued = (await messageIds(`mq:${queue}`)).slice(n);
    assert.equal(inDlq.length, n - done);
    assert.equal(requeued.length, done);
    const all = [...inDlq, ...requeued];
    assert.equal(new Set(all).size, n, "a message is in both places");
    assert.deepEqual(new Set(all), before);
  });

  test("wrong usage: no ids, ids and --all, a malformed id, an unknown queue (status 2)", async () => {
    const { queue } = await deadLetters(1);
    const results = await Promise.all([
      cli(["dlq", "requeue", queue, ...at()]),
      cli(["dlq", "delete", queue, "1-0", "--all", ...at()]),
      cli(["dlq", "delete", queue, "latest", ...at()]),
      cli(["dlq", "list", "no-such-queue", ...at()]),
    ]);
    assert.deepEqual(results.map((r) => r.status), [2, 2, 2, 2]);
    assert.match(results[0]!.stderr, /give the ids of the entries to requeue, or --all/);
    assert.match(results[1]!.stderr, /give either ids or --all, not both/);
    assert.match(results[2]!.stderr, /"latest" is not a stream entry id/);
    assert.match(results[3]!.stderr, new RegExp(`there is no queue "no-such-queue" under prefix "mq:".*\\nQueues under prefix "mq:": .*${queue}`));
    assert.equal(await transport.deadLetters(queue).count(), 1, "nothing was touched");
  });
});
