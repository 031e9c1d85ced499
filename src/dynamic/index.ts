/**
 * `eventwire/dynamic`: event types read from `.proto` files at run time, through protobufjs,
 * for tools that meet event types they were not built with (the CLI's
 * `--proto`). The result is what ts-proto generates — `ProtoFile`
 * descriptors and message types — so the same registry and the same codec
 * serve both:
 *
 * ```ts
 * import { createRegistry } from "eventwire";
 * import { loadProtoTypes } from "eventwire/dynamic";
 *
 * const types = loadProtoTypes(["./proto"]);
 * const registry = createRegistry(types.eventTypes, { files: types.files });
 * ```
 *
 * Messages made here have the shape of ts-proto's: lowerCamelCase
 * properties, defaults filled in, message fields (and `optional` and oneof
 * members) `undefined` while unset, 64-bit integers as bigints (ts-proto's
 * `forceLong=bigint`), maps with bool or 64-bit keys as `Map`s, bytes as
 * `Uint8Array`, well-known types as their messages.
 */
export { loadProtoTypes } from "./load.js";
export { protoTypes } from "./proto-types.js";
export type { ProtoTypes, ProtoTypesOptions } from "./proto-types.js";
export { descriptorSetTypes } from "./descriptor-types.js";
export type { RegisteredDescriptorSet } from "./descriptor-types.js";
