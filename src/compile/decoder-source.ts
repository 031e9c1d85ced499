/**
 * The source of a message's compiled decoder: it reads each byte once and
 * checks as it goes — every tag, varint and length against the bounds, every
 * known field against the wire types its declaration allows, strings as
 * strict UTF-8, nesting against the depth limit, map keys against
 * `__proto__` — and builds a frozen object of exactly the shape ts-proto's
 * generated decoder makes (the same properties, in the same order, with the
 * same defaults). Unknown fields are kept, as their bytes, on the message
 * (see `UNKNOWN_FIELDS`), for the encoder to write back.
 */
import { FieldType } from "../schema/descriptors.js";
import { wireTypeOf, type FieldSchema, type MessageSchema, type ValueSchema } from "../schema/schema.js";
import { WireType } from "../wire/wire-type.js";
import { key, lit, scalar, tagOf } from "./source.js";

/**
 * Statements that read one value at `p` and hand it to `assign`. A message
 * is decoded one level deeper, with its field name recorded for error
 * paths (unless `name` is undefined: the caller has recorded it).
 */
function readInto(value: ValueSchema, assign: (expr: string) => string, depth: string, name: string | undefined, index: Map<MessageSchema, number>, field?: string): string {
  if (value.wellKnown) {
    return (
      `{ const n = rlen(b, p, end); p = R.pos; ${name === undefined ? "" : `PN[${depth}] = ${lit(name)}; `}` +
      `${assign(`${wellKnownReader(value)}(b, p, p + n, ${depth} + 1)`)}; p += n; }`
    );
  }
  if (value.message) {
    return (
      `{ const n = rlen(b, p, end); p = R.pos; ${name === undefined ? "" : `PN[${depth}] = ${lit(name)}; `}` +
      `${assign(`d${index.get(value.message)}(b, p, p + n, ${depth} + 1)`)}; p += n; }`
    );
  }
  const s = scalar(value.type, value.long);
  // A 64-bit integer held as a number names its field when it is beyond 2^53.
  const named = value.long === "number" && field !== undefined ? `, ${lit(field)}` : "";
  if (s.size > 0) return `need(p, end, ${s.size}); ${assign(`${s.read}(b, p${named})`)}; p += ${s.size};`;
  return `${assign(`${s.read}(b, p, end${named})`)}; p = R.pos;`;
}

/** The runtime function that reads a well-known type held unwrapped. */
export function wellKnownReader(value: ValueSchema): string {
  if (value.wellKnown === "wrapper") return `WR_${value.wrapped!.type}_${value.wrapped!.long ?? "number"}`;
  return `WK_READ[${lit(value.wellKnown!)}]`;
}

