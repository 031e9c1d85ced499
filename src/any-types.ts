/**
 * The message types a `google.protobuf.Any` may hold, resolved through a
 * registry's schemas (every message of the files it was made with), and the
 * packing and unpacking of their bytes with the binary codec, for the JSON
 * form of an Any.
 */
import { codecOf } from "./compile/codec.js";
import { DecodeError, EventValidationError } from "./errors.js";
import type { MessageSchema } from "./schema/schema.js";
import { placeFault } from "./wire/faults.js";
import { beginInput, endInput } from "./wire/reader.js";
import { withWriter } from "./wire/writer.js";

/** Resolves a message's fully qualified name (an Any's type URL names one after its last `/`). */
export interface AnyTypes {
  resolve(fullName: string): MessageSchema | undefined;
}

let current: AnyTypes | undefined;

/**
 * Makes `types` the types an Any resolves to (for the JSON codec, which
 * reaches Anys deep in a message), until the next call; returns the
 * previous ones, for a caller that restores them. (Every entry point of the
 * JSON codec sets them first, so what a call that threw left behind is
 * never used.)
 */
export function useAnyTypes(types: AnyTypes | undefined): AnyTypes | undefined {
  const previous = current;
  current = types;
  return previous;
}

/** The schema a type URL names, among the types in force, if any. */
export function resolveTypeUrl(typeUrl: string): MessageSchema | undefined {
  return current?.resolve(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
}

/** The message an Any's bytes hold; throws {@link EventValidationError} when they are not one of its type. */
export function unpack(schema: MessageSchema, bytes: Uint8Array, path: string): object {
  const previous = beginInput(bytes, 100);
  try {
    return codecOf(schema).decode(bytes, 0, bytes.length, 1);
  } catch (error) {
    const placed = placeFault(error, "", 0);
    const reason = placed instanceof Error ? placed.message : String(placed);
    throw new EventValidationError("invalid-value", `the Any's bytes are not a ${schema.fullName}: ${reason}`, { path, cause: error });
  } finally {
    endInput(previous);
  }
}

/** A message's bytes, to be packed in an Any; throws {@link DecodeError} when it cannot be encoded. */
export function pack(schema: MessageSchema, message: object, path: string): Uint8Array {
  try {
    return withWriter((codec: ReturnType<typeof codecOf>, m: object, start: number) => codec.encode(m, start), codecOf(schema), message).slice();
  } catch (error) {
    throw new DecodeError("invalid-value", `the Any's ${schema.fullName} cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, { path, cause: error });
  }
}
