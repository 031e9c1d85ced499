/**
 * A consumer for the memory figure, in a process of its own (run with
 * --expose-gc):
 *
 *   memory-consumer.ts <redis url> <queue> <events>
 *
 * Handles `events` events of the queue; after 100,000 and after the last,
 * collects garbage and records its resident set size and heap. Reports
 * progress and the result to its parent over IPC.
 */
import { connectRedis, silentLogger } from "eventwire/redis";
import { shopRegistry } from "../examples/shop/events.js";

const [url, queue, eventsArg] = process.argv.slice(2);
const total = Number(eventsArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const send = (m: unknown) => process.send?.(m);
const t = await connectRedis({ registry: shopRegistry, connection: url!, logger: silentLogger });
let handled = 0;
let at100k: { rss: number; heap: number } | undefined;
let done!: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));
const measure = () => {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
};
const consumer = await t.consume(queue!, {
  OrderCreatedEvent: () => {
    handled++;
    if (handled % 5000 === 0) send({ handled });
    if (handled === 100_000) at100k = measure();
    if (handled === total) done();
  },
}, { batchSize: 100, concurrency: 200 });
await finished;
await consumer.whenIdle();
const atEnd = measure();
send({ handled, result: { rssAt100k: at100k?.rss ?? NaN, heapAt100k: at100k?.heap ?? NaN, rssAt1M: atEnd.rss, heapAt1M: atEnd.heap, handled } });
await t.close();
process.disconnect?.();
