/**
 * The binary codec of payload messages, compiled once per message schema
 * from the descriptors a registry already holds.
 *
 * The encoder writes into a shared slab (wire.ts): fields in field
 * number order, values equal to their default left out (fields that track
 * presence are written whenever set), repeated scalars packed, map entries
 * sorted by key with key and value always written, as protoc's deterministic
 * serialization does. The same message always gives the same bytes.
 *
 * The decoder reads each byte once and checks as it goes: every tag, varint
 * and length against the bounds, every known field against the wire types
 * its declaration allows, strings as strict UTF-8, nesting against the depth
 * limit, map keys against `__proto__`. Unknown fields are skipped. It builds
 * frozen objects of exactly the shape ts-proto's generated decoder makes
 * (the same properties, in the same order, with the same defaults), so a
 * decoded payload is `deepEqual` to ts-proto's.
 *
 * The functions are generated as JavaScript source (`new Function`): names
 * from the schema only ever appear in the source as JSON string literals, or
 * as property names in object literals when they are plain identifiers.
 */
import { skipField } from "./binary-check.js";
import { DecodeError } from "./errors.js";
import { FieldType, WireType, wireTypeOf, type FieldSchema, type MessageSchema, type ValueSchema } from "./schema.js";
import { compareCodePoints } from "./to-binary.js";
import { describe } from "./validate.js";
import * as wire from "./wire.js";
import { EncodeFault, pathAt, reader, WireFault } from "./wire.js";

/** The compiled functions of one message type. */
export interface MessageCodec {
  /** Writes the message's fields at `pos` into the shared writer; returns where they end. */
  readonly encode: (message: object, pos: number) => number;
  /** Reads a message from `bytes[start, end)` at nesting depth `depth` (the payload is 1). */
  readonly decode: (bytes: Uint8Array, start: number, end: number, depth: number) => object;
}

const EMPTY_ARRAY: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});
const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

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
  const cursor = { pos };
  skipField(buf, cursor, end, wireType, fieldNo, depth, reader.maxDepth, pathAt("payload", depth));
  return cursor.pos;
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
  const cursor = { pos };
  skipField(buf, cursor, end, wireType, fieldNo, depth, reader.maxDepth, pathAt("payload", depth));
  return cursor.pos;
}

function forbiddenKey(depth: number): never {
  throw new DecodeError("forbidden-key", "the map key __proto__ is not allowed", { path: pathAt("payload", depth) });
}

function bad(name: string, value: unknown): never {
  throw new EncodeFault(`field ${name} holds ${describe(value)}`);
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
      ok = n >= INT32_MIN && n <= INT32_MAX;
      break;
    case FieldType.UINT32:
    case FieldType.FIXED32:
      ok = n >= 0 && n <= UINT32_MAX;
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

/** The runtime the generated source receives as `rt`. */
const runtime = {
  ...wire,
  other,
  otherInEntry,
  forbiddenKey,
  bad,
  intKey,
  compareCodePoints,
  compareNumbers,
  EMPTY_ARRAY,
  EMPTY_OBJECT,
  EMPTY_BYTES,
};

interface Scalar {
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

const SCALARS: Record<number, Scalar> = {
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

function scalar(type: number): Scalar {
  const s = SCALARS[type];
  if (s === undefined) throw new Error(`unsupported field type ${type}`);
  return s;
}

/** A JavaScript string literal. */
const lit = (s: string): string => JSON.stringify(s);

/** A property access of `name` on `obj`, safe for any name. */
const prop = (obj: string, name: string): string => `${obj}[${lit(name)}]`;

/**
 * A property key for an object literal that defines an own property: a
 * plain identifier, or a computed key for any other name (a literal
 * `"__proto__": x` would set the prototype instead).
 */
const key = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) && name !== "__proto__" ? name : `[${lit(name)}]`);

const tagOf = (fieldNo: number, wireType: number): number => ((fieldNo << 3) | wireType) >>> 0;

/** Every message reachable from `roots`, each once, roots first. */
function reachable(roots: readonly MessageSchema[]): MessageSchema[] {
  const order: MessageSchema[] = [];
  const seen = new Set<MessageSchema>();
  const visit = (schema: MessageSchema): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    order.push(schema);
    for (const field of schema.fields) {
      if (field.message) visit(field.message);
      if (field.mapValue?.message) visit(field.mapValue.message);
    }
  };
  roots.forEach(visit);
  return order;
}

