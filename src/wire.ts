/**
 * The primitives the compiled binary codec (binary-codec.ts) is made of: a
 * writer into a shared slab that results are views of, and strict readers that check
 * every varint, length and string as they go.
 *
 * Positions are passed in and returned as numbers; a reader that consumes a
 * variable number of bytes leaves the position after them in `reader.pos`.
 * Encoding and decoding are synchronous and run no user code, except the
 * property reads of the value being encoded (see {@link withWriter}).
 */
import { DecodeError, type EventwireErrorCode } from "./errors.js";

// ---------------------------------------------------------------------------
// String.prototype

/**
 * Keeps method calls on strings fast for the whole process, whatever is
 * loaded before or after.
 *
 * When String.prototype first becomes the prototype of an ordinary object —
 * ioredis 6 does that as it loads (`class VerbatimString extends String`) —
 * V8 (Node 20) turns its properties into dictionary mode, and every
 * `charCodeAt`, `substring` and even `.length` on a string primitive then
 * takes a slow lookup: a `charCodeAt` loop runs about five times slower, for
 * the rest of the process, in every library (protobufjs's encoder loses a
 * third of its speed). V8 makes a prototype fast again, for good, the first
 * time an inline cache looks a property up through it from an object that
 * has it as prototype. This does that lookup: it cures the slowdown if it
 * has happened, and prevents it if not. It changes nothing observable.
 */
function keepStringMethodsFast(): void {
  const probe: unknown = Object.create(String.prototype);
  const look = (o: unknown): unknown => (o as { eventwireProbe?: unknown }).eventwireProbe;
  // (an inline cache starts caching once the function has run a few times)
  for (let i = 0; i < 32; i++) look(probe);
}

keepStringMethodsFast();

// ---------------------------------------------------------------------------
// Writing

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

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function put64(buf: Uint8Array, pos: number): void {
  if (LITTLE_ENDIAN) {
    buf[pos] = f64Bytes[0]!;
    buf[pos + 1] = f64Bytes[1]!;
    buf[pos + 2] = f64Bytes[2]!;
    buf[pos + 3] = f64Bytes[3]!;
    buf[pos + 4] = f64Bytes[4]!;
    buf[pos + 5] = f64Bytes[5]!;
    buf[pos + 6] = f64Bytes[6]!;
    buf[pos + 7] = f64Bytes[7]!;
  } else {
    for (let i = 0; i < 8; i++) buf[pos + i] = f64Bytes[7 - i]!;
  }
}

function put32(buf: Uint8Array, pos: number): void {
  if (LITTLE_ENDIAN) {
    buf[pos] = f32Bytes[0]!;
    buf[pos + 1] = f32Bytes[1]!;
    buf[pos + 2] = f32Bytes[2]!;
    buf[pos + 3] = f32Bytes[3]!;
  } else {
    for (let i = 0; i < 4; i++) buf[pos + i] = f32Bytes[3 - i]!;
  }
}

/** A double, little-endian (no tag: for packed lists). */
export function vf64(pos: number, value: number): number {
  const buf = room(pos, 8);
  f64[0] = value;
  put64(buf, pos);
  return pos + 8;
}

