/**
 * The schemas eventwire compiles from the descriptors ts-proto generates:
 * each message's fields by number, by JSON key and by property name, with
 * what each holds, resolved once per registry.
 */
import { RegistryError } from "../errors.js";
import { WireType } from "../wire/wire-type.js";
import { FieldType, LABEL_REPEATED, type EnumDescriptorLike, type FieldDescriptorLike, type MessageDescriptorLike, type MessageType, type ProtoFile } from "./descriptors.js";
import { freezeMap } from "./frozen.js";
import { probeEntryKey, probeField, type Probed } from "./probe.js";

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze({});
const EMPTY_BYTES = Object.freeze(new Uint8Array(0));

/** The defaults `fromPartial({})` gave, with each empty list, map or bytes value replaced by a shared frozen one. */
function blankOf(defaults: Record<string, unknown> | undefined): () => Record<string, unknown> {
  if (defaults === undefined) return () => ({});
  const template: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const value = defaults[key];
    if (Array.isArray(value) && value.length === 0) template[key] = EMPTY_LIST;
    else if (value instanceof Map && value.size === 0) template[key] = freezeMap(new Map());
    else if (value instanceof Uint8Array && value.length === 0) template[key] = EMPTY_BYTES;
    else if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0) template[key] = EMPTY_RECORD;
    else template[key] = value;
  }
  // (Object.assign, not a spread: V8 freezes a copy made by Object.assign
  // about ten times faster than one made by spreading)
  return () => Object.assign({}, template);
}

/** The wire type a scalar or enum value of this field type is written with. */
export function wireTypeOf(type: number): number {
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
    case FieldType.GROUP:
      return WireType.SGROUP;
    default:
      return WireType.VARINT;
  }
}

/**
 * How generated code holds a 64-bit integer, as ts-proto's `forceLong`
 * option chose: a `bigint`, a decimal `string`, or a `number` (which cannot
 * hold values beyond 2^53 exactly: they are refused).
 */
export type LongKind = "bigint" | "string" | "number";

/**
 * How generated code holds a field of a well-known type when it does not
 * hold it as the message itself (ts-proto unwraps these):
 * - `timestamp-date`: `google.protobuf.Timestamp` as a `Date`;
 * - `struct`: `Struct` as a plain object of JSON values;
 * - `value`: `Value` as a JSON value (`null`, number, string, boolean, object, array);
 * - `list`: `ListValue` as an array of JSON values;
 * - `wrapper`: a wrapper (`Int32Value`, `StringValue`, …) as its value;
 * - `field-mask`: `FieldMask` as its array of paths.
 */
export type WellKnownForm = "timestamp-date" | "struct" | "value" | "list" | "wrapper" | "field-mask";

/** A value's schema: what a singular field, a list element or a map value holds. */
export interface ValueSchema {
  /** The field type (a {@link FieldType} number). */
  readonly type: number;
  /** For `MESSAGE`: the message's schema. */
  readonly message: MessageSchema | undefined;
  /** For `ENUM`: the enum's schema. */
  readonly enumType: EnumSchema | undefined;
  /** For a 64-bit integer type: how the generated code holds it. */
  readonly long: LongKind | undefined;
  /** For a well-known type held unwrapped: its form (`message` is then the well-known message's schema). */
  readonly wellKnown: WellKnownForm | undefined;
  /** For a `wrapper`: the schema of the value it wraps. */
  readonly wrapped: ValueSchema | undefined;
}

/** One field of a message, compiled from its descriptor. */
export interface FieldSchema extends ValueSchema {
  /** The field's name in `.proto` (snake_case): its key in eventwire's JSON. */
  readonly name: string;
  /** Its lowerCamelCase JSON name, accepted on input by the proto3 JSON rules. */
  readonly jsonName: string;
  /** Its property name in the generated TypeScript type. */
  readonly localName: string;
  readonly number: number;
  readonly repeated: boolean;
  /** The field tracks presence (a message, a oneof member, `optional`): unset is `undefined` and is left out of the JSON. */
  readonly presence: boolean;
  /** For a map field: the key's field type. */
  readonly mapKey: number | undefined;
  /** For a map field with 64-bit integer keys: how the generated code holds a key. */
  readonly mapKeyLong: LongKind | undefined;
  /** For a map field: true when the generated code holds it as a `Map` (bool keys; 64-bit keys as bigints), false for an object keyed by property names. */
  readonly mapIsMap: boolean;
  /** For a map field: the schema of the values. */
  readonly mapValue: ValueSchema | undefined;
  /** Bit `1 << w` set for each wire type `w` the field may arrive with. */
  readonly wireTypes: number;
}

