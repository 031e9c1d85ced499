/**
 * Stream ids as Redis has them: `<ms>-<seq>`, two unsigned 64-bit parts
 * compared in that order; how commands parse them (an exact id, or a bound
 * of an interval with `-`, `+` and `(id` for an exclusive bound), failing
 * with Redis's error texts; and the id XADD `*` makes next.
 */
import { invalidId, refused } from "./redis-errors.js";

/** The largest value of either part. */
/** The largest part of a stream id. */
export const MAX_PART = (1n << 64n) - 1n;

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export const ZERO_ID: StreamId = { ms: 0n, seq: 0n };
const MAX_ID: StreamId = { ms: MAX_PART, seq: MAX_PART };

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

const ID_PATTERN = /^(\d+)(?:-(\d+))?$/;

/** `<ms>-<seq>` or `<ms>` (sequence `missingSeq`), as Redis parses an id. */
function parseId(text: string, missingSeq: bigint): StreamId {
  const m = ID_PATTERN.exec(text);
  if (!m) throw invalidId();
  const ms = BigInt(m[1]!);
  const seq = m[2] === undefined ? missingSeq : BigInt(m[2]);
  if (ms > MAX_PART || seq > MAX_PART) throw invalidId();
  return { ms, seq };
}

/** An id where Redis takes one exactly (XACK, XDEL, XCLAIM, XREAD's last id): no `-` or `+`; `<ms>` is `<ms>-0`. */
export function strictId(text: string): StreamId {
  return parseId(text, 0n);
}

/** The start (or, `end`, the end) of an interval: `-`, `+`, an id, `(id` for an exclusive bound. */
export function intervalId(text: string, end: boolean): StreamId {
  if (text === "-") return ZERO_ID;
  if (text === "+") return MAX_ID;
  if (text.startsWith("(")) {
    const id = parseId(text.slice(1), end ? MAX_PART : 0n);
    if (end) {
      if (id.seq > 0n) return { ms: id.ms, seq: id.seq - 1n };
      if (id.ms > 0n) return { ms: id.ms - 1n, seq: MAX_PART };
      throw refused("ERR invalid end ID for the interval");
    }
    if (id.seq < MAX_PART) return { ms: id.ms, seq: id.seq + 1n };
    if (id.ms < MAX_PART) return { ms: id.ms + 1n, seq: 0n };
    throw refused("ERR invalid start ID for the interval");
  }
  return parseId(text, end ? MAX_PART : 0n);
}

/** The id XADD `*` gives after `last` at clock time `ms`: the clock, or one past `last` when the clock is not ahead of it. */
export function nextId(last: StreamId, ms: bigint): StreamId {
  if (ms > last.ms) return { ms, seq: 0n };
  if (last.seq < MAX_PART) return { ms: last.ms, seq: last.seq + 1n };
  if (last.ms < MAX_PART) return { ms: last.ms + 1n, seq: 0n };
  throw refused("ERR The stream has exhausted the last possible ID, unable to add more items");
}