/** The JavaScript source of the codecs of the messages in `order` (the body of a function of `rt`). */
function codecSource(order: readonly MessageSchema[]): string {
  const index = new Map(order.map((schema, i) => [schema, i]));
  const out: string[] = [`"use strict";`, `const {${Object.keys(runtime).join(", ")}} = rt;`, `const R = reader, PN = pathNames, SC = rt.schemas;`];
  order.forEach((schema, i) => {
    out.push(encoderOf(schema, i, index));
    out.push(decoderOf(schema, i, index));
  });
  out.push(`return [${order.map((_, i) => `{ encode: e${i}, decode: d${i} }`).join(", ")}];`);
  return out.join("\n");
}

/** Compiles the codecs of every message reachable from `roots`. */
export function compileCodecs(roots: readonly MessageSchema[]): Map<MessageSchema, MessageCodec> {
  const order = reachable(roots);
  const factory = new Function("rt", codecSource(order)) as (rt: unknown) => MessageCodec[];
  const codecs = factory({ ...runtime, schemas: order });
  const result = new Map<MessageSchema, MessageCodec>();
  order.forEach((schema, i) => result.set(schema, codecs[i]!));
  return result;
}

/** Fields in field number order, as the encoder writes them. */
function byNumber(schema: MessageSchema): FieldSchema[] {
  return [...schema.fields].sort((a, b) => a.number - b.number);
}

function encoderOf(schema: MessageSchema, i: number, index: Map<MessageSchema, number>): string {
  const lines: string[] = [`function e${i}(m, p) {`, `  let v;`];
  const extra: string[] = [];
  for (const field of byNumber(schema)) {
    const name = lit(field.name);
    lines.push(`  v = ${prop("m", field.localName)};`);
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const fn = `w${i}_${field.number}`;
      extra.push(mapEncoderOf(fn, field, field.mapKey, field.mapValue, index));
      const isMap = field.mapKey === FieldType.BOOL ? `v instanceof Map` : `typeof v === "object" && v !== null`;
      lines.push(`  if (!(${isMap})) bad(${name}, v);`, `  p = ${fn}(v, p);`);
      continue;
    }
    if (field.repeated) {
      lines.push(`  if (!Array.isArray(v)) bad(${name}, v);`, `  if (v.length !== 0) {`);
      if (field.message) {
        const tag = tagOf(field.number, WireType.LEN);
        lines.push(
          `    for (let j = 0; j < v.length; j++) {`,
          `      const x = v[j];`,
          `      if (typeof x !== "object" || x === null) bad(${name}, x);`,
          `      const s = wbegin(p, ${tag});`,
          `      p = wend(s, e${index.get(field.message)}(x, s));`,
          `    }`,
        );
      } else if (field.type === FieldType.STRING || field.type === FieldType.BYTES) {
        const s = scalar(field.type);
        lines.push(
          `    for (let j = 0; j < v.length; j++) {`,
          `      const x = v[j];`,
          `      if (!(${s.check("x")})) bad(${name}, x);`,
          `      p = ${s.write}(p, ${tagOf(field.number, WireType.LEN)}, x);`,
          `    }`,
        );
      } else {
        const s = scalar(field.type);
        lines.push(
          `    const s = wbegin(p, ${tagOf(field.number, WireType.LEN)});`,
          `    p = s;`,
          `    for (let j = 0; j < v.length; j++) {`,
          `      const x = v[j];`,
          `      if (!(${s.check("x")})) bad(${name}, x);`,
          `      p = ${s.value}(p, x);`,
          `    }`,
          `    p = wend(s, p);`,
        );
      }
      lines.push(`  }`);
      continue;
    }
    if (field.message) {
      lines.push(
        `  if (v !== undefined) {`,
        `    if (typeof v !== "object" || v === null) bad(${name}, v);`,
        `    const s = wbegin(p, ${tagOf(field.number, WireType.LEN)});`,
        `    p = wend(s, e${index.get(field.message)}(v, s));`,
        `  }`,
      );
      continue;
    }
    const s = scalar(field.type);
    const tag = tagOf(field.number, wireTypeOf(field.type));
    if (field.presence) {
      lines.push(`  if (v !== undefined) {`, `    if (!(${s.check("v")})) bad(${name}, v);`, `    p = ${s.write}(p, ${tag}, v);`, `  }`);
    } else {
      lines.push(`  if (!(${s.check("v")})) bad(${name}, v);`, `  if (${s.set("v")}) p = ${s.write}(p, ${tag}, v);`);
    }
  }
  lines.push(`  return p;`, `}`);
  return [...extra, ...lines].join("\n");
}

/** Writes one value (key or value of a map entry) always, with its tag. */
function writeAlways(value: ValueSchema, fieldNo: number, v: string, index: Map<MessageSchema, number>): string {
  if (value.message) {
    return `{ const s2 = wbegin(p, ${tagOf(fieldNo, WireType.LEN)}); p = wend(s2, e${index.get(value.message)}(${v}, s2)); }`;
  }
  return `p = ${scalar(value.type).write}(p, ${tagOf(fieldNo, wireTypeOf(value.type))}, ${v});`;
}

