/**
 * The binary codec without generated source: encoders and decoders that walk
 * the schema at run time, for runtimes where code generation from strings is
 * unavailable (`node --disallow-code-generation-from-strings`, some hardened
 * hosts). They make the same bytes and the same messages as the compiled
 * codec (encoder-source.ts, decoder-source.ts), with the same checks and
 * errors, through the same runtime functions; only slower.
 */
import { FieldType } from "../schema/descriptors.js";
import { wireTypeOf, type FieldSchema, type MessageSchema, type ValueSchema } from "../schema/schema.js";
import { pathNames, placeFault } from "../wire/faults.js";
import { compareCodePoints } from "../wire/order.js";
import { reader, rlen, rtag, ragged, tooDeep, need } from "../wire/reader.js";
import { wbegin, wend, wraw } from "../wire/writer.js";
import { WireType } from "../wire/wire-type.js";
import { runtime } from "./runtime.js";
import { scalarFns, type ScalarFns } from "./scalars.js";
import { tagOf } from "./source.js";
import { WK_READ, WK_WRITE, wrapperReader, wrapperWriter } from "./well-known.js";

const { other, otherInEntry, forbiddenKey, bad, intKey, longKey, badKey, compareKeys, freezeMap, unknownRange, keepUnknown, UNKNOWN_FIELDS, EMPTY_ARRAY, EMPTY_OBJECT } = runtime;

/** One message type's functions, as codec.ts's `MessageCodec` has them. */
interface MessageCodec {
  readonly encode: (message: object, pos: number) => number;
  readonly decode: (bytes: Uint8Array, start: number, end: number, depth: number) => object;
}
type Decode = MessageCodec["decode"];
type Encode = MessageCodec["encode"];

function wkRead(value: ValueSchema): (b: Uint8Array, p: number, end: number, depth: number) => unknown {
  return value.wellKnown === "wrapper" ? wrapperReader(value.wrapped!.type, value.wrapped!.long ?? "number") : WK_READ[value.wellKnown!];
}

function wkWrite(value: ValueSchema): (p: number, v: unknown) => number {
  return value.wellKnown === "wrapper" ? wrapperWriter(value.wrapped!.type, value.wrapped!.long ?? "number") : WK_WRITE[value.wellKnown!];
}

/** Builds the codecs of `order` (every message the roots reach), each able to call the others. */
export function interpretCodecs(order: readonly MessageSchema[]): MessageCodec[] {
  const codecs = new Map<MessageSchema, { encode: Encode; decode: Decode }>();
  for (const schema of order) codecs.set(schema, { encode: (m, p) => encoders.get(schema)!(m, p), decode: (b, s, e, d) => decoders.get(schema)!(b, s, e, d) });
  const encoders = new Map<MessageSchema, Encode>();
  const decoders = new Map<MessageSchema, Decode>();
  const codecOf = (schema: MessageSchema) => codecs.get(schema)!;
  for (const schema of order) {
    encoders.set(schema, encoderOf(schema, codecOf));
    decoders.set(schema, decoderOf(schema, codecOf));
  }
  return order.map((schema) => ({ encode: encoders.get(schema)!, decode: decoders.get(schema)! }));
}

type CodecOf = (schema: MessageSchema) => MessageCodec;

/** Reads one value at `p` (for a message or well-known type, `n` bytes one level deeper); `reader.pos` is left after it. */
function valueReader(value: ValueSchema, codecOf: CodecOf, field: string | undefined): (b: Uint8Array, p: number, end: number, depth: number, name: string | undefined) => unknown {
  if (value.wellKnown || value.message) {
    const read = value.wellKnown ? wkRead(value) : codecOf(value.message!).decode;
    return (b, p, end, depth, name) => {
      const n = rlen(b, p, end);
      p = reader.pos;
      if (name !== undefined) pathNames[depth] = name;
      const v = read(b, p, p + n, depth + 1);
      reader.pos = p + n;
      return v;
    };
  }
  const s = scalarFns(value.type, value.long);
  const named = value.long === "number" ? field : undefined;
  if (s.size > 0) {
    return (b, p, end) => {
      need(p, end, s.size);
      const v = s.read(b, p, end, named);
      reader.pos = p + s.size;
      return v;
    };
  }
  return (b, p, end) => s.read(b, p, end, named);
}

