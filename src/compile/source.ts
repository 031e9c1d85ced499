/**
 * Building blocks of the generated JavaScript: literals, safe property
 * access, tags, and what each scalar type is checked, written and read with.
 */
import { FieldType } from "../schema/descriptors.js";
import type { LongKind } from "../schema/schema.js";

export interface Scalar {
  /** An expression true when `v` is a valid value. */
  readonly check: (v: string) => string;
  /** An expression true when `v` is not the default (so is written under implicit presence). */
  readonly set: (v: string) => string;
  /** Writers with a tag and without (packed). */
  readonly write: string;
  readonly value: string;
  /** Reader of a varint type (returns, leaves reader.pos), or of a fixed-size type (the caller checks the size). */
  readonly read: string;
  /** Byte size of a fixed-size type; 0 for varints and length-delimited types. */
  readonly size: number;
  readonly zero: string;
}

const safe = (v: string) => `Number.isSafeInteger(${v})`;
const int32 = (v: string) => `(${v} | 0) === ${v}`;
const uint32 = (v: string) => `(${v} >>> 0) === ${v}`;
const isNumber = (v: string) => `typeof ${v} === "number"`;
const nonZero = (v: string) => `${v} !== 0`;

export const SCALARS: Record<number, Scalar> = {
  [FieldType.DOUBLE]: { check: isNumber, set: nonZero, write: "wf64", value: "vf64", read: "rf64", size: 8, zero: "0" },
  [FieldType.FLOAT]: { check: isNumber, set: nonZero, write: "wf32", value: "vf32", read: "rf32", size: 4, zero: "0" },
  [FieldType.INT64]: { check: safe, set: nonZero, write: "wi64", value: "vi64", read: "rvi64", size: 0, zero: "0" },
  [FieldType.UINT64]: { check: (v) => `${safe(v)} && ${v} >= 0`, set: nonZero, write: "wi64", value: "vi64", read: "rvu64", size: 0, zero: "0" },
  [FieldType.INT32]: { check: int32, set: nonZero, write: "wi32", value: "vi32", read: "rvi32", size: 0, zero: "0" },
  [FieldType.FIXED64]: { check: (v) => `${safe(v)} && ${v} >= 0`, set: nonZero, write: "wfx64", value: "vfx64", read: "rfx64", size: 8, zero: "0" },
  [FieldType.FIXED32]: { check: uint32, set: nonZero, write: "wfx32", value: "vfx32", read: "rfx32", size: 4, zero: "0" },
  [FieldType.BOOL]: { check: (v) => `typeof ${v} === "boolean"`, set: (v) => v, write: "wbool", value: "vbool", read: "rvbool", size: 0, zero: "false" },
  [FieldType.STRING]: { check: (v) => `typeof ${v} === "string"`, set: (v) => `${v} !== ""`, write: "wstr", value: "", read: "rstr", size: 0, zero: '""' },
  [FieldType.BYTES]: { check: (v) => `${v} instanceof Uint8Array`, set: (v) => `${v}.length !== 0`, write: "wbytes", value: "", read: "rbytes", size: 0, zero: "EMPTY_BYTES" },
  [FieldType.UINT32]: { check: uint32, set: nonZero, write: "wu32", value: "vu32", read: "rvu32", size: 0, zero: "0" },
  [FieldType.ENUM]: { check: int32, set: nonZero, write: "wi32", value: "vi32", read: "rvi32", size: 0, zero: "0" },
  [FieldType.SFIXED32]: { check: int32, set: nonZero, write: "wfx32", value: "vfx32", read: "rsfx32", size: 4, zero: "0" },
  [FieldType.SFIXED64]: { check: safe, set: nonZero, write: "wfx64", value: "vfx64", read: "rsfx64", size: 8, zero: "0" },
  [FieldType.SINT32]: { check: int32, set: nonZero, write: "ws32", value: "vs32", read: "rvs32", size: 0, zero: "0" },
  [FieldType.SINT64]: { check: safe, set: nonZero, write: "ws64", value: "vs64", read: "rvs64", size: 0, zero: "0" },
};

