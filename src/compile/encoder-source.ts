/**
 * The source of a message's compiled encoder: fields in field number order,
 * values equal to their default left out (fields that track presence are
 * written whenever set), repeated scalars packed, map entries sorted by key
 * with key and value always written, as protoc's deterministic serialization
 * does, then the unknown fields the message was decoded with, as they came.
 * The same message always gives the same bytes.
 */
import { FieldType } from "../schema/descriptors.js";
import { wireTypeOf, type FieldSchema, type MessageSchema, type ValueSchema } from "../schema/schema.js";
import { WireType } from "../wire/wire-type.js";
import { lit, prop, scalar, tagOf } from "./source.js";

/** Fields in field number order, as the encoder writes them. */
function byNumber(schema: MessageSchema): FieldSchema[] {
  return [...schema.fields].sort((a, b) => a.number - b.number);
}

export function encoderOf(schema: MessageSchema, i: number, index: Map<MessageSchema, number>): string {
  const lines: string[] = [`function e${i}(m, p) {`, `  let v;`];
  const extra: string[] = [];
  for (const field of byNumber(schema)) {
    const name = lit(field.name);
    lines.push(`  v = ${prop("m", field.localName)};`);
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const fn = `w${i}_${field.number}`;
      extra.push(mapEncoderOf(fn, field, field.mapKey, field.mapValue, index));
      const isMap = field.mapIsMap ? `v instanceof Map` : `typeof v === "object" && v !== null && !(v instanceof Map)`;
      lines.push(`  if (!(${isMap})) bad(${name}, v);`, `  p = ${fn}(v, p);`);
      continue;
    }
    if (field.repeated) {
      lines.push(`  if (!Array.isArray(v)) bad(${name}, v);`, `  if (v.length !== 0) {`);
      if (field.wellKnown) {
        lines.push(
          `    for (let j = 0; j < v.length; j++) {`,
          `      const x = v[j];`,
          `      ${valueCheck(field, "x", name)}`,
          `      ${writeAlways(field, field.number, "x", index)}`,
          `    }`,
        );
      } else if (field.message) {
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
        const s = scalar(field.type, field.long);
        lines.push(
          `    for (let j = 0; j < v.length; j++) {`,
          `      const x = v[j];`,
          `      if (!(${s.check("x")})) bad(${name}, x);`,
          `      p = ${s.write}(p, ${tagOf(field.number, WireType.LEN)}, x);`,
          `    }`,
        );
      } else {
        const s = scalar(field.type, field.long);
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
    if (field.wellKnown) {
      lines.push(`  if (v !== undefined) {`, `    ${valueCheck(field, "v", name)}`, `    ${writeAlways(field, field.number, "v", index)}`, `  }`);
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
    const s = scalar(field.type, field.long);
    const tag = tagOf(field.number, wireTypeOf(field.type));
    if (field.presence) {
      lines.push(`  if (v !== undefined) {`, `    if (!(${s.check("v")})) bad(${name}, v);`, `    p = ${s.write}(p, ${tag}, v);`, `  }`);
    } else {
      lines.push(`  if (!(${s.check("v")})) bad(${name}, v);`, `  if (${s.set("v")}) p = ${s.write}(p, ${tag}, v);`);
    }
  }
  lines.push(`  const u = m[UNKNOWN_FIELDS];`, `  if (u !== undefined) p = wraw(p, u);`, `  return p;`, `}`);
  return [...extra, ...lines].join("\n");
}

/** Writes one value (key or value of a map entry) always, with its tag. */
function writeAlways(value: ValueSchema, fieldNo: number, v: string, index: Map<MessageSchema, number>): string {
  if (value.wellKnown) {
    return `{ const s2 = wbegin(p, ${tagOf(fieldNo, WireType.LEN)}); p = wend(s2, ${wellKnownWriter(value)}(s2, ${v})); }`;
  }
  if (value.message) {
    return `{ const s2 = wbegin(p, ${tagOf(fieldNo, WireType.LEN)}); p = wend(s2, e${index.get(value.message)}(${v}, s2)); }`;
  }
  return `p = ${scalar(value.type, value.long).write}(p, ${tagOf(fieldNo, wireTypeOf(value.type))}, ${v});`;
}

/** The runtime function that writes the body of a well-known type held unwrapped. */
function wellKnownWriter(value: ValueSchema): string {
  if (value.wellKnown === "wrapper") return `WW_${value.wrapped!.type}_${value.wrapped!.long ?? "number"}`;
  return `WK_WRITE[${lit(value.wellKnown!)}]`;
}

function valueCheck(value: ValueSchema, v: string, name: string): string {
  if (value.wellKnown) return ""; // (its writer checks the value as it writes it)
  if (value.message) return `if (typeof ${v} !== "object" || ${v} === null) bad(${name}, ${v});`;
  return `if (!(${scalar(value.type, value.long).check(v)})) bad(${name}, ${v});`;
}

function mapEncoderOf(fn: string, field: FieldSchema, keyType: number, value: ValueSchema, index: Map<MessageSchema, number>): string {
  const name = lit(field.name);
  const entryTag = tagOf(field.number, WireType.LEN);
  const keyTag = tagOf(1, wireTypeOf(keyType));
  const lines = [`function ${fn}(o, p) {`];
  const entry = (k: string, x: string) => [
    `    ${valueCheck(value, x, name)}`,
    `    const s = wbegin(p, ${entryTag});`,
    `    p = ${scalar(keyType, field.mapKeyLong).write}(s, ${keyTag}, ${k});`,
    `    ${writeAlways(value, 2, x, index)}`,
    `    p = wend(s, p);`,
  ];
  if (field.mapIsMap) {
    // A Map: keys of the key type's own kind (booleans, bigints, …), sorted by value.
    const compare = keyType === FieldType.STRING ? "compareCodePoints" : "compareKeys";
    lines.push(
      `  const keys = [...o.keys()];`,
      `  for (let j = 0; j < keys.length; j++) if (!(${scalar(keyType, field.mapKeyLong).check("keys[j]")})) badKey(${name}, keys[j]);`,
      `  if (keys.length > 1) keys.sort(${compare});`,
      `  for (let j = 0; j < keys.length; j++) {`,
      `    const k = keys[j];`,
      `    const x = o.get(k);`,
      ...entry("k", "x"),
      `  }`,
    );
  } else if (keyType === FieldType.STRING) {
    lines.push(
      `  const keys = Object.keys(o);`,
      `  if (keys.length > 1) keys.sort(compareCodePoints);`,
      `  for (let j = 0; j < keys.length; j++) {`,
      `    const k = keys[j];`,
      `    const x = o[k];`,
      ...entry("k", "x"),
      `  }`,
    );
  } else {
    // An object keyed by property names: each key read as a value of the key type (a bigint when the keys are 64-bit decimal strings).
    const asKey = field.mapKeyLong === "string" ? `longKey(keys[j], ${keyType}, ${name})` : `intKey(keys[j], ${keyType}, ${name})`;
    lines.push(
      `  const keys = Object.keys(o);`,
      `  const nums = new Map();`,
      `  for (let j = 0; j < keys.length; j++) nums.set(keys[j], ${asKey});`,
      `  if (keys.length > 1) keys.sort((a, b) => compareKeys(nums.get(a), nums.get(b)));`,
      `  for (let j = 0; j < keys.length; j++) {`,
      `    const x = o[keys[j]];`,
      ...entry(field.mapKeyLong === "string" ? "keys[j]" : "nums.get(keys[j])", "x"),
      `  }`,
    );
  }
  lines.push(`  return p;`, `}`);
  return lines.join("\n");
}
