/**
 * Checking values against a schema: whether a value fits a field's type, and
 * whether a message holds values of the declared types throughout.
 */
import { describeValue, EventValidationError, joinPath } from "../errors.js";
import { isInt32, isUint32 } from "../wire/limits.js";
import { FieldType } from "./descriptors.js";
import type { MessageSchema, ValueSchema } from "./schema.js";

/**
 * Why `value` does not fit a field of this type, or `undefined` when it fits.
 * Shared by event construction and the JSON decoder.
 */
export function scalarProblem(type: number, value: unknown): string | undefined {
  switch (type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT:
      return typeof value === "number" ? undefined : `expected a number, got ${describeValue(value)}`;
    case FieldType.INT32:
    case FieldType.SINT32:
    case FieldType.SFIXED32:
    case FieldType.ENUM:
      return isInt32(value) ? undefined : `expected a 32-bit signed integer, got ${describeValue(value)}`;
    case FieldType.UINT32:
    case FieldType.FIXED32:
      return isUint32(value) ? undefined : `expected a 32-bit unsigned integer, got ${describeValue(value)}`;
    case FieldType.INT64:
    case FieldType.SINT64:
    case FieldType.SFIXED64:
      return Number.isSafeInteger(value) ? undefined : `expected a safe integer, got ${describeValue(value)}`;
    case FieldType.UINT64:
    case FieldType.FIXED64:
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : `expected a non-negative safe integer, got ${describeValue(value)}`;
    case FieldType.BOOL:
      return typeof value === "boolean" ? undefined : `expected a boolean, got ${describeValue(value)}`;
    case FieldType.STRING:
      if (typeof value !== "string") return `expected a string, got ${describeValue(value)}`;
      return value.isWellFormed() ? undefined : "the string has a lone surrogate and cannot be encoded as UTF-8";
    case FieldType.BYTES:
      return value instanceof Uint8Array ? undefined : `expected a Uint8Array, got ${describeValue(value)}`;
    default:
      return `unsupported field type ${type}`;
  }
}

/**
 * Checks that a message value holds values of the declared types throughout;
 * throws {@link EventValidationError} naming the first field that does not.
 * With `partial` (a caller's input to `create`), fields may be left out, but
 * a property that names no field is an error, so that a misspelt field is
 * not silently dropped.
 */
export function validateMessage(schema: MessageSchema, message: unknown, path: string, partial = false): void {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new EventValidationError("invalid-value", `expected a ${schema.fullName} object, got ${describeValue(message)}`, {
      path,
    });
  }
  const record = message as Record<string, unknown>;
  if (partial) {
    for (const key of Object.keys(record)) {
      if (!schema.byLocalName.has(key)) {
        throw new EventValidationError("invalid-value", `${schema.fullName} has no field ${JSON.stringify(key)}`, {
          path: joinPath(path, key),
        });
      }
    }
  }
  for (const field of schema.fields) {
    const value = record[field.localName];
    const at = joinPath(path, field.name);
    if (value === undefined && (partial || field.presence)) continue;
    if (field.mapValue) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new EventValidationError("invalid-value", `expected a map object, got ${describeValue(value)}`, { path: at });
      }
      for (const key of Object.keys(value)) {
        if (key === "__proto__") {
          throw new EventValidationError("invalid-value", "the map key __proto__ is not allowed", { path: at });
        }
        const keyAt = `${at}[${JSON.stringify(key)}]`;
        if (field.mapKey === FieldType.STRING && !key.isWellFormed()) {
          throw new EventValidationError("invalid-value", "the map key has a lone surrogate and cannot be encoded as UTF-8", {
            path: keyAt,
          });
        }
        validateValue(field.mapValue, (value as Record<string, unknown>)[key], keyAt, partial);
      }
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        throw new EventValidationError("invalid-value", `expected an array, got ${describeValue(value)}`, { path: at });
      }
      value.forEach((item, i) => validateValue(field, item, `${at}[${i}]`, partial));
    } else {
      validateValue(field, value, at, partial);
    }
  }
}

function validateValue(schema: ValueSchema, value: unknown, path: string, partial: boolean): void {
  if (schema.message) {
    validateMessage(schema.message, value, path, partial);
    return;
  }
  const problem = scalarProblem(schema.type, value);
  if (problem) throw new EventValidationError("invalid-value", problem, { path });
}