const signed64 = (v: string) => `typeof ${v} === "bigint" && ${v} >= -9223372036854775808n && ${v} <= 9223372036854775807n`;
const unsigned64 = (v: string) => `typeof ${v} === "bigint" && ${v} >= 0n && ${v} <= 18446744073709551615n`;

/** The 64-bit types held as bigints: checked, written and read as such. */
const BIGINT_SCALARS: Record<number, Scalar> = {
  [FieldType.INT64]: { check: signed64, set: (v) => `${v} !== 0n`, write: "wi64b", value: "vi64b", read: "rvi64b", size: 0, zero: "0n" },
  [FieldType.UINT64]: { check: unsigned64, set: (v) => `${v} !== 0n`, write: "wi64b", value: "vi64b", read: "rvu64b", size: 0, zero: "0n" },
  [FieldType.FIXED64]: { check: unsigned64, set: (v) => `${v} !== 0n`, write: "wfx64b", value: "vfx64b", read: "rfx64b", size: 8, zero: "0n" },
  [FieldType.SFIXED64]: { check: signed64, set: (v) => `${v} !== 0n`, write: "wfx64b", value: "vfx64b", read: "rsfx64b", size: 8, zero: "0n" },
  [FieldType.SINT64]: { check: signed64, set: (v) => `${v} !== 0n`, write: "ws64b", value: "vs64b", read: "rvs64b", size: 0, zero: "0n" },
};

/** The 64-bit types held as decimal strings: checked as canonical decimals in range, written through a bigint. */
const STRING_SCALARS: Record<number, Scalar> = {
  [FieldType.INT64]: { check: (v) => `isLongText(${v}, false)`, set: (v) => `${v} !== "0"`, write: "wi64t", value: "vi64t", read: "rvi64t", size: 0, zero: '"0"' },
  [FieldType.UINT64]: { check: (v) => `isLongText(${v}, true)`, set: (v) => `${v} !== "0"`, write: "wi64t", value: "vi64t", read: "rvu64t", size: 0, zero: '"0"' },
  [FieldType.FIXED64]: { check: (v) => `isLongText(${v}, true)`, set: (v) => `${v} !== "0"`, write: "wfx64t", value: "vfx64t", read: "rfx64t", size: 8, zero: '"0"' },
  [FieldType.SFIXED64]: { check: (v) => `isLongText(${v}, false)`, set: (v) => `${v} !== "0"`, write: "wfx64t", value: "vfx64t", read: "rsfx64t", size: 8, zero: '"0"' },
  [FieldType.SINT64]: { check: (v) => `isLongText(${v}, false)`, set: (v) => `${v} !== "0"`, write: "ws64t", value: "vs64t", read: "rvs64t", size: 0, zero: '"0"' },
};

/** How a value of `type` is checked, written and read; `long` says how a 64-bit integer is held (a number unless given). */
export function scalar(type: number, long?: LongKind): Scalar {
  const s = long === "bigint" ? BIGINT_SCALARS[type] : long === "string" ? STRING_SCALARS[type] : SCALARS[type];
  if (s === undefined) throw new Error(`unsupported field type ${type}`);
  return s;
}

/** A JavaScript string literal. */
export const lit = (s: string): string => JSON.stringify(s);

/** A property access of `name` on `obj`, safe for any name. */
export const prop = (obj: string, name: string): string => `${obj}[${lit(name)}]`;

/**
 * A property key for an object literal that defines an own property: a
 * plain identifier, or a computed key for any other name (a literal
 * `"__proto__": x` would set the prototype instead).
 */
export const key = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) && name !== "__proto__" ? name : `[${lit(name)}]`);

export const tagOf = (fieldNo: number, wireType: number): number => ((fieldNo << 3) | wireType) >>> 0;