export function decoderOf(schema: MessageSchema, i: number, index: Map<MessageSchema, number>): string {
  const extra: string[] = [];
  const locals: string[] = [];
  const cases: string[] = [];
  const result: string[] = [];
  schema.fields.forEach((field, f) => {
    const local = `f${f}`;
    const name = field.name;
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const fn = `m${i}_${field.number}`;
      extra.push(mapDecoderOf(fn, field, field.mapKey, field.mapValue, index));
      const empty = field.mapIsMap ? "new Map()" : "{}";
      locals.push(`${local} = null`);
      cases.push(
        `      case ${tagOf(field.number, WireType.LEN)}: { const n = rlen(b, p, end); p = R.pos; ` +
          `if (${local} === null) ${local} = ${empty}; PN[depth] = ${lit(name)}; ${fn}(b, p, p + n, depth, ${local}); p += n; continue; }`,
      );
      result.push(`${key(field.localName)}: ${field.mapIsMap ? `freezeMap(${local} === null ? new Map() : ${local})` : `${local} === null ? EMPTY_OBJECT : Object.freeze(${local})`}`);
      return;
    }
    if (field.repeated) {
      locals.push(`${local} = null`);
      const push = (expr: string) => `(${local} === null ? (${local} = []) : ${local}).push(${expr})`;
      if (field.message || field.type === FieldType.STRING || field.type === FieldType.BYTES) {
        cases.push(`      case ${tagOf(field.number, WireType.LEN)}: ${readInto(field, push, "depth", name, index, name)} continue;`);
      } else {
        const s = scalar(field.type, field.long);
        const named = field.long === "number" ? `, ${lit(name)}` : "";
        cases.push(`      case ${tagOf(field.number, wireTypeOf(field.type))}: ${readInto(field, push, "depth", name, index, name)} continue;`);
        const loop =
          s.size > 0
            ? `if (n % ${s.size} !== 0) ragged(${s.size}); for (; p < e; p += ${s.size}) ${local}.push(${s.read}(b, p${named}));`
            : `while (p < e) { ${local}.push(${s.read}(b, p, e${named})); p = R.pos; }`;
        cases.push(
          `      case ${tagOf(field.number, WireType.LEN)}: { const n = rlen(b, p, end); p = R.pos; const e = p + n; ` +
            `if (${local} === null) ${local} = []; ${loop} continue; }`,
        );
      }
      result.push(`${key(field.localName)}: ${local} === null ? EMPTY_ARRAY : Object.freeze(${local})`);
      return;
    }
    const wireType = field.message ? WireType.LEN : wireTypeOf(field.type);
    const zero = field.presence || field.message ? "undefined" : scalar(field.type, field.long).zero;
    locals.push(`${local} = ${zero}`);
    cases.push(`      case ${tagOf(field.number, wireType)}: ${readInto(field, (e) => `${local} = ${e}`, "depth", name, index, name)} continue;`);
    result.push(`${key(field.localName)}: ${local}`);
  });
  const lines = [
    ...extra,
    `function d${i}(b, p, end, depth) {`,
    `  if (depth > R.maxDepth) tooDeep("payload", depth);`,
    `  let u = null;`,
    ...(locals.length > 0 ? [`  let ${locals.join(", ")};`] : []),
    `  try {`,
    `    while (p < end) {`,
    `      const at = p;`,
    `      let t = b[p];`,
    `      if (t < 0x80) p++; else { t = rtag(b, p, end); p = R.pos; }`,
    `      switch (t) {`,
    ...cases,
    `      }`,
    `      p = other(b, p, end, t, SC[${i}], depth);`,
    `      u = unknownRange(u, at, p);`,
    `    }`,
    `  } catch (error) {`,
    `    throw placeFault(error, "payload", depth);`,
    `  }`,
    // (the common case, no unknown fields, as a frozen literal: V8 makes it fastest)
    `  if (u === null) return Object.freeze({ ${result.join(", ")} });`,
    `  const o = { ${result.join(", ")} };`,
    `  keepUnknown(o, b, u);`,
    `  return Object.freeze(o);`,
    `}`,
  ];
  return lines.join("\n");
}

function mapDecoderOf(fn: string, field: FieldSchema, keyType: number, value: ValueSchema, index: Map<MessageSchema, number>): string {
  const keyWire = wireTypeOf(keyType);
  const valueWire = value.message ? WireType.LEN : wireTypeOf(value.type);
  const keyScalar: ValueSchema = { type: keyType, message: undefined, enumType: undefined, long: field.mapKeyLong, wellKnown: undefined, wrapped: undefined };
  const keyZero = scalar(keyType, field.mapKeyLong).zero;
  // (a message value missing from its entry leaves the entry out, as ts-proto's decoder does)
  const valueZero = value.message ? "undefined" : scalar(value.type, value.long).zero;
  const protoCheck = keyType === FieldType.STRING && !field.mapIsMap ? ` if (k === "__proto__") forbiddenKey(depth + 1);` : "";
  const store = field.mapIsMap ? `out.set(k, v)` : `out[k] = v`;
  // The entry's fields are read at depth + 1 (the map field's path); a message value is one deeper.
  return [
    `function ${fn}(b, p, end, depth, out) {`,
    `  let k = ${keyZero}, v = ${valueZero};`,
    `  try {`,
    `    while (p < end) {`,
    `      let t = b[p];`,
    `      if (t < 0x80) p++; else { t = rtag(b, p, end); p = R.pos; }`,
    `      switch (t) {`,
    `      case ${tagOf(1, keyWire)}: ${readInto(keyScalar, (e) => `k = ${e}`, "depth", undefined, index, field.name)}${protoCheck} continue;`,
    `      case ${tagOf(2, valueWire)}: ${readInto(value, (e) => `v = ${e}`, "depth", undefined, index, field.name)} continue;`,
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

