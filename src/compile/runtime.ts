/**
 * The functions and constants the generated codecs call (the `rt` object
 * their source receives): the wire readers and writers, and the checks that
 * need more than an expression.
 */
import { DecodeError, describeValue } from "../errors.js";
import { FieldType } from "../schema/descriptors.js";
import type { MessageSchema } from "../schema/schema.js";
import * as faults from "../wire/faults.js";
import { EncodeFault, pathAt, WireFault } from "../wire/faults.js";
import { CANONICAL_INTEGER, isInt32, isInt64, isUint32 } from "../wire/limits.js";
import { compareCodePoints } from "../wire/order.js";
import * as readers from "../wire/reader.js";
import { skipField } from "../wire/skip.js";
import * as writers from "../wire/writer.js";
import { freezeMap, keepUnknown, UNKNOWN_FIELDS, unknownRange } from "../schema/frozen.js";
import { WK_READ, WK_WRITE, wrapperReader, wrapperWriter } from "./well-known.js";

const EMPTY_ARRAY: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});
const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/** Skips a field that is unknown, or throws when a known field came with a wire type it does not allow. */
function other(buf: Uint8Array, pos: number, end: number, tag: number, schema: MessageSchema, depth: number): number {
  const fieldNo = tag >>> 3;
  const wireType = tag & 7;
  if (fieldNo === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${pos}`);
  const field = schema.byNumber.get(fieldNo);
  if (field !== undefined && (field.wireTypes & (1 << wireType)) === 0) {
    throw new DecodeError(
      "invalid-wire-type",
      `field ${field.name} (number ${fieldNo}) arrived with wire type ${wireType}, which its type does not allow`,
      { path: pathAt("payload", depth) },
    );
  }
  return skipField(buf, pos, end, wireType, fieldNo, depth);
}

/** {@link other} for the fields of a map entry (1, the key; 2, the value), at the map field's path. */
function otherInEntry(buf: Uint8Array, pos: number, end: number, tag: number, keyWire: number, valueWire: number, depth: number): number {
  const fieldNo = tag >>> 3;
  const wireType = tag & 7;
  if (fieldNo === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${pos}`);
  const expected = fieldNo === 1 ? keyWire : fieldNo === 2 ? valueWire : -1;
  if (expected !== -1 && wireType !== expected) {
    throw new DecodeError("invalid-wire-type", `map ${fieldNo === 1 ? "key" : "value"} arrived with wire type ${wireType}, expected ${expected}`, {
      path: pathAt("payload", depth),
    });
  }
  return skipField(buf, pos, end, wireType, fieldNo, depth);
}

function forbiddenKey(depth: number): never {
  throw new DecodeError("forbidden-key", "the map key __proto__ is not allowed", { path: pathAt("payload", depth) });
}

function bad(name: string, value: unknown): never {
  throw new EncodeFault(`field ${name} holds ${describeValue(value)}`);
}

const INTEGER_KEY = /^-?(0|[1-9][0-9]*)$/;

/** A map's integer key, from the property name it is stored under. */
function intKey(key: string, type: number, field: string): number {
  const n = INTEGER_KEY.test(key) ? Number(key) : NaN;
  let ok: boolean;
  switch (type) {
    case FieldType.INT32:
    case FieldType.SINT32:
    case FieldType.SFIXED32:
      ok = isInt32(n);
      break;
    case FieldType.UINT32:
    case FieldType.FIXED32:
      ok = isUint32(n);
      break;
    case FieldType.UINT64:
    case FieldType.FIXED64:
      ok = Number.isSafeInteger(n) && n >= 0;
      break;
    default:
      ok = Number.isSafeInteger(n);
  }
  if (!ok) throw new EncodeFault(`map ${field} has the key ${JSON.stringify(key)}, which is not of its key type`);
  return n;
}

function compareNumbers(a: number, b: number): number {
  return a - b;
}

/** Orders map keys of one kind by value: numbers, bigints, or booleans (false first). */
function compareKeys(a: number | bigint | boolean, b: number | bigint | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const UNSIGNED = new Set<number>([FieldType.UINT64, FieldType.FIXED64]);

/** True for canonical decimal text of a 64-bit integer of this signedness (how `forceLong=string` holds one). */
function isLongText(v: unknown, unsigned: boolean): boolean {
  if (typeof v !== "string" || !CANONICAL_INTEGER.test(v)) return false;
  if (v.length < 16) return !unsigned || v.charCodeAt(0) !== 0x2d;
  return isInt64(BigInt(v), unsigned);
}

/** A map's 64-bit key, from the decimal property name it is stored under (keys held as strings). */
function longKey(key: string, type: number, field: string): bigint {
  if (!isLongText(key, UNSIGNED.has(type))) throw new EncodeFault(`map ${field} has the key ${JSON.stringify(key)}, which is not of its key type`);
  return BigInt(key);
}

function badKey(field: string, key: unknown): never {
  throw new EncodeFault(`map ${field} has the key ${describeValue(key)}, which is not of its key type`);
}


/** The runtime the generated source receives as `rt`. */
export const runtime = {
  ...writers,
  ...readers,
  ...faults,
  other,
  otherInEntry,
  forbiddenKey,
  bad,
  intKey,
  longKey,
  badKey,
  isLongText,
  compareCodePoints,
  compareNumbers,
  compareKeys,
  freezeMap,
  unknownRange,
  keepUnknown,
  UNKNOWN_FIELDS,
  wrapperReader,
  wrapperWriter,
  WK_READ,
  WK_WRITE,
  EMPTY_ARRAY,
  EMPTY_OBJECT,
  EMPTY_BYTES,
};
