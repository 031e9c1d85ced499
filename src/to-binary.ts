import type { MessageCodec } from "./binary-codec.js";
import { EventValidationError, EventwireError } from "./errors.js";
import type { Event } from "./event.js";
import type { RegisteredType } from "./registered-type.js";
import { describe, validateMessage } from "./validate.js";
import { EncodeFault, wbegin, wend, wf64, withWriter, wraw, wstr } from "./wire.js";

/** A registered type with what the binary codec needs of it. */
export interface BinaryType {
  readonly registered: RegisteredType;
  /** The payload message's compiled codec. */
  readonly codec: MessageCodec;
  /** The envelope's `event_type` field for this type, tag and length included. */
  readonly nameField: Uint8Array;
}

/** The envelope's `event_type` field holding `name`. */
export function nameField(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  const out: number[] = [26];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
  }
  return new Uint8Array([...out, ...bytes]);
}

/**
 * Encodes an event as an `EventEnvelope`: envelope fields in number order,
 * values equal to their default left out, headers sorted by name (in
 * Unicode code point order, which is UTF-8 byte order) with key and value
 * always written, as protoc's deterministic serialization does. The payload
 * is written the same way by its compiled encoder (binary-codec.ts): fields
 * in number order, map entries sorted by key.
 */
export function toBinary(type: BinaryType, event: Event): Uint8Array {
  try {
    return withWriter(writeEnvelope, type, event);
  } catch (cause) {
    if (cause instanceof EventwireError) throw cause;
    if (cause instanceof EncodeFault) {
      // The validator names the field at fault with its full path, when it is a value of the wrong type.
      validateMessage(type.registered.schema, event.payload, "");
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EventValidationError("invalid-value", `the event cannot be encoded as ${type.registered.fullName}: ${reason}`, { cause });
  }
}

function writeEnvelope(type: BinaryType, event: Event, start: number): number {
  let p = start;
  const eventId = event.eventId;
  if (typeof eventId !== "string") throw invalid("event_id", `eventId must be a string, got ${describe(eventId)}`);
  if (eventId !== "") p = wstr(p, 10, eventId);
  const timestamp = event.timestamp;
  if (typeof timestamp !== "number") throw invalid("timestamp", `timestamp must be a number, got ${describe(timestamp)}`);
  if (timestamp !== 0 || Object.is(timestamp, -0)) p = wf64(p, 17, timestamp);
  p = wraw(p, type.nameField);
  const payload = event.payload;
  if (typeof payload !== "object" || payload === null) throw invalid("payload", `the payload must be an object, got ${describe(payload)}`);
  const body = wbegin(p, 34);
  const end = type.codec.encode(payload, body);
  p = end === body ? body - 2 : wend(body, end);
  const headers = event.headers;
  if (typeof headers !== "object" || headers === null) throw invalid("headers", "headers must be an object of strings");
  for (const key of sortedKeys(headers)) {
    const value = headers[key];
    if (typeof value !== "string") throw invalid("headers", `header ${JSON.stringify(key)} must be a string, got ${describe(value)}`);
    const entry = wbegin(p, 42);
    p = wend(entry, wstr(wstr(entry, 10, key), 18, value));
  }
  return p;
}

function invalid(path: string, message: string): EventValidationError {
  return new EventValidationError("invalid-value", message, { path });
}

/** The keys of a record in Unicode code point order (UTF-8 byte order), as protoc sorts map keys. */
export function sortedKeys(record: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(record);
  return keys.length < 2 ? keys : keys.sort(compareCodePoints);
}

/** Compares strings by Unicode code point (UTF-8 byte order), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only where a surrogate
    // (0xD800–0xDFFF, part of a code point above 0xFFFF) meets 0xE000–0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
