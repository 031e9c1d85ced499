/**
 * Event types from the descriptor sets publishers register in Redis (see
 * eventwire's `describeMessage`), with or without `.proto` files: what lets
 * a tool decode every event of a stream without the schemas' sources.
 */
import protobuf from "protobufjs";
import { decodeDescriptorSet, FieldType, RegistryError, type DescribedEnum, type DescribedField, type DescribedMessage, type DescriptorSet } from "../index.js";
import { readProtoRoot } from "./load.js";
import { protoTypes, type ProtoTypes } from "./proto-types.js";

/** One event type's registered schema. */
export interface RegisteredDescriptorSet {
  /** The event type's full name. */
  readonly fullName: string;
  /** The binary `FileDescriptorSet`, or its decoded form. */
  readonly descriptorSet: Uint8Array | DescriptorSet;
  /** Where it was read from, for messages and `ProtoTypes.sources` (`redis mq:eventwire:schema:… v2`). */
  readonly source?: string;
}

const SCALAR_NAMES = new Map<number, string>([
  [FieldType.DOUBLE, "double"],
  [FieldType.FLOAT, "float"],
  [FieldType.INT64, "int64"],
  [FieldType.UINT64, "uint64"],
  [FieldType.INT32, "int32"],
  [FieldType.FIXED64, "fixed64"],
  [FieldType.FIXED32, "fixed32"],
  [FieldType.BOOL, "bool"],
  [FieldType.STRING, "string"],
  [FieldType.BYTES, "bytes"],
  [FieldType.UINT32, "uint32"],
  [FieldType.SFIXED32, "sfixed32"],
  [FieldType.SFIXED64, "sfixed64"],
  [FieldType.SINT32, "sint32"],
  [FieldType.SINT64, "sint64"],
]);

function typeOf(f: DescribedField): string {
  if (f.typeName !== "") return f.typeName;
  const name = SCALAR_NAMES.get(f.type);
  if (name === undefined) throw new RegistryError("invalid-event-type", `the registered schema has a field ${f.name} of an unsupported type ${f.type}`);
  return name;
}

/** A described message as protobufjs's JSON form: fields, map fields, `optional` fields with their synthetic oneofs. */
function typeJson(m: DescribedMessage, fullName: string): protobuf.IType & { edition: string } {
  const entries = new Map(m.nestedType.filter((n) => n.mapEntry).map((n) => [`.${fullName}.${n.name}`, n]));
  const fields: Record<string, protobuf.IField & { keyType?: string; options?: Record<string, unknown> }> = {};
  const oneofs: Record<string, protobuf.IOneOf> = {};
  for (const f of m.field) {
    const entry = entries.get(f.typeName);
    if (entry) {
      const key = entry.field.find((e) => e.number === 1)!;
      const value = entry.field.find((e) => e.number === 2)!;
      fields[f.name] = { id: f.number, keyType: typeOf(key), type: typeOf(value) };
      continue;
    }
    fields[f.name] = {
      id: f.number,
      type: typeOf(f),
      ...(f.label === 3 ? { rule: "repeated" } : {}),
      ...(f.proto3Optional ? { options: { proto3_optional: true } } : {}),
    };
    if (f.proto3Optional) oneofs[`_${f.name}`] = { oneof: [f.name] };
  }
  const nested: Record<string, protobuf.AnyNestedObject> = {};
  for (const n of m.nestedType) if (!n.mapEntry) nested[n.name] = typeJson(n, `${fullName}.${n.name}`);
  for (const e of m.enumType) nested[e.name] = enumOf(e).toJSON();
  return { edition: "proto3", fields, ...(Object.keys(oneofs).length > 0 ? { oneofs } : {}), ...(Object.keys(nested).length > 0 ? { nested } : {}) };
}

function enumOf(e: DescribedEnum): protobuf.Enum {
  return new protobuf.Enum(e.name, Object.fromEntries(e.value.map((v) => [v.name, v.number])));
}

/**
 * The well-known types as protobufjs defines them (as when a .proto file
 * imports them), where the root lacks them: the registry recognises them
 * in that shape.
 */
function addWellKnown(root: protobuf.Root): void {
  for (const file of Object.keys(protobuf.common)) {
    if (!file.startsWith("google/protobuf/")) continue;
    const json = protobuf.common.get(file) as { nested: { google: { nested: { protobuf: { nested: Record<string, unknown> } } } } } | null;
    if (!json) continue;
    const names = Object.keys(json.nested.google.nested.protobuf.nested);
    if (names.every((n) => root.lookup(`google.protobuf.${n}`) === null)) root.addJSON(json.nested as unknown as Record<string, protobuf.AnyNestedObject>);
  }
}

/**
 * The event types of registered descriptor sets (and of the `.proto` files
 * at `paths`, which win where both define a message): a message or enum
 * already defined is kept as it is, the others are added. The event types
 * are picked as {@link protoTypes} picks them, so each registered type is
 * one (it is a top-level message no other uses).
 */
export function descriptorSetTypes(sets: readonly RegisteredDescriptorSet[], options: { readonly paths?: readonly string[] } = {}): ProtoTypes {
  const root = options.paths && options.paths.length > 0 ? readProtoRoot(options.paths) : new protobuf.Root();
  const sources = new Map<string, string>();
  for (const registered of sets) {
    const set = registered.descriptorSet instanceof Uint8Array ? decodeDescriptorSet(registered.descriptorSet) : registered.descriptorSet;
    if (set.files.some((f) => f.package === "google.protobuf")) addWellKnown(root);
    for (const file of set.files) {
      for (const e of file.enumType) {
        const full = file.package === "" ? e.name : `${file.package}.${e.name}`;
        if (root.lookup(full) !== null) continue;
        const ns = file.package === "" ? root : root.define(file.package);
        ns.add(enumOf(e));
      }
      for (const m of file.messageType) {
        const full = file.package === "" ? m.name : `${file.package}.${m.name}`;
        if (root.lookup(full) !== null) continue;
        const ns = file.package === "" ? root : root.define(file.package);
        ns.add(protobuf.Type.fromJSON(m.name, typeJson(m, full)));
      }
    }
    if (registered.source !== undefined) sources.set(registered.fullName, registered.source);
  }
  const types = protoTypes(root);
  return { ...types, sources: new Map([...types.sources, ...sources]) };
}
