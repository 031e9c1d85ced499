/** `eventwire publish`: one event, typed on the command line or piped in, to a queue. */
import type { EntryFormat } from "../../redis/index.js";
import { readStdinText, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { eventFromJson } from "../event-input.js";
import { json } from "../output.js";

/** `--format`'s value, checked. */
export function formatOption(value: string | undefined): EntryFormat | undefined {
  if (value === undefined || value === "json" || value === "binary") return value;
  throw usageError(`--format must be json or binary, got ${JSON.stringify(value)}`);
}

function headerOptions(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of values) {
    const eq = h.indexOf("=");
    if (eq <= 0) throw usageError(`--header must be NAME=VALUE, got ${JSON.stringify(h)}`);
    headers[h.slice(0, eq)] = h.slice(eq + 1);
  }
  return headers;
}

export const publish: Command = {
  name: "publish",
  summary: "Publish one event to a queue.",
  args: "<queue> <EventType> <payload>",
  details: `
The payload is a JSON object of the event's fields, by their .proto names
(order_id) or their JSON names (orderId); "-" reads it from standard input.
event_id and timestamp are filled in unless given; headers go in "_headers"
or --header. Every value is checked against the event type: a misspelt field
or a string where a number belongs is refused. A queue that does not exist
yet is refused (a misspelt name would otherwise make a new queue nobody
reads) unless --create is given.

On a queue with partitions the event goes to the partition of its
partition key: --key, else its event_id (events of one key go to one
partition, in order). The partition is printed with the stream entry id
Redis gave the entry and the event's event_id.

Examples:
  eventwire publish orders OrderShippedEvent --create '{"order_id": "order-0"}'
  eventwire publish orders OrderShippedEvent \\
    '{"order_id": "order-1", "tracking_number": "TRACK-1A2B3C4D", "carrier": "UPS"}'
  eventwire publish orders OrderShippedEvent --key order-1 '{"order_id": "order-1"}'`,
  options: {
    format: { type: "string", value: "F", help: "the entry format: json (LeanMQ's, the default) or binary (the protobuf envelope)" },
    ttl: { type: "string", value: "SECONDS", help: "time to live: a consumer that gets the event later skips it" },
    header: { type: "string", multiple: true, value: "NAME=VALUE", help: "a header to send with the event; repeatable" },
    create: { type: "boolean", help: "create the queue (and its dead-letter queue) when it does not exist yet" },
    key: { type: "string", value: "KEY", help: "the partition key, on a queue with partitions (default: the event_id)" },
  },
  positionals: { min: 3, max: 3 },
  async run({ values, positionals, session, io }) {
    const [queue, eventType, payloadArg] = positionals as [string, string, string];
    const format = formatOption(stringOption(values, "format"));
    const ttlText = stringOption(values, "ttl");
    const ttl = ttlText === undefined ? undefined : Number(ttlText);
    if (ttl !== undefined && (!Number.isFinite(ttl) || ttl <= 0 || ttlText!.trim() === "")) {
      throw usageError(`--ttl must be a positive number of seconds, got ${JSON.stringify(ttlText)}`);
    }
    const headers = headerOptions((values["header"] as string[] | undefined) ?? []);
    const key = stringOption(values, "key");
    if (queue === "") throw usageError("the queue name must not be empty");
    const text = payloadArg === "-" ? await readStdinText(io, "the payload") : payloadArg;
    const transport = await session.transport();
    const event = eventFromJson(transport.registry, text, eventType, "the payload", headers);
    const existed = await transport.hasQueue(queue);
    if (!existed && values["create"] !== true) await session.requireQueue(queue, "Add --create to create it.");
    const published = await transport.publish(queue, event, {
      ...(format ? { format } : {}),
      ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
      ...(key !== undefined ? { partitionKey: key } : {}),
    });
    const { count } = await transport.partitions(queue);
    const stream = transport.keys(queue, published.partition).stream;
    const used = format ?? transport.options.format;
    if (!existed) io.stderr.write(`eventwire: created the queue ${transport.keys(queue).stream} (and its dead-letter queue ${transport.keys(queue).dlq})\n`);
    if (values["json"]) {
      io.stdout.write(
        json({
          queue,
          stream,
          stream_id: published.streamId,
          partition: published.partition,
          partitions: count,
          event_id: published.eventId,
          message_id: published.messageId,
          event_type: event.eventType,
          format: used,
        }),
      );
    } else {
      const partition = count > 1 || key !== undefined ? `partition  ${published.partition} of ${count}${key !== undefined ? ` (key ${JSON.stringify(key)})` : " (key: the event_id)"}\n` : "";
      io.stdout.write(`published ${event.eventType} to ${stream} (${used} entry)\n${partition}stream id  ${published.streamId}\nevent_id   ${published.eventId}\n`);
    }
    return ExitCode.ok;
  },
};
