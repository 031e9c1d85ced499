/**
 * The numeric limits of the protobuf wire format and of eventwire's
 * decoders, in one place: the ranges of the 32-bit integer types and of
 * `float`, and the deepest nesting any decoder accepts.
 */

/** The smallest `int32`, `sint32`, `sfixed32` or enum value. */
export const INT32_MIN = -0x80000000;
/** The largest `int32`, `sint32`, `sfixed32` or enum value. */
export const INT32_MAX = 0x7fffffff;
/** The largest `uint32` or `fixed32` value. */
export const UINT32_MAX = 0xffffffff;
/** The largest finite `float` (a finite double beyond it cannot be written as a float). */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The deepest nesting a decoder accepts, whatever the options say. */
export const MAX_DEPTH = 100;

/** True for a number that an `int32` field can hold. */
export function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX;
}

/** True for a number that a `uint32` field can hold. */
export function isUint32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= UINT32_MAX;
}

/** True for a finite double beyond the range of a `float`. */
export function beyondFloat32(value: number): boolean {
  return (value > FLOAT32_MAX || value < -FLOAT32_MAX) && Number.isFinite(value);
}
