/** `eventwire partitions`: a queue's partitions — how many are written and read, each one's counts — and changing how many there are. */
import { MAX_PARTITIONS, type PartitionCount, type QueueInfo } from "../../redis/index.js";
import type { Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { age, json, table } from "../output.js";

function partitionJson(info: QueueInfo, partition: number): Record<string, unknown> {
  return {
    partition,
    stream: info.stream,
    length: info.length,
    pending: info.pending,
    consumers: info.consumers,
    lag: info.lag,
    dlq_length: info.dlqLength,
    oldest_age_ms: info.oldestAgeMs,
    trimmed_unread: info.trimmedUnread,
    resets: info.resets,
  };
}

/** What a partition count means, in a line: `4 partitions`, or `2 partitions written, 4 read`. */
function describe(count: PartitionCount): string {
  const n = `${count.count} partition${count.count === 1 ? "" : "s"}`;
  return count.highest > count.count ? `${n} written, ${count.highest} read` : n;
}

/** What changes for publishers, consumers and ordering when the count goes from `before` to `after`. */
function consequences(queue: string, before: PartitionCount, after: PartitionCount): string[] {
  if (before.count === after.count) return [`${queue} already has ${describe(after)}: nothing changes.`];
  const lines = [
    `${queue}: ${before.count} → ${after.count} partition${after.count === 1 ? "" : "s"}.`,
    `Publishers write to partitions 0 to ${after.count - 1} from now on (those of other processes within their partitionRefreshMs, 5 s by default).`,
  ];
  if (after.count > before.count) {
    lines.push(`Consumers start reading partition${after.count - before.count === 1 ? ` ${before.count}` : `s ${before.count} to ${after.count - 1}`} within their claim interval.`);
  } else {
    lines.push(
      `Partition${before.count - after.count === 1 ? ` ${after.count} is` : `s ${after.count} to ${before.count - 1} are`} no longer written; consumers go on reading every partition the queue has had (${after.highest}), so what is in them is still handled.`,
    );
  }
  lines.push(
    "Ordering: events of one partition key stay in order within a partition. A key may now go to another partition than before, so its events published before and after this change can be handled out of order, until those published before are handled.",
  );
  return lines;
}

export const partitions: Command = {
  name: "partitions",
  summary: "Show a queue's partitions and each one's counts; with a count, set how many it has.",
  args: "<queue> [count]",
  details: `
A queue with partitions is several queue pairs (streams), each read by the
queue's consumers: partition 0 is the queue itself, partition i its pair
named <queue>#i (on Redis Cluster, each in a slot of its own, so that one
queue spreads over the masters). Publishers put an event in the partition
of its partition key (FNV-1a of the key, modulo the count): events of one
key go to one partition, in the order they were published.

Without a count: how many partitions publishers write to, how many the
queue has had (consumers read them all), and each partition's counts, as
in "eventwire queues". With a count (1 to ${MAX_PARTITIONS}): makes the new partitions'
queue pairs, records the count, and says what changes for ordering. Raising
it spreads the load; lowering it leaves the partitions no longer written to
be drained. Events of one key published before and after a change may be
handled out of order.

--json prints {"queue", "count", "highest", "partitions": [...]}, each
partition with the keys of "eventwire queues --json"; with a count, also
"previous": {"count", "highest"}.

Examples:
  eventwire partitions orders
  eventwire partitions orders 8
  eventwire partitions all 4 --prefix events:`,
  options: {},
  positionals: { min: 1, max: 2 },
  async run({ values, positionals, session, io, paint }) {
    const [queue, countText] = positionals as [string, string | undefined];
    if (countText !== undefined && !/^\d+$/.test(countText)) {
      throw usageError(`the partition count must be a whole number (1 or more), got ${JSON.stringify(countText)}`, 'Run "eventwire partitions --help".');
    }
    await session.requireQueue(queue);
    const transport = await session.transport();
    let previous: PartitionCount | undefined;
    if (countText !== undefined) {
      previous = await transport.partitions(queue, { fresh: true });
      await transport.setPartitions(queue, Number(countText));
    }
    const count = await transport.partitions(queue, { fresh: true });
    const info = await transport.info(queue);
    const each = info.partitions ?? [info];
    if (values["json"]) {
      io.stdout.write(json({ queue, count: count.count, highest: count.highest, ...(previous ? { previous } : {}), partitions: each.map(partitionJson) }));
      return ExitCode.ok;
    }
    if (previous !== undefined) io.stdout.write(consequences(queue, previous, count).join("\n") + "\n\n");
    io.stdout.write(`${queue}: ${describe(count)}\n`);
    io.stdout.write(
      table(
        ["PARTITION", "STREAM", "LENGTH", "PENDING", "CONSUMERS", "LAG", "DLQ", "OLDEST"],
        each.map((p, i) => [
          i < count.count ? String(i) : `${i} (not written)`,
          p.stream,
          String(p.length),
          String(p.pending),
          String(p.consumers),
          p.lag === null ? "-" : String(p.lag),
          String(p.dlqLength),
          age(p.oldestAgeMs),
        ]),
        ["left", "left", "right", "right", "right", "right", "right", "right"],
        paint.bold,
      ),
    );
    return ExitCode.ok;
  },
};
