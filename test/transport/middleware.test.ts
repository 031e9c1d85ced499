// Handler middleware on a real Redis: the order of a chain (the transport's
// outermost, then the consumer's), the timeout (an aborted signal, a failed
// delivery), correlation and causation ids carried through awaits into events
// published from handlers, the logging middleware, and the checks on what
// `use` is given.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Headers } from "eventwire";
import {
  connectRedis,
  correlation,
  isEventwireError,
  logging,
  silentLogger,
  timeout,
  type Middleware,
  type RetryEvent,
  type StreamTransport,
} from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { testRedis } from "../support/redis.js";
import { until } from "../support/wait.js";

let redis: { url: string; stop: () => Promise<void> };
const transports: StreamTransport<ShopEvent>[] = [];

before(async () => {
  redis = await testRedis();
});

after(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await redis.stop();
});

async function transport(): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix: `mw-${randomUUID().slice(0, 8)}:`, logger: silentLogger, telemetry: false });
  transports.push(t);
  return t;
}

const FAST = { blockMs: 50, claimIntervalMs: 50 } as const;
const shipped = (orderId: string): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId, carrier: "UPS" });

test("a chain runs outermost first: the transport's middleware, then the consumer's, then the handler, and back", async () => {
  const t = await transport();
  const steps: string[] = [];
  const step =
    (name: string): Middleware<ShopEvent> =>
    async (event, context, next) => {
      steps.push(`${name}>${event.eventType}@${context.deliveries}`);
      await next();
      steps.push(`<${name}`);
    };
  t.use(step("a"), step("b"));
  const consumer = t.consumer("orders", { OrderShippedEvent: () => void steps.push("handler") }, FAST).use(step("c"));
  await consumer.start();
  await t.publish("orders", shipped("o-1"));
  await until("the event handled", () => consumer.stats.handled === 1);
  assert.deepEqual(steps, ["a>OrderShippedEvent@1", "b>OrderShippedEvent@1", "c>OrderShippedEvent@1", "handler", "<c", "<b", "<a"]);
});

test("a middleware that does not call next acknowledges without handling; one that throws fails the delivery", async () => {
  const t = await transport();
  let handled = 0;
  const failures: RetryEvent[] = [];
  t.on("retry", (e) => void failures.push(e));
  t.use(async (event, _context, next) => {
    if (event.payload.orderId === "skip") return;
    if (event.payload.orderId === "refuse") throw new Error("refused by middleware");
    if (event.payload.orderId === "twice") {
      await next();
      await next();
    }
    await next();
  });
  const consumer = await t.consume("orders", { "*": () => void handled++ }, { ...FAST, retry: { maxAttempts: 2, initialDelayMs: 10 } });
  for (const id of ["skip", "refuse", "twice"]) await t.publish("orders", shipped(id));
  await until("one acknowledged, two dead-lettered", () => consumer.stats.handled === 1 && consumer.stats.deadLettered === 2);
  assert.equal(handled, 2, "the skipped event's handler never ran; the one calling next twice ran once per delivery");
  const reasons = (await t.deadLetters("orders").list()).map((d) => d.reason).sort();
  assert.match(reasons[0]!, /Error: refused by middleware/);
  assert.match(reasons[1]!, /next\(\) more than once/);
  assert.deepEqual(failures.map((f) => f.attempt), [1, 1]);
});

test("timeout: the handler's signal is aborted, and the delivery fails with handler-timeout (retried, then dead-lettered)", async () => {
  const t = await transport();
  const reasons: unknown[] = [];
  const retries: RetryEvent[] = [];
  t.on("retry", (e) => void retries.push(e));
  t.use(timeout(50));
  const consumer = await t.consume(
    "slow",
    {
      "*": (_event, context) =>
        new Promise<void>((resolve) => {
          context.signal.addEventListener("abort", () => {
            reasons.push(context.signal.reason);
            resolve(); // too late: the delivery has already failed
          });
        }),
    },
    { ...FAST, retry: { maxAttempts: 2, initialDelayMs: 10 } },
  );
  await t.publish("slow", shipped("o-slow"));
  await until("dead-lettered after two timeouts", () => consumer.stats.deadLettered === 1);
  assert.equal(consumer.stats.handled, 0);
  assert.equal(reasons.length, 2);
  assert.ok(reasons.every((r) => isEventwireError(r, "handler-timeout")), "the signal's reason is the timeout");
  assert.equal(retries.length, 1);
  assert.ok(isEventwireError(retries[0]!.error, "handler-timeout"));
  const [dead] = await t.deadLetters("slow").list();
  assert.match(dead!.reason, /handler-failed .*ran past its timeout of 50 ms/);
  assert.throws(() => timeout(0), (e: unknown) => isEventwireError(e, "invalid-option"));
});

