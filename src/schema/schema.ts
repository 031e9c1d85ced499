/**
 * The schemas eventwire compiles from the descriptors ts-proto generates:
 * each message's fields by number, by JSON key and by property name, with
 * what each holds, resolved once per registry.
 */
import { RegistryError } from "../errors.js";
import { WireType } from "../wire/wire-type.js";
import { FieldType, LABEL_REPEATED, type EnumDescriptorLike, type FieldDescriptorLike, type MessageDescriptorLike, type MessageType, type ProtoFile } from "./descriptors.js";

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

/** A value's schema: what a singular field, a list element or a map value holds. */
export interface ValueSchema {
  /** The field type (a {@link FieldType} number). */
  readonly type: number;
  /** For `MESSAGE`: the message's schema. */
  readonly message: MessageSchema | undefined;
  /** For `ENUM`: the enum's schema. */
  readonly enumType: EnumSchema | undefined;
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
    };
    // Registered before its fields are compiled, so recursive types resolve.
    this.compiled.set(fullName, schema);
    const defaults = isMapEntry ? undefined : (type!.fromPartial({} as never) as Record<string, unknown>);
    const localNames = defaults ? Object.keys(defaults) : declared.descriptor.field.map((f) => f.name);
    if (localNames.length !== declared.descriptor.field.length) {
      this.compiled.delete(fullName);
      throw new RegistryError(
        "invalid-event-type",
        `message ${fullName}: the generated type has ${localNames.length} properties for ${declared.descriptor.field.length} fields; generate it with this package's buf.gen.yaml options`,
      );
    }
    declared.descriptor.field.forEach((fd, i) => {
      const field = this.field(fullName, fd, localNames[i]!, defaults === undefined ? false : defaults[localNames[i]!] === undefined);
      fields.push(field);
      byNumber.set(field.number, field);
      byJsonKey.set(field.name, field);
      byJsonKey.set(field.jsonName, field);
      byLocalName.set(field.localName, field);
    });
    return schema;
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

  private value(owner: string, fd: FieldDescriptorLike): ValueSchema {
    if (fd.type === FieldType.GROUP) {
      throw new RegistryError("invalid-event-type", `${owner}.${fd.name}: groups are not supported`);
    }
    const ref = fd.typeName.startsWith(".") ? fd.typeName.slice(1) : fd.typeName;
    if (fd.type === FieldType.MESSAGE && ref.startsWith("google.protobuf.")) {
      throw new RegistryError(
        "invalid-event-type",
        `${owner}.${fd.name}: the well-known type ${ref} is not supported in events; use a scalar field`,
      );
    }
    return {
      type: fd.type,
      message: fd.type === FieldType.MESSAGE ? this.message(ref) : undefined,
      enumType: fd.type === FieldType.ENUM ? this.enumSchema(ref) : undefined,
    };
  }

  private field(owner: string, fd: FieldDescriptorLike, localName: string, presence: boolean): FieldSchema {
    const repeatedLabel = fd.label === LABEL_REPEATED;
    const value = this.value(owner, fd);
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
      const val = entry.byNumber.get(2);
      if (!key || !val) throw new RegistryError("invalid-event-type", `${owner}.${fd.name}: malformed map entry`);
      return {
        ...base,
        type: fd.type,
        message: undefined,
        enumType: undefined,
        repeated: false,
        mapKey: key.type,
        mapValue: { type: val.type, message: val.message, enumType: val.enumType },
      };
    }
    return { ...base, ...value, repeated: repeatedLabel, mapKey: undefined, mapValue: undefined };
  }
}

function join(scope: string, name: string): string {
  return scope ? `${scope}.${name}` : name;
}