function decoderOf(schema: MessageSchema, codecOf: CodecOf): Decode {
  interface Slot {
    readonly field: FieldSchema;
    readonly kind: "map" | "list" | "single";
    readonly read: ReturnType<typeof valueReader>;
    readonly packed: ScalarFns | undefined;
    readonly entry: ((b: Uint8Array, p: number, end: number, depth: number, out: Map<unknown, unknown> | Record<string, unknown>) => void) | undefined;
    readonly zero: unknown;
  }
  const slots: Slot[] = schema.fields.map((field) => {
    if (field.mapValue !== undefined && field.mapKey !== undefined) {
      return { field, kind: "map", read: () => undefined, packed: undefined, entry: entryReader(field, codecOf), zero: undefined };
    }
    const read = valueReader(field, codecOf, field.name);
    if (field.repeated) {
      const packable = !field.message && field.type !== FieldType.STRING && field.type !== FieldType.BYTES;
      return { field, kind: "list", read, packed: packable ? scalarFns(field.type, field.long) : undefined, entry: undefined, zero: undefined };
    }
    const zero = field.presence || field.message ? undefined : scalarFns(field.type, field.long).zero;
    return { field, kind: "single", read, packed: undefined, entry: undefined, zero };
  });
  const byTag = new Map<number, [Slot, "value" | "packed", number]>();
  slots.forEach((slot, i) => {
    const f = slot.field;
    if (slot.kind === "map") byTag.set(tagOf(f.number, WireType.LEN), [slot, "value", i]);
    else {
      byTag.set(tagOf(f.number, f.message ? WireType.LEN : wireTypeOf(f.type)), [slot, "value", i]);
      if (slot.packed !== undefined) byTag.set(tagOf(f.number, WireType.LEN), [slot, "packed", i]);
    }
  });
  return (b, p, end, depth) => {
    if (depth > reader.maxDepth) tooDeep("payload", depth);
    let u: number[] | null = null;
    const values: unknown[] = slots.map((slot) => (slot.kind === "single" ? slot.zero : null));
    try {
      while (p < end) {
        const at = p;
        let t = b[p]!;
        if (t < 0x80) p++;
        else {
          t = rtag(b, p, end);
          p = reader.pos;
        }
        const hit = byTag.get(t);
        if (hit !== undefined) {
          const [slot, how, i] = hit;
          const name = slot.field.name;
          if (slot.kind === "map") {
            const n = rlen(b, p, end);
            p = reader.pos;
            const out = (values[i] ??= slot.field.mapIsMap ? new Map() : {}) as Map<unknown, unknown> | Record<string, unknown>;
            pathNames[depth] = name;
            slot.entry!(b, p, p + n, depth, out);
            p += n;
          } else if (how === "packed") {
            const n = rlen(b, p, end);
            p = reader.pos;
            const e = p + n;
            const list = (values[i] ??= []) as unknown[];
            const s = slot.packed!;
            const named = slot.field.long === "number" ? name : undefined;
            if (s.size > 0) {
              if (n % s.size !== 0) ragged(s.size);
              for (; p < e; p += s.size) list.push(s.read(b, p, e, named));
            } else {
              while (p < e) {
                list.push(s.read(b, p, e, named));
                p = reader.pos;
              }
            }
          } else {
            const v = slot.read(b, p, end, depth, name);
            p = reader.pos;
            if (slot.kind === "list") ((values[i] ??= []) as unknown[]).push(v);
            else values[i] = v;
          }
          continue;
        }
        p = other(b, p, end, t, schema, depth);
        u = unknownRange(u, at, p);
      }
    } catch (error) {
      throw placeFault(error, "payload", depth);
    }
    const o: Record<string, unknown> = {};
    slots.forEach((slot, i) => {
      const v = values[i];
      let out: unknown;
      if (slot.kind === "map") out = slot.field.mapIsMap ? freezeMap((v ?? new Map()) as Map<unknown, unknown>) : v === null ? EMPTY_OBJECT : Object.freeze(v);
      else if (slot.kind === "list") out = v === null ? EMPTY_ARRAY : Object.freeze(v);
      else out = v;
      Object.defineProperty(o, slot.field.localName, { value: out, writable: true, enumerable: true, configurable: true });
    });
    if (u !== null) keepUnknown(o, b, u);
    return Object.freeze(o);
  };
}

