/** Encoding an event as a binary `EventEnvelope`, its payload by the compiled encoder. */
import type { CompiledType } from "./compile/compiled-type.js";
import { describeValue, EventValidationError, EventwireError } from "./errors.js";
import type { Event } from "./event.js";
import { validateMessage } from "./schema/validate.js";
import { EncodeFault } from "./wire/faults.js";
import { sortedKeys } from "./wire/order.js";
import { wbegin, wend, wf64, withWriter, wraw, wstr } from "./wire/writer.js";

/**
 * Encodes an event as an `EventEnvelope`: envelope fields in number order,
 * values equal to their default left out, headers sorted by name (in
 * Unicode code point order, which is UTF-8 byte order) with key and value
 * always written, as protoc's deterministic serialization does. The payload
 * is written the same way by its compiled encoder (src/compile/): fields
 * in number order, map entries sorted by key.
 */
export function toBinary(type: CompiledType, event: Event): Uint8Array {
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

function writeEnvelope(type: CompiledType, event: Event, start: number): number {
  let p = start;
  const eventId = event.eventId;
  if (typeof eventId !== "string") throw invalid("event_id", `eventId must be a string, got ${describeValue(eventId)}`);
  if (eventId !== "") p = wstr(p, 10, eventId);
  const timestamp = event.timestamp;
  if (typeof timestamp !== "number") throw invalid("timestamp", `timestamp must be a number, got ${describeValue(timestamp)}`);
  if (timestamp !== 0 || Object.is(timestamp, -0)) p = wf64(p, 17, timestamp);
  p = wraw(p, type.nameField);
  const payload = event.payload;
  if (typeof payload !== "object" || payload === null) throw invalid("payload", `the payload must be an object, got ${describeValue(payload)}`);
  const body = wbegin(p, 34);
  const end = type.codec.encode(payload, body);
  p = end === body ? body - 2 : wend(body, end);
  const headers = event.headers;
  if (typeof headers !== "object" || headers === null) throw invalid("headers", "headers must be an object of strings");
  for (const key of sortedKeys(headers)) {
    const value = headers[key];
    if (typeof value !== "string") throw invalid("headers", `header ${JSON.stringify(key)} must be a string, got ${describeValue(value)}`);
    const entry = wbegin(p, 42);
    p = wend(entry, wstr(wstr(entry, 10, key), 18, value));
  }
  return p;
}

function invalid(path: string, message: string): EventValidationError {
  return new EventValidationError("invalid-value", message, { path });
}

