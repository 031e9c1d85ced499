/** `eventwire tail`: a queue's entries as JSON lines, read without a consumer group; `--follow` for new ones. */
import type { Event, EventRegistry } from "../../index.js";
import type { StoredEntry } from "../../redis/index.js";
import { countOption, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";

const STREAM_ID = /^\d+(-\d+)?$/;

/**
 * One entry as a JSON line: the codec's JSON of its event, with the stream
 * id under `_stream_id` (keys starting with `_` never clash with payload
 * fields), the DLQ moves and requeues it records, and `_error` instead of the
 * event when it cannot be decoded.
 */
export function entryLine(registry: EventRegistry<Event>, entry: StoredEntry<Event>): string {
  const out: Record<string, unknown> = { _stream_id: entry.id };
  if (entry.event) Object.assign(out, registry.toJsonObject(entry.event));
  else {
    if (entry.eventType !== undefined) out["event_type"] = entry.eventType;
    out["_error"] = entry.problem ?? "unreadable entry";
  }
  if (entry.failures.length > 0) out["_failures"] = entry.failures;
  if (entry.requeues.length > 0) out["_requeues"] = entry.requeues;
  return JSON.stringify(out) + "\n";
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether a field's bytes are text a terminal and `jq` take whole: valid UTF-8 with no control characters but tab, LF and CR. */
function isText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}

/**
 * One entry as stored, as a JSON line: `{"_stream_id", "fields", "base64"}`
 * — every field by name, its value as text when it is text (see
 * {@link isText}), else as base64, with the names of those fields listed
 * under `base64`. Nothing is decoded, so an entry of a type this CLI does
 * not know, or one that is damaged, is shown exactly.
 */
export function rawLine(entry: StoredEntry<Event>): string {
  const fields: Record<string, string> = {};
  const base64: string[] = [];
  for (const [name, bytes] of entry.fields) {
    if (isText(bytes)) fields[name] = Buffer.from(bytes).toString("utf8");
    else {
      fields[name] = Buffer.from(bytes).toString("base64");
      base64.push(name);
    }
  }
  return JSON.stringify({ _stream_id: entry.id, fields, base64 }) + "\n";
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

--raw prints each entry as stored instead: {"_stream_id", "fields",
"base64"}, every field by name, as text, or as base64 for the fields named
in "base64" (binary ones, such as a binary entry's envelope). --json is
accepted and changes nothing: the output is JSON lines either way.

Without --from, the last --count entries (10) are printed; with --from ID,
the entries from that stream id on (0 for the first). --follow then waits
for new entries until Ctrl-C.

Examples:
  eventwire tail orders --count 5
  eventwire tail all --prefix events: --follow --count 0
  eventwire tail orders --from 0 | jq -r .event_type
  eventwire tail orders --raw --count 1 | jq -r .fields.envelope | base64 -d | eventwire decode`,
  options: {
    count: { type: "string", value: "N", help: "how many entries: the last N (default 10), or at most N from --from" },
    from: { type: "string", value: "ID", help: "start at this stream id (inclusive; 0 for the first entry)" },
    follow: { type: "boolean", short: "f", help: "keep printing new entries until Ctrl-C" },
    dlq: { type: "boolean", help: "read the queue's dead-letter queue instead" },
    raw: { type: "boolean", help: "print the entries as stored: their fields, binary ones as base64" },
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
    const browser = transport.browse(queue, { dlq: values["dlq"] === true });
    const registry = await session.registry();
    const raw = values["raw"] === true;
    const write = (entry: StoredEntry<Event>): void => void io.stdout.write(raw ? rawLine(entry) : entryLine(registry, entry));

    try {
      // Everything up to the newest entry now is history; what comes after, --follow prints.
      let last = (await browser.newestId()) ?? "0-0";
      if (from === undefined) {
        const n = count ?? 10;
        if (n > 0 && last !== "0-0") for (const entry of await browser.latest(n, last)) write(entry);
      } else if (last !== "0-0") {
        let start = from;
        let left = count ?? Infinity;
        while (left > 0) {
          const page = await browser.range(start, last, Math.min(left, 1000));
          for (const entry of page) write(entry);
          left -= page.length;
          if (page.length === 0) break;
          start = "(" + page.at(-1)!.id;
        }
      }
      if (!values["follow"]) return ExitCode.ok;

      const interrupt = interruptible(() => process.exit(ExitCode.ok));
      try {
        while (!interrupt.signal.aborted) {
          for (const entry of await browser.after(last, 100, 250)) {
            write(entry);
            last = entry.id;
          }
        }
      } finally {
        interrupt.dispose();
      }
    } finally {
      await browser.close();
    }
    return ExitCode.ok;
  },
};