/** An enum, compiled from its descriptor. */
export interface EnumSchema {
  readonly fullName: string;
  readonly byNumber: ReadonlyMap<number, string>;
  readonly byName: ReadonlyMap<string, number>;
}

/** A message type, compiled from its descriptor and its generated functions. */
export interface MessageSchema {
  /** The fully qualified name, without a leading dot: `eventwire.shop.v1.OrderItem`. */
  readonly fullName: string;
  /** The generated encode, decode and construction functions. */
  readonly type: MessageType<object>;
  readonly fields: readonly FieldSchema[];
  /** Fields by field number. */
  readonly byNumber: ReadonlyMap<number, FieldSchema>;
  /** Fields by `.proto` name and by JSON name. */
  readonly byJsonKey: ReadonlyMap<string, FieldSchema>;
  /** Fields by their property name in the generated TypeScript type. */
  readonly byLocalName: ReadonlyMap<string, FieldSchema>;
  readonly isMapEntry: boolean;
  /**
   * A new message of the generated type with every field at its default, as
   * its `fromPartial({})` makes it (the same properties in the same order),
   * without calling it: empty lists, maps and bytes are shared frozen ones,
   * for a decoder to replace.
   */
  readonly blank: () => Record<string, unknown>;
}

const PACKABLE = new Set<number>([
  FieldType.DOUBLE,
  FieldType.FLOAT,
  FieldType.INT64,
  FieldType.UINT64,
  FieldType.INT32,
  FieldType.FIXED64,
  FieldType.FIXED32,
  FieldType.BOOL,
  FieldType.UINT32,
  FieldType.ENUM,
  FieldType.SFIXED32,
  FieldType.SFIXED64,
  FieldType.SINT32,
  FieldType.SINT64,
]);

interface Declared<D> {
  readonly descriptor: D;
  readonly file: ProtoFile;
}

/**
 * The message and enum declarations of a set of generated files and of every
 * file they import, by fully qualified name, compiled into schemas on demand.
 */
export class SchemaPool {
  private readonly messages = new Map<string, Declared<MessageDescriptorLike>>();
  private readonly enums = new Map<string, Declared<EnumDescriptorLike>>();
  private readonly compiled = new Map<string, MessageSchema>();
  private readonly compiledEnums = new Map<string, EnumSchema>();

