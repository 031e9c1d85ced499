import { DecodeError } from "./errors.js";
import { FieldType, WireType, wireTypeOf, type MessageSchema, type ValueSchema } from "./schema.js";

/**
 * Walks protobuf bytes against a message schema before they are decoded, so
 * that nothing malformed reaches the generated decoder and nothing is
 * silently dropped: every tag, varint and length is checked against the
 * bounds, every known field against the wire types its declaration allows,
 * nested messages against the depth limit, and map keys against `__proto__`.
 * Unknown fields are allowed (and skipped), as the protobuf rules require.
 * It allocates nothing and reads each byte once.
 */
export function checkMessage(
  buf: Uint8Array,
  start: number,
  end: number,
  schema: MessageSchema,
  depth: number,
  maxDepth: number,
  path: string,
): void {
  if (depth > maxDepth) {
    throw new DecodeError("too-deep", `messages nest deeper than maxDepth ${maxDepth}`, { path });
  }
  const cursor = { pos: start };
  while (cursor.pos < end) {
    const tag = readTag(buf, cursor, end, path);
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    const field = schema.byNumber.get(fieldNo);
    if (field !== undefined && (field.wireTypes & (1 << wireType)) === 0) {
      throw new DecodeError(
        "invalid-wire-type",
        `field ${field.name} (number ${fieldNo}) arrived with wire type ${wireType}, which its type does not allow`,
        { path },
      );
    }
    if (wireType === WireType.LEN) {
      const len = readLength(buf, cursor, end, path);
      const bodyStart = cursor.pos;
      cursor.pos += len;
      if (field === undefined) continue;
      const at = path ? `${path}.${field.name}` : field.name;
      if (field.mapValue !== undefined && field.mapKey !== undefined) {
        checkMapEntry(buf, bodyStart, cursor.pos, field.mapKey, field.mapValue, depth, maxDepth, at);
      } else if (field.message !== undefined) {
        checkMessage(buf, bodyStart, cursor.pos, field.message, depth + 1, maxDepth, at);
      }
    } else {
      skipField(buf, cursor, end, wireType, fieldNo, depth, maxDepth, path);
    }
  }
}

function checkMapEntry(
  buf: Uint8Array,
  start: number,
  end: number,
  keyType: number,
  value: ValueSchema,
  depth: number,
  maxDepth: number,
  path: string,
): void {
  const cursor = { pos: start };
  const keyWire = wireTypeOf(keyType);
  const valueWire = wireTypeOf(value.type);
  while (cursor.pos < end) {
    const tag = readTag(buf, cursor, end, path);
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    const expected = fieldNo === 1 ? keyWire : fieldNo === 2 ? valueWire : -1;
    if (expected !== -1 && wireType !== expected) {
      throw new DecodeError(
        "invalid-wire-type",
        `map ${fieldNo === 1 ? "key" : "value"} arrived with wire type ${wireType}, expected ${expected}`,
        { path },
      );
    }
    if (wireType !== WireType.LEN) {
      skipField(buf, cursor, end, wireType, fieldNo, depth, maxDepth, path);
      continue;
    }
    const len = readLength(buf, cursor, end, path);
    const bodyStart = cursor.pos;
    cursor.pos += len;
    if (fieldNo === 1 && keyType === FieldType.STRING && isProtoKey(buf, bodyStart, len)) {
      throw new DecodeError("forbidden-key", "the map key __proto__ is not allowed", { path });
    }
    if (fieldNo === 2 && value.message !== undefined) {
      checkMessage(buf, bodyStart, cursor.pos, value.message, depth + 1, maxDepth, path);
    }
  }
}

const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

function isProtoKey(buf: Uint8Array, start: number, len: number): boolean {
  if (len !== PROTO_KEY.length) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== PROTO_KEY[i]) return false;
  return true;
}

interface Cursor {
  pos: number;
}