function valueCheck(value: ValueSchema, v: string, name: string): string {
  if (value.message) return `if (typeof ${v} !== "object" || ${v} === null) bad(${name}, ${v});`;
  return `if (!(${scalar(value.type).check(v)})) bad(${name}, ${v});`;
}

function mapEncoderOf(fn: string, field: FieldSchema, keyType: number, value: ValueSchema, index: Map<MessageSchema, number>): string {
  const name = lit(field.name);
  const entryTag = tagOf(field.number, WireType.LEN);
  const lines = [`function ${fn}(o, p) {`];
  if (keyType === FieldType.BOOL) {
    lines.push(
      `  for (const k of [false, true]) {`,
      `    if (!o.has(k)) continue;`,
      `    const x = o.get(k);`,
      `    ${valueCheck(value, "x", name)}`,
      `    const s = wbegin(p, ${entryTag});`,
      `    p = wbool(s, 8, k);`,
      `    ${writeAlways(value, 2, "x", index)}`,
      `    p = wend(s, p);`,
      `  }`,
      `  for (const k of o.keys()) if (k !== false && k !== true) bad(${name}, k);`,
    );
  } else if (keyType === FieldType.STRING) {
    lines.push(
      `  const keys = Object.keys(o);`,
      `  if (keys.length > 1) keys.sort(compareCodePoints);`,
      `  for (let j = 0; j < keys.length; j++) {`,
      `    const k = keys[j];`,
      `    const x = o[k];`,
      `    ${valueCheck(value, "x", name)}`,
      `    const s = wbegin(p, ${entryTag});`,
      `    p = wstr(s, 10, k);`,
      `    ${writeAlways(value, 2, "x", index)}`,
      `    p = wend(s, p);`,
      `  }`,
    );
  } else {
    const k = scalar(keyType);
    lines.push(
      `  const keys = Object.keys(o);`,
      `  const nums = new Map();`,
      `  for (let j = 0; j < keys.length; j++) nums.set(keys[j], intKey(keys[j], ${keyType}, ${name}));`,
      `  if (keys.length > 1) keys.sort((a, b) => nums.get(a) - nums.get(b));`,
      `  for (let j = 0; j < keys.length; j++) {`,
      `    const x = o[keys[j]];`,
      `    ${valueCheck(value, "x", name)}`,
      `    const s = wbegin(p, ${entryTag});`,
      `    p = ${k.write}(s, ${tagOf(1, wireTypeOf(keyType))}, nums.get(keys[j]));`,
      `    ${writeAlways(value, 2, "x", index)}`,
      `    p = wend(s, p);`,
      `  }`,
    );
  }
  lines.push(`  return p;`, `}`);
  return lines.join("\n");
}

/**
 * Statements that read one value at `p` and hand it to `assign`. A message
 * is decoded one level deeper, with its field name recorded for error
 * paths (unless `name` is undefined: the caller has recorded it).
 */
function readInto(value: ValueSchema, assign: (expr: string) => string, depth: string, name: string | undefined, index: Map<MessageSchema, number>): string {
  if (value.message) {
    return (
      `{ const n = rlen(b, p, end); p = R.pos; ${name === undefined ? "" : `PN[${depth}] = ${lit(name)}; `}` +
      `${assign(`d${index.get(value.message)}(b, p, p + n, ${depth} + 1)`)}; p += n; }`
    );
  }
  const s = scalar(value.type);
  if (s.size > 0) return `need(p, end, ${s.size}); ${assign(`${s.read}(b, p)`)}; p += ${s.size};`;
  return `${assign(`${s.read}(b, p, end)`)}; p = R.pos;`;
}