/** Reads one map entry into `out`. */
function entryReader(field: FieldSchema, codecOf: CodecOf) {
  const keyType = field.mapKey!;
  const value = field.mapValue!;
  const keyValue: ValueSchema = { type: keyType, message: undefined, enumType: undefined, long: field.mapKeyLong, wellKnown: undefined, wrapped: undefined };
  const keyWire = wireTypeOf(keyType);
  const valueWire = value.message ? WireType.LEN : wireTypeOf(value.type);
  const keyTag = tagOf(1, keyWire);
  const valueTag = tagOf(2, valueWire);
  const readKey = valueReader(keyValue, codecOf, field.name);
  const readValue = valueReader(value, codecOf, field.name);
  const keyZero = scalarFns(keyType, field.mapKeyLong).zero;
  const valueZero = value.message ? undefined : scalarFns(value.type, value.long).zero;
  const checkProto = keyType === FieldType.STRING && !field.mapIsMap;
  return (b: Uint8Array, p: number, end: number, depth: number, out: Map<unknown, unknown> | Record<string, unknown>): void => {
    let k: unknown = keyZero;
    let v: unknown = valueZero;
    try {
      while (p < end) {
        let t = b[p]!;
        if (t < 0x80) p++;
        else {
          t = rtag(b, p, end);
          p = reader.pos;
        }
        if (t === keyTag) {
          k = readKey(b, p, end, depth, undefined);
          p = reader.pos;
          if (checkProto && k === "__proto__") forbiddenKey(depth + 1);
          continue;
        }
        if (t === valueTag) {
          v = readValue(b, p, end, depth, undefined);
          p = reader.pos;
          continue;
        }
        p = otherInEntry(b, p, end, t, keyWire, valueWire, depth + 1);
      }
    } catch (error) {
      throw placeFault(error, "payload", depth + 1);
    }
    if (value.message && v === undefined) return;
    if (out instanceof Map) out.set(k, v);
    else out[k as string] = v;
  };
}

/** Writes one value with its tag, always (a list item, a map entry's key or value, a set field). */
function valueWriter(value: ValueSchema, fieldNo: number, codecOf: CodecOf, name: string): (p: number, v: unknown) => number {
  if (value.wellKnown) {
    const write = wkWrite(value);
    const tag = tagOf(fieldNo, WireType.LEN);
    return (p, v) => {
      const s = wbegin(p, tag);
      return wend(s, write(s, v));
    };
  }
  if (value.message) {
    const codec = codecOf(value.message);
    const tag = tagOf(fieldNo, WireType.LEN);
    return (p, v) => {
      if (typeof v !== "object" || v === null) bad(name, v);
      const s = wbegin(p, tag);
      return wend(s, codec.encode(v as object, s));
    };
  }
  const s = scalarFns(value.type, value.long);
  const tag = tagOf(fieldNo, wireTypeOf(value.type));
  return (p, v) => {
    if (!s.check(v)) bad(name, v);
    return s.write(p, tag, v);
  };
}

