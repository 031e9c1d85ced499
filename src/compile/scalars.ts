/**
 * The scalar types as functions — checked, written and read with the same
 * wire readers and writers the generated source names (source.ts) — for
 * the code that runs without generated source: the interpreted codec and
 * the wrappers of the well-known types.
 */
import { FieldType } from "../schema/descriptors.js";
import type { LongKind } from "../schema/schema.js";
import { beyondFloat32, CANONICAL_INTEGER, isInt64 } from "../wire/limits.js";
import * as readers from "../wire/reader.js";
import * as writers from "../wire/writer.js";
import { wireTypeOf } from "../schema/schema.js";
import { scalar } from "./source.js";

/** A scalar type as functions. */
export interface ScalarFns {
  readonly check: (v: unknown) => boolean;
  readonly isDefault: (v: unknown) => boolean;
  /** Writes a tag and the value. */
  readonly write: (p: number, tag: number, v: unknown) => number;
  /** Writes the value alone (packed lists). */
  readonly value: (p: number, v: unknown) => number;
  /** Reads the value at `p` (fixed-size: the caller checked the size; else `reader.pos` is left after it); `field` names a 64-bit field held as a number in errors. */
  readonly read: (b: Uint8Array, p: number, end: number, field?: string) => unknown;
  readonly size: number;
  readonly zero: unknown;
  readonly wireType: number;
}

const isNumber = (v: unknown) => typeof v === "number";
const int32 = (v: unknown) => typeof v === "number" && (v | 0) === v;
const uint32 = (v: unknown) => typeof v === "number" && v >>> 0 === v;
const safe = (v: unknown) => Number.isSafeInteger(v);
const safeNat = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

const UNSIGNED = new Set<number>([FieldType.UINT64, FieldType.FIXED64]);

function check(type: number, long: LongKind | undefined): (v: unknown) => boolean {
  if (long === "bigint") {
    return UNSIGNED.has(type)
      ? (v) => typeof v === "bigint" && v >= 0n && v <= 18446744073709551615n
      : (v) => typeof v === "bigint" && v >= -9223372036854775808n && v <= 9223372036854775807n;
  }
  if (long === "string") {
    const unsigned = UNSIGNED.has(type);
    return (v) => typeof v === "string" && CANONICAL_INTEGER.test(v) && isInt64(BigInt(v), unsigned);
  }
  switch (type) {
    case FieldType.DOUBLE:
      return isNumber;
    case FieldType.FLOAT:
      return (v) => typeof v === "number" && !beyondFloat32(v);
    case FieldType.INT64:
    case FieldType.SINT64:
    case FieldType.SFIXED64:
      return safe;
    case FieldType.UINT64:
    case FieldType.FIXED64:
      return safeNat;
    case FieldType.INT32:
    case FieldType.SINT32:
    case FieldType.SFIXED32:
    case FieldType.ENUM:
      return int32;
    case FieldType.UINT32:
    case FieldType.FIXED32:
      return uint32;
    case FieldType.BOOL:
      return (v) => typeof v === "boolean";
    case FieldType.STRING:
      return (v) => typeof v === "string";
    case FieldType.BYTES:
      return (v) => v instanceof Uint8Array;
  }
  throw new Error(`unsupported field type ${type}`);
}

function isDefault(type: number, long: LongKind | undefined): (v: unknown) => boolean {
  if (type === FieldType.BYTES) return (v) => (v as Uint8Array).length === 0;
  if (type === FieldType.STRING) return (v) => v === "";
  if (type === FieldType.BOOL) return (v) => v === false;
  if (long === "bigint") return (v) => v === 0n;
  if (long === "string") return (v) => v === "0";
  return (v) => v === 0;
}

type AnyFn = (...args: never[]) => unknown;
const fns = { ...readers, ...writers } as unknown as Record<string, AnyFn>;

const cache = new Map<string, ScalarFns>();
const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/** The functions of a scalar type, with 64-bit integers held as `long` says (numbers unless given). */
export function scalarFns(type: number, long?: LongKind): ScalarFns {
  const id = `${type}/${long ?? ""}`;
  let s = cache.get(id);
  if (s === undefined) {
    const src = scalar(type, long);
    const zero = type === FieldType.BYTES ? EMPTY_BYTES : type === FieldType.STRING ? "" : type === FieldType.BOOL ? false : long === "bigint" ? 0n : long === "string" ? "0" : 0;
    s = {
      check: check(type, long),
      isDefault: isDefault(type, long),
      write: fns[src.write] as unknown as ScalarFns["write"],
      value: (src.value ? fns[src.value] : undefined) as unknown as ScalarFns["value"],
      read: fns[src.read] as unknown as ScalarFns["read"],
      size: src.size,
      zero,
      wireType: wireTypeOf(type),
    };
    cache.set(id, s);
  }
  return s;
}
