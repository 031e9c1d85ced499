/** `eventwire dlq list|requeue|delete`: a queue's dead letters (over all its partitions), and moving them back or deleting them. */
import type { Event, EventRegistry } from "../../index.js";
import type { DeadLetter } from "../../redis/index.js";
import { countOption, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";
import { json, Progress, table } from "../output.js";

/** A DLQ entry id as DeadLetterQueue gives them: a stream id, after `<partition>/` on a partition after the first. */
const DLQ_ID = /^(\d+\/)?\d+-\d+$/;

function checkIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!DLQ_ID.test(id)) {
      throw usageError(
        `${JSON.stringify(id)} is not a stream entry id (such as 1732700000123-0; in partition 2 of a queue with partitions, 2/1732700000123-0)`,
        'Run "eventwire dlq list <queue>" for the ids.',
      );
    }
  }
}

/** What the DLQ of `queue` is, for messages: its stream, or its partitions' streams. */
function dlqName(queue: string, keys: { readonly dlq: string }, partitions: number): string {
  return partitions > 1 ? `the DLQs of the ${partitions} partitions of ${queue} (${keys.dlq}, …)` : keys.dlq;
}

function letterJson(registry: EventRegistry<Event>, letter: DeadLetter<Event>): Record<string, unknown> {
  return {
    id: letter.id,
    partition: letter.partition,
    event_type: letter.eventType ?? null,
    event_id: letter.event?.eventId ?? null,
    message_id: letter.messageId ?? null,
    format: letter.format,
    reason: letter.reason,
    attempts: letter.attempts ?? null,
    requeues: letter.requeues,
    failures: letter.failures.map((f) => ({ timestamp: f.timestamp ?? null, reason: f.reason })),
    problem: letter.problem ?? null,
    event: letter.event ? registry.toJsonObject(letter.event) : null,
  };
}

export const dlqList: Command = {
  name: "dlq list",
  summary: "List a queue's dead letters, with their reasons and attempts.",
  args: "<queue>",
  details: `
The entries of the queue's dead-letter queue, oldest first: their DLQ entry
ids (for requeue and delete), event types, the deliveries made before the
last move (ATTEMPTS), how often they were requeued, and the reason of the
last move. --json adds each entry's whole history and event.

On a queue with partitions, the DLQs of all of them are listed as one, in
the order of their ids (their times); the id of an entry in partition 1 or
above starts with the partition's number and a slash (2/1732700000123-0).

Examples:
  eventwire dlq list payments
  eventwire dlq list sub:payment-service --prefix events: --json`,
  options: {
    count: { type: "string", value: "N", help: "at most N entries (default 100)" },
    after: { type: "string", value: "ID", help: "start after this DLQ entry id (to page on)" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, session, io, paint }) {
    const queue = positionals[0]!;
    const count = countOption(values, "count") ?? 100;
    const after = stringOption(values, "after");
    if (after !== undefined) checkIds([after]);
    await session.requireQueue(queue);
    const transport = await session.transport();
    const dlq = transport.deadLetters(queue);
    const { highest } = await transport.partitions(queue, { fresh: true });
    const letters = await dlq.list({ count: count + 1, ...(after ? { after } : {}) });
    const shown = letters.slice(0, count);
    if (values["json"]) {
      const registry = await session.registry();
      io.stdout.write(json(shown.map((l) => letterJson(registry, l))));
    } else if (shown.length === 0) {
      io.stderr.write(`eventwire: ${dlqName(queue, dlq.keys, highest)} ${highest > 1 ? "are" : "is"} empty\n`);
    } else {
      io.stdout.write(
        table(
          ["ID", "EVENT TYPE", "ATTEMPTS", "REQUEUES", "REASON"],
          shown.map((l) => [l.id, l.eventType ?? "?", l.attempts === undefined ? "-" : String(l.attempts), String(l.requeues), l.reason || l.problem || ""]),
          ["left", "left", "right", "right", "left"], paint.bold,
        ),
      );
    }
    if (letters.length > count) io.stderr.write(`eventwire: more entries follow; page on with --after ${shown.at(-1)!.id}\n`);
    return ExitCode.ok;
  },
};

