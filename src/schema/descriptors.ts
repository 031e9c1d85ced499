/**
 * What ts-proto generates, as eventwire reads it: message types with their
 * functions, and the descriptors of the `.proto` files they come from.
 */
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/**
 * A message type as ts-proto generates it (with `outputTypeAnnotations`):
 * its fully qualified name and its encode, decode and construction functions.
 */
export interface MessageType<T = unknown, N extends string = string> {
  readonly $type: N;
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(object: never): T;
}

/** The parts of a `google.protobuf.FieldDescriptorProto` eventwire reads. */
export interface FieldDescriptorLike {
  readonly name: string;
  readonly number: number;
  readonly label: number;
  readonly type: number;
  readonly typeName: string;
  readonly jsonName: string;
}

/** The parts of a `google.protobuf.DescriptorProto` eventwire reads. */
export interface MessageDescriptorLike {
  readonly name: string;
  readonly field: readonly FieldDescriptorLike[];
  readonly nestedType: readonly MessageDescriptorLike[];
  readonly enumType: readonly EnumDescriptorLike[];
  readonly options?: { readonly mapEntry?: boolean } | undefined;
}

/** The parts of a `google.protobuf.EnumDescriptorProto` eventwire reads. */
export interface EnumDescriptorLike {
  readonly name: string;
  readonly value: readonly { readonly name: string; readonly number: number }[];
}

/**
 * One generated `.proto` file: the `protoMetadata` constant ts-proto writes
 * into every file it generates with `outputSchema=const`.
 */
export interface ProtoFile {
  readonly fileDescriptor: {
    readonly name: string;
    readonly package: string;
    readonly messageType: readonly MessageDescriptorLike[];
    readonly enumType: readonly EnumDescriptorLike[];
  };
  readonly references: { readonly [fullName: string]: unknown };
  readonly dependencies?: readonly ProtoFile[] | undefined;
}

/** Field types, as numbered in `google.protobuf.FieldDescriptorProto.Type`. */
export const FieldType = {
  DOUBLE: 1,
  FLOAT: 2,
  INT64: 3,
  UINT64: 4,
  INT32: 5,
  FIXED64: 6,
  FIXED32: 7,
  BOOL: 8,
  STRING: 9,
  GROUP: 10,
  MESSAGE: 11,
  BYTES: 12,
  UINT32: 13,
  ENUM: 14,
  SFIXED32: 15,
  SFIXED64: 16,
  SINT32: 17,
  SINT64: 18,
} as const;

/** The label of a repeated field, as numbered in `google.protobuf.FieldDescriptorProto.Label`. */
export const LABEL_REPEATED = 3;
