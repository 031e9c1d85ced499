// One process of the chaos suite (test/chaos/chaos.test.ts), running the
// library as a service would: a publisher (to the plain queue and to the
// bus), a consumer of the plain queue, or a replica of a bus service; each
// runs a router of the bus too. It works on the Redis the suite faults, and
// records what it confirms and handles on a second Redis the faults never
// touch. It says "ready" once it is consuming (or publishing), stops
// gracefully on "stop" (reporting how long each part took), and exits when
// the suite goes away.
import { Redis } from "ioredis";
import { connectRedis, EventBus, PermanentError, type Handlers, type Logger, type PublishOptions, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import {
  BUS_PREFIX,
  COMMAND_TIMEOUT_MS,
  CONSUMER_OPTIONS,
  flagOf,
  MAX_LENGTH,
  QUEUE,
  QUEUE_PREFIX,
  random,
  Rec,
  ROUTER_OPTIONS,
  SERVICES,
  type PublishedMeta,
  type WorkerConfig,
  type WorkerMessage,
} from "./plan.js";

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const rec = new Redis(config.rec);
const rand = random(`${config.seed}/${config.label}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const send = (message: WorkerMessage) => process.send?.(message);

// The suite gone (or killed): nothing of this process may outlive it.
process.on("disconnect", () => process.exit(0));
process.on("unhandledRejection", (error) => {
  void rec.rpush(Rec.log, `${config.label} unhandled rejection: ${error instanceof Error ? error.stack : String(error)}`);
});

function logger(target: string): Logger {
  const line = (level: string) => (message: string, details?: Record<string, unknown>) => {
    void rec.rpush(Rec.log, `${new Date().toISOString()} ${config.label} ${level}: ${message}`).then(() => rec.ltrim(Rec.log, -3000, -1));
    const ids = details?.["ids"];
    if (/trimmed from/.test(message) && Array.isArray(ids)) void rec.incrby(Rec.trimmed(target), ids.length);
  };
  return { warn: line("warn"), error: line("error") };
}

let stopRequested = false;
let stop: (() => Promise<Record<string, number>>) | undefined;
const counts = { published: 0, failed: 0 };

process.on("message", (message: unknown) => {
  if (message !== "stop" || stopRequested) return;
  stopRequested = true;
  void (async () => {
    const times = stop ? await stop() : {};
    rec.disconnect();
    send({ type: "stopped", times, ...(config.role === "publisher" ? counts : {}) });
    process.exit(0);
  })();
});

async function timed(times: Record<string, number>, what: string, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await work();
  times[what] = Date.now() - started;
}

function handlers(target: string): Handlers<ShopEvent> {
  return {
    "*": async (event) => {
      if (rand() < 0.3) await sleep(Math.floor(rand() * 4));
      const flag = flagOf(event);
      if (flag === "cursed") throw new Error(`the order ${event.eventId} always fails`);
      if (flag === "refused") throw new PermanentError(`the order ${event.eventId} is refused`);
      await rec.hincrby(Rec.handled(target), event.eventId, 1);
    },
  };
}

/** Tries `work` again while Redis is down (a process restarted during a Redis restart), for up to 30 s. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function connect(prefix: string, target: string): Promise<StreamTransport<ShopEvent>> {
  return retrying(() => connectRedis({
    registry: shopRegistry,
    connection: config.main,
    prefix,
    maxLength: MAX_LENGTH,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    logger: logger(target),
  }));
}

function makeEvent(seq: number): ShopEvent {
  const r = rand();
  const orderId = `${config.label}-${seq}${r < 0.015 ? "-cursed" : r < 0.03 ? "-refused" : ""}`;
  const kind = Math.floor(rand() * 3);
  if (kind === 0) {
    return shopRegistry.create("OrderCreatedEvent", {
      orderId,
      userId: `user-${seq % 17}`,
      total: seq * 1.25,
      items: [{ productId: `p-${seq % 5}`, name: "Widget", price: 1.25, quantity: seq }],
    });
  }
  if (kind === 1) return shopRegistry.create("PaymentProcessedEvent", { paymentId: `pay-${seq}`, orderId, amount: seq * 1.25, status: "succeeded" });
  return shopRegistry.create("OrderShippedEvent", { orderId, trackingNumber: `TRACK-${seq}`, carrier: "UPS" });
}

async function publisher(): Promise<void> {
  const queueSide = await connect(QUEUE_PREFIX, "publisher");
  const busSide = await connect(BUS_PREFIX, "publisher");
  const bus = new EventBus(busSide, { router: ROUTER_OPTIONS });
  await retrying(() => bus.start());
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  stop = async () => {
    const times: Record<string, number> = {};
    await timed(times, "last publish", () => finished);
    await timed(times, "bus.stop", () => bus.stop());
    await timed(times, "close", async () => {
      await busSide.close();
      await queueSide.close();
    });
    return times;
  };
  send({ type: "ready" });
  let seq = 0;
  while (!stopRequested) {
    const size = rand() < 0.2 ? 2 + Math.floor(rand() * 6) : 1;
    const events = Array.from({ length: size }, () => makeEvent(seq++));
    const toBus = rand() < 0.5;
    const options: PublishOptions = {
      format: rand() < 0.3 ? "binary" : "json",
      ...(rand() < 0.04 ? { ttlSeconds: 0.5 + rand() } : {}),
    };
    const where = toBus ? "bus" : "queue";
    try {
      if (toBus) await (size === 1 ? bus.publish(events[0]!, options) : bus.publishMany(events, options));
      else await queueSide.publishMany(events.map((event) => ({ queue: QUEUE, event, options })));
      const meta = (e: ShopEvent): string => JSON.stringify({ t: e.eventType, ttl: options.ttlSeconds ?? null, p: config.label, f: flagOf(e) ?? null } satisfies PublishedMeta);
      await rec.hset(Rec.published(where), ...events.flatMap((e) => [e.eventId, meta(e)]));
      counts.published += size;
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error);
      await rec.hset(Rec.unconfirmed(where), ...events.flatMap((e) => [e.eventId, code]));
      counts.failed += size;
    }
    await sleep(Math.floor(rand() * 12));
  }
  done();
}

async function queueConsumer(): Promise<void> {
  const transport = await connect(QUEUE_PREFIX, "queue");
  const consumer = await retrying(() => transport.consume(QUEUE, handlers("queue"), { ...CONSUMER_OPTIONS, consumer: `${config.label}-${process.pid}` }));
  // a router of the bus here too
  const busSide = await connect(BUS_PREFIX, "router");
  const bus = new EventBus(busSide, { router: { ...ROUTER_OPTIONS, consumer: `router-${config.label}-${process.pid}` } });
  await retrying(() => bus.start());
  stop = async () => {
    const times: Record<string, number> = {};
    await timed(times, "consumer.stop", () => consumer.stop());
    await timed(times, "bus.stop", () => bus.stop());
    await timed(times, "close", async () => {
      await transport.close();
      await busSide.close();
    });
    return times;
  };
  send({ type: "ready" });
}

async function service(): Promise<void> {
  const name = config.service!;
  const transport = await connect(BUS_PREFIX, name);
  const bus = new EventBus(transport, { router: { ...ROUTER_OPTIONS, consumer: `router-${config.label}-${process.pid}` } });
  await retrying(() =>
    bus.subscribe(name, handlers(name), {
      ...CONSUMER_OPTIONS,
      consumer: `${config.label}-${process.pid}`,
      eventTypes: SERVICES[name].types,
    }),
  );
  stop = async () => {
    const times: Record<string, number> = {};
    await timed(times, "bus.stop", () => bus.stop());
    await timed(times, "close", () => transport.close());
    return times;
  };
  send({ type: "ready" });
}

await (config.role === "publisher" ? publisher() : config.role === "queue-consumer" ? queueConsumer() : service());
