/**
 * W3C Trace Context in event headers: the `traceparent` and `tracestate`
 * headers read and written, as every language's OpenTelemetry writes them
 * (so a trace started by a Python service is continued here, and the other
 * way round).
 */

/** Header names of the W3C Trace Context. */
export const TraceHeaders = {
  traceparent: "traceparent",
  tracestate: "tracestate",
} as const;

/** A trace position, as `traceparent` carries it. */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero: the span that published the event. */
  readonly spanId: string;
  /** The trace flags; bit 0 is "sampled". */
  readonly traceFlags: number;
}

const PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * Reads a `traceparent` header (version 00, and later versions by their
 * first four fields, as the standard asks); undefined when it is absent or
 * malformed (then the event starts a trace of its own).
 */
export function parseTraceParent(value: string | undefined): TraceParent | undefined {
  if (value === undefined) return undefined;
  const m = PARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16) };
}

/** The `traceparent` header of a trace position (version 00). */
export function formatTraceParent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}
