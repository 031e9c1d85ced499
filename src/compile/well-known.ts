/**
 * The binary form of the well-known types that ts-proto holds unwrapped:
 * `Timestamp` as a `Date`, `Struct`, `Value` and `ListValue` as JSON values,
 * the wrappers as their values, `FieldMask` as its paths. Each reader reads
 * a message body strictly (as the compiled decoders do) and each writer
 * writes one canonically (fields in number order, struct keys sorted).
 */
import { DecodeError, describeValue } from "../errors.js";
import { FieldType } from "../schema/descriptors.js";
import { freezeDate } from "../schema/frozen.js";
import type { LongKind, WellKnownForm } from "../schema/schema.js";
import { EncodeFault, WireFault } from "../wire/faults.js";
import { TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from "../wire/limits.js";
import { compareCodePoints } from "../wire/order.js";
import { need, reader, rf64, rlen, rstr, rtag, rvbool, rvi32, rvi64, tooDeep } from "../wire/reader.js";
import { skipField } from "../wire/skip.js";
import { wbegin, wbool, wend, wf64, wi32, wi64, wstr } from "../wire/writer.js";
import { scalarFns } from "./scalars.js";

type Reader = (b: Uint8Array, p: number, end: number, depth: number) => unknown;
type Writer = (p: number, value: unknown) => number;

/** Reads the tag at `p` (its position after it in `reader.pos`). */
function tagAt(b: Uint8Array, p: number, end: number): number {
  const t = b[p]!;
  if (t < 0x80) {
    reader.pos = p + 1;
    return t;
  }
  const tag = rtag(b, p, end);
  return tag;
}

/** Skips a field this reader does not read, checking its wire type when the field is known. */
function skip(b: Uint8Array, p: number, end: number, tag: number, expected: number | undefined, depth: number): number {
  if (tag >>> 3 === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${p}`);
  if (expected !== undefined && (tag & 7) !== expected) {
    throw new WireFault("invalid-wire-type", `field ${tag >>> 3} of a well-known type arrived with wire type ${tag & 7}, expected ${expected}`);
  }
  return skipField(b, p, end, tag & 7, tag >>> 3, depth);
}

function readTimestamp(b: Uint8Array, p: number, end: number, depth: number): Date {
  if (depth > reader.maxDepth) tooDeep("payload", depth);
  let seconds = 0;
  let nanos = 0;
  while (p < end) {
    const t = tagAt(b, p, end);
    p = reader.pos;
    if (t === 8) {
      seconds = rvi64(b, p, end);
      p = reader.pos;
    } else if (t === 16) {
      nanos = rvi32(b, p, end);
      p = reader.pos;
    } else p = skip(b, p, end, t, t >>> 3 <= 2 ? 0 : undefined, depth);
  }
  if (seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new WireFault("invalid-value", `the Timestamp ${seconds}s ${nanos}ns is outside 0001-01-01 to 9999-12-31 (or its nanos outside 0 to 999999999)`);
  }
  return freezeDate(new Date(seconds * 1000 + Math.floor(nanos / 1_000_000)));
}

function writeTimestamp(p: number, value: unknown): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new EncodeFault(`a Timestamp field holds ${describeValue(value)}, not a valid Date`);
  const ms = value.getTime();
  const seconds = Math.floor(ms / 1000);
  if (seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) throw new EncodeFault(`the Date ${value.toISOString()} is outside the range of a Timestamp`);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  if (seconds !== 0) p = wi64(p, 8, seconds);
  if (nanos !== 0) p = wi32(p, 16, nanos);
  return p;
}

/** A `google.protobuf.Value`'s body as the JSON value it holds (`undefined` when it holds none). */
function readValue(b: Uint8Array, p: number, end: number, depth: number): unknown {
  if (depth > reader.maxDepth) tooDeep("payload", depth);
  let out: unknown = undefined;
  while (p < end) {
    const t = tagAt(b, p, end);
    p = reader.pos;
    switch (t) {
      case 8:
        rvi32(b, p, end);
        p = reader.pos;
        out = null;
        continue;
      case 17:
        need(p, end, 8);
        out = rf64(b, p);
        p += 8;
        continue;
      case 26:
        out = rstr(b, p, end);
        p = reader.pos;
        continue;
      case 32:
        out = rvbool(b, p, end);
        p = reader.pos;
        continue;
      case 42: {
        const n = rlen(b, p, end);
        p = reader.pos;
        out = readStruct(b, p, p + n, depth + 1);
        p += n;
        continue;
      }
      case 50: {
        const n = rlen(b, p, end);
        p = reader.pos;
        out = readList(b, p, p + n, depth + 1);
        p += n;
        continue;
      }
    }
    const expected = [undefined, 0, 1, 2, 0, 2, 2][t >>> 3];
    p = skip(b, p, end, t, expected, depth);
  }
  return out;
}

function readStruct(b: Uint8Array, p: number, end: number, depth: number): Record<string, unknown> {
  if (depth > reader.maxDepth) tooDeep("payload", depth);
  const out: Record<string, unknown> = {};
  while (p < end) {
    const t = tagAt(b, p, end);
    p = reader.pos;
    if (t !== 10) {
      p = skip(b, p, end, t, t >>> 3 === 1 ? 2 : undefined, depth);
      continue;
    }
    const n = rlen(b, p, end);
    p = reader.pos;
    const stop = p + n;
    let key = "";
    let value: unknown = undefined;
    while (p < stop) {
      const et = tagAt(b, p, stop);
      p = reader.pos;
      if (et === 10) {
        key = rstr(b, p, stop);
        p = reader.pos;
      } else if (et === 18) {
        const vn = rlen(b, p, stop);
        p = reader.pos;
        value = readValue(b, p, p + vn, depth + 1);
        p += vn;
      } else p = skip(b, p, stop, et, et >>> 3 <= 2 ? 2 : undefined, depth + 1);
    }
    if (key === "__proto__") throw new DecodeError("forbidden-key", "the Struct key __proto__ is not allowed", { path: "payload" });
    out[key] = value;
  }
  return Object.freeze(out);
}

function readList(b: Uint8Array, p: number, end: number, depth: number): readonly unknown[] {
  if (depth > reader.maxDepth) tooDeep("payload", depth);
  const out: unknown[] = [];
  while (p < end) {
    const t = tagAt(b, p, end);
    p = reader.pos;
    if (t === 10) {
      const n = rlen(b, p, end);
      p = reader.pos;
      out.push(readValue(b, p, p + n, depth + 1));
      p += n;
    } else p = skip(b, p, end, t, t >>> 3 === 1 ? 2 : undefined, depth);
  }
  return Object.freeze(out);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function writeValue(p: number, value: unknown): number {
  if (value === undefined) return p;
  if (value === null) return wi32(p, 8, 0);
  switch (typeof value) {
    case "number":
      return wf64(p, 17, value);
    case "string":
      return wstr(p, 26, value);
    case "boolean":
      return wbool(p, 32, value);
  }
  if (Array.isArray(value)) {
    const s = wbegin(p, 50);
    return wend(s, writeList(s, value));
  }
  if (isPlainObject(value)) {
    const s = wbegin(p, 42);
    return wend(s, writeStruct(s, value));
  }
  throw new EncodeFault(`a Value holds ${describeValue(value)}, which is not a JSON value`);
}

function writeStruct(p: number, value: unknown): number {
  if (!isPlainObject(value)) throw new EncodeFault(`a Struct field holds ${describeValue(value)}, not a plain object`);
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort(compareCodePoints);
  for (const key of keys) {
    const s = wbegin(p, 10);
    p = wstr(s, 10, key);
    const v = wbegin(p, 18);
    p = wend(s, wend(v, writeValue(v, value[key])));
  }
  return p;
}

function writeList(p: number, value: unknown): number {
  if (!Array.isArray(value)) throw new EncodeFault(`a ListValue field holds ${describeValue(value)}, not an array`);
  for (const item of value) {
    const s = wbegin(p, 10);
    p = wend(s, writeValue(s, item));
  }
  return p;
}

function readFieldMask(b: Uint8Array, p: number, end: number, depth: number): readonly string[] {
  if (depth > reader.maxDepth) tooDeep("payload", depth);
  const out: string[] = [];
  while (p < end) {
    const t = tagAt(b, p, end);
    p = reader.pos;
    if (t === 10) {
      out.push(rstr(b, p, end));
      p = reader.pos;
    } else p = skip(b, p, end, t, t >>> 3 === 1 ? 2 : undefined, depth);
  }
  return Object.freeze(out);
}

function writeFieldMask(p: number, value: unknown): number {
  if (!Array.isArray(value)) throw new EncodeFault(`a FieldMask field holds ${describeValue(value)}, not an array of paths`);
  for (const path of value) {
    if (typeof path !== "string") throw new EncodeFault(`a FieldMask path is ${describeValue(path)}, not a string`);
    p = wstr(p, 10, path);
  }
  return p;
}

/** The readers of the well-known types held unwrapped (wrappers aside: see {@link wrapperReader}). */
export const WK_READ: Readonly<Record<Exclude<WellKnownForm, "wrapper">, Reader>> = {
  "timestamp-date": readTimestamp,
  struct: readStruct,
  value: readValue,
  list: readList,
  "field-mask": readFieldMask,
};

/** The writers of their bodies. */
export const WK_WRITE: Readonly<Record<Exclude<WellKnownForm, "wrapper">, Writer>> = {
  "timestamp-date": writeTimestamp,
  struct: writeStruct,
  value: writeValue,
  list: writeList,
  "field-mask": writeFieldMask,
};

const wrapperReaders = new Map<string, Reader>();
const wrapperWriters = new Map<string, Writer>();

/** The reader of a wrapper (`Int32Value`, …) of a value of `type`, held as `long` says for 64-bit types. */
export function wrapperReader(type: number, long: LongKind): Reader {
  const id = `${type}/${long}`;
  let read = wrapperReaders.get(id);
  if (read === undefined) {
    const s = scalarFns(type, long);
    const tag = (1 << 3) | s.wireType;
    read = (b, p, end, depth) => {
      if (depth > reader.maxDepth) tooDeep("payload", depth);
      let out = s.zero;
      while (p < end) {
        const t = tagAt(b, p, end);
        p = reader.pos;
        if (t === tag) {
          if (s.size > 0) {
            need(p, end, s.size);
            out = s.read(b, p, end);
            p += s.size;
          } else {
            out = s.read(b, p, end);
            p = reader.pos;
          }
        } else p = skip(b, p, end, t, t >>> 3 === 1 ? s.wireType : undefined, depth);
      }
      return out;
    };
    wrapperReaders.set(id, read);
  }
  return read;
}

/** The writer of a wrapper's body: its value, left out when it is the default. */
export function wrapperWriter(type: number, long: LongKind): Writer {
  const id = `${type}/${long}`;
  let write = wrapperWriters.get(id);
  if (write === undefined) {
    const s = scalarFns(type, long);
    const tag = (1 << 3) | s.wireType;
    write = (p, value) => {
      if (!s.check(value)) throw new EncodeFault(`a ${FIELD_TYPE_NAMES[type] ?? "wrapper"} wrapper holds ${describeValue(value)}`);
      return s.isDefault(value) ? p : s.write(p, tag, value);
    };
    wrapperWriters.set(id, write);
  }
  return write;
}

const FIELD_TYPE_NAMES: Record<number, string> = {
  [FieldType.DOUBLE]: "double",
  [FieldType.FLOAT]: "float",
  [FieldType.INT64]: "int64",
  [FieldType.UINT64]: "uint64",
  [FieldType.INT32]: "int32",
  [FieldType.UINT32]: "uint32",
  [FieldType.BOOL]: "bool",
  [FieldType.STRING]: "string",
  [FieldType.BYTES]: "bytes",
};
