/** `eventwire queues`: every queue under the prefix, with its partition count and its counts (summed over its partitions). */
import { type Command } from "../command.js";
import { ExitCode } from "../errors.js";
import { age, json, table } from "../output.js";

export const queues: Command = {
  name: "queues",
  summary: "List every queue under the prefix, with its counts.",
  args: "",
  details: `
Every queue pair in the prefix's registry (the set LeanMQ and eventwire
record queues in), with:
  PARTS      its partitions: how many publishers write to, and, when it had
             more before, how many are still read ("2 of 4")
  LENGTH     entries in the stream (acknowledged ones stay until trimmed)
  PENDING    entries delivered to the consumer group and not acknowledged
  CONSUMERS  consumers known to the group
  DLQ        entries in its dead-letter queue
  OLDEST     age of the oldest entry in the stream
  LOST       entries trimmed before they were read (only with trim "length")
  RESETS     times the stream or its group was found gone and made again
             (Redis restarted empty, a flush, a deleted key)
The counts of a queue with partitions are summed over them (CONSUMERS: the
most any partition has); "eventwire partitions <queue>" shows each one's.

--json prints an array of objects with the keys name, stream, partitions,
partitions_highest, length, pending, consumers, lag, dlq_length,
oldest_age_ms (null when empty), trimmed_unread and resets.

Examples:
  eventwire queues
  eventwire queues --prefix events: --json | jq '.[] | select(.dlq_length > 0) | .name'`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values, session, io, paint }) {
    const transport = await session.transport();
    const list = await transport.queues();
    // (read fresh with the counts: the transport's cache is seconds old at most)
    const parts = await Promise.all(list.map((q) => transport.partitions(q.name)));
    if (values["json"]) {
      io.stdout.write(
        json(
          list.map((q, i) => ({
            name: q.name,
            stream: q.stream,
            partitions: parts[i]!.count,
            partitions_highest: parts[i]!.highest,
            length: q.length,
            pending: q.pending,
            consumers: q.consumers,
            lag: q.lag,
            dlq_length: q.dlqLength,
            oldest_age_ms: q.oldestAgeMs,
            trimmed_unread: q.trimmedUnread,
            resets: q.resets,
          })),
        ),
      );
      return ExitCode.ok;
    }
    if (list.length === 0) {
      io.stderr.write(`eventwire: no queues under prefix ${session.prefix} at ${session.where}${session.prefix === "events:" ? "" : " (the event bus's are under --prefix events:)"}\n`);
      return ExitCode.ok;
    }
    io.stdout.write(
      table(
        ["QUEUE", "PARTS", "LENGTH", "PENDING", "CONSUMERS", "DLQ", "OLDEST", "LOST", "RESETS"],
        list.map((q, i) => [
          q.name,
          parts[i]!.highest > parts[i]!.count ? `${parts[i]!.count} of ${parts[i]!.highest}` : String(parts[i]!.count),
          String(q.length),
          String(q.pending),
          String(q.consumers),
          String(q.dlqLength),
          age(q.oldestAgeMs),
          String(q.trimmedUnread),
          String(q.resets),
        ]),
        ["left", "right", "right", "right", "right", "right", "right", "right", "right"], paint.bold,
      ),
    );
    return ExitCode.ok;
  },
};