function decoderOf(schema: MessageSchema, i: number, index: Map<MessageSchema, number>): string {
  const extra: string[] = [];
  const locals: string[] = [];
  const cases: string[] = [];
  const result: string[] = [];
  schema.fields.forEach((field, f) => {
    const local = `f${f}`;
    const name = field.name;
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const fn = `m${i}_${field.number}`;
      extra.push(mapDecoderOf(fn, field.mapKey, field.mapValue, index));
      const empty = field.mapKey === FieldType.BOOL ? "new Map()" : "{}";
      locals.push(`${local} = null`);
      cases.push(
        `      case ${tagOf(field.number, WireType.LEN)}: { const n = rlen(b, p, end); p = R.pos; ` +
          `if (${local} === null) ${local} = ${empty}; PN[depth] = ${lit(name)}; ${fn}(b, p, p + n, depth, ${local}); p += n; continue; }`,
      );
      result.push(`${key(field.localName)}: ${local} === null ? ${field.mapKey === FieldType.BOOL ? "new Map()" : "EMPTY_OBJECT"} : Object.freeze(${local})`);
      return;
    }
    if (field.repeated) {
      locals.push(`${local} = null`);
      const push = (expr: string) => `(${local} === null ? (${local} = []) : ${local}).push(${expr})`;
      if (field.message || field.type === FieldType.STRING || field.type === FieldType.BYTES) {
        cases.push(`      case ${tagOf(field.number, WireType.LEN)}: ${readInto(field, push, "depth", name, index)} continue;`);
      } else {
        const s = scalar(field.type);
        cases.push(`      case ${tagOf(field.number, wireTypeOf(field.type))}: ${readInto(field, push, "depth", name, index)} continue;`);
        const loop =
          s.size > 0
            ? `if (n % ${s.size} !== 0) ragged(${s.size}); for (; p < e; p += ${s.size}) ${local}.push(${s.read}(b, p));`
            : `while (p < e) { ${local}.push(${s.read}(b, p, e)); p = R.pos; }`;
        cases.push(
          `      case ${tagOf(field.number, WireType.LEN)}: { const n = rlen(b, p, end); p = R.pos; const e = p + n; ` +
            `if (${local} === null) ${local} = []; ${loop} continue; }`,
        );
      }
      result.push(`${key(field.localName)}: ${local} === null ? EMPTY_ARRAY : Object.freeze(${local})`);
      return;
    }
    const wireType = field.message ? WireType.LEN : wireTypeOf(field.type);
    const zero = field.presence || field.message ? "undefined" : scalar(field.type).zero;
    locals.push(`${local} = ${zero}`);
    cases.push(`      case ${tagOf(field.number, wireType)}: ${readInto(field, (e) => `${local} = ${e}`, "depth", name, index)} continue;`);
    result.push(`${key(field.localName)}: ${local}`);
  });
  const lines = [
    ...extra,
    `function d${i}(b, p, end, depth) {`,
    `  if (depth > R.maxDepth) tooDeep("payload", depth);`,
    ...(locals.length > 0 ? [`  let ${locals.join(", ")};`] : []),
    `  try {`,
    `    while (p < end) {`,
    `      let t = b[p];`,
    `      if (t < 0x80) p++; else { t = rtag(b, p, end); p = R.pos; }`,
    `      switch (t) {`,
    ...cases,
    `      }`,
    `      p = other(b, p, end, t, SC[${i}], depth);`,
    `    }`,
    `  } catch (error) {`,
    `    throw placeFault(error, "payload", depth);`,
    `  }`,
    `  return Object.freeze({ ${result.join(", ")} });`,
    `}`,
  ];
  return lines.join("\n");
}

function mapDecoderOf(fn: string, keyType: number, value: ValueSchema, index: Map<MessageSchema, number>): string {
  const keyWire = wireTypeOf(keyType);
  const valueWire = value.message ? WireType.LEN : wireTypeOf(value.type);
  const keyZero = scalar(keyType).zero;
  const valueZero = value.message ? "undefined" : scalar(value.type).zero;
  const protoCheck = keyType === FieldType.STRING ? ` if (k === "__proto__") forbiddenKey(depth + 1);` : "";
  const store = keyType === FieldType.BOOL ? `out.set(k, v)` : `out[k] = v`;
  // The entry's fields are read at depth + 1 (the map field's path); a message value is one deeper.
  return [
    `function ${fn}(b, p, end, depth, out) {`,
    `  let k = ${keyZero}, v = ${valueZero};`,
    `  try {`,
    `    while (p < end) {`,
    `      let t = b[p];`,
    `      if (t < 0x80) p++; else { t = rtag(b, p, end); p = R.pos; }`,
    `      switch (t) {`,
    `      case ${tagOf(1, keyWire)}: ${readInto({ type: keyType, message: undefined, enumType: undefined }, (e) => `k = ${e}`, "depth", undefined, index)}${protoCheck} continue;`,
    `      case ${tagOf(2, valueWire)}: ${readInto(value, (e) => `v = ${e}`, "depth", undefined, index)} continue;`,
    `      }`,
    `      p = otherInEntry(b, p, end, t, ${keyWire}, ${valueWire}, depth + 1);`,
    `    }`,
    `  } catch (error) {`,
    `    throw placeFault(error, "payload", depth + 1);`,
    `  }`,
    value.message ? `  if (v !== undefined) ${store};` : `  ${store};`,
    `}`,
  ].join("\n");
}
