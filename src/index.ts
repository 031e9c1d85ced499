/**
 * `eventwire`: the codec. Events, the registry of event types, and their
 * binary (protobuf `EventEnvelope`) and JSON forms. Nothing here imports a
 * Redis client.
 */
export { createRegistry, EventRegistry } from "./registry.js";
export type { AnyMessageType, DecodeResult, EventNamed, EventsOf, PayloadInit, RegistryOptions } from "./registry.js";
export { HEADERS_KEY, Headers } from "./event.js";
export type { Event, EventBase, EventOf, PayloadOf, ShortName } from "./event.js";
export { DecodeError, EventValidationError, EventwireError, RegistryError, SchemaConflictError, TransportError, isDecodeError, isEventwireError, isSchemaConflictError } from "./errors.js";
export { decodeDescriptorSet, describedEnums, describedMessages, describeMessage, descriptorSetFingerprint, encodeDescriptorSet } from "./descriptor-set.js";
export type { DescribedEnum, DescribedField, DescribedFile, DescribedMessage, DescriptorSet } from "./descriptor-set.js";
export { breakingChanges, isOlderShape } from "./schema-compatibility.js";
export type { EventwireErrorCode } from "./errors.js";
export { defaultDecodeOptions } from "./schema/decode-options.js";
export type { DecodeOptions } from "./schema/decode-options.js";
export type { JsonStyle } from "./to-json.js";
export type { RegisteredType } from "./schema/registered-type.js";
export { FieldType } from "./schema/descriptors.js";
export type { EnumDescriptorLike, FieldDescriptorLike, MessageDescriptorLike, MessageType, ProtoFile } from "./schema/descriptors.js";
export type { EnumSchema, FieldSchema, LongKind, MessageSchema, ValueSchema, WellKnownForm } from "./schema/schema.js";
export { formatPythonFloat, pythonFloat, pythonJsonDumps } from "./python/dumps.js";
export type { PythonFloat } from "./python/dumps.js";
export { pythonJsonLoads } from "./python/loads.js";
