// The transport contract, as one suite that runs against every store: the
// Redis one on a real server and the in-memory one. Each backend's test file
// calls `describeTransportContract` with a way to open transports over one
// shared set of data.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  EventBus,
  isEventwireError,
  PermanentError,
  silentLogger,
  type Consumer,
  type HandlerContext,
  partitionOf,
  type StreamTransport,
  type TransportOptions,
} from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

/** Transports over one set of data (one Redis server, one memory store), as separate processes would have. */
export interface TransportFixture {
  open(options?: Partial<TransportOptions>): Promise<StreamTransport<ShopEvent>>;
  /** Closes every transport opened and releases the data. */
  close(): Promise<void>;
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const fast = { blockMs: 50, claimIntervalMs: 50 } as const;

function order(i: number, headers: Record<string, string> = {}): ShopEvent {
  return shopRegistry.create(
    "OrderCreatedEvent",
    { orderId: `order-${i}`, userId: "user-1", total: i + 0.5, items: [{ productId: "p", name: "Widget ✓", price: i + 0.5, quantity: 1 }] },
    { headers },
  );
}

function payment(i: number): ShopEvent {
  return shopRegistry.create("PaymentProcessedEvent", { paymentId: `pay-${i}`, orderId: `order-${i}`, amount: i, status: "succeeded" });
}

let queueCounter = 0;
function queueName(): string {
  return `q${++queueCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function describeTransportContract(backend: string, makeFixture: () => Promise<TransportFixture>): void {
  async function withTransport(
    run: (t: StreamTransport<ShopEvent>, fixture: TransportFixture) => Promise<void>,
    options: Partial<TransportOptions> = {},
  ): Promise<void> {
    const fixture = await makeFixture();
    try {
      const transport = await fixture.open({ logger: silentLogger, ...options });
      await run(transport, fixture);
    } finally {
      await fixture.close();
    }
  }

  async function settle(consumer: Consumer<ShopEvent>, total: number): Promise<void> {
    await until(`${total} entries to settle`, () => {
      const s = consumer.stats;
      return s.handled + s.deadLettered + s.expired + s.skipped >= total;
    });
    await consumer.whenIdle();
  }

  describe(`transport contract: ${backend}`, () => {
    describe("publishing and consuming", () => {
      for (const format of ["json", "binary"] as const) {
        test(`a ${format} entry reaches the typed handler with its context, and is acknowledged`, () =>
          withTransport(async (t) => {
            const queue = queueName();
            const event = order(1, { "correlation-id": "corr-1" });
            const published = await t.publish(queue, event, { format });
            const got: [ShopEvent, HandlerContext][] = [];
            const consumer = await t.consume(queue, { OrderCreatedEvent: (e, ctx) => void got.push([e, ctx]) }, fast);
            await settle(consumer, 1);
            assert.equal(got.length, 1);
            const [received, ctx] = got[0]!;
            assert.deepEqual(received, event);
            assert.equal(ctx.streamId, published.streamId);
            assert.equal(ctx.deliveries, 1);
            assert.equal(ctx.messageId, published.messageId);
            assert.deepEqual(ctx.headers, { "correlation-id": "corr-1" });
            assert.equal(ctx.queue, queue);
            assert.equal((await t.info(queue)).pending, 0);
            assert.equal(consumer.stats.handled, 1);
          }));
      }

      test("both entry formats are read side by side from one stream, in order", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const events = [order(1), payment(2), order(3), payment(4)];
          for (const [i, event] of events.entries()) await t.publish(queue, event, { format: i % 2 ? "binary" : "json" });
          const got: string[] = [];
          const consumer = await t.consume(queue, { "*": (e) => void got.push(e.eventId) }, { ...fast, concurrency: 1 });
          await settle(consumer, events.length);
          assert.deepEqual(got, events.map((e) => e.eventId));
        }));

      test("publishMany returns the ids in order and every event arrives", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const events = Array.from({ length: 25 }, (_, i) => order(i));
          const published = await t.publishMany(events.map((event) => ({ queue, event })));
          assert.equal(published.length, events.length);
          const ids = published.map((p) => p.streamId);
          assert.deepEqual([...ids].sort(compareIds), ids, "stream ids are not in publishing order");
          assert.deepEqual(published.map((p) => p.eventId), events.map((e) => e.eventId));
          const got = new Set<string>();
          const consumer = await t.consume(queue, { OrderCreatedEvent: (e) => void got.add(e.eventId) }, fast);
          await settle(consumer, events.length);
          assert.equal(got.size, events.length);
        }));

      test("a transaction writes to several queues, TTL records included (one server); on a cluster it stays within one queue", () =>
        withTransport(async (t) => {
          const a = queueName();
          const b = queueName();
          if (!t.store.crossQueueAtomic) {
            // on a cluster: refused whole, nothing written, with a typed error that says why
            await assert.rejects(
              t.transaction([
                { queue: a, event: order(1) },
                { queue: b, event: payment(1) },
              ]),
              (e: unknown) => isEventwireError(e, "cross-slot") && /one queue/.test((e as Error).message),
            );
            assert.equal(await t.hasQueue(a), false);
            const published = await t.transaction([
              { queue: a, event: order(1) },
              { queue: a, event: payment(1), options: { ttlSeconds: 60 } },
            ]);
            assert.deepEqual(published.map((p) => p.queue), [a, a]);
            assert.equal((await t.info(a)).length, 2);
            return;
          }
          const published = await t.transaction([
            { queue: a, event: order(1) },
            { queue: b, event: payment(1), options: { ttlSeconds: 60 } },
            { queue: a, event: order(2), options: { format: "binary" } },
          ]);
          assert.deepEqual(published.map((p) => p.queue), [a, b, a]);
          assert.equal((await t.info(a)).length, 2);
          assert.equal((await t.info(b)).length, 1);
        }));

      test("the handler sees the delivery count rise with each retry, and success acknowledges", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          const deliveries: number[] = [];
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: (_e, ctx) => {
                deliveries.push(ctx.deliveries);
                if (ctx.deliveries < 3) throw new Error("not yet");
              },
            },
            { ...fast, retry: { maxAttempts: 5, initialDelayMs: 10, multiplier: 2, maxDelayMs: 100 } },
          );
          await settle(consumer, 1);
          assert.deepEqual(deliveries, [1, 2, 3]);
          assert.equal(consumer.stats.handled, 1);
          assert.equal(consumer.stats.retried, 2);
          const info = await t.info(queue);
          assert.equal(info.pending, 0);
          assert.equal(info.dlqLength, 0);
        }));

      test("retries wait as the policy says: initial delay times the multiplier", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          const times: number[] = [];
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: () => {
                times.push(Date.now());
                throw new Error("always");
              },
            },
            { ...fast, retry: { maxAttempts: 3, initialDelayMs: 100, multiplier: 3, maxDelayMs: 10_000 } },
          );
          await settle(consumer, 1);
          assert.equal(times.length, 3);
          // waits of at least 100 ms and 300 ms (upper bounds are not asserted: machines are noisy)
          assert.ok(times[1]! - times[0]! >= 95, `first wait ${times[1]! - times[0]!} ms`);
          assert.ok(times[2]! - times[1]! >= 290, `second wait ${times[2]! - times[1]!} ms`);
        }));
    });

    describe("dead letters", () => {
      test("after the last attempt the entry moves to the DLQ with its reason and attempts; never in both", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const event = order(7);
          await t.publish(queue, event);
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: () => {
                throw new Error("boom");
              },
            },
            { ...fast, retry: { maxAttempts: 2, initialDelayMs: 5, multiplier: 1, maxDelayMs: 5 } },
          );
          await settle(consumer, 1);
          const letters = await t.deadLetters(queue).list();
          assert.equal(letters.length, 1);
          assert.equal(letters[0]!.event?.eventId, event.eventId);
          assert.equal(letters[0]!.reason, "handler-failed (attempt 2 of 2): Error: boom");
          assert.equal(letters[0]!.attempts, 2);
          assert.equal(letters[0]!.failures.length, 1);
          const info = await t.info(queue);
          assert.equal(info.pending, 0, "the dead-lettered entry is still pending");
          assert.equal(info.dlqLength, 1);
          assert.equal(consumer.stats.deadLettered, 1);
        }));

      test("a PermanentError skips the retries left", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          let calls = 0;
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: () => {
                calls++;
                throw new PermanentError("bad order");
              },
            },
            fast,
          );
          await settle(consumer, 1);
          assert.equal(calls, 1);
          const [letter] = await t.deadLetters(queue).list();
          assert.equal(letter?.reason, "permanent-failure (attempt 1 of 3): PermanentError: bad order");
        }));

      for (const policy of ["dead-letter", "acknowledge"] as const) {
        test(`events of an unknown type and events without a handler: ${policy}`, () =>
          withTransport(async (t) => {
            const queue = queueName();
            await t.publish(queue, payment(1));
            const unknown = { event_id: "0b7e7a4e-5f0c-4a57-8a3c-1b2c3d4e5f60", timestamp: 1.5, event_type: "RefundIssuedEvent", refund_id: "r-1" };
            await t.store.append([{ keys: t.keys(queue), fields: ["data", JSON.stringify(unknown)], expireAt: null }], false, { maxLength: 1000, trim: "acknowledged" });
            const consumer = await t.consume(queue, { OrderCreatedEvent: () => {} }, { ...fast, unhandledType: policy, unknownType: policy });
            await settle(consumer, 2);
            const letters = await t.deadLetters(queue).list();
            if (policy === "dead-letter") {
              assert.deepEqual(letters.map((l) => l.reason.split(":")[0]), ["no-handler", "unknown-event-type"]);
              assert.equal(letters[1]!.eventType, "RefundIssuedEvent");
              assert.equal(consumer.stats.deadLettered, 2);
            } else {
              assert.equal(letters.length, 0);
              assert.equal(consumer.stats.skipped, 2);
            }
            assert.equal((await t.info(queue)).pending, 0);
          }));
      }

      test("requeue one, requeue all, delete: each entry moved whole, history kept", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const events = Array.from({ length: 5 }, (_, i) => order(i));
          await t.publishMany(events.map((event) => ({ queue, event })));
          let failing = true;
          const handled: string[] = [];
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: (e) => {
                if (failing) throw new PermanentError("down");
                handled.push(e.eventId);
              },
            },
            fast,
          );
          await settle(consumer, 5);
          const dlq = t.deadLetters(queue);
          const letters = await dlq.list();
          assert.equal(letters.length, 5);
          failing = false;
          assert.equal(await dlq.requeue([letters[0]!.id, "0-1"]), 1, "an id not in the DLQ was counted");
          await until("the requeued event", () => handled.length === 1);
          assert.equal(handled[0], letters[0]!.event?.eventId);
          assert.equal(await dlq.delete([letters[1]!.id]), 1);
          const progress: number[] = [];
          assert.equal(await dlq.requeue("all", { onProgress: (n) => progress.push(n), batchSize: 2 }), 3);
          assert.equal(progress.at(-1), 3);
          await until("all requeued events", () => handled.length === 4);
          assert.equal(await dlq.count(), 0);
          assert.deepEqual(new Set(handled), new Set(events.filter((e) => e.eventId !== letters[1]!.event?.eventId).map((e) => e.eventId)));
        }));

      test("a requeued entry that fails again carries both moves in its history", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: () => {
                throw new PermanentError("still down");
              },
            },
            fast,
          );
          await settle(consumer, 1);
          const dlq = t.deadLetters(queue);
          const [first] = await dlq.list();
          await dlq.requeue([first!.id]);
          await until("the second move", async () => (await dlq.count()) === 1 && consumer.stats.deadLettered === 2);
          const [second] = await dlq.list();
          assert.equal(second!.failures.length, 2);
          assert.equal(second!.requeues, 1);
          assert.equal(second!.messageId, first!.messageId, "the message id changed across moves");
        }));
    });

    describe("expiry", () => {
      for (const policy of ["acknowledge", "dead-letter"] as const) {
        test(`a message past its TTL is not handled: ${policy}`, () =>
          withTransport(async (t) => {
            const queue = queueName();
            await t.publish(queue, order(1), { ttlSeconds: 0.01 });
            await new Promise((r) => setTimeout(r, 40));
            let handled = 0;
            const consumer = await t.consume(queue, { OrderCreatedEvent: () => void handled++ }, { ...fast, expired: policy });
            await settle(consumer, 1);
            assert.equal(handled, 0);
            assert.equal(consumer.stats.expired, 1);
            assert.equal(await t.deadLetters(queue).count(), policy === "dead-letter" ? 1 : 0);
            assert.equal((await t.info(queue)).pending, 0);
          }));
      }
    });

    describe("concurrency, reclaim and shutdown", () => {
      test("no more handlers run at once than the concurrency limit", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publishMany(Array.from({ length: 20 }, (_, i) => ({ queue, event: order(i) })));
          let running = 0;
          let peak = 0;
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: async () => {
                running++;
                peak = Math.max(peak, running);
                await new Promise((r) => setTimeout(r, 15));
                running--;
              },
            },
            { ...fast, concurrency: 3, batchSize: 10 },
          );
          await settle(consumer, 20);
          assert.equal(peak, 3);
        }));

      test("entries left pending by a dead consumer are reclaimed after the idle time, with their delivery count", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const events = [order(1), order(2)];
          await t.publishMany(events.map((event) => ({ queue, event })));
          // a consumer that reads and dies before acknowledging
          const ghost = await t.store.readNew(t.keys(queue), "ghost", 10, 10);
          assert.equal(ghost.length, 2);
          const seen: number[] = [];
          const consumer = await t.consume(queue, { OrderCreatedEvent: (_e, ctx) => void seen.push(ctx.deliveries) }, { ...fast, claimIdleMs: 100 });
          await settle(consumer, 2);
          assert.deepEqual(seen, [2, 2]);
          assert.equal(consumer.stats.reclaimed, 2);
          assert.equal((await t.info(queue)).pending, 0);
        }));

      test("entries trimmed away while pending are dropped from the pending list and counted, not retried forever", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publishMany(Array.from({ length: 3 }, (_, i) => ({ queue, event: order(i) })));
          const ghost = await t.store.readNew(t.keys(queue), "ghost", 10, 10);
          // two of the pending entries vanish from the stream (as MAXLEN trimming does), without acknowledgement
          assert.equal(await t.store.deleteEntries(t.keys(queue).stream, [ghost[0]!.id, ghost[1]!.id]), 2);
          assert.equal((await t.info(queue)).pending, 3);
          const consumer = await t.consume(queue, { OrderCreatedEvent: () => {} }, { ...fast, claimIdleMs: 50 });
          await until("the pending list to empty", async () => (await t.info(queue)).pending === 0);
          await consumer.whenIdle();
          assert.equal(consumer.stats.trimmed, 2);
          assert.equal(consumer.stats.handled, 1);
          assert.equal(consumer.stats.deadLettered, 0);
        }));

      test("stop lets a running handler finish and acknowledge, then resolves", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          let finished = false;
          let started = false;
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: async () => {
                started = true;
                await new Promise((r) => setTimeout(r, 100));
                finished = true;
              },
            },
            { ...fast, shutdownTimeoutMs: 2000 },
          );
          await until("the handler to start", () => started);
          await consumer.stop();
          assert.ok(finished);
          assert.equal(consumer.stats.handled, 1);
          const info = await t.info(queue);
          assert.equal(info.pending, 0);
          assert.equal(info.consumers, 0, "a consumer that stopped with nothing pending is still in the group");
        }));

      test("a handler still running at the shutdown deadline is aborted and its entry stays pending for others", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publish(queue, order(1));
          let aborted = false;
          let started = false;
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: async (_e, ctx) => {
                started = true;
                await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
                aborted = true;
                throw new Error("aborted");
              },
            },
            { ...fast, shutdownTimeoutMs: 50 },
          );
          await until("the handler to start", () => started);
          await consumer.stop();
          await until("the handler to see the abort", () => aborted);
          const info = await t.info(queue);
          assert.equal(info.pending, 1, "the entry was acknowledged or dead-lettered by a stopping consumer");
          assert.equal(info.dlqLength, 0);
          assert.equal(info.consumers, 1, "a consumer that left entries pending must stay in the group");
          // and another consumer takes it over
          let handled = 0;
          const other = await t.consume(queue, { OrderCreatedEvent: () => void handled++ }, { ...fast, claimIdleMs: 50 });
          await settle(other, 1);
          assert.equal(handled, 1);
        }));
    });

    describe("operations", () => {
      test("queue info: length, pending, consumers, DLQ length and the age of the oldest entry", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.publishMany(Array.from({ length: 4 }, (_, i) => ({ queue, event: order(i) })));
          await t.store.readNew(t.keys(queue), "ghost", 3, 10);
          await new Promise((r) => setTimeout(r, 20));
          const info = await t.info(queue);
          assert.equal(info.length, 4);
          assert.equal(info.pending, 3);
          assert.equal(info.consumers, 1);
          assert.equal(info.dlqLength, 0);
          assert.ok(info.oldestAgeMs !== null && info.oldestAgeMs >= 15, `oldest age ${info.oldestAgeMs}`);
          assert.ok((await t.queues()).some((q) => q.name === queue));
          await assert.rejects(t.info(queueName()), (e: Error & { code?: string }) => e.code === "unknown-queue");
        }));

      test("hasQueue and queueNames follow the prefix's registry", () =>
        withTransport(async (t) => {
          const queue = queueName();
          assert.equal(await t.hasQueue(queue), false);
          await t.publish(queue, order(1));
          assert.equal(await t.hasQueue(queue), true);
          assert.ok((await t.queueNames()).includes(queue));
          assert.ok(!(await t.queueNames()).includes(`${queue}:dlq`), "a DLQ is not a queue of its own");
        }));

      test("browsing reads entries as stored, decoded, without a consumer group: the newest, a range, and what comes after an id", () =>
        withTransport(async (t) => {
          const queue = queueName();
          const events = [order(1), payment(2), order(3)];
          const published = [];
          for (const [i, event] of events.entries()) published.push(await t.publish(queue, event, { format: i === 1 ? "binary" : "json" }));
          const browser = t.browse(queue);
          try {
            assert.equal(await browser.newestId(), published[2]!.streamId);
            const latest = await browser.latest(2);
            assert.deepEqual(latest.map((e) => e.id), [published[1]!.streamId, published[2]!.streamId]);
            assert.deepEqual(latest.map((e) => e.event), [events[1], events[2]]);
            assert.deepEqual(latest.map((e) => e.format), ["binary", "json"]);
            assert.equal(latest[1]!.metadata?.id, published[2]!.messageId);
            const range = await browser.range(`(${published[0]!.streamId}`, "+", 10);
            assert.deepEqual(range.map((e) => e.event?.eventId), [events[1]!.eventId, events[2]!.eventId]);
            assert.deepEqual((await browser.after(published[0]!.streamId, 10, 50)).map((e) => e.id), [published[1]!.streamId, published[2]!.streamId]);
            // with nothing after the newest, it waits for what comes next
            const waiting = browser.after(published[2]!.streamId, 10, 5000);
            await new Promise((r) => setTimeout(r, 50));
            const started = Date.now();
            const next = await t.publish(queue, order(4));
            const got = await waiting;
            assert.deepEqual(got.map((e) => e.id), [next.streamId]);
            assert.ok(Date.now() - started < 2000, "after() returned only when its wait ran out");
            const info = await t.info(queue);
            assert.equal(info.consumers, 0, "browsing joined the consumer group");
            assert.equal(info.lag, 4, "browsing delivered entries");
            assert.deepEqual(await t.browse(queue, { dlq: true }).latest(5), []);
          } finally {
            await browser.close();
          }
        }));
    });

    describe("partitions", () => {
      test("events of one key go to one partition, in publish order; without a key they spread over every partition", () =>
        withTransport(async (t) => {
          const queue = queueName();
          assert.deepEqual(await t.partitions(queue), { count: 1, highest: 1 });
          assert.deepEqual(await t.setPartitions(queue, 4), { count: 4, highest: 4 });
          const keyed = Array.from({ length: 20 }, (_, i) => order(i));
          const published = [];
          for (const event of keyed) published.push(await t.publish(queue, event, { partitionKey: "customer-7" }));
          const partitions = new Set(published.map((p) => p.partition));
          assert.equal(partitions.size, 1, "one key went to several partitions");
          const [partition] = partitions;
          const stored = await t.browse(queue, { partition: partition! }).range("-", "+", 100);
          assert.deepEqual(stored.map((e) => e.event?.eventId), keyed.map((e) => e.eventId), "a key's events are not in publish order in its partition");
          const spread = await t.publishMany(Array.from({ length: 200 }, (_, i) => ({ queue, event: payment(i) })));
          const counts = [0, 0, 0, 0];
          for (const p of spread) counts[p.partition]!++;
          assert.ok(counts.every((n) => n > 20), `200 events by event id spread unevenly: ${counts.join(", ")}`);
          const info = await t.info(queue);
          assert.equal(info.length, 220);
          assert.equal(info.partitions?.length, 4);
          assert.equal(info.partitions!.reduce((n, p) => n + p.length, 0), 220);
          assert.deepEqual(await t.queueNames(), [queue], "a partition is listed as a queue of its own");
        }));

      test("the transport's partitionKey keeps an order's events together; partitionOf is FNV-1a of the key's UTF-8 bytes", () =>
        withTransport(
          async (t) => {
            const queue = queueName();
            await t.setPartitions(queue, 8);
            const published = await t.publishMany([0, 1, 2, 3].flatMap((i) => [{ queue, event: order(i) }, { queue, event: payment(i) }]));
            for (let i = 0; i < 4; i++) {
              assert.equal(published[2 * i]!.partition, published[2 * i + 1]!.partition, `order-${i}'s events are in two partitions`);
              assert.equal(published[2 * i]!.partition, partitionOf(`order-${i}`, 8));
            }
            // FNV-1a 32 of "a" is 0xe40c292c (the published test value)
            assert.equal(partitionOf("a", 1_000_000_007), 0xe40c292c % 1_000_000_007);
            assert.equal(partitionOf("order-1", 1), 0);
          },
          { partitionKey: (e) => (e.payload as { orderId?: string }).orderId },
        ));

      test("consumers of a group share every partition: each event handled once", () =>
        withTransport(async (t, fixture) => {
          const queue = queueName();
          await t.setPartitions(queue, 4);
          const other = await fixture.open({ logger: silentLogger });
          const events = Array.from({ length: 120 }, (_, i) => order(i));
          await t.publishMany(events.map((event) => ({ queue, event })));
          const seen: string[][] = [[], []];
          const consumers = [
            await t.consume(queue, { OrderCreatedEvent: (e) => void seen[0]!.push(e.eventId) }, { ...fast, consumer: "one" }),
            await other.consume(queue, { OrderCreatedEvent: (e) => void seen[1]!.push(e.eventId) }, { ...fast, consumer: "two" }),
          ];
          assert.equal(consumers[0]!.partitionCount, 4);
          await until("every event", () => seen[0]!.length + seen[1]!.length === events.length);
          await Promise.all(consumers.map((c) => c.whenIdle()));
          await new Promise((r) => setTimeout(r, 100));
          const all = [...seen[0]!, ...seen[1]!];
          assert.equal(all.length, events.length, "an event was handled twice");
          assert.deepEqual(new Set(all), new Set(events.map((e) => e.eventId)));
          assert.equal(consumers[0]!.stats.handled + consumers[1]!.stats.handled, events.length, "the stats do not count every partition");
          const info = await t.info(queue);
          assert.equal(info.pending, 0);
          assert.equal(info.lag, 0);
        }));

      test("raising and lowering the partition count of a live queue loses nothing; the partitions no longer written are drained", () =>
        withTransport(
          async (t, fixture) => {
            const queue = queueName();
            const publisher = await fixture.open({ logger: silentLogger, partitionRefreshMs: 0 });
            const got = new Map<string, number>();
            const consumer = await t.consume(queue, { OrderCreatedEvent: (e) => void got.set(e.eventId, (got.get(e.eventId) ?? 0) + 1) }, fast);
            const sent: string[] = [];
            const publish = async (n: number): Promise<void> => {
              for (let i = 0; i < n; i++) sent.push((await publisher.publish(queue, order(sent.length))).eventId);
            };
            await publish(20);
            await t.setPartitions(queue, 4);
            await publish(40);
            assert.deepEqual(await t.setPartitions(queue, 2), { count: 2, highest: 4 });
            await publish(40);
            const latest = await publisher.publishMany(Array.from({ length: 20 }, (_, i) => ({ queue, event: order(1000 + i) })));
            sent.push(...latest.map((p) => p.eventId));
            assert.ok(latest.every((p) => p.partition < 2), "a publisher wrote to a partition past the count");
            await until("every event", () => got.size === sent.length, 15_000);
            await consumer.whenIdle();
            assert.ok([...got.values()].every((n) => n === 1), "an event was handled twice");
            assert.deepEqual(new Set(got.keys()), new Set(sent));
            assert.equal(consumer.partitionCount, 4, "the consumer does not read the partitions no longer written");
          },
          { partitionRefreshMs: 0 },
        ));

      test("retries and dead letters work per partition; the DLQs are listed, counted and requeued together", () =>
        withTransport(async (t) => {
          const queue = queueName();
          await t.setPartitions(queue, 3);
          const events = Array.from({ length: 12 }, (_, i) => order(i));
          const published = await t.publishMany(events.map((event) => ({ queue, event })));
          assert.ok(new Set(published.map((p) => p.partition)).size > 1);
          let failing = true;
          const attempts = new Map<string, number>();
          const handled: string[] = [];
          const consumer = await t.consume(
            queue,
            {
              OrderCreatedEvent: (e) => {
                attempts.set(e.eventId, (attempts.get(e.eventId) ?? 0) + 1);
                if (failing) throw new Error("down");
                handled.push(e.eventId);
              },
            },
            { ...fast, retry: { maxAttempts: 2, initialDelayMs: 10, multiplier: 1, maxDelayMs: 10 } },
          );
          await settle(consumer, events.length);
          assert.ok([...attempts.values()].every((n) => n === 2), "each event was not tried twice before its move");
          const dlq = t.deadLetters(queue);
          assert.equal(await dlq.count(), 12);
          const letters = await dlq.list();
          assert.equal(letters.length, 12);
          assert.deepEqual(new Set(letters.map((l) => l.event?.eventId)), new Set(events.map((e) => e.eventId)));
          const ids = letters.map((l) => l.id);
          assert.ok(ids.some((id) => id.includes("/")), "no id names its partition");
          const page = await dlq.list({ count: 5 });
          const rest = await dlq.list({ after: page.at(-1)!.id });
          assert.deepEqual([...page, ...rest].map((l) => l.id), ids, "paging through the partitions' DLQs skips or repeats entries");
          const onPartition = letters.find((l) => l.partition > 0)!;
          assert.equal((await dlq.get(onPartition.id))?.event?.eventId, onPartition.event?.eventId);
          failing = false;
          assert.equal(await dlq.requeue([onPartition.id]), 1);
          await until("the requeued event", () => handled.length === 1);
          assert.equal(await dlq.requeue("all"), 11);
          await until("every requeued event", () => handled.length === 12);
          assert.equal(await dlq.count(), 0);
        }));

      test("the bus on a partitioned shared queue: every subscriber gets every event of its types once", () =>
        withTransport(async (_t, fixture) => {
          const prefix = `bus${Math.random().toString(36).slice(2, 8)}:`;
          const processes = await Promise.all([1, 2].map(() => fixture.open({ prefix, logger: silentLogger })));
          const buses = processes.map((p) => new EventBus(p, { partitions: 3, router: { blockMs: 50, claimIntervalMs: 50 } }));
          const got: Record<string, string[]> = { payments: [], notify: [] };
          await buses[0]!.subscribe("payment-service", { OrderCreatedEvent: (e) => void got["payments"]!.push(e.eventId) }, fast);
          await buses[1]!.subscribe("notification-service", { "*": (e) => void got["notify"]!.push(e.eventId) }, fast);
          assert.equal((await processes[0]!.partitions("all")).count, 3);
          const orders = Array.from({ length: 30 }, (_, i) => order(i));
          const payments = Array.from({ length: 10 }, (_, i) => payment(i));
          await buses[0]!.publishMany(orders);
          for (const e of payments) await buses[1]!.publish(e);
          await until("fan-out", () => got["payments"]!.length === 30 && got["notify"]!.length === 40);
          await new Promise((r) => setTimeout(r, 100));
          assert.deepEqual(new Set(got["payments"]), new Set(orders.map((e) => e.eventId)));
          assert.equal(got["payments"]!.length, 30);
          assert.equal(new Set(got["notify"]).size, 40);
          assert.equal(got["notify"]!.length, 40);
          const routed = buses.reduce((n, b) => n + b.routerStats.routed, 0);
          assert.equal(routed, 40);
          await Promise.all(buses.map((b) => b.stop()));
        }));

      test("a partition count out of range, or a queue name that names a partition, is refused", () =>
        withTransport(async (t) => {
          await assert.rejects(t.setPartitions(queueName(), 0), (e: unknown) => isEventwireError(e, "invalid-option"));
          await assert.rejects(t.setPartitions(queueName(), 1.5), (e: unknown) => isEventwireError(e, "invalid-option"));
          assert.throws(() => t.keys("orders#2"), (e: unknown) => isEventwireError(e, "invalid-option"));
        }));
    });

    describe("the event bus", () => {
      test("every subscribed service gets every event of its types, whichever process routes; replicas share the load", () =>
        withTransport(async (_t, fixture) => {
          const prefix = `bus${Math.random().toString(36).slice(2, 8)}:`;
          const processes = await Promise.all([1, 2, 3].map(() => fixture.open({ prefix, logger: silentLogger })));
          const buses = processes.map((p) => new EventBus(p, { router: { blockMs: 50, claimIntervalMs: 50 } }));
          const got: Record<string, string[]> = { payments: [], shipping: [], notify: [], replica: [] };
          // payment-service in process 0 with a replica in process 1; shipping in 1; notification in 2
          await buses[0]!.subscribe("payment-service", { OrderCreatedEvent: (e) => void got["payments"]!.push(e.eventId) }, fast);
          await buses[1]!.subscribe("payment-service", { OrderCreatedEvent: (e) => void got["replica"]!.push(e.eventId) }, fast);
          await buses[1]!.subscribe("shipping-service", { PaymentProcessedEvent: (e) => void got["shipping"]!.push(e.eventId) }, fast);
          await buses[2]!.subscribe("notification-service", { "*": (e) => void got["notify"]!.push(e.eventId) }, fast);
          const orders = Array.from({ length: 30 }, (_, i) => order(i));
          const payments = Array.from({ length: 10 }, (_, i) => payment(i));
          // published from every process
          for (const [i, e] of [...orders, ...payments].entries()) await buses[i % 3]!.publish(e);
          await until("fan-out", () => got["payments"]!.length + got["replica"]!.length === 30 && got["shipping"]!.length === 10 && got["notify"]!.length === 40);
          await new Promise((r) => setTimeout(r, 100));
          const paymentService = [...got["payments"]!, ...got["replica"]!];
          assert.deepEqual(new Set(paymentService), new Set(orders.map((e) => e.eventId)));
          assert.equal(paymentService.length, 30, "an order reached the payment service twice");
          assert.deepEqual(new Set(got["shipping"]), new Set(payments.map((e) => e.eventId)));
          assert.equal(got["notify"]!.length, 40);
          const stats = buses.map((b) => b.routerStats);
          assert.equal(stats.reduce((n, s) => n + s.routed, 0), 40);
          assert.equal(stats.reduce((n, s) => n + s.copies, 0), 30 + 10 + 40);
          await Promise.all(buses.map((b) => b.stop()));
        }));

      test("an unsubscribed service gets no more events; a subscription made while its service is down keeps its events", () =>
        withTransport(async (_t, fixture) => {
          const prefix = `bus${Math.random().toString(36).slice(2, 8)}:`;
          const p = await fixture.open({ prefix, logger: silentLogger });
          const bus = new EventBus(p, { router: { blockMs: 50 } });
          const got: string[] = [];
          const sub = await bus.subscribe("audit", { "*": (e) => void got.push(e.eventId) }, fast);
          await sub.consumer.stop(); // the service goes down; its subscription stays
          const whileDown = order(1);
          await bus.publish(whileDown);
          await until("the event to be routed", () => bus.routerStats.routed === 1);
          const again = await bus.subscribe("audit", { "*": (e) => void got.push(e.eventId) }, fast);
          await until("the event kept while down", () => got.length === 1);
          assert.deepEqual(got, [whileDown.eventId]);
          await again.unsubscribe();
          await bus.publish(order(2));
          await until("the second event to be routed", () => bus.routerStats.unrouted === 1);
          assert.equal(got.length, 1);
          await bus.stop();
        }));
    });
  });
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am - bm || as - bs;
}
