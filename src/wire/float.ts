/**
 * IEEE 754 doubles and floats to and from their little-endian bytes, as the
 * wire format stores them, through one scratch buffer; and the shortest
 * decimal of a float.
 */

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes a double's eight bytes at `pos` (the caller made room). */
export function putFloat64(buf: Uint8Array, pos: number, value: number): void {
  f64[0] = value;
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

/** Writes a float's four bytes at `pos` (the caller made room). */
export function putFloat32(buf: Uint8Array, pos: number, value: number): void {
  f32[0] = value;
  if (LITTLE_ENDIAN) {
    buf[pos] = f32Bytes[0]!;
    buf[pos + 1] = f32Bytes[1]!;
    buf[pos + 2] = f32Bytes[2]!;
    buf[pos + 3] = f32Bytes[3]!;
  } else {
    for (let i = 0; i < 4; i++) buf[pos + i] = f32Bytes[3 - i]!;
  }
}

/** The double at `pos` (the caller has checked the bytes are there). */
export function getFloat64(buf: Uint8Array, pos: number): number {
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

/** The float at `pos`. */
export function getFloat32(buf: Uint8Array, pos: number): number {
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

/**
 * The decimal that protobuf's Python writes for a float: the value at 6
 * significant digits, or more until it reads back, as a float, to
 * the float `value` holds (0.1, not 0.10000000149011612).
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0 || Math.fround(value) !== value) return value;
  for (let digits = 6; digits <= 17; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return shorter;
  }
  return value;
}
