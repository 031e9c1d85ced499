/**
 * The protobuf writer the compiled encoders are made of: values written
 * straight into a shared slab that results are views of.
 *
 * Positions are passed in and returned as numbers. Encoding is synchronous
 * and runs no user code, except the property reads of the value being
 * encoded (see {@link withWriter}).
 */
import { putFloat32, putFloat64 } from "./float.js";
import { beyondFloat32 } from "./limits.js";
import { EncodeFault } from "./faults.js";

/**
 * The buffer being written. Results are written straight into a shared
 * slab and handed out as views of it, as Node cuts small Buffers from its
 * pool: allocating an ArrayBuffer per message costs more than encoding it.
 * A result then shares its `buffer` with others; its bytes are only those
 * from `byteOffset` for `byteLength`. A message that outgrows the room left
 * in the slab moves to a buffer of its own (see {@link grow}).
 */
export const writer = { buf: new Uint8Array(0), base: 0 };

const SLAB_SIZE = 32 * 1024;
/** A message starts in a fresh slab when less than this is left. */
const SLAB_ROOM = 4 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabBuffer = slab.buffer;
let slabUsed = 0;
let writing = false;

/**
 * Runs `write`, which writes from the position it is given and returns
 * where it ended, and returns the bytes it wrote: a view of the slab, or a
 * copy when the message outgrew it or an encoding is already under way (a
 * getter on a payload that encodes another event).
 */
export function withWriter<A, B>(write: (a: A, b: B, start: number) => number, a: A, b: B): Uint8Array {
  if (writing) {
    const outer = writer.buf;
    const outerBase = writer.base;
    writer.buf = new Uint8Array(1024);
    writer.base = 0;
    try {
      const end = write(a, b, 0);
      return writer.buf.slice(0, end);
    } finally {
      writer.buf = outer;
      writer.base = outerBase;
    }
  }
  writing = true;
  if (slab.length - slabUsed < SLAB_ROOM) {
    slab = new Uint8Array(SLAB_SIZE);
    slabBuffer = slab.buffer;
    slabUsed = 0;
  }
  const base = slabUsed;
  writer.buf = slab;
  writer.base = base;
  try {
    const end = write(a, b, base);
    if (writer.buf !== slab) return writer.buf.slice(base, end);
    slabUsed = (end + 7) & ~7;
    return new Uint8Array(slabBuffer, base, end - base);
  } finally {
    writing = false;
    writer.buf = slab;
  }
}

/**
 * Makes room for `need` more bytes at `pos`: moves what has been written
 * since `writer.base` to a larger buffer of its own, at the same positions.
 * Returns the new buffer.
 */
function grow(pos: number, need: number): Uint8Array {
  const old = writer.buf;
  let size = Math.max(1024, (pos - writer.base) * 2);
  while (size < pos + need) size *= 2;
  const buf = new Uint8Array(size);
  buf.set(old.subarray(writer.base, pos), writer.base);
  writer.buf = buf;
  return buf;
}

function room(pos: number, need: number): Uint8Array {
  const buf = writer.buf;
  return pos + need <= buf.length ? buf : grow(pos, need);
}

