/**
 * The source of a message's compiled encoder: fields in field number order,
 * values equal to their default left out (fields that track presence are
 * written whenever set), repeated scalars packed, map entries sorted by key
 * with key and value always written, as protoc's deterministic serialization
 * does. The same message always gives the same bytes.
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