  constructor(files: readonly ProtoFile[]) {
    const seen = new Set<ProtoFile>();
    const visit = (file: ProtoFile): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const pkg = file.fileDescriptor.package;
      this.declare(file, pkg, file.fileDescriptor.messageType, file.fileDescriptor.enumType);
      for (const dep of file.dependencies ?? []) visit(dep);
    };
    for (const file of files) visit(file);
  }

  private declare(
    file: ProtoFile,
    scope: string,
    messages: readonly MessageDescriptorLike[],
    enums: readonly EnumDescriptorLike[],
  ): void {
    for (const e of enums) this.enums.set(join(scope, e.name), { descriptor: e, file });
    for (const m of messages) {
      const fullName = join(scope, m.name);
      this.messages.set(fullName, { descriptor: m, file });
      this.declare(file, fullName, m.nestedType, m.enumType);
    }
  }

  /** True when the pool declares a message of this fully qualified name. */
  hasMessage(fullName: string): boolean {
    return this.messages.has(fullName);
  }

  /** The compiled schema of a message, by fully qualified name (no leading dot). */
  message(fullName: string): MessageSchema {
    const done = this.compiled.get(fullName);
    if (done) return done;
    const declared = this.messages.get(fullName);
    if (!declared) {
      throw new RegistryError(
        "invalid-event-type",
        `no descriptor for message ${fullName}: pass the generated file's protoMetadata in \`files\``,
      );
    }
    const type = declared.file.references["." + fullName] as MessageType<object> | undefined;
    const isMapEntry = declared.descriptor.options?.mapEntry === true;
    if (!isMapEntry && (type === undefined || typeof type.decode !== "function")) {
      throw new RegistryError("invalid-event-type", `the generated file declares no functions for message ${fullName}`);
    }
    const fields: FieldSchema[] = [];
    const byNumber = new Map<number, FieldSchema>();
    const byJsonKey = new Map<string, FieldSchema>();
    const byLocalName = new Map<string, FieldSchema>();
    const schema: MessageSchema = {
      fullName,
      type: type as MessageType<object>,
      fields,
      byNumber,
      byJsonKey,
      byLocalName,
      isMapEntry,
      blank: () => ({}),
    };
    // Registered before its fields are compiled, so recursive types resolve.
    this.compiled.set(fullName, schema);
    try {
      const defaults = isMapEntry ? undefined : (type!.fromPartial({} as never) as Record<string, unknown>);
      if (defaults !== undefined && Object.keys(defaults).length !== declared.descriptor.field.length) {
        throw new RegistryError(
          "invalid-event-type",
          `message ${fullName}: the generated type has ${Object.keys(defaults).length} properties for ${declared.descriptor.field.length} fields; generate it with this package's buf.gen.yaml options`,
        );
      }
      (schema as { blank: () => Record<string, unknown> }).blank = blankOf(defaults);
      const empty = isMapEntry ? undefined : (type!.decode(new Uint8Array(0)) as Record<string, unknown>);
      for (const fd of declared.descriptor.field) {
        const entry = this.mapEntryOf(fd);
        // Each field is matched to its property by decoding it alone: never by property order,
        // which puts integer-like names ("1") first.
        const probed = empty === undefined ? undefined : probeField(type!, empty, fd, entry);
        if (empty !== undefined && probed === undefined) {
          throw new RegistryError(
            "invalid-event-type",
            `message ${fullName}: cannot tell which property of the generated type holds field ${fd.name}; generate it with this package's buf.gen.yaml options`,
          );
        }
        const localName = probed?.localName ?? fd.name;
        const field = this.field(fullName, fd, localName, defaults === undefined ? false : defaults[localName] === undefined, probed, entry);
        fields.push(field);
        byNumber.set(field.number, field);
        byJsonKey.set(field.name, field);
        byJsonKey.set(field.jsonName, field);
        byLocalName.set(field.localName, field);
      }
    } catch (error) {
      this.compiled.delete(fullName);
      throw error;
    }
    return schema;
  }

  /** The key and value descriptors of a map field's entry, or undefined when the field is no map. */
  private mapEntryOf(fd: FieldDescriptorLike): readonly [FieldDescriptorLike, FieldDescriptorLike] | undefined {
    if (fd.type !== FieldType.MESSAGE || fd.label !== LABEL_REPEATED) return undefined;
    const entry = this.messages.get(fd.typeName.startsWith(".") ? fd.typeName.slice(1) : fd.typeName)?.descriptor;
    if (entry?.options?.mapEntry !== true) return undefined;
    const key = entry.field.find((f) => f.number === 1);
    const value = entry.field.find((f) => f.number === 2);
    return key && value ? [key, value] : undefined;
  }

  private enumSchema(fullName: string): EnumSchema {
    const done = this.compiledEnums.get(fullName);
    if (done) return done;
    const declared = this.enums.get(fullName);
    if (!declared) throw new RegistryError("invalid-event-type", `no descriptor for enum ${fullName}`);
    const byNumber = new Map<number, string>();
    const byName = new Map<string, number>();
    for (const v of declared.descriptor.value) {
      if (!byNumber.has(v.number)) byNumber.set(v.number, v.name);
      byName.set(v.name, v.number);
    }
    const schema = { fullName, byNumber, byName };
    this.compiledEnums.set(fullName, schema);
    return schema;
  }

  /**
   * The schema of a value of descriptor `fd`, held as `sample` shows (a
   * value the generated code made, or undefined when none was made).
   */
  private value(owner: string, fd: FieldDescriptorLike, sample: unknown, hasSample: boolean): ValueSchema {
    if (fd.type === FieldType.GROUP) {
      throw new RegistryError("invalid-event-type", `${owner}.${fd.name}: groups are not supported`);
    }
    const ref = fd.typeName.startsWith(".") ? fd.typeName.slice(1) : fd.typeName;
    const message = fd.type === FieldType.MESSAGE ? this.message(ref) : undefined;
    const wellKnown = message !== undefined && hasSample ? wellKnownForm(`${owner}.${fd.name}`, ref, sample) : undefined;
    let wrapped: ValueSchema | undefined;
    if (wellKnown === "wrapper") {
      const inner = message!.byNumber.get(1)!;
      wrapped = { type: inner.type, message: undefined, enumType: undefined, long: longKindOf(inner.type, sample), wellKnown: undefined, wrapped: undefined };
    }
    return {
      type: fd.type,
      message,
      enumType: fd.type === FieldType.ENUM ? this.enumSchema(ref) : undefined,
      long: longKindOf(fd.type, hasSample ? sample : 0),
      wellKnown,
      wrapped,
    };
  }

  private field(
    owner: string,
    fd: FieldDescriptorLike,
    localName: string,
    presence: boolean,
    probed: Probed | undefined,
    mapEntry: readonly [FieldDescriptorLike, FieldDescriptorLike] | undefined,
  ): FieldSchema {
    const repeatedLabel = fd.label === LABEL_REPEATED;
    const value = mapEntry ? this.value(owner, fd, undefined, false) : this.value(owner, fd, probed?.sample, probed !== undefined);
    const entry = value.message?.isMapEntry ? value.message : undefined;
    const wire = wireTypeOf(fd.type);
    let wireTypes = 1 << wire;
    if (repeatedLabel && PACKABLE.has(fd.type)) wireTypes |= 1 << WireType.LEN;
    const base = {
      name: fd.name,
      jsonName: fd.jsonName || fd.name,
      localName,
      number: fd.number,
      presence,
      wireTypes,
    };
    if (entry) {
      const key = entry.byNumber.get(1);
      if (!key || !mapEntry) throw new RegistryError("invalid-event-type", `${owner}.${fd.name}: malformed map entry`);
      const mapValue = this.value(owner, mapEntry[1], probed?.sample, probed !== undefined);
      let mapKeyLong: LongKind | undefined;
      if (LONG_TYPES.has(key.type)) {
        // An object holder's keys are property names whatever the kind: the entry's own decoder tells number from string.
        const sampleKey = probed?.isMap ? probed.sampleKey : probeEntryKey(entry.type as MessageType<object> | undefined, mapEntry[0]);
        mapKeyLong = typeof sampleKey === "bigint" ? "bigint" : typeof sampleKey === "number" ? "number" : "string";
      }
      return {
        ...base,
        type: fd.type,
        message: undefined,
        enumType: undefined,
        long: undefined,
        wellKnown: undefined,
        wrapped: undefined,
        repeated: false,
        mapKey: key.type,
        mapKeyLong,
        mapIsMap: probed?.isMap ?? (key.type === FieldType.BOOL || mapKeyLong === "bigint"),
        mapValue,
      };
    }
    return { ...base, ...value, repeated: repeatedLabel, mapKey: undefined, mapKeyLong: undefined, mapIsMap: false, mapValue: undefined };
  }
}