/** Writes an unsigned 32-bit varint (a tag, a length) into `buf`, which has room. */
function varint32(buf: Uint8Array, pos: number, value: number): number {
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

/** Writes a 64-bit varint of two unsigned 32-bit halves into `buf`, which has room. */
function varint64(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  while (hi !== 0 || lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Bytes a 32-bit varint of `value` takes. */
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** A tag (or any unsigned 32-bit varint). */
function wtag(pos: number, tag: number): number {
  return varint32(room(pos, 5), pos, tag);
}

/** Raw bytes, as they are. */
export function wraw(pos: number, bytes: Uint8Array): number {
  const buf = room(pos, bytes.length);
  if (bytes.length < 64) {
    for (let i = 0; i < bytes.length; i++) buf[pos + i] = bytes[i]!;
  } else {
    buf.set(bytes, pos);
  }
  return pos + bytes.length;
}

const utf8Encoder = new TextEncoder();

/**
 * A tag, then a string as length-prefixed UTF-8. A lone surrogate is written
 * as U+FFFD, as TextEncoder writes it.
 */
export function wstr(pos: number, tag: number, s: string): number {
  const n = s.length;
  const buf = room(pos, 10 + n * 3);
  pos = varint32(buf, pos, tag);
  if (n < 0x80) {
    // ASCII: one byte per character, and a one-byte length
    let q = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      buf[q++] = c;
    }
    if (i === n) {
      buf[pos] = n;
      return q;
    }
  }
  // The length prefix is sized for the longest the text can be, then narrowed.
  const reserved = varintSize(n * 3);
  const written = utf8Encoder.encodeInto(s, buf.subarray(pos + reserved, pos + reserved + n * 3)).written;
  const size = varintSize(written);
  if (size !== reserved) buf.copyWithin(pos + size, pos + reserved, pos + reserved + written);
  varint32(buf, pos, written);
  return pos + size + written;
}

/** A tag, then bytes with their length. */
export function wbytes(pos: number, tag: number, bytes: Uint8Array): number {
  const n = bytes.length;
  const buf = room(pos, 10 + n);
  pos = varint32(buf, pos, tag);
  pos = varint32(buf, pos, n);
  if (n < 64) {
    for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  } else {
    buf.set(bytes, pos);
  }
  return pos + n;
}

/** A double, little-endian (no tag: for packed lists). */
export function vf64(pos: number, value: number): number {
  putFloat64(room(pos, 8), pos, value);
  return pos + 8;
}

/** A tag and a double. */
export function wf64(pos: number, tag: number, value: number): number {
  return vf64(wtag(pos, tag), value);
}

/** A float (no tag). Finite values beyond the float range are refused, as protobuf-es refuses them. */
export function vf32(pos: number, value: number): number {
  if (beyondFloat32(value)) throw new EncodeFault(`${value} is out of the range of a float`);
  putFloat32(room(pos, 4), pos, value);
  return pos + 4;
}

/** A tag and a float. */
export function wf32(pos: number, tag: number, value: number): number {
  return vf32(wtag(pos, tag), value);
}

/** A fixed32 or sfixed32 (no tag). */
export function vfx32(pos: number, value: number): number {
  const buf = room(pos, 4);
  buf[pos] = value & 0xff;
  buf[pos + 1] = (value >>> 8) & 0xff;
  buf[pos + 2] = (value >>> 16) & 0xff;
  buf[pos + 3] = (value >>> 24) & 0xff;
  return pos + 4;
}

/** A tag and a fixed32 or sfixed32. */
export function wfx32(pos: number, tag: number, value: number): number {
  return vfx32(wtag(pos, tag), value);
}

/** The low and high 32 bits of a safe integer's 64-bit two's complement. */
const split = { lo: 0, hi: 0 };

function splitInt64(value: number): void {
  const negative = value < 0;
  let m = negative ? -value : value;
  let lo = m % 0x100000000;
  let hi = (m - lo) / 0x100000000;
  if (negative) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  m = 0;
  split.lo = lo >>> 0;
  split.hi = hi >>> 0;
}

/** A fixed64 or sfixed64 (no tag). */
export function vfx64(pos: number, value: number): number {
  splitInt64(value);
  vfx32(pos, split.lo);
  return vfx32(pos + 4, split.hi);
}

/** A tag and a fixed64 or sfixed64. */
export function wfx64(pos: number, tag: number, value: number): number {
  return vfx64(wtag(pos, tag), value);
}

/** An int32 or enum varint (no tag); negative values take ten bytes. */
export function vi32(pos: number, value: number): number {
  const buf = room(pos, 10);
  if (value >= 0) return varint32(buf, pos, value);
  return varint64(buf, pos, value >>> 0, 0xffffffff);
}

/** A tag and an int32 or enum. */
export function wi32(pos: number, tag: number, value: number): number {
  return vi32(wtag(pos, tag), value);
}

/** A uint32 varint (no tag). */
export function vu32(pos: number, value: number): number {
  return varint32(room(pos, 5), pos, value);
}

/** A tag and a uint32. */
export function wu32(pos: number, tag: number, value: number): number {
  return vu32(wtag(pos, tag), value);
}

/** A sint32 varint (no tag). */
export function vs32(pos: number, value: number): number {
  return varint32(room(pos, 5), pos, ((value << 1) ^ (value >> 31)) >>> 0);
}

/** A tag and a sint32. */
export function ws32(pos: number, tag: number, value: number): number {
  return vs32(wtag(pos, tag), value);
}

/** An int64 or uint64 varint of a safe integer (no tag). */
export function vi64(pos: number, value: number): number {
  const buf = room(pos, 10);
  if (value >= 0 && value <= 0xffffffff) return varint32(buf, pos, value);
  splitInt64(value);
  return varint64(buf, pos, split.lo, split.hi);
}

/** A tag and an int64 or uint64. */
export function wi64(pos: number, tag: number, value: number): number {
  return vi64(wtag(pos, tag), value);
}

/** A sint64 varint (zigzag) of a safe integer (no tag). */
export function vs64(pos: number, value: number): number {
  splitInt64(value);
  const sign = split.hi >> 31;
  const lo = ((split.lo << 1) ^ sign) >>> 0;
  const hi = (((split.hi << 1) | (split.lo >>> 31)) ^ sign) >>> 0;
  return varint64(room(pos, 10), pos, lo, hi);
}

/** A tag and a sint64. */
export function ws64(pos: number, tag: number, value: number): number {
  return vs64(wtag(pos, tag), value);
}

/** Splits a bigint in the 64-bit range into the halves of its two's complement. */
function splitBig(value: bigint): void {
  if (value >= -9007199254740991n && value <= 9007199254740991n) {
    splitInt64(Number(value)); // (exact, and faster than bigint arithmetic)
    return;
  }
  split.lo = Number(value & 0xffffffffn);
  split.hi = Number((value >> 32n) & 0xffffffffn);
}

/** An int64 or uint64 varint of a bigint (no tag). */
export function vi64b(pos: number, value: bigint): number {
  const buf = room(pos, 10);
  if (value >= 0n && value <= 0xffffffffn) return varint32(buf, pos, Number(value));
  splitBig(value);
  return varint64(buf, pos, split.lo, split.hi);
}

/** A tag and an int64 or uint64 bigint. */
export function wi64b(pos: number, tag: number, value: bigint): number {
  return vi64b(wtag(pos, tag), value);
}

/** A sint64 varint (zigzag) of a bigint (no tag). */
export function vs64b(pos: number, value: bigint): number {
  return vi64b(pos, BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
}

/** A tag and a sint64 bigint. */
export function ws64b(pos: number, tag: number, value: bigint): number {
  return vs64b(wtag(pos, tag), value);
}

/** A fixed64 or sfixed64 of a bigint (no tag). */
export function vfx64b(pos: number, value: bigint): number {
  splitBig(value);
  const hi = split.hi;
  vfx32(pos, split.lo);
  return vfx32(pos + 4, hi);
}

/** A tag and a fixed64 or sfixed64 bigint. */
export function wfx64b(pos: number, tag: number, value: bigint): number {
  return vfx64b(wtag(pos, tag), value);
}

/** An int64 or uint64 varint of decimal text (no tag; the caller checked the text). */
export function vi64t(pos: number, value: string): number {
  return vi64b(pos, BigInt(value));
}

/** A tag and an int64 or uint64 in decimal text. */
export function wi64t(pos: number, tag: number, value: string): number {
  return vi64b(wtag(pos, tag), BigInt(value));
}

/** A sint64 varint of decimal text (no tag). */
export function vs64t(pos: number, value: string): number {
  return vs64b(pos, BigInt(value));
}

/** A tag and a sint64 in decimal text. */
export function ws64t(pos: number, tag: number, value: string): number {
  return vs64b(wtag(pos, tag), BigInt(value));
}

/** A fixed64 or sfixed64 of decimal text (no tag). */
export function vfx64t(pos: number, value: string): number {
  return vfx64b(pos, BigInt(value));
}

/** A tag and a fixed64 or sfixed64 in decimal text. */
export function wfx64t(pos: number, tag: number, value: string): number {
  return vfx64b(wtag(pos, tag), BigInt(value));
}

/** A bool varint (no tag). */
export function vbool(pos: number, value: boolean): number {
  room(pos, 1)[pos] = value ? 1 : 0;
  return pos + 1;
}

/** A tag and a bool. */
export function wbool(pos: number, tag: number, value: boolean): number {
  return vbool(wtag(pos, tag), value);
}

/**
 * A tag and one byte reserved for a length: returns where the body starts.
 * {@link wend} writes the length once the body is written.
 */
export function wbegin(pos: number, tag: number): number {
  const buf = room(pos, 6);
  return varint32(buf, pos, tag) + 1;
}

/** Writes the length of the body from `start` (as {@link wbegin} returned it) to `end`, moving the body when the length takes more than one byte. */
export function wend(start: number, end: number): number {
  const len = end - start;
  if (len < 0x80) {
    writer.buf[start - 1] = len;
    return end;
  }
  const extra = varintSize(len) - 1;
  const buf = room(end, extra);
  buf.copyWithin(start + extra, start, end);
  varint32(buf, start - 1, len);
  return end + extra;
}
