// What only the Redis store needs tests for: races between its commands and
// other clients. (What it shares with the memory store is in
// test/transport/memory-store.test.ts.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { RedisStore } from "../../src/redis/redis-store.js";
import { queueKeys } from "../../src/transport/leanmq/keys.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});

after(async () => {
  await server?.stop();
});

test("pruneConsumers does not delete a consumer that receives entries while it runs", async () => {
  const store = new RedisStore(new Redis(server.url), "quit");
  const other = new RedisStore(new Redis(server.url), "quit");
  try {
    const k = queueKeys("race:", "q");
    await store.ensureQueue(k);
    // B: a consumer with nothing pending, idle for a while
    await store.append([{ keys: k, fields: ["n", "0"], expireAt: null }], true, { maxLength: 1000, trim: "acknowledged" });
    await other.ack(k, (await other.readNew(k, "B", 1, 1)).map((e) => e.id));
    await new Promise((r) => setTimeout(r, 30));
    const {
      ids: [id],
    } = await store.append([{ keys: k, fields: ["n", "1"], expireAt: null }], true, { maxLength: 1000, trim: "acknowledged" });

    // B reads the new entry at the worst moment: after the pruning has found
    // it idle with nothing pending, before the pruning deletes it. (Deleting
    // a consumer deletes its pending entries, which nobody can then claim.)
    const readByB = async (): Promise<void> => {
      assert.deepEqual(
        (await other.readNew(k, "B", 10, 1)).map((e) => e.id),
        [id],
      );
    };
    let read = false;
    const redis = store.redis;
    const xgroup = redis.xgroup.bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as { xgroup: (...args: unknown[]) => Promise<unknown> }).xgroup = async (...args) => {
      if (String(args[0]).toUpperCase() === "DELCONSUMER" && !read) {
        read = true;
        await readByB();
      }
      return xgroup(...args);
    };
    await store.pruneConsumers(k, 20, "A");
    // the pruning left no such moment: B reads after it
    if (!read) await readByB();

    const pending = (await redis.xpending(k.stream, k.group, "-", "+", 10)) as [string, string, number, number][];
    assert.deepEqual(
      pending.map(([pid, consumer]) => [pid, consumer]),
      [[id, "B"]],
    );
    const claimed = await store.claimIdle(k, "A", 0, "0-0", 10);
    assert.deepEqual(
      claimed.entries.map((e) => e.id),
      [id],
    );
  } finally {
    await other.close();
    await store.close();
  }
});
