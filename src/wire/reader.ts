/**
 * The strict protobuf readers the compiled decoders are made of: every
 * varint, length and string is checked against the bounds as it is read.
 *
 * Positions are passed in as numbers; a reader that consumes a variable
 * number of bytes leaves the position after them in `reader.pos`. Failures
 * are {@link WireFault}s, placed at their field path by the decoder that
 * catches them.
 */
import { DecodeError } from "../errors.js";
import { pathAt, WireFault } from "./faults.js";
import { getFloat32, getFloat64 } from "./float.js";


/**
 * The reader's state: `pos`, where the last variable-length read ended;
 * `maxDepth`, the nesting limit of the decoding under way; `latin1`, the
 * whole input as Latin-1 text (one character per byte) when it is small, so
 * that ASCII strings are cut out of it instead of decoded one by one.
 */
export const reader = { pos: 0, maxDepth: 64, latin1: null as string | null };

function truncated(what: string): WireFault {
  return new WireFault("malformed-binary", `the input ends inside ${what} (truncated?)`);
}

/**
 * Reads a varint that must fit in 32 bits (a tag, a length) at `pos`, whose
 * first byte has its high bit set; `reader.pos` is left after it. Returns it
 * as a signed 32-bit number.
 */
function varint32Tail(buf: Uint8Array, pos: number, end: number, what: string): number {
  const at = pos;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw truncated(`a ${what}`);
    const b = buf[pos++]!;
    if (shift === 28 && b > 0x0f) throw new WireFault("malformed-binary", `a ${what} at byte ${at} does not fit in 32 bits`);
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      reader.pos = pos;
      return result;
    }
  }
  throw new WireFault("malformed-binary", `a ${what} at byte ${at} does not fit in 32 bits`);
}

/** Reads a tag of more than one byte at `pos` (the caller reads one-byte tags itself); `reader.pos` is left after it. */
export function rtag(buf: Uint8Array, pos: number, end: number): number {
  return varint32Tail(buf, pos, end, "tag") >>> 0;
}

/** Reads a length prefix at `pos` and checks the bytes it announces are there; `reader.pos` is left after the prefix. */
export function rlen(buf: Uint8Array, pos: number, end: number): number {
  if (pos >= end) throw truncated("a length");
  let len = buf[pos]!;
  if (len < 0x80) {
    pos++;
  } else {
    len = varint32Tail(buf, pos, end, "length");
    pos = reader.pos;
  }
  if (len < 0 || len > end - pos) {
    throw new WireFault("malformed-binary", `a length of ${len >>> 0} bytes at byte ${pos} runs past the end of the input (truncated?)`);
  }
  reader.pos = pos;
  return len;
}

// Node's Buffer reads Latin-1 natively, from any Uint8Array.
const latin1Slice = (globalThis as { Buffer?: { prototype?: { latin1Slice?: unknown } } }).Buffer?.prototype?.latin1Slice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined;

/** Inputs up to this size are read as one Latin-1 string that ASCII strings are cut from. */
const WHOLE_LATIN1_MAX = 4096;

/** Prepares the reader for one input: returns the previous state, for {@link endInput}. */
export function beginInput(buf: Uint8Array, maxDepth: number): string | null {
  const previous = reader.latin1;
  reader.maxDepth = maxDepth;
  reader.latin1 = latin1Slice !== undefined && buf.length <= WHOLE_LATIN1_MAX ? latin1Slice.call(buf, 0, buf.length) : null;
  return previous;
}

/** Lets go of the input's text (so that it is not kept alive). */
export function endInput(previous: string | null): void {
  reader.latin1 = previous;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The bytes from `start` to `end` as text: ASCII cut from the input's Latin-1 text, anything else strictly decoded as UTF-8. */
export function text(buf: Uint8Array, start: number, end: number, path: string): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! > 0x7f) return utf8(buf, start, end, path);
  }
  const whole = reader.latin1;
  if (whole !== null) return whole.substring(start, end);
  if (start === end) return "";
  return latin1Slice !== undefined ? latin1Slice.call(buf, start, end) : utf8(buf, start, end, path);
}

function utf8(buf: Uint8Array, start: number, end: number, path: string): string {
  try {
    return strictUtf8.decode(buf.subarray(start, end));
  } catch (cause) {
    throw new DecodeError("invalid-utf8", path === "payload" ? "a string field is not valid UTF-8" : "not valid UTF-8", { path, cause });
  }
}

/** Reads a length-prefixed string of the payload at `pos`; `reader.pos` is left after it. */
export function rstr(buf: Uint8Array, pos: number, end: number): string {
  const len = rlen(buf, pos, end);
  const start = reader.pos;
  const stop = start + len;
  reader.pos = stop;
  return text(buf, start, stop, "payload");
}

