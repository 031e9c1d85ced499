import type { Event } from "../../event.js";
import type { EventRegistry } from "../../registry.js";
import { decodeEntry } from "../../transport/entry.js";
import { countOption, protoOption, redisOptions, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";

type RawEntry = [Buffer, Buffer[]];

const STREAM_ID = /^\d+(-\d+)?$/;

function fields(raw: readonly Buffer[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) out.set(raw[i]!.toString("utf8"), raw[i + 1]!);
  return out;
}

/**
 * One entry as a JSON line: the codec's JSON of its event, with the stream
 * id under `_stream_id` (keys starting with `_` never clash with payload
 * fields), the DLQ moves and requeues it records, and `_error` instead of the
 * event when it cannot be decoded.
 */
export function entryLine(registry: EventRegistry<Event>, [id, raw]: RawEntry): string {
  const decoded = decodeEntry(registry, fields(raw));
  const out: Record<string, unknown> = { _stream_id: id.toString() };
  if (decoded.event) Object.assign(out, registry.toJsonObject(decoded.event));
  else {
    if (decoded.eventType !== undefined) out["event_type"] = decoded.eventType;
    out["_error"] = decoded.problem?.message ?? "unreadable entry";
  }
  if (decoded.failures.length > 0) out["_failures"] = decoded.failures;
  if (decoded.requeues.length > 0) out["_requeues"] = decoded.requeues;
  return JSON.stringify(out) + "\n";
}

export const tail: Command = {
  name: "tail",
  summary: "Print a queue's entries as JSON lines, without consuming them.",
  args: "<queue>",
  details: `
Reads the stream with XRANGE and XREAD only: no consumer group is joined,
nothing is acknowledged, so tailing never takes an event from a consumer.
Both entry formats are read (LeanMQ's JSON and the binary envelope).

Each line is the event in eventwire's JSON form plus "_stream_id"; entries
moved to or from a DLQ carry "_failures" or "_requeues", and an entry that
cannot be decoded has "_error" instead of the event's fields.

Without --from, the last --count entries (10) are printed; with --from ID,
the entries from that stream id on (0 for the first). --follow then waits
for new entries until Ctrl-C.

Examples:
  eventwire tail orders --count 5
  eventwire tail all --prefix events: --follow --count 0
  eventwire tail orders --from 0 | jq -r .event_type`,
  options: {
    ...redisOptions,
    ...protoOption,
    count: { type: "string", value: "N", help: "how many entries: the last N (default 10), or at most N from --from" },
    from: { type: "string", value: "ID", help: "start at this stream id (inclusive; 0 for the first entry)" },
    follow: { type: "boolean", short: "f", help: "keep printing new entries until Ctrl-C" },
    dlq: { type: "boolean", help: "read the queue's dead-letter queue instead" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, session, io }) {
    const queue = positionals[0]!;
    const count = countOption(values, "count", 0);
    let from = stringOption(values, "from");
    if (from === "-") from = "0";
    if (from !== undefined && !STREAM_ID.test(from)) {
      throw usageError(`--from must be a stream id such as 1732700000123-0 (or 0 for the first entry), got ${JSON.stringify(from)}`);
    }
    await session.requireQueue(queue);
    const transport = await session.transport();
    const keys = transport.keys(queue);
    const key = values["dlq"] ? keys.dlq : keys.stream;
    const redis = await session.redis();
    const registry = session.registry;
    const write = (entry: RawEntry): void => void io.stdout.write(entryLine(registry, entry));

    // Everything up to the last id generated now is history; what comes after, --follow prints.
    let last = "0-0";
    try {
      const info = (await redis.xinfo("STREAM", key)) as unknown[];
      const at = info.indexOf("last-generated-id");
      if (at >= 0) last = String(info[at + 1]);
    } catch (error) {
      // no stream yet: nothing to print, follow from the start
      if (!(error instanceof Error && error.message.includes("no such key"))) throw error;
    }
    if (from === undefined) {
      const n = count ?? 10;
      if (n > 0) {
        const latest = (await redis.xrevrangeBuffer(key, last, "-", "COUNT", n)) as unknown as RawEntry[];
        for (const entry of latest.reverse()) write(entry);
      }
    } else {
      let start = from;
      let left = count ?? Infinity;
      while (left > 0) {
        const page = (await redis.xrangeBuffer(key, start, last, "COUNT", Math.min(left, 1000))) as unknown as RawEntry[];
        for (const entry of page) write(entry);
        left -= page.length;
        if (page.length === 0) break;
        start = "(" + page.at(-1)![0].toString();
      }
    }
    if (!values["follow"]) return ExitCode.ok;

    const interrupt = interruptible(() => process.exit(ExitCode.ok));
    try {
      while (!interrupt.signal.aborted) {
        const reply = (await redis.xreadBuffer("COUNT", 100, "BLOCK", 250, "STREAMS", key, last)) as [Buffer, RawEntry[]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const entry of entries) {
            write(entry);
            last = entry[0].toString();
          }
        }
      }
    } finally {
      interrupt.dispose();
    }
    return ExitCode.ok;
  },
};