/** Reads a tag, checking it is a well-formed varint of at most 32 bits with a field number above 0. */
export function readTag(buf: Uint8Array, cursor: Cursor, end: number, path: string): number {
  const tag = readVarint32(buf, cursor, end, path, "tag");
  if (tag >>> 3 === 0) {
    throw new DecodeError("malformed-binary", `field number 0 at byte ${cursor.pos}`, { path });
  }
  return tag;
}

/** Reads a length prefix and checks the bytes it announces are there. */
export function readLength(buf: Uint8Array, cursor: Cursor, end: number, path: string): number {
  const at = cursor.pos;
  const len = readVarint32(buf, cursor, end, path, "length");
  if (len < 0 || cursor.pos + len > end) {
    throw new DecodeError(
      "malformed-binary",
      `a length of ${len >>> 0} bytes at byte ${at} runs past the end of the input (truncated?)`,
      { path },
    );
  }
  return len;
}

/**
 * Reads a varint that must fit in 32 bits (tags and lengths). Returns it as
 * a signed 32-bit number: a caller that needs it unsigned checks for `< 0`.
 */
function readVarint32(buf: Uint8Array, cursor: Cursor, end: number, path: string, what: string): number {
  let result = 0;
  let pos = cursor.pos;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) {
      throw new DecodeError("malformed-binary", `the input ends inside a ${what} (truncated?)`, { path });
    }
    const b = buf[pos++]!;
    if (shift === 28 && b > 0x0f) {
      throw new DecodeError("malformed-binary", `a ${what} at byte ${cursor.pos} does not fit in 32 bits`, { path });
    }
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cursor.pos = pos;
      return result;
    }
  }
  throw new DecodeError("malformed-binary", `a ${what} at byte ${cursor.pos} does not fit in 32 bits`, { path });
}

/** Skips one field's value of the given wire type, checking it lies within the input. */
export function skipField(
  buf: Uint8Array,
  cursor: Cursor,
  end: number,
  wireType: number,
  fieldNo: number,
  depth: number,
  maxDepth: number,
  path: string,
): void {
  switch (wireType) {
    case WireType.VARINT: {
      let pos = cursor.pos;
      for (let i = 0; ; i++) {
        if (pos >= end) throw new DecodeError("malformed-binary", "the input ends inside a varint (truncated?)", { path });
        if (i === 9 && buf[pos]! > 1) {
          throw new DecodeError("malformed-binary", `a varint at byte ${cursor.pos} is longer than 64 bits`, { path });
        }
        if (buf[pos++]! < 0x80) break;
      }
      cursor.pos = pos;
      return;
    }
    case WireType.I64:
    case WireType.I32: {
      const size = wireType === WireType.I64 ? 8 : 4;
      if (cursor.pos + size > end) {
        throw new DecodeError("malformed-binary", `the input ends inside a ${size * 8}-bit value (truncated?)`, { path });
      }
      cursor.pos += size;
      return;
    }
    case WireType.LEN: {
      // Not `cursor.pos += readLength(...)`: that reads cursor.pos before
      // readLength moves it past the length prefix.
      const len = readLength(buf, cursor, end, path);
      cursor.pos += len;
      return;
    }
    case WireType.SGROUP: {
      if (depth + 1 > maxDepth) {
        throw new DecodeError("too-deep", `groups nest deeper than maxDepth ${maxDepth}`, { path });
      }
      for (;;) {
        if (cursor.pos >= end) {
          throw new DecodeError("malformed-binary", `group ${fieldNo} is not closed (truncated?)`, { path });
        }
        const tag = readTag(buf, cursor, end, path);
        if ((tag & 7) === WireType.EGROUP) {
          if (tag >>> 3 !== fieldNo) {
            throw new DecodeError("malformed-binary", `group ${fieldNo} closed by an end tag for ${tag >>> 3}`, { path });
          }
          return;
        }
        skipField(buf, cursor, end, tag & 7, tag >>> 3, depth + 1, maxDepth, path);
      }
    }
    case WireType.EGROUP:
      throw new DecodeError("malformed-binary", `an end-group tag for field ${fieldNo} with no group open`, { path });
    default:
      throw new DecodeError("malformed-binary", `invalid wire type ${wireType} for field ${fieldNo}`, { path });
  }
}
