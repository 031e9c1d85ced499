/**
 * The consumer of the latency figure, in a process of its own (as a
 * service's consumer runs: nothing else in its heap):
 *
 *   latency-consumer.ts <redis url> <queue>
 *
 * Consumes the queue with the default consumer options and records, for
 * each event carrying a `bench-sent` header (and no `bench-warm-up`), the
 * time from that send time (the monotonic clock all processes of the
 * machine share) to its handler, in ms. Says `ready` over IPC once reading;
 * on `stop`, stops and sends the samples.
 */
import { connectRedis, silentLogger } from "eventwire/redis";
import { shopRegistry } from "../examples/shop/events.js";

const [url, queue] = process.argv.slice(2);
const send = (m: unknown) => process.send?.(m);
const t = await connectRedis({ registry: shopRegistry, connection: url!, logger: silentLogger });
const samples: number[] = [];
const consumer = await t.consume(queue!, {
  OrderCreatedEvent: (_event, context) => {
    const sent = context.headers["bench-sent"];
    if (sent !== undefined && context.headers["bench-warm-up"] === undefined) samples.push(Number(process.hrtime.bigint() - BigInt(sent)) / 1e6);
  },
});
const progress = setInterval(() => send({ count: samples.length }), 20);
send({ ready: true });
process.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(progress);
  void (async () => {
    await consumer.stop();
    await t.close();
    // (disconnected once the samples are sent: a large message is written in parts)
    process.send?.({ samples }, () => process.disconnect?.());
  })();
});
