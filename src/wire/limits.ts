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

/**
 * True for a finite double beyond the range of a `float`: one that would
 * round to infinity as a float (3.4028235e38, the shortest decimal of the
 * largest float, rounds to it and is in range).
 */
export function beyondFloat32(value: number): boolean {
  return (value > FLOAT32_MAX || value < -FLOAT32_MAX) && Number.isFinite(value) && !Number.isFinite(Math.fround(value));
}

/** The smallest `int64`, `sint64` or `sfixed64` value. */
export const INT64_MIN = -(1n << 63n);
/** The largest `int64`, `sint64` or `sfixed64` value. */
export const INT64_MAX = (1n << 63n) - 1n;
/** The largest `uint64` or `fixed64` value. */
export const UINT64_MAX = (1n << 64n) - 1n;

/** True for a bigint that a 64-bit field of this signedness can hold. */
export function isInt64(value: bigint, unsigned: boolean): boolean {
  return unsigned ? value >= 0n && value <= UINT64_MAX : value >= INT64_MIN && value <= INT64_MAX;
}

/** The decimal text of an integer, without leading zeros or a plus sign (`-0` is not canonical either). */
export const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** The seconds of 0001-01-01T00:00:00Z, the earliest `google.protobuf.Timestamp`. */
export const TIMESTAMP_MIN_SECONDS = -62135596800;
/** The seconds of 9999-12-31T23:59:59Z, the latest `google.protobuf.Timestamp` (with up to 999,999,999 nanoseconds). */
export const TIMESTAMP_MAX_SECONDS = 253402300799;
/** The largest magnitude of a `google.protobuf.Duration`, in seconds (10,000 years). */
export const DURATION_MAX_SECONDS = 315576000000;
