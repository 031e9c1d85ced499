import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { EventValidationError, EventwireError } from "./errors.js";
import type { Event } from "./event.js";
import type { RegisteredType } from "./registered-type.js";

/**
 * Encodes an event as an `EventEnvelope`: envelope fields in number order,
 * values equal to their default left out, headers sorted by name (in
 * Unicode code point order, which is UTF-8 byte order) with key and value
 * always written, as protoc's deterministic serialization does. The payload
 * is written by its generated encoder: fields in declaration order.
 */
export function toBinary(registered: RegisteredType, event: Event): Uint8Array {
  const writer = new BinaryWriter();
  try {
    if (event.eventId !== "") writer.uint32(10).string(event.eventId);
    if (event.timestamp !== 0 || Object.is(event.timestamp, -0)) writer.uint32(17).double(event.timestamp);
    writer.uint32(26).string(registered.name);
    const payload = registered.type.encode(event.payload as object).finish();
    if (payload.length > 0) writer.uint32(34).bytes(payload);
    const headers = event.headers;
    for (const key of sortedKeys(headers)) {
      writer.uint32(42).fork().uint32(10).string(key).uint32(18).string(headers[key]!).join();
    }
  } catch (cause) {
    if (cause instanceof EventwireError) throw cause;
    throw new EventValidationError("invalid-value", `the event cannot be encoded as ${registered.fullName}: ${String(cause)}`, {
      cause,
    });
  }
  return writer.finish();
}

/** The keys of a record in Unicode code point order (UTF-8 byte order), as protoc sorts map keys. */
export function sortedKeys(record: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(record);
  return keys.length < 2 ? keys : keys.sort(compareCodePoints);
}

function compareCodePoints(a: string, b: string): number {
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
