/**
 * Descriptors, in the shape ts-proto writes into `protoMetadata`, of the
 * messages and enums protobufjs has read: what the registry's schema pool
 * compiles.
 */
import protobuf from "protobufjs";
import { FieldType, RegistryError, type EnumDescriptorLike, type FieldDescriptorLike, type MessageDescriptorLike } from "../index.js";
import { LABEL_OPTIONAL, LABEL_REPEATED, LABEL_REQUIRED, mapEntryName, SCALARS, camelName } from "./names.js";

function fieldDescriptor(field: protobuf.Field, owner: protobuf.Type, nested: MessageDescriptorLike[]): FieldDescriptorLike {
  const jsonName = typeof field.options?.["json_name"] === "string" ? (field.options["json_name"] as string) : camelName(field.name);
  const base = { name: field.name, number: field.id, jsonName };
  if (field instanceof protobuf.MapField) {
    // A map is a repeated field of a nested entry message, as protoc describes it.
    const entry = mapEntryName(field.name);
    const key = field;
    nested.push({
      name: entry,
      field: [
        { name: "key", number: 1, label: LABEL_OPTIONAL, type: SCALARS[key.keyType] ?? 0, typeName: "", jsonName: "key" },
        { name: "value", number: 2, label: LABEL_OPTIONAL, ...valueType(field), jsonName: "value" },
      ],
      nestedType: [],
      enumType: [],
      options: { mapEntry: true },
    });
    return { ...base, label: LABEL_REPEATED, type: FieldType.MESSAGE, typeName: `${owner.fullName}.${entry}` };
  }
  const label = field.repeated ? LABEL_REPEATED : field.required ? LABEL_REQUIRED : LABEL_OPTIONAL;
  return { ...base, label, ...valueType(field) };
}

function valueType(field: protobuf.Field): { type: number; typeName: string } {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return { type: field.delimited ? FieldType.GROUP : FieldType.MESSAGE, typeName: resolved.fullName };
  if (resolved instanceof protobuf.Enum) return { type: FieldType.ENUM, typeName: resolved.fullName };
  const type = SCALARS[field.type];
  if (type === undefined) throw new RegistryError("invalid-event-type", `${field.fullName}: unknown field type ${field.type}`);
  return { type, typeName: "" };
}

export function enumDescriptor(e: protobuf.Enum): EnumDescriptorLike {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

export function messageDescriptor(type: protobuf.Type): MessageDescriptorLike {
  const nestedType: MessageDescriptorLike[] = [];
  const enumType: EnumDescriptorLike[] = [];
  for (const n of type.nestedArray) {
    if (n instanceof protobuf.Type) nestedType.push(messageDescriptor(n));
    else if (n instanceof protobuf.Enum) enumType.push(enumDescriptor(n));
  }
  const field = type.fieldsArray.map((f) => fieldDescriptor(f, type, nestedType));
  return { name: type.name, field, nestedType, enumType, options: undefined };
}