function bulk(action: "requeue" | "delete"): Command {
  const past = action === "requeue" ? "requeued" : "deleted";
  return {
    name: `dlq ${action}`,
    summary:
      action === "requeue"
        ? "Move dead letters back to their queue, to be handled again."
        : "Delete dead letters for good.",
    args: "<queue> (ID… | --all)",
    details: `
${
  action === "requeue"
    ? `Each entry is appended to the queue and deleted from the DLQ in one atomic
step, recording the move in its _requeues as LeanMQ does. On a queue with
partitions, an entry goes back to the partition whose DLQ held it.`
    : "Each entry is deleted from the DLQ for good."
}
Give the DLQ entry ids ("eventwire dlq list" shows them: 2/1732700000123-0
in partition 2), or --all for every entry in the DLQ (of every partition)
when the command starts.

Long runs show their progress on standard error. Ctrl-C stops between two
entries: nothing is lost${action === "requeue" ? " or duplicated" : ""}; the command says how many were ${past}
and exits with status 130. Ids not in the DLQ are reported, and the exit
status is then 1.

Examples:
  eventwire dlq ${action} payments 1732700000123-0 1732700000456-0
  eventwire dlq ${action} sub:payment-service --prefix events: --all`,
    options: {
      all: { type: "boolean", help: "every entry in the DLQ" },
    },
    positionals: { min: 1, max: Infinity },
    async run({ values, positionals, session, io }) {
      const [queue, ...ids] = positionals as [string, ...string[]];
      const all = values["all"] === true;
      if (all && ids.length > 0) throw usageError("give either ids or --all, not both");
      if (!all && ids.length === 0) throw usageError(`give the ids of the entries to ${action}, or --all`, `Run "eventwire dlq list ${queue}" for the ids.`);
      checkIds(ids);
      await session.requireQueue(queue);
      const transport = await session.transport();
      const dlq = transport.deadLetters(queue);
      const { highest } = await transport.partitions(queue, { fresh: true });
      const name = dlqName(queue, dlq.keys, highest);
      const missing: string[] = [];
      let selection: readonly string[] | "all" = "all";
      let total: number;
      if (all) {
        total = await dlq.count();
      } else {
        const present: string[] = [];
        for (const id of new Set(ids)) {
          if ((await dlq.get(id)) !== undefined) present.push(id);
          else missing.push(id);
        }
        selection = present;
        total = present.length;
      }
      const progress = new Progress(io.stderr, past, total);
      const interrupt = interruptible(() => {
        io.stderr.write(`\neventwire: stopped at once; run "eventwire dlq list ${queue}" to see what is left\n`);
        process.exit(ExitCode.interrupted);
      });
      let done: number;
      try {
        const options = { signal: interrupt.signal, onProgress: (n: number) => progress.update(n) };
        done = action === "requeue" ? await dlq.requeue(selection, options) : await dlq.delete(selection, options);
      } finally {
        interrupt.dispose();
        progress.end();
      }
      const interrupted = interrupt.signal.aborted && done < total;
      if (values["json"]) {
        io.stdout.write(json({ queue, dlq: dlq.keys.dlq, action, done, requested: total, missing, interrupted }));
      } else {
        const to = highest > 1 ? "their partitions of the queue" : dlq.keys.stream;
        const where = action === "requeue" ? `from ${name} to ${to}` : `from ${name}`;
        io.stdout.write(`${past} ${done} ${done === 1 ? "entry" : "entries"} ${where}\n`);
      }
      if (interrupted) {
        io.stderr.write(`eventwire: interrupted after ${done} of ${total}; the other ${total - done} are still in ${name}\n`);
        return ExitCode.interrupted;
      }
      if (missing.length > 0) {
        io.stderr.write(`eventwire: not in ${name}: ${missing.join(", ")}\n`);
        return ExitCode.failure;
      }
      return ExitCode.ok;
    },
  };
}

export const dlqRequeue = bulk("requeue");
export const dlqDelete = bulk("delete");