/**
 * Reads length-prefixed bytes at `pos`, as a plain Uint8Array of their own
 * (a copy, also from a Buffer, whose `slice` would be a view of the input);
 * `reader.pos` is left after them.
 */
export function rbytes(buf: Uint8Array, pos: number, end: number): Uint8Array {
  const len = rlen(buf, pos, end);
  const start = reader.pos;
  reader.pos = start + len;
  const out = new Uint8Array(len);
  out.set(buf.subarray(start, start + len));
  return out;
}

/** Checks that `size` bytes are there at `pos`. */
export function need(pos: number, end: number, size: number): void {
  if (end - pos < size) throw truncated(`a ${size * 8}-bit value`);
}

/** A little-endian double at `pos` (the caller has checked the bytes are there). */
export function rf64(buf: Uint8Array, pos: number): number {
  return getFloat64(buf, pos);
}

/** A little-endian float at `pos`. */
export function rf32(buf: Uint8Array, pos: number): number {
  return getFloat32(buf, pos);
}

/** A little-endian unsigned 32-bit integer at `pos`. */
export function rfx32(buf: Uint8Array, pos: number): number {
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}

/** A little-endian signed 32-bit integer at `pos`. */
export function rsfx32(buf: Uint8Array, pos: number): number {
  return buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
}

/** The two halves of the last 64-bit value read. */
const halves = { lo: 0, hi: 0 };

/**
 * Reads a varint of up to 64 bits into {@link halves}, checking it ends
 * within the input and within ten bytes; `reader.pos` is left after it.
 */
function readVarint64(buf: Uint8Array, pos: number, end: number): void {
  const at = pos;
  let lo = 0;
  let hi = 0;
  for (let i = 0; ; i++) {
    if (pos >= end) throw truncated("a varint");
    const b = buf[pos++]!;
    if (i === 9 && b > 1) throw new WireFault("malformed-binary", `a varint at byte ${at} is longer than 64 bits`);
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else if (i === 4) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >> 4;
    } else hi |= (b & 0x7f) << (7 * i - 32);
    if (b < 0x80) break;
  }
  halves.lo = lo >>> 0;
  halves.hi = hi >>> 0;
  reader.pos = pos;
}

/** Skips a varint of up to 64 bits at `pos`, checked as every varint is; returns where it ends. */
export function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  readVarint64(buf, pos, end);
  return reader.pos;
}

/** An int32 or enum varint at `pos` (the low 32 bits, signed); `reader.pos` is left after it. */
export function rvi32(buf: Uint8Array, pos: number, end: number): number {
  if (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      reader.pos = pos + 1;
      return b;
    }
  }
  readVarint64(buf, pos, end);
  return halves.lo | 0;
}

/** A uint32 varint at `pos` (the low 32 bits); `reader.pos` is left after it. */
export function rvu32(buf: Uint8Array, pos: number, end: number): number {
  return rvi32(buf, pos, end) >>> 0;
}

/** A sint32 varint at `pos`; `reader.pos` is left after it. */
export function rvs32(buf: Uint8Array, pos: number, end: number): number {
  const n = rvi32(buf, pos, end);
  return (n >>> 1) ^ -(n & 1);
}

/** A bool varint at `pos`: any value but zero is true. */
export function rvbool(buf: Uint8Array, pos: number, end: number): boolean {
  if (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      reader.pos = pos + 1;
      return b !== 0;
    }
  }
  readVarint64(buf, pos, end);
  return halves.lo !== 0 || halves.hi !== 0;
}

/** The error for {@link halves} beyond the safe integers, naming the value (and the field, when given). */
function unsafe(signed: boolean, field?: string): WireFault {
  const value = signed ? BigInt.asIntN(64, halvesBig()) : halvesBig();
  return new WireFault(
    "invalid-value",
    `${field === undefined ? "" : `field ${field}: `}the 64-bit integer ${value} is beyond 2^53 and cannot be read as a number ` +
      `(the generated type holds 64-bit integers as numbers, ts-proto's forceLong=number; generate with forceLong=bigint)`,
  );
}