/** A tag and a double. */
export function wf64(pos: number, tag: number, value: number): number {
  return vf64(wtag(pos, tag), value);
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** A float (no tag). Finite values beyond the float range are refused, as protobuf-es refuses them. */
export function vf32(pos: number, value: number): number {
  if (value > FLOAT32_MAX || value < -FLOAT32_MAX) {
    if (Number.isFinite(value)) throw new EncodeFault(`${value} is out of the range of a float`);
  }
  const buf = room(pos, 4);
  f32[0] = value;
  put32(buf, pos);
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

/** An encoding failure inside the compiled encoder, made into an `EventValidationError` by the caller. */
export class EncodeFault extends Error {
  override name = "EncodeFault";
}

// ---------------------------------------------------------------------------
// Reading

/**
 * The reader's state: `pos`, where the last variable-length read ended;
 * `maxDepth`, the nesting limit of the decoding under way; `latin1`, the
 * whole input as Latin-1 text (one character per byte) when it is small, so
 * that ASCII strings are cut out of it instead of decoded one by one.
 */
export const reader = { pos: 0, maxDepth: 64, latin1: null as string | null };

/**
 * Field names along the path to the message being decoded: the message at
 * depth `d` (the payload is depth 1) was reached through `pathNames[1]` …
 * `pathNames[d - 1]`. Written as the decoder descends; read only for error
 * paths.
 */
export const pathNames: string[] = new Array<string>(128).fill("");

/** The path of the message at `depth` under `root`: `payload.items`. */
export function pathAt(root: string, depth: number): string {
  let path = root;
  for (let i = 1; i < depth && i < pathNames.length; i++) path = path ? `${path}.${pathNames[i]}` : pathNames[i]!;
  return path;
}

/**
 * A decoding failure whose path is not yet known: thrown by the readers,
 * which do not know where in the message they are, and turned into a
 * {@link DecodeError} by the message decoder that catches it.
 */
export class WireFault extends Error {
  override name = "WireFault";
  readonly code: EventwireErrorCode;
  constructor(code: EventwireErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Turns a {@link WireFault} into a {@link DecodeError} at the given path; other errors pass unchanged. */
export function placeFault(error: unknown, root: string, depth: number): unknown {
  if (error instanceof WireFault) return new DecodeError(error.code, error.message, { path: pathAt(root, depth) });
  return error;
}

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
  if (LITTLE_ENDIAN) {
    f64Bytes[0] = buf[pos]!;
    f64Bytes[1] = buf[pos + 1]!;
    f64Bytes[2] = buf[pos + 2]!;
    f64Bytes[3] = buf[pos + 3]!;
    f64Bytes[4] = buf[pos + 4]!;
    f64Bytes[5] = buf[pos + 5]!;
    f64Bytes[6] = buf[pos + 6]!;
    f64Bytes[7] = buf[pos + 7]!;
  } else {
    for (let i = 0; i < 8; i++) f64Bytes[7 - i] = buf[pos + i]!;
  }
  return f64[0]!;
}

/** A little-endian float at `pos`. */
export function rf32(buf: Uint8Array, pos: number): number {
  if (LITTLE_ENDIAN) {
    f32Bytes[0] = buf[pos]!;
    f32Bytes[1] = buf[pos + 1]!;
    f32Bytes[2] = buf[pos + 2]!;
    f32Bytes[3] = buf[pos + 3]!;
  } else {
    for (let i = 0; i < 4; i++) f32Bytes[3 - i] = buf[pos + i]!;
  }
  return f32[0]!;
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

/** The error for {@link halves} beyond the safe integers, naming the value. */
function unsafe(signed: boolean): WireFault {
  let value = (BigInt(halves.hi) << 32n) | BigInt(halves.lo);
  if (signed && halves.hi & 0x80000000) value -= 1n << 64n;
  return new WireFault("invalid-value", `the 64-bit integer ${value} is beyond Number.MAX_SAFE_INTEGER and cannot be read as a number`);
}

/** The number of {@link halves} as unsigned; throws beyond the safe integers. */
function unsigned64(): number {
  if (halves.hi > 0x1fffff) throw unsafe(false);
  return halves.hi * 0x100000000 + halves.lo;
}

/** The number of {@link halves} as two's complement; throws beyond the safe integers. */
function signed64(): number {
  if (halves.hi & 0x80000000) {
    const lo = (~halves.lo + 1) >>> 0;
    const hi = (~halves.hi + (lo === 0 ? 1 : 0)) >>> 0;
    if (hi > 0x1fffff) throw unsafe(true);
    return -(hi * 0x100000000 + lo);
  }
  if (halves.hi > 0x1fffff) throw unsafe(true);
  return halves.hi * 0x100000000 + halves.lo;
}

/** An int64 varint at `pos`; `reader.pos` is left after it. */
export function rvi64(buf: Uint8Array, pos: number, end: number): number {
  readVarint64(buf, pos, end);
  return signed64();
}

/** A uint64 varint at `pos`; `reader.pos` is left after it. */
export function rvu64(buf: Uint8Array, pos: number, end: number): number {
  readVarint64(buf, pos, end);
  return unsigned64();
}

/** A sint64 varint at `pos`; `reader.pos` is left after it. */
export function rvs64(buf: Uint8Array, pos: number, end: number): number {
  readVarint64(buf, pos, end);
  const { lo, hi } = halves;
  const sign = -(lo & 1);
  halves.lo = (((lo >>> 1) | ((hi & 1) << 31)) ^ sign) >>> 0;
  halves.hi = ((hi >>> 1) ^ sign) >>> 0;
  return signed64();
}

/** A little-endian fixed64 at `pos` (the caller has checked the bytes are there). */
export function rfx64(buf: Uint8Array, pos: number): number {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return unsigned64();
}

/** A little-endian sfixed64 at `pos`. */
export function rsfx64(buf: Uint8Array, pos: number): number {
  halves.lo = rfx32(buf, pos);
  halves.hi = rfx32(buf, pos + 4);
  return signed64();
}

/** Throws: a packed list whose length is not a whole number of elements. */
export function ragged(size: number): never {
  throw new WireFault("malformed-binary", `a packed list of ${size}-byte values has a length that is not a multiple of ${size}`);
}

/** Throws: a message nested deeper than the limit. */
export function tooDeep(root: string, depth: number): never {
  throw new DecodeError("too-deep", `messages nest deeper than maxDepth ${reader.maxDepth}`, { path: pathAt(root, depth) });
}