test("a fast handler under a timeout is acknowledged, and the timer does not outlive it", async () => {
  const t = await transport();
  const consumer = t.consumer("quick", { "*": async () => {} }, FAST).use(timeout(60_000));
  await consumer.start();
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  await t.publish("quick", shipped("o-quick"));
  await until("handled", () => consumer.stats.handled === 1);
  assert.ok(timers() <= before, "the timeout's timer was cleared");
});

test("correlation: events published from a handler, after awaits, carry the flow's correlation id and the handled event's id as causation id", async () => {
  const t = await transport();
  t.use(correlation());
  const seen = new Map<string, ShopEvent>();
  await t.consume(
    "flow",
    {
      OrderCreatedEvent: async (event) => {
        seen.set("created", event);
        await new Promise((r) => setTimeout(r, 5));
        await t.publish("flow", shopRegistry.create("PaymentProcessedEvent", { orderId: event.payload.orderId }));
      },
      PaymentProcessedEvent: async (event) => {
        seen.set("paid", event);
        await Promise.resolve();
        setTimeout(() => void t.publish("flow", shipped(event.payload.orderId)), 1); // even from a timer it set
      },
      OrderShippedEvent: (event) => void seen.set("shipped", event),
    },
    FAST,
  );
  const root = shopRegistry.create("OrderCreatedEvent", { orderId: "o-flow" });
  await t.publish("flow", root);
  await until("the flow's three events", () => seen.size === 3);
  const created = seen.get("created")!;
  const paid = seen.get("paid")!;
  const done = seen.get("shipped")!;
  assert.deepEqual(created.headers, {}, "an event published outside any handler gets nothing");
  assert.equal(paid.headers[Headers.correlationId], root.eventId, "the first event's id names the flow");
  assert.equal(paid.headers[Headers.causationId], root.eventId);
  assert.equal(done.headers[Headers.correlationId], root.eventId, "carried on down the flow");
  assert.equal(done.headers[Headers.causationId], paid.eventId);
});

test("correlation: headers an event has are kept, and a flow's own correlation id is passed on", async () => {
  const t = await transport();
  const out: ShopEvent[] = [];
  const relay = t.consumer(
    "in",
    {
      "*": async () => {
        await t.publish("out", shipped("plain"));
        await t.publish("out", shopRegistry.create("OrderShippedEvent", { orderId: "own" }, { headers: { [Headers.correlationId]: "mine", [Headers.causationId]: "me" } }));
      },
    },
    FAST,
  );
  await relay.use(correlation()).start();
  await t.consume("out", { "*": (event) => void out.push(event) }, FAST);
  const root = shopRegistry.create("OrderCreatedEvent", { orderId: "o" }, { headers: { [Headers.correlationId]: "flow-7" } });
  await t.publish("in", root);
  await until("both published events", () => out.length === 2);
  const byId = new Map(out.map((e) => [e.payload.orderId, e.headers]));
  assert.deepEqual(byId.get("plain"), { [Headers.correlationId]: "flow-7", [Headers.causationId]: root.eventId });
  assert.deepEqual(byId.get("own"), { [Headers.correlationId]: "mine", [Headers.causationId]: "me" });
});

test("logging: a line per handled event and per failure, at the levels asked for", async () => {
  const t = await transport();
  const lines: [string, string][] = [];
  const logger = {
    debug: (m: string) => void lines.push(["debug", m]),
    info: (m: string) => void lines.push(["info", m]),
    warn: (m: string) => void lines.push(["warn", m]),
    error: (m: string) => void lines.push(["error", m]),
  };
  t.use(logging({ logger, handledLevel: "debug", failedLevel: "error" }));
  const ok = shipped("o-ok");
  const bad = shopRegistry.create("OrderCreatedEvent", { orderId: "o-bad" });
  const consumer = await t.consume(
    "logged",
    {
      OrderShippedEvent: () => {},
      OrderCreatedEvent: () => {
        throw new Error("out of stock");
      },
    },
    { ...FAST, retry: { maxAttempts: 1 } },
  );
  await t.publish("logged", ok);
  await t.publish("logged", bad);
  await until("both done", () => consumer.stats.handled === 1 && consumer.stats.deadLettered === 1);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]![0], "debug");
  assert.match(lines[0]![1], new RegExp(`^handled OrderShippedEvent ${ok.eventId} from logged in \\d+\\.\\d ms \\(delivery 1\\)$`));
  assert.equal(lines[1]![0], "error");
  assert.match(lines[1]![1], new RegExp(`^OrderCreatedEvent ${bad.eventId} from logged failed on delivery 1 of 1 after \\d+\\.\\d ms: Error: out of stock$`));
});

test("use() takes functions only", async () => {
  const t = await transport();
  assert.throws(() => t.use(42 as never), (e: unknown) => isEventwireError(e, "invalid-option") && /middleware must be a function, got number/.test((e as Error).message));
  assert.throws(() => t.consumer("x", {}).use(null as never), (e: unknown) => isEventwireError(e, "invalid-option"));
});