/** {@link halves} as an unsigned bigint. */
function halvesBig(): bigint {
  const { lo, hi } = halves;
  if (hi <= 0x1fffff) return BigInt(hi * 0x100000000 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The number of {@link halves} as unsigned; throws beyond the safe integers. */
function unsigned64(field?: string): number {
  if (halves.hi > 0x1fffff) throw unsafe(false, field);
  return halves.hi * 0x100000000 + halves.lo;
}

/** The number of {@link halves} as two's complement; throws beyond the safe integers. */
function signed64(field?: string): number {
  if (halves.hi & 0x80000000) {
    const lo = (~halves.lo + 1) >>> 0;
    const hi = (~halves.hi + (lo === 0 ? 1 : 0)) >>> 0;
    if (hi > 0x1fffff) throw unsafe(true, field);
    return -(hi * 0x100000000 + lo);
  }
  if (halves.hi > 0x1fffff) throw unsafe(true, field);
  return halves.hi * 0x100000000 + halves.lo;
}

/** An int64 varint at `pos`; `reader.pos` is left after it. */
export function rvi64(buf: Uint8Array, pos: number, end: number, field?: string): number {
  readVarint64(buf, pos, end);
  return signed64(field);
}

/** A uint64 varint at `pos`; `reader.pos` is left after it. */
export function rvu64(buf: Uint8Array, pos: number, end: number, field?: string): number {
  readVarint64(buf, pos, end);
  return unsigned64(field);
}

/** A sint64 varint at `pos`; `reader.pos` is left after it. */
export function rvs64(buf: Uint8Array, pos: number, end: number, field?: string): number {
  readVarint64(buf, pos, end);
  unzigzag();
  return signed64(field);
}

/** Undoes the zigzag encoding of {@link halves}. */
function unzigzag(): void {
  const { lo, hi } = halves;
  const sign = -(lo & 1);
  halves.lo = (((lo >>> 1) | ((hi & 1) << 31)) ^ sign) >>> 0;
  halves.hi = ((hi >>> 1) ^ sign) >>> 0;
}

/** A little-endian fixed64 at `pos` (the caller has checked the bytes are there). */
export function rfx64(buf: Uint8Array, pos: number, field?: string): number {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return unsigned64(field);
}

/** A little-endian sfixed64 at `pos`. */
export function rsfx64(buf: Uint8Array, pos: number, field?: string): number {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return signed64(field);
}

/** {@link halves} as a signed bigint (two's complement). */
function signedBig(): bigint {
  if (halves.hi & 0x80000000) return BigInt.asIntN(64, (BigInt(halves.hi) << 32n) | BigInt(halves.lo));
  return halvesBig();
}

/** An int64 varint at `pos`, as a bigint; `reader.pos` is left after it. */
export function rvi64b(buf: Uint8Array, pos: number, end: number): bigint {
  readVarint64(buf, pos, end);
  return signedBig();
}

/** A uint64 varint at `pos`, as a bigint; `reader.pos` is left after it. */
export function rvu64b(buf: Uint8Array, pos: number, end: number): bigint {
  readVarint64(buf, pos, end);
  return halvesBig();
}

/** A sint64 varint at `pos`, as a bigint; `reader.pos` is left after it. */
export function rvs64b(buf: Uint8Array, pos: number, end: number): bigint {
  readVarint64(buf, pos, end);
  unzigzag();
  return signedBig();
}

/** A little-endian fixed64 at `pos`, as a bigint. */
export function rfx64b(buf: Uint8Array, pos: number): bigint {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return halvesBig();
}

/** A little-endian sfixed64 at `pos`, as a bigint. */
export function rsfx64b(buf: Uint8Array, pos: number): bigint {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return signedBig();
}

/** An int64 varint at `pos`, as decimal text; `reader.pos` is left after it. */
export function rvi64t(buf: Uint8Array, pos: number, end: number): string {
  return String(rvi64b(buf, pos, end));
}

/** A uint64 varint at `pos`, as decimal text; `reader.pos` is left after it. */
export function rvu64t(buf: Uint8Array, pos: number, end: number): string {
  return String(rvu64b(buf, pos, end));
}

/** A sint64 varint at `pos`, as decimal text; `reader.pos` is left after it. */
export function rvs64t(buf: Uint8Array, pos: number, end: number): string {
  return String(rvs64b(buf, pos, end));
}

/** A little-endian fixed64 at `pos`, as decimal text. */
export function rfx64t(buf: Uint8Array, pos: number): string {
  return String(rfx64b(buf, pos));
}

/** A little-endian sfixed64 at `pos`, as decimal text. */
export function rsfx64t(buf: Uint8Array, pos: number): string {
  return String(rsfx64b(buf, pos));
}

/** Throws: a packed list whose length is not a whole number of elements. */
export function ragged(size: number): never {
  throw new WireFault("malformed-binary", `a packed list of ${size}-byte values has a length that is not a multiple of ${size}`);
}

/** Throws: a message nested deeper than the limit. */
export function tooDeep(root: string, depth: number): never {
  throw new DecodeError("too-deep", `messages nest deeper than maxDepth ${reader.maxDepth}`, { path: pathAt(root, depth) });
}

