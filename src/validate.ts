import { EventValidationError } from "./errors.js";
import { FieldType, type MessageSchema, type ValueSchema } from "./schema.js";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

/**
 * Why `value` does not fit a field of this type, or `undefined` when it fits.
 * Shared by event construction and the JSON decoder.
 */
export function scalarProblem(type: number, value: unknown): string | undefined {
  switch (type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT:
      return typeof value === "number" ? undefined : `expected a number, got ${describe(value)}`;
    case FieldType.INT32:
    case FieldType.SINT32:
    case FieldType.SFIXED32:
    case FieldType.ENUM:
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? undefined
        : `expected a 32-bit signed integer, got ${describe(value)}`;
    case FieldType.UINT32:
    case FieldType.FIXED32:
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= UINT32_MAX
        ? undefined
        : `expected a 32-bit unsigned integer, got ${describe(value)}`;
    case FieldType.INT64:
    case FieldType.SINT64:
    case FieldType.SFIXED64:
      return Number.isSafeInteger(value) ? undefined : `expected a safe integer, got ${describe(value)}`;
    case FieldType.UINT64:
    case FieldType.FIXED64:
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : `expected a non-negative safe integer, got ${describe(value)}`;
    case FieldType.BOOL:
      return typeof value === "boolean" ? undefined : `expected a boolean, got ${describe(value)}`;
    case FieldType.STRING:
      if (typeof value !== "string") return `expected a string, got ${describe(value)}`;
      return value.isWellFormed() ? undefined : "the string has a lone surrogate and cannot be encoded as UTF-8";
    case FieldType.BYTES:
      return value instanceof Uint8Array ? undefined : `expected a Uint8Array, got ${describe(value)}`;
    default:
      return `unsupported field type ${type}`;
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "undefined":
      return "undefined";
    default:
      return value instanceof Uint8Array ? "a Uint8Array" : `a${typeof value === "object" ? "n" : ""} ${typeof value}`;
  }
}

/** Joins a field path: `items[2]` and `quantity` give `items[2].quantity`. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
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
    throw new EventValidationError("invalid-value", `expected a ${schema.fullName} object, got ${describe(message)}`, {
      path,
    });
  }
  const record = message as Record<string, unknown>;
  if (partial) {
    for (const key of Object.keys(record)) {
      if (!schema.byLocalName.has(key)) {
        throw new EventValidationError("invalid-value", `${schema.fullName} has no field ${JSON.stringify(key)}`, {
          path: child(path, key),
        });
      }
    }
  }
  for (const field of schema.fields) {
    const value = record[field.localName];
    const at = child(path, field.name);
    if (value === undefined && (partial || field.presence)) continue;
    if (field.mapValue) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new EventValidationError("invalid-value", `expected a map object, got ${describe(value)}`, { path: at });
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
        throw new EventValidationError("invalid-value", `expected an array, got ${describe(value)}`, { path: at });
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
