/**
 * Skipping one field's value without reading it (an unknown field), checking
 * that it lies within the input: the one place that walks over protobuf
 * framing it does not interpret.
 */
import { WireFault } from "./faults.js";
import { reader, rlen, rtag, skipVarint } from "./reader.js";
import { WireType } from "./wire-type.js";

/**
 * Skips the value of field `fieldNo`, of the given wire type, at `pos`;
 * returns where it ends. Groups are walked through, counting toward the
 * reader's nesting limit from `depth`. Throws {@link WireFault}.
 */
export function skipField(buf: Uint8Array, pos: number, end: number, wireType: number, fieldNo: number, depth: number): number {
  switch (wireType) {
    case WireType.VARINT:
      return skipVarint(buf, pos, end);
    case WireType.I64:
    case WireType.I32: {
      const size = wireType === WireType.I64 ? 8 : 4;
      if (end - pos < size) throw new WireFault("malformed-binary", `the input ends inside a ${size * 8}-bit value (truncated?)`);
      return pos + size;
    }
    case WireType.LEN: {
      const len = rlen(buf, pos, end);
      return reader.pos + len;
    }
    case WireType.SGROUP: {
      if (depth + 1 > reader.maxDepth) throw new WireFault("too-deep", `groups nest deeper than maxDepth ${reader.maxDepth}`);
      for (;;) {
        if (pos >= end) throw new WireFault("malformed-binary", `group ${fieldNo} is not closed (truncated?)`);
        const tag = rtag(buf, pos, end);
        if (tag >>> 3 === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${pos}`);
        pos = reader.pos;
        if ((tag & 7) === WireType.EGROUP) {
          if (tag >>> 3 !== fieldNo) throw new WireFault("malformed-binary", `group ${fieldNo} closed by an end tag for ${tag >>> 3}`);
          return pos;
        }
        pos = skipField(buf, pos, end, tag & 7, tag >>> 3, depth + 1);
      }
    }
    case WireType.EGROUP:
      throw new WireFault("malformed-binary", `an end-group tag for field ${fieldNo} with no group open`);
    default:
      throw new WireFault("malformed-binary", `invalid wire type ${wireType} for field ${fieldNo}`);
  }
}
