/** Decoding a binary `EventEnvelope` and the payload it carries into a frozen event. */
import type { CompiledType, CompiledTypes } from "./compile/compiled-type.js";
import { DecodeError } from "./errors.js";
import { NO_HEADERS, type Event } from "./event.js";
import type { DecodeOptions } from "./schema/decode-options.js";
import { placeFault, WireFault } from "./wire/faults.js";
import { beginInput, endInput, reader, rf64, rlen, rtag, text } from "./wire/reader.js";
import { skipField } from "./wire/skip.js";
import { isUuidBytes } from "./wire/uuid.js";
import { WireType } from "./wire/wire-type.js";

const ENVELOPE_FIELDS: readonly (readonly [string, number] | undefined)[] = [
  undefined,
  ["event_id", WireType.LEN],
  ["timestamp", WireType.I64],
  ["event_type", WireType.LEN],
  ["payload", WireType.LEN],
  ["headers", WireType.LEN],
];

/**
 * Decodes an `EventEnvelope` and the payload it carries into a frozen event.
 * Throws {@link DecodeError} on any input that is not exactly that.
 */
export function fromBinary(lookup: CompiledTypes, bytes: Uint8Array, options: DecodeOptions): Event {
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes)) {
    throw new DecodeError("malformed-binary", `expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  }
  if (bytes.length > options.maxBytes) {
    throw new DecodeError("too-large", `the input is ${bytes.length} bytes, over the limit of ${options.maxBytes}`);
  }
  const previous = beginInput(bytes, options.maxDepth);
  try {
    return readEnvelope(lookup, bytes, options);
  } catch (error) {
    throw placeFault(error, "", 0);
  } finally {
    endInput(previous);
  }
}

function readEnvelope(lookup: CompiledTypes, bytes: Uint8Array, options: DecodeOptions): Event {
  let eventId: string | undefined;
  let eventIdIsUuid = false;
  let timestamp = 0;
  let eventType: string | undefined;
  let type: CompiledType | undefined;
  let payloadStart = 0;
  let payloadEnd = 0;
  let headers: Record<string, string> | undefined;
  const end = bytes.length;
  let p = 0;
  while (p < end) {
    let tag = bytes[p]!;
    if (tag < 0x80) p++;
    else {
      tag = rtag(bytes, p, end);
      p = reader.pos;
    }
    switch (tag) {
      case 10: {
        const len = rlen(bytes, p, end);
        p = reader.pos;
        eventIdIsUuid = isUuidBytes(bytes, p, p + len);
        const whole = reader.latin1;
        // (a UUID is ASCII: it can be cut from the input's text as it is)
        eventId = eventIdIsUuid && whole !== null ? whole.substring(p, p + len) : text(bytes, p, p + len, "event_id");
        p += len;
        continue;
      }
      case 17:
        if (end - p < 8) throw new WireFault("malformed-binary", "the input ends inside the timestamp (truncated?)");
        timestamp = rf64(bytes, p);
        if (timestamp === 0) timestamp = 0; // negative zero reads as zero, as in JSON
        p += 8;
        continue;
      case 26: {
        const len = rlen(bytes, p, end);
        p = reader.pos;
        type = lookup.match(bytes, p, p + len);
        eventType = type === undefined ? text(bytes, p, p + len, "event_type") : type.registered.name;
        p += len;
        continue;
      }
      case 34: {
        const len = rlen(bytes, p, end);
        payloadStart = reader.pos;
        payloadEnd = p = payloadStart + len;
        continue;
      }
      case 42: {
        const len = rlen(bytes, p, end);
        p = reader.pos;
        readHeader(bytes, p, p + len, (headers ??= {}));
        p += len;
        continue;
      }
    }
    p = otherField(bytes, p, end, tag, options);
  }
  if (!eventId) throw new DecodeError("missing-field", "the envelope has no event_id", { path: "event_id" });
  if (!eventIdIsUuid) {
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
  type ??= lookup.get(eventType);
  if (type === undefined) {
    throw new DecodeError("unknown-event-type", `no event type ${JSON.stringify(eventType.slice(0, 200))} is registered`, {
      path: "event_type",
    });
  }
  const payload = type.codec.decode(bytes, payloadStart, payloadEnd, 1);
  return Object.freeze({
    eventId,
    timestamp,
    eventType: type.registered.name,
    headers: headers === undefined ? NO_HEADERS : Object.freeze(headers),
    payload,
  });
}

/** Skips an unknown envelope field, or throws when a known one came with the wrong wire type. */
function otherField(bytes: Uint8Array, p: number, end: number, tag: number, options: DecodeOptions): number {
  const fieldNo = tag >>> 3;
  const wireType = tag & 7;
  if (fieldNo === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${p}`);
  const known = ENVELOPE_FIELDS[fieldNo];
  if (known !== undefined && wireType !== known[1]) {
    throw new DecodeError(
      "invalid-wire-type",
      `envelope field ${known[0]} (number ${fieldNo}) arrived with wire type ${wireType}, expected ${known[1]}`,
    );
  }
  return skipField(bytes, p, end, wireType, fieldNo, 0);
}

function readHeader(bytes: Uint8Array, start: number, end: number, headers: Record<string, string>): void {
  let key = "";
  let value = "";
  try {
    let p = start;
    while (p < end) {
      let tag = bytes[p]!;
      if (tag < 0x80) p++;
      else {
        tag = rtag(bytes, p, end);
        p = reader.pos;
      }
      const fieldNo = tag >>> 3;
      const wireType = tag & 7;
      if (fieldNo === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${p}`);
      if (fieldNo === 1 || fieldNo === 2) {
        if (wireType !== WireType.LEN) {
          throw new DecodeError("invalid-wire-type", `a header ${fieldNo === 1 ? "key" : "value"} arrived with wire type ${wireType}`, {
            path: "headers",
          });
        }
        const len = rlen(bytes, p, end);
        p = reader.pos;
        const s = text(bytes, p, p + len, "headers");
        p += len;
        if (fieldNo === 1) key = s;
        else value = s;
      } else {
        p = skipField(bytes, p, end, wireType, fieldNo, 1);
      }
    }
  } catch (error) {
    throw placeFault(error, "headers", 0);
  }
  if (key === "__proto__") throw new DecodeError("forbidden-key", "the header name __proto__ is not allowed", { path: "headers" });
  headers[key] = value;
}
