import { BinaryReader } from "@bufbuild/protobuf/wire";
import { validate as isUuid } from "uuid";
import { checkMessage, readLength, readTag, skipField } from "./binary-check.js";
import { DecodeError, EventwireError } from "./errors.js";
import { deepFreeze, type Event } from "./event.js";
import type { DecodeOptions } from "./options.js";
import type { TypeLookup } from "./registered-type.js";
import { WireType } from "./schema.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The generated decoders read through this: strings must be valid UTF-8. */
class StrictReader extends BinaryReader {
  override string(): string {
    try {
      return super.string(true);
    } catch (cause) {
      throw new DecodeError("invalid-utf8", "a string field is not valid UTF-8", { path: "payload", cause });
    }
  }
}

const ENVELOPE_FIELDS: Record<number, { name: string; wireType: number }> = {
  1: { name: "event_id", wireType: WireType.LEN },
  2: { name: "timestamp", wireType: WireType.I64 },
  3: { name: "event_type", wireType: WireType.LEN },
  4: { name: "payload", wireType: WireType.LEN },
  5: { name: "headers", wireType: WireType.LEN },
};

/**
 * Decodes an `EventEnvelope` and the payload it carries into a frozen event.
 * Throws {@link DecodeError} on any input that is not exactly that.
 */
export function fromBinary(lookup: TypeLookup, bytes: Uint8Array, options: DecodeOptions): Event {
  if (!(bytes instanceof Uint8Array)) {
    throw new DecodeError("malformed-binary", `expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  }
  if (bytes.length > options.maxBytes) {
    throw new DecodeError("too-large", `the input is ${bytes.length} bytes, over the limit of ${options.maxBytes}`);
  }
  let eventId: string | undefined;
  let timestamp = 0;
  let eventType: string | undefined;
  let payloadStart = 0;
  let payloadEnd = 0;
  const headers: Record<string, string> = {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cursor = { pos: 0 };
  const end = bytes.length;
  while (cursor.pos < end) {
    const tag = readTag(bytes, cursor, end, "");
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    const known = ENVELOPE_FIELDS[fieldNo];
    if (known === undefined) {
      skipField(bytes, cursor, end, wireType, fieldNo, 0, options.maxDepth, "");
      continue;
    }
    if (wireType !== known.wireType) {
      throw new DecodeError(
        "invalid-wire-type",
        `envelope field ${known.name} (number ${fieldNo}) arrived with wire type ${wireType}, expected ${known.wireType}`,
      );
    }
    if (wireType === WireType.I64) {
      if (cursor.pos + 8 > end) throw new DecodeError("malformed-binary", "the input ends inside the timestamp (truncated?)");
      timestamp = view.getFloat64(cursor.pos, true);
      if (timestamp === 0) timestamp = 0; // negative zero reads as zero, as in JSON
      cursor.pos += 8;
      continue;
    }
    const len = readLength(bytes, cursor, end, "");
    const start = cursor.pos;
    cursor.pos += len;
    switch (fieldNo) {
      case 1:
        eventId = text(bytes, start, cursor.pos, "event_id");
        break;
      case 3:
        eventType = text(bytes, start, cursor.pos, "event_type");
        break;
      case 4:
        payloadStart = start;
        payloadEnd = cursor.pos;
        break;
      default:
        readHeader(bytes, start, cursor.pos, headers);
    }
  }
  if (!eventId) throw new DecodeError("missing-field", "the envelope has no event_id", { path: "event_id" });
  if (!isUuid(eventId)) {
    throw new DecodeError("invalid-event-id", `event_id ${JSON.stringify(eventId.slice(0, 64))} is not a UUID`, {
      path: "event_id",
    });
  }
  if (!eventType) throw new DecodeError("missing-field", "the envelope has no event_type", { path: "event_type" });
  if (!Number.isFinite(timestamp)) {
    throw new DecodeError("invalid-timestamp", `timestamp ${timestamp} is not a finite number of seconds`, {
      path: "timestamp",
    });
  }
  const registered = lookup.get(eventType);
  if (registered === undefined) {
    throw new DecodeError("unknown-event-type", `no event type ${JSON.stringify(eventType.slice(0, 200))} is registered`, {
      path: "event_type",
    });
  }
  checkMessage(bytes, payloadStart, payloadEnd, registered.schema, 1, options.maxDepth, "payload");
  let payload: object;
  try {
    payload = registered.type.decode(new StrictReader(bytes.subarray(payloadStart, payloadEnd)));
  } catch (cause) {
    if (cause instanceof EventwireError) throw cause;
    throw new DecodeError("invalid-value", `the payload does not decode as ${registered.fullName}: ${String(cause)}`, {
      path: "payload",
      cause,
    });
  }
  return Object.freeze({
    eventId,
    timestamp,
    eventType: registered.name,
    headers: Object.freeze(headers),
    payload: deepFreeze(payload),
  });
}

function text(bytes: Uint8Array, start: number, end: number, path: string): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch (cause) {
    throw new DecodeError("invalid-utf8", "not valid UTF-8", { path, cause });
  }
}

function readHeader(bytes: Uint8Array, start: number, end: number, headers: Record<string, string>): void {
  const cursor = { pos: start };
  let key = "";
  let value = "";
  while (cursor.pos < end) {
    const tag = readTag(bytes, cursor, end, "headers");
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo === 1 || fieldNo === 2) {
      if (wireType !== WireType.LEN) {
        throw new DecodeError("invalid-wire-type", `a header ${fieldNo === 1 ? "key" : "value"} arrived with wire type ${wireType}`, {
          path: "headers",
        });
      }
      const len = readLength(bytes, cursor, end, "headers");
      const s = text(bytes, cursor.pos, cursor.pos + len, "headers");
      cursor.pos += len;
      if (fieldNo === 1) key = s;
      else value = s;
    } else {
      skipField(bytes, cursor, end, wireType, fieldNo, 1, 64, "headers");
    }
  }
  if (key === "__proto__") throw new DecodeError("forbidden-key", "the header name __proto__ is not allowed", { path: "headers" });
  headers[key] = value;
}
