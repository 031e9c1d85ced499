/**
 * A publisher at a fixed offered rate, for the latency figure:
 *
 *   publisher.ts <redis url> <queue> <format> <seconds> <events per second> <warm-up seconds>
 *
 * Every millisecond or so it publishes, one by one and without waiting, the
 * events due by then, each with its send time (the monotonic clock, which
 * all processes of the machine share) in the header `bench-sent`; events of
 * the warm-up (first) part also carry `bench-warm-up`. Prints how many it
 * published after the warm-up, and over how long.
 */
import { connectRedis, silentLogger, type EntryFormat } from "eventwire/redis";
import { shopRegistry } from "../examples/shop/events.js";
import { seedEvents } from "./inputs.js";

const [url, queue, format, secondsArg, rateArg, warmUpArg] = process.argv.slice(2);
const warmUp = Number(warmUpArg ?? 0);
const seconds = Number(secondsArg) + warmUp;
const rate = Number(rateArg);
const t = await connectRedis({ registry: shopRegistry, connection: url!, logger: silentLogger });
const seed = seedEvents[0]!;
const pending: Promise<unknown>[] = [];
let sent = 0;
const total = Math.round(seconds * rate);
const start = process.hrtime.bigint();
await new Promise<void>((resolve) => {
  const tick = (): void => {
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const due = Math.min(total, Math.floor(elapsed * rate));
    while (sent < due) {
      const warm = sent < warmUp * rate;
      const headers: Record<string, string> = warm ? { "bench-warm-up": "1" } : {};
      headers["bench-sent"] = String(process.hrtime.bigint());
      const event = shopRegistry.create(seed.eventType, seed.payload as never, { headers });
      pending.push(t.publish(queue!, event, { format: format as EntryFormat }));
      sent++;
    }
    if (sent >= total) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
const took = Number(process.hrtime.bigint() - start) / 1e9;
await Promise.all(pending);
await t.close();
console.log(JSON.stringify({ published: sent - Math.round(warmUp * rate), seconds: took - warmUp }));
