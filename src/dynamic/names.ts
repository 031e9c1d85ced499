/**
 * How protobufjs's view of a `.proto` file maps onto descriptors: scalar
 * type names, labels, and the names protoc gives fields and map entries.
 */
import { FieldType } from "../index.js";

/** protobufjs's scalar type names, as `FieldDescriptorProto.Type` numbers. */
export const SCALARS: Readonly<Record<string, number>> = {
  double: FieldType.DOUBLE,
  float: FieldType.FLOAT,
  int64: FieldType.INT64,
  uint64: FieldType.UINT64,
  int32: FieldType.INT32,
  fixed64: FieldType.FIXED64,
  fixed32: FieldType.FIXED32,
  bool: FieldType.BOOL,
  string: FieldType.STRING,
  bytes: FieldType.BYTES,
  uint32: FieldType.UINT32,
  sfixed32: FieldType.SFIXED32,
  sfixed64: FieldType.SFIXED64,
  sint32: FieldType.SINT32,
  sint64: FieldType.SINT64,
};

/** The 64-bit integer types, by protobufjs name. */
export const LONGS = new Set(["int64", "uint64", "fixed64", "sfixed64", "sint64"]);
/** The unsigned ones among them. */
export const UNSIGNED_LONGS = new Set(["uint64", "fixed64"]);
export const LABEL_OPTIONAL = 1;
export const LABEL_REQUIRED = 2;
export const LABEL_REPEATED = 3;

/** The lowerCamelCase name protoc gives a field in JSON (`user_id` → `userId`). */
export function camelName(name: string): string {
  let out = "";
  let upper = false;
  for (const c of name) {
    if (c === "_") upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

/** The name protoc gives a map field's entry message (`by_id` → `ByIdEntry`). */
export function mapEntryName(name: string): string {
  const camel = camelName(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1) + "Entry";
}
