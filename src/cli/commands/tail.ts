/**
 * `eventwire tail`: a queue's entries as JSON lines, read without a consumer
 * group, from every partition merged in stream-id (time) order; `--follow`
 * for new ones.
 */
import type { Event, EventRegistry } from "../../index.js";
import type { QueueBrowser, StoredEntry, StreamTransport } from "../../redis/index.js";
import { countOption, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";

const STREAM_ID = /^\d+(-\d+)?$/;

/**
 * One entry as a JSON line: the codec's JSON of its event, with the stream
 * id under `_stream_id` (keys starting with `_` never clash with payload
 * fields) and, on a queue with partitions, its partition under
 * `_partition`; the DLQ moves and requeues it records, and `_error` instead
 * of the event when it cannot be decoded.
 */
export function entryLine(registry: EventRegistry<Event>, entry: StoredEntry<Event>, partition?: number): string {
  const out: Record<string, unknown> = { _stream_id: entry.id };
  if (partition !== undefined) out["_partition"] = partition;
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
 * (with `_partition` after the id on a queue with partitions) — every
 * field by name, its value as text when it is text (see {@link isText}),
 * else as base64, with the names of those fields listed under `base64`.
 * Nothing is decoded, so an entry of a type this CLI does not know, or one
 * that is damaged, is shown exactly.
 */
export function rawLine(entry: StoredEntry<Event>, partition?: number): string {
  const fields: Record<string, string> = {};
  const base64: string[] = [];
  for (const [name, bytes] of entry.fields) {
    if (isText(bytes)) fields[name] = Buffer.from(bytes).toString("utf8");
    else {
      fields[name] = Buffer.from(bytes).toString("base64");
      base64.push(name);
    }
  }
  return JSON.stringify({ _stream_id: entry.id, ...(partition === undefined ? {} : { _partition: partition }), fields, base64 }) + "\n";
}

/** An entry and the partition it was read from. */
interface Read {
  readonly partition: number;
  readonly entry: StoredEntry<Event>;
}

/** Stream ids in their order: by milliseconds, then sequence. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

/** Entries of several partitions in one order: by stream id (time), then partition. */
const byId = (a: Read, b: Read): number => compareStreamIds(a.entry.id, b.entry.id) || a.partition - b.partition;

/**
 * Every partition of a queue (or of its DLQ), read as one: its newest
 * entries, a range, and what arrives later, merged in stream-id order. Each
 * partition is read by a browser of its own, from a cursor of its own;
 * partitions added while following are read from their start.
 */
class Partitions {
  private readonly browsers: QueueBrowser<Event>[] = [];
  /** The id each partition was read up to ("0-0": from its start). */
  private readonly cursors: string[] = [];
  private checkedAt = Date.now();

  private constructor(
    private readonly transport: StreamTransport<Event>,
    private readonly queue: string,
    private readonly dlq: boolean,
  ) {}

  static async open(transport: StreamTransport<Event>, queue: string, dlq: boolean): Promise<Partitions> {
    const all = new Partitions(transport, queue, dlq);
    const { highest } = await transport.partitions(queue, { fresh: true });
    all.add(highest);
    // Everything up to each partition's newest entry now is history; what comes after, --follow prints.
    const newest = await Promise.all(all.browsers.map((b) => b.newestId()));
    newest.forEach((id, p) => (all.cursors[p] = id ?? "0-0"));
    return all;
  }

  /** How many partitions are read. */
  get count(): number {
    return this.browsers.length;
  }

  private add(highest: number): void {
    for (let p = this.browsers.length; p < highest; p++) {
      this.browsers.push(this.transport.browse(this.queue, { dlq: this.dlq, partition: p }));
      this.cursors.push("0-0");
    }
  }

  /** The newest `count` entries of all partitions (up to the cursors), oldest first. */
  async latest(count: number): Promise<Read[]> {
    if (count <= 0) return [];
    const lists = await Promise.all(
      this.browsers.map(async (b, partition) => (this.cursors[partition] === "0-0" ? [] : (await b.latest(count, this.cursors[partition])).map((entry) => ({ partition, entry })))),
    );
    return lists.flat().sort(byId).slice(-count);
  }

  /** At most `count` entries from stream id `from` on (in every partition, up to the cursors), oldest first, given to `take` as they are read. */
  async range(from: string, count: number, take: (read: Read) => void): Promise<void> {
    const heads = this.browsers.map((_, p) => ({ start: from, buffer: [] as StoredEntry<Event>[], done: this.cursors[p] === "0-0" }));
    let left = count;
    while (left > 0) {
      await Promise.all(
        heads.map(async (h, p) => {
          if (h.done || h.buffer.length > 0) return;
          const page = await this.browsers[p]!.range(h.start, this.cursors[p]!, Math.min(left, 1000));
          if (page.length === 0) h.done = true;
          else {
            h.buffer = page;
            h.start = "(" + page.at(-1)!.id;
          }
        }),
      );
      let next: Read | undefined;
      heads.forEach((h, partition) => {
        const entry = h.buffer[0];
        if (entry !== undefined && (next === undefined || byId({ partition, entry }, next) < 0)) next = { partition, entry };
      });
      if (next === undefined) return;
      heads[next.partition]!.buffer.shift();
      take(next);
      left--;
    }
  }

  /**
   * The entries after the cursors, merged, moving the cursors on: those
   * already there, else those that arrive within `blockMs`.
   */
  async next(blockMs: number): Promise<Read[]> {
    if (Date.now() - this.checkedAt >= 5000) {
      this.checkedAt = Date.now();
      this.add((await this.transport.partitions(this.queue, { fresh: true })).highest);
    }
    let lists = await Promise.all(this.browsers.map((b, p) => b.range("(" + this.cursors[p]!, "+", 100)));
    if (lists.every((l) => l.length === 0)) {
      // (each partition waits on a connection of its own)
      lists = await Promise.all(this.browsers.map((b, p) => b.after(this.cursors[p]!, 100, blockMs)));
    }
    const reads = lists.flatMap((l, partition) => l.map((entry) => ({ partition, entry }))).sort(byId);
    for (const r of reads) this.cursors[r.partition] = r.entry.id;
    return reads;
  }

  async close(): Promise<void> {
    await Promise.all(this.browsers.map((b) => b.close()));
  }
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

On a queue with partitions every partition is read (each its own stream),
the entries merged in stream-id order, which is the order of their times;
each line then has "_partition", the partition it is in. Events of one
partition key are in one partition, in the order they were published.

--raw prints each entry as stored instead: {"_stream_id", "fields",
"base64"}, every field by name, as text, or as base64 for the fields named
in "base64" (binary ones, such as a binary entry's envelope). --json is
accepted and changes nothing: the output is JSON lines either way.

Without --from, the last --count entries (10) are printed; with --from ID,
the entries from that stream id on (0 for the first; on a queue with
partitions, in each of them). --follow then waits for new entries until
Ctrl-C.

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
    const partitions = await Partitions.open(transport, queue, values["dlq"] === true);
    const registry = await session.registry();
    const raw = values["raw"] === true;
    const write = ({ partition, entry }: Read): void => {
      // (the partition is shown once the queue has more than one)
      const shown = partitions.count > 1 ? partition : undefined;
      io.stdout.write(raw ? rawLine(entry, shown) : entryLine(registry, entry, shown));
    };

    try {
      if (from === undefined) {
        for (const read of await partitions.latest(count ?? 10)) write(read);
      } else {
        await partitions.range(from, count ?? Infinity, write);
      }
      if (!values["follow"]) return ExitCode.ok;

      const interrupt = interruptible(() => process.exit(ExitCode.ok));
      try {
        while (!interrupt.signal.aborted) {
          // (with partitions, a round waits for each of them: a shorter wait keeps the lines prompt)
          for (const read of await partitions.next(partitions.count > 1 ? 100 : 250)) write(read);
        }
      } finally {
        interrupt.dispose();
      }
    } finally {
      await partitions.close();
    }
    return ExitCode.ok;
  },
};