/** The 64-bit integer field types. */
export const LONG_TYPES: ReadonlySet<number> = new Set([FieldType.INT64, FieldType.UINT64, FieldType.FIXED64, FieldType.SFIXED64, FieldType.SINT64]);

/** How a value of `type` is held, for the 64-bit types, judging by a value generated code made. */
function longKindOf(type: number, sample: unknown): LongKind | undefined {
  if (!LONG_TYPES.has(type)) return undefined;
  return typeof sample === "bigint" ? "bigint" : typeof sample === "string" ? "string" : "number";
}

const WRAPPERS = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"].map((n) => `google.protobuf.${n}`));

/**
 * The form generated code holds a well-known type in, judging by the value
 * it made for a field of that type; undefined when it holds the message.
 */
function wellKnownForm(where: string, fullName: string, sample: unknown): WellKnownForm | undefined {
  const isPlainObject = typeof sample === "object" && sample !== null && !Array.isArray(sample) && !(sample instanceof Date) && !(sample instanceof Uint8Array);
  const unsupported = (how: string): never => {
    throw new RegistryError("invalid-event-type", `${where}: ${fullName} is held as ${how}, which eventwire does not read; generate with this package's buf.gen.yaml options`);
  };
  switch (fullName) {
    case "google.protobuf.Timestamp":
      if (sample instanceof Date) return "timestamp-date";
      return isPlainObject ? undefined : unsupported(typeof sample === "string" ? "a string (useDate=string)" : typeof sample);
    case "google.protobuf.Struct":
      return isPlainObject && Object.hasOwn(sample as object, "fields") ? undefined : "struct";
    case "google.protobuf.Value":
      return isPlainObject && Object.hasOwn(sample as object, "kind") ? undefined : "value";
    case "google.protobuf.ListValue":
      return Array.isArray(sample) ? "list" : undefined;
    case "google.protobuf.FieldMask":
      return Array.isArray(sample) ? "field-mask" : undefined;
    default:
      if (WRAPPERS.has(fullName)) return isPlainObject ? undefined : "wrapper";
      return undefined;
  }
}

function join(scope: string, name: string): string {
  return scope ? `${scope}.${name}` : name;
}