function encoderOf(schema: MessageSchema, codecOf: CodecOf): Encode {
  const writers = [...schema.fields].sort((a, b) => a.number - b.number).map((field): ((m: Record<string, unknown>, p: number) => number) => {
    const name = field.name;
    const local = field.localName;
    if (field.mapKey !== undefined && field.mapValue !== undefined) {
      const write = mapWriter(field, codecOf);
      return (m, p) => {
        const v = m[local];
        const ok = field.mapIsMap ? v instanceof Map : typeof v === "object" && v !== null && !(v instanceof Map);
        if (!ok) bad(name, v);
        return write(v as Map<unknown, unknown> & Record<string, unknown>, p);
      };
    }
    if (field.repeated) {
      const packable = !field.wellKnown && !field.message && field.type !== FieldType.STRING && field.type !== FieldType.BYTES;
      if (packable) {
        const s = scalarFns(field.type, field.long);
        const tag = tagOf(field.number, WireType.LEN);
        return (m, p) => {
          const v = m[local] as unknown[];
          if (!Array.isArray(v)) bad(name, v);
          if (v.length === 0) return p;
          const start = wbegin(p, tag);
          p = start;
          for (const x of v) {
            if (!s.check(x)) bad(name, x);
            p = s.value(p, x);
          }
          return wend(start, p);
        };
      }
      const write = valueWriter(field, field.number, codecOf, name);
      return (m, p) => {
        const v = m[local] as unknown[];
        if (!Array.isArray(v)) bad(name, v);
        for (const x of v) p = write(p, x);
        return p;
      };
    }
    const write = valueWriter(field, field.number, codecOf, name);
    if (field.wellKnown || field.message || field.presence) {
      return (m, p) => {
        const v = m[local];
        return v === undefined ? p : write(p, v);
      };
    }
    const s = scalarFns(field.type, field.long);
    return (m, p) => {
      const v = m[local];
      if (!s.check(v)) bad(name, v);
      return s.isDefault(v) ? p : write(p, v);
    };
  });
  return (m, p) => {
    const message = m as Record<string, unknown>;
    for (const write of writers) p = write(message, p);
    const u = (message as { [UNKNOWN_FIELDS]?: Uint8Array })[UNKNOWN_FIELDS];
    return u === undefined ? p : wraw(p, u);
  };
}

function mapWriter(field: FieldSchema, codecOf: CodecOf): (o: Map<unknown, unknown> & Record<string, unknown>, p: number) => number {
  const name = field.name;
  const keyType = field.mapKey!;
  const entryTag = tagOf(field.number, WireType.LEN);
  const keyScalar = scalarFns(keyType, field.mapKeyLong);
  const keyTag = tagOf(1, wireTypeOf(keyType));
  const writeValue = valueWriter(field.mapValue!, 2, codecOf, name);
  const messageValue = field.mapValue!.message !== undefined && !field.mapValue!.wellKnown;
  const entry = (p: number, k: unknown, x: unknown): number => {
    if (messageValue && (typeof x !== "object" || x === null)) bad(name, x);
    const s = wbegin(p, entryTag);
    p = keyScalar.write(s, keyTag, k);
    p = writeValue(p, x);
    return wend(s, p);
  };
  if (field.mapIsMap) {
    const compare = keyType === FieldType.STRING ? compareCodePoints : compareKeys;
    return (o, p) => {
      const keys = [...o.keys()];
      for (const k of keys) if (!keyScalar.check(k)) badKey(name, k);
      if (keys.length > 1) keys.sort(compare as (a: unknown, b: unknown) => number);
      for (const k of keys) p = entry(p, k, o.get(k));
      return p;
    };
  }
  if (keyType === FieldType.STRING) {
    return (o, p) => {
      const keys = Object.keys(o);
      if (keys.length > 1) keys.sort(compareCodePoints);
      for (const k of keys) p = entry(p, k, o[k]);
      return p;
    };
  }
  const asText = field.mapKeyLong === "string";
  return (o, p) => {
    const keys = Object.keys(o);
    const nums = new Map<string, number | bigint>();
    for (const k of keys) nums.set(k, asText ? longKey(k, keyType, name) : intKey(k, keyType, name));
    if (keys.length > 1) keys.sort((a, b) => compareKeys(nums.get(a)!, nums.get(b)!));
    for (const k of keys) p = entry(p, asText ? k : nums.get(k), o[k]);
    return p;
  };
}
