/**
 * What a generated message type holds for each field, read from the
 * generated code itself: the field is decoded alone, with its own decoder,
 * and the property that changes is the field's property name; the value it
 * holds shows the representation ts-proto's options chose (a 64-bit integer
 * as a bigint, a string or a number; a map as an object or a `Map`; a
 * well-known type as a `Date`, an unwrapped value or a message).
 */
import { WireType } from "../wire/wire-type.js";
import { FieldType, type FieldDescriptorLike, type MessageType } from "./descriptors.js";

/** How the generated code holds one field's values, as a probe found it. */
export interface Probed {
  /** The property name. */
  readonly localName: string;
  /** The value the probe made (for a list, its first item; for a map, its first value). */
  readonly sample: unknown;
  /** For a map: whether it is a `Map` (else an object keyed by property names). */
  readonly isMap: boolean;
  /** For a map: its first key, as the generated code holds it. */
  readonly sampleKey: unknown;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function tag(fieldNo: number, wireType: number): number[] {
  return varint(((fieldNo << 3) | wireType) >>> 0);
}

function lengthDelimited(body: readonly number[]): number[] {
  return [...varint(body.length), ...body];
}

/**
 * The bytes of a value that is not its type's default, without the tag. A
 * message value is empty, except `google.protobuf.Value`, which ts-proto
 * unwraps to `undefined` when it holds nothing: it holds `true`.
 */
function sampleValue(type: number, typeName: string): number[] {
  switch (type) {
    case FieldType.DOUBLE:
      return [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]; // 1.0
    case FieldType.FLOAT:
      return [0, 0, 0x80, 0x3f]; // 1.0
    case FieldType.FIXED64:
    case FieldType.SFIXED64:
      return [1, 0, 0, 0, 0, 0, 0, 0];
    case FieldType.FIXED32:
    case FieldType.SFIXED32:
      return [1, 0, 0, 0];
    case FieldType.STRING:
    case FieldType.BYTES:
      return lengthDelimited([0x31]); // "1"
    case FieldType.MESSAGE:
      return lengthDelimited(typeName === ".google.protobuf.Value" ? [0x20, 1] : []);
    case FieldType.SINT32:
    case FieldType.SINT64:
      return [2]; // 1, zigzag
    default:
      return [1];
  }
}

function wireTypeOf(type: number): number {
  switch (type) {
    case FieldType.DOUBLE:
    case FieldType.FIXED64:
    case FieldType.SFIXED64:
      return WireType.I64;
    case FieldType.FLOAT:
    case FieldType.FIXED32:
    case FieldType.SFIXED32:
      return WireType.I32;
    case FieldType.STRING:
    case FieldType.BYTES:
    case FieldType.MESSAGE:
      return WireType.LEN;
    default:
      return WireType.VARINT;
  }
}

/** Deep equality of the values generated code makes (primitives, bytes, arrays, maps, dates, plain objects). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Map || b instanceof Map) {
    return a instanceof Map && b instanceof Map && a.size === b.size && [...a].every(([k, v]) => b.has(k) && same(v, b.get(k)));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Decodes field `fd` alone with the generated decoder and returns what
 * changed, or `undefined` when nothing (or more than one property) did.
 * `entry` is the field's map entry (key and value descriptors), if it is a map.
 */
export function probeField(
  type: MessageType<object>,
  empty: Record<string, unknown>,
  fd: FieldDescriptorLike,
  entry: readonly [FieldDescriptorLike, FieldDescriptorLike] | undefined,
): Probed | undefined {
  let bytes: number[];
  if (entry) {
    const [k, v] = entry;
    const body = [...tag(1, wireTypeOf(k.type)), ...sampleValue(k.type, k.typeName), ...tag(2, wireTypeOf(v.type)), ...sampleValue(v.type, v.typeName)];
    bytes = [...tag(fd.number, WireType.LEN), ...lengthDelimited(body)];
  } else {
    bytes = [...tag(fd.number, wireTypeOf(fd.type)), ...sampleValue(fd.type, fd.typeName)];
  }
  let decoded: Record<string, unknown>;
  try {
    decoded = type.decode(new Uint8Array(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const changed = Object.keys(decoded).filter((k) => !same(decoded[k], empty[k]));
  if (changed.length !== 1) return undefined;
  const localName = changed[0]!;
  const value = decoded[localName];
  if (entry) {
    if (value instanceof Map) {
      const [first] = value;
      return { localName, sample: first?.[1], isMap: true, sampleKey: first?.[0] };
    }
    const record = (value ?? {}) as Record<string, unknown>;
    const key = Object.keys(record)[0];
    return { localName, sample: key === undefined ? undefined : record[key], isMap: false, sampleKey: key };
  }
  const repeated = fd.label === 3; // LABEL_REPEATED
  return { localName, sample: repeated && Array.isArray(value) ? value[0] : value, isMap: false, sampleKey: undefined };
}

/** The key a map-entry message's own generated decoder gives for a sample key, when the file has that type. */
export function probeEntryKey(entryType: MessageType<object> | undefined, key: FieldDescriptorLike): unknown {
  if (entryType === undefined || typeof entryType.decode !== "function") return undefined;
  try {
    const decoded = entryType.decode(new Uint8Array([...tag(1, wireTypeOf(key.type)), ...sampleValue(key.type, key.typeName)])) as { key?: unknown };
    return decoded.key;
  } catch {
    return undefined;
  }
}
