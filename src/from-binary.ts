import { skipField } from "./binary-check.js";
import { DecodeError } from "./errors.js";
import type { Event } from "./event.js";
import type { DecodeOptions } from "./options.js";
import { WireType } from "./schema.js";
import type { BinaryType } from "./to-binary.js";
import { beginInput, endInput, placeFault, reader, rf64, rlen, rtag, text, WireFault } from "./wire.js";

/** Resolves a wire name or a fully qualified name to its type and codec. */
export interface BinaryLookup {
  get(eventType: string): BinaryType | undefined;
}

/**
 * The types of a registry by name, also found straight from the bytes of a
 * wire name (without making a string of them first).
 */
export class BinaryTypes implements BinaryLookup {
  private readonly byName: ReadonlyMap<string, BinaryType>;
  /** Types by the UTF-8 length of their wire name: the name's bytes, and the type. */
  private readonly byLength: ({ readonly bytes: Uint8Array; readonly type: BinaryType }[] | undefined)[] = [];

  constructor(byName: ReadonlyMap<string, BinaryType>) {
    this.byName = byName;
    for (const type of new Set(byName.values())) {
      const bytes = new TextEncoder().encode(type.registered.name);
      (this.byLength[bytes.length] ??= []).push({ bytes, type });
    }
  }

  get(eventType: string): BinaryType | undefined {
    return this.byName.get(eventType);
  }

  /** The type whose wire name is `bytes[start, end)`, if any. */
  match(bytes: Uint8Array, start: number, end: number): BinaryType | undefined {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return undefined;
    const n = end - start;
    for (let c = 0; c < candidates.length; c++) {
      const name = candidates[c]!.bytes;
      let i = n - 1;
      // (names of one length tend to share a prefix, so compare from the end)
      while (i >= 0 && bytes[start + i] === name[i]) i--;
      if (i < 0) return candidates[c]!.type;
    }
    return undefined;
  }
}

/** 1 for the bytes of the hexadecimal digits, either case. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;

/**
 * True when `bytes[start, end)` is a UUID as the uuid package's `validate`
 * accepts it: 8-4-4-4-12 hexadecimal digits in either case, version 1 to 8
 * and variant 10xx, or the nil or the max UUID.
 */
export function isUuidBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  if (bytes[start + 8] !== 0x2d || bytes[start + 13] !== 0x2d || bytes[start + 18] !== 0x2d || bytes[start + 23] !== 0x2d) return false;
  // 32 hexadecimal digits among the 36 bytes (the four dashes count 0)
  let hex = 0;
  for (let i = start; i < start + 36; i += 4) hex += HEX[bytes[i]!]! + HEX[bytes[i + 1]!]! + HEX[bytes[i + 2]!]! + HEX[bytes[i + 3]!]!;
  if (hex !== 32) return false;
  const version = bytes[start + 14]!;
  const variant = bytes[start + 19]! | 0x20;
  if (version >= 0x31 && version <= 0x38 && (variant === 0x38 || variant === 0x39 || variant === 0x61 || variant === 0x62)) return true;
  // the nil UUID and the max UUID
  let zeros = 0;
  let fs = 0;
  for (let i = 0; i < 36; i++) {
    const c = bytes[start + i]! | 0x20;
    if (c === 0x30) zeros++;
    else if (c === 0x66) fs++;
  }
  return zeros === 32 || fs === 32;
}

const ENVELOPE_FIELDS: readonly (readonly [string, number] | undefined)[] = [
  undefined,
  ["event_id", WireType.LEN],
  ["timestamp", WireType.I64],
  ["event_type", WireType.LEN],
  ["payload", WireType.LEN],
  ["headers", WireType.LEN],
];

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Decodes an `EventEnvelope` and the payload it carries into a frozen event.
 * Throws {@link DecodeError} on any input that is not exactly that.
 */
export function fromBinary(lookup: BinaryTypes, bytes: Uint8Array, options: DecodeOptions): Event {
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

function readEnvelope(lookup: BinaryTypes, bytes: Uint8Array, options: DecodeOptions): Event {
  let eventId: string | undefined;
  let eventIdIsUuid = false;
  let timestamp = 0;
  let eventType: string | undefined;
  let type: BinaryType | undefined;
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
  const cursor = { pos: p };
  skipField(bytes, cursor, end, wireType, fieldNo, 0, options.maxDepth, "");
  return cursor.pos;
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
        const cursor = { pos: p };
        skipField(bytes, cursor, end, wireType, fieldNo, 1, 64, "headers");
        p = cursor.pos;
      }
    }
  } catch (error) {
    throw placeFault(error, "headers", 0);
  }
  if (key === "__proto__") throw new DecodeError("forbidden-key", "the header name __proto__ is not allowed", { path: "headers" });
  headers[key] = value;
}
