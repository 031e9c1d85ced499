/** `eventwire dlq list|requeue|delete`: a queue's dead letters, and moving them back or deleting them. */
import type { Event, EventRegistry } from "../../index.js";
import type { DeadLetter } from "../../redis/index.js";
import { countOption, stringOption, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";
import { json, Progress, table } from "../output.js";

const STREAM_ID = /^\d+-\d+$/;

function checkIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!STREAM_ID.test(id)) throw usageError(`${JSON.stringify(id)} is not a stream entry id (such as 1732700000123-0)`, 'Run "eventwire dlq list <queue>" for the ids.');
  }
}

function letterJson(registry: EventRegistry<Event>, letter: DeadLetter<Event>): Record<string, unknown> {
  return {
    id: letter.id,
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
    const dlq = (await session.transport()).deadLetters(queue);
    const letters = await dlq.list({ count: count + 1, ...(after ? { after } : {}) });
    const shown = letters.slice(0, count);
    if (values["json"]) {
      const registry = await session.registry();
      io.stdout.write(json(shown.map((l) => letterJson(registry, l))));
    } else if (shown.length === 0) {
      io.stderr.write(`eventwire: ${dlq.keys.dlq} is empty\n`);
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
step, recording the move in its _requeues as LeanMQ does.`
    : "Each entry is deleted from the DLQ for good."
}
Give the DLQ entry ids ("eventwire dlq list" shows them), or --all for every
entry in the DLQ when the command starts.

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
        const where = action === "requeue" ? `from ${dlq.keys.dlq} to ${dlq.keys.stream}` : `from ${dlq.keys.dlq}`;
        io.stdout.write(`${past} ${done} ${done === 1 ? "entry" : "entries"} ${where}\n`);
      }
      if (interrupted) {
        io.stderr.write(`eventwire: interrupted after ${done} of ${total}; the other ${total - done} are still in ${dlq.keys.dlq}\n`);
        return ExitCode.interrupted;
      }
      if (missing.length > 0) {
        io.stderr.write(`eventwire: not in ${dlq.keys.dlq}: ${missing.join(", ")}\n`);
        return ExitCode.failure;
      }
      return ExitCode.ok;
    },
  };
}

export const dlqRequeue = bulk("requeue");
export const dlqDelete = bulk("delete");
