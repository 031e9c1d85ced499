/**
 * Readers of protobuf framing shared by the binary decoders: tags, lengths,
 * and skipping the fields they do not know, checking bounds as they go.
 */
import { DecodeError } from "./errors.js";
import { WireType } from "./schema.js";

interface Cursor {
  pos: number;
}

/** Reads a tag, checking it is a well-formed varint of at most 32 bits with a field number above 0. */
function readTag(buf: Uint8Array, cursor: Cursor, end: number, path: string): number {
  const tag = readVarint32(buf, cursor, end, path, "tag");
  if (tag >>> 3 === 0) {
    throw new DecodeError("malformed-binary", `field number 0 at byte ${cursor.pos}`, { path });
  }
  return tag;
}

/** Reads a length prefix and checks the bytes it announces are there. */
function readLength(buf: Uint8Array, cursor: Cursor, end: number, path: string): number {
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
