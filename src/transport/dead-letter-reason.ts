/**
 * Why an entry was moved to a dead-letter queue, as a structured value, and
 * its text as stored in LeanMQ's `_failures[].reason`: written and read by
 * this module only, so that the two never drift apart.
 *
 * The text is `<kind>: <detail>`, or `<kind> (attempt N of M): <detail>` for
 * the moves that follow a handler's failure, e.g.
 * `handler-failed (attempt 3 of 3): Error: card declined`.
 */

/** The kinds of moves to a DLQ eventwire makes. */
export const DeadLetterKind = {
  /** The handler failed on the last attempt the retry policy allows. */
  handlerFailed: "handler-failed",
  /** The handler threw a `PermanentError`: no retry could mend it. */
  permanentFailure: "permanent-failure",
  /** The entry cannot be decoded into an event. */
  undecodable: "undecodable",
  /** The entry's event type is not in the registry. */
  unknownType: "unknown-event-type",
  /** The consumer has no handler for the event's type. */
  noHandler: "no-handler",
  /** The message's TTL ran out before it was handled. */
  expired: "expired",
} as const;

/** One of the {@link DeadLetterKind} values. */
export type DeadLetterKind = (typeof DeadLetterKind)[keyof typeof DeadLetterKind];

const KINDS: ReadonlySet<string> = new Set(Object.values(DeadLetterKind));

/** Why an entry was moved to a DLQ. */
export interface DeadLetterReason {
  /** What happened; undefined for a reason written by something other than eventwire (a LeanMQ service, say). */
  readonly kind: DeadLetterKind | undefined;
  /** The delivery that failed last, for the kinds that follow a handler's failure. */
  readonly attempt: number | undefined;
  /** The deliveries the retry policy allowed, with `attempt`. */
  readonly maxAttempts: number | undefined;
  /** The rest: the error, the problem, the whole text of a foreign reason. */
  readonly detail: string;
}

/** The reason as the text stored in `_failures[].reason`. */
export function formatReason(reason: DeadLetterReason): string {
  if (reason.kind === undefined) return reason.detail;
  const attempt = reason.attempt === undefined ? "" : ` (attempt ${reason.attempt} of ${reason.maxAttempts ?? reason.attempt})`;
  return `${reason.kind}${attempt}: ${reason.detail}`;
}

/** A reason of the given kind, without an attempt. */
export function reasonOf(kind: DeadLetterKind, detail: string): DeadLetterReason {
  return { kind, attempt: undefined, maxAttempts: undefined, detail };
}

/** A stored reason's text as the structured value {@link formatReason} made it from; a foreign text is all `detail`. */
export function parseReason(text: string): DeadLetterReason {
  const foreign: DeadLetterReason = { kind: undefined, attempt: undefined, maxAttempts: undefined, detail: text };
  const colon = text.indexOf(": ");
  if (colon < 0) return foreign;
  const head = text.slice(0, colon);
  const detail = text.slice(colon + 2);
  const space = head.indexOf(" ");
  const kind = space < 0 ? head : head.slice(0, space);
  if (!KINDS.has(kind)) return foreign;
  if (space < 0) return { kind: kind as DeadLetterKind, attempt: undefined, maxAttempts: undefined, detail };
  // "<kind> (attempt N of M)"
  const words = head.slice(space + 1).split(" ");
  if (words.length !== 4 || words[0] !== "(attempt" || words[2] !== "of" || !words[3]!.endsWith(")")) return foreign;
  const attempt = wholeNumber(words[1]!);
  const maxAttempts = wholeNumber(words[3]!.slice(0, -1));
  if (attempt === undefined || maxAttempts === undefined) return foreign;
  return { kind: kind as DeadLetterKind, attempt, maxAttempts, detail };
}

function wholeNumber(text: string): number | undefined {
  if (text === "" || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(text);
}
