/**
 * Checking values against a schema: whether a value fits a field's type, and
 * whether a message holds values of the declared types throughout.
 */
import { describeValue, EventValidationError, joinPath } from "../errors.js";
import { beyondFloat32, CANONICAL_INTEGER, isInt32, isInt64, isUint32, TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from "../wire/limits.js";
import { FieldType } from "./descriptors.js";
import type { FieldSchema, LongKind, MessageSchema, ValueSchema } from "./schema.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const UNSIGNED_LONGS = new Set<number>([FieldType.UINT64, FieldType.FIXED64]);

/** Why `value` does not fit a 64-bit field of this type held as `long`, or undefined when it fits. */
function longProblem(type: number, long: LongKind, value: unknown): string | undefined {
  const unsigned = UNSIGNED_LONGS.has(type);
  const kind = unsigned ? "an unsigned 64-bit integer" : "a 64-bit integer";
  switch (long) {
    case "bigint":
      if (typeof value !== "bigint") return `expected ${kind} as a bigint, got ${describeValue(value)}`;
      return isInt64(value, unsigned) ? undefined : `${value} is out of the range of ${kind}`;
    case "string":
      if (typeof value !== "string" || !CANONICAL_INTEGER.test(value)) {
        return `expected ${kind} as a decimal string, got ${describeValue(value)}`;
      }
      return isInt64(BigInt(value), unsigned) ? undefined : `${value} is out of the range of ${kind}`;
    default:
      if (
        (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) ||
        (typeof value === "bigint" && (value > MAX_SAFE || value < -MAX_SAFE))
      ) {
        return (
          `${value} is beyond 2^53: this field's generated type holds 64-bit integers as numbers (ts-proto's forceLong=number), ` +
          `which cannot hold it exactly; generate with forceLong=bigint`
        );
      }
      if (!Number.isSafeInteger(value)) return `expected ${kind} as a safe integer, got ${describeValue(value)}`;
      return unsigned && (value as number) < 0 ? `expected ${kind}, got ${describeValue(value)}` : undefined;
  }
}

/**
 * Why `value` does not fit a field of this type, or `undefined` when it fits.
 * Shared by event construction and the JSON decoder. `long` says how a
 * 64-bit integer is held (a number unless given).
 */
export function scalarProblem(type: number, value: unknown, long: LongKind = "number"): string | undefined {
  switch (type) {
    case FieldType.DOUBLE:
      return typeof value === "number" ? undefined : `expected a number, got ${describeValue(value)}`;
    case FieldType.FLOAT:
      if (typeof value !== "number") return `expected a number, got ${describeValue(value)}`;
      return beyondFloat32(value) ? `${value} is out of the range of a float` : undefined;
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
    case FieldType.UINT64:
    case FieldType.FIXED64:
      return longProblem(type, long, value);
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
 * Why a map key (a property name, or a `Map` key) does not fit the map's
 * key type, or undefined when it fits.
 */
export function mapKeyProblem(field: FieldSchema, key: unknown): string | undefined {
  const type = field.mapKey!;
  if (field.mapIsMap) {
    if (type === FieldType.BOOL) return typeof key === "boolean" ? undefined : `the map key must be a boolean, got ${describeValue(key)}`;
    return scalarProblem(type, key, field.mapKeyLong);
  }
  if (typeof key !== "string") return `the map key must be a property name, got ${describeValue(key)}`;
  if (key === "__proto__") return "the map key __proto__ is not allowed";
  if (type === FieldType.STRING) return key.isWellFormed() ? undefined : "the map key has a lone surrogate and cannot be encoded as UTF-8";
  if (!CANONICAL_INTEGER.test(key)) return `the map key ${JSON.stringify(key)} is not an integer in decimal`;
  if (field.mapKeyLong !== undefined) return scalarProblem(type, field.mapKeyLong === "number" ? Number(key) : key, field.mapKeyLong === "number" ? "number" : "string");
  return scalarProblem(type, Number(key));
}

/** Why a value is not a JSON value a `google.protobuf.Value` can hold, or undefined when it is. */
export function jsonValueProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 100) return "JSON values nest deeper than 100";
  if (value === null || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${value} has no JSON form (a Value's number must be finite)`;
  if (typeof value === "string") return value.isWellFormed() ? undefined : "the string has a lone surrogate and cannot be encoded as UTF-8";
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = jsonValueProblem(item, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === "object" && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    for (const key of Object.keys(value)) {
      if (key === "__proto__") return "the key __proto__ is not allowed";
      if (!key.isWellFormed()) return "a key has a lone surrogate and cannot be encoded as UTF-8";
      const p = jsonValueProblem((value as Record<string, unknown>)[key], depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `expected a JSON value (null, a number, a string, a boolean, an array or a plain object), got ${describeValue(value)}`;
}

/** Why a value does not fit a well-known type held unwrapped, or undefined when it fits. */
function wellKnownProblem(schema: ValueSchema, value: unknown): string | undefined {
  switch (schema.wellKnown) {
    case "timestamp-date": {
      if (!(value instanceof Date)) return `expected a Date, got ${describeValue(value)}`;
      const seconds = Math.floor(value.getTime() / 1000);
      if (Number.isNaN(seconds)) return "the Date is invalid";
      return seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS ? "the Date is outside 0001-01-01 to 9999-12-31, the range of a Timestamp" : undefined;
    }
    case "struct":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `expected a plain object, got ${describeValue(value)}`;
      return jsonValueProblem(value);
    case "list":
      if (!Array.isArray(value)) return `expected an array, got ${describeValue(value)}`;
      return jsonValueProblem(value);
    case "value":
      return value === undefined ? undefined : jsonValueProblem(value);
    case "field-mask":
      if (!Array.isArray(value)) return `expected an array of paths, got ${describeValue(value)}`;
      for (const path of value) {
        if (typeof path !== "string" || !path.isWellFormed()) return `expected a path string, got ${describeValue(path)}`;
      }
      return undefined;
    case "wrapper":
      return scalarProblem(schema.wrapped!.type, value, schema.wrapped!.long);
    default:
      return undefined;
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
      if (field.mapIsMap) {
        if (!(value instanceof Map)) throw new EventValidationError("invalid-value", `expected a Map, got ${describeValue(value)}`, { path: at });
        for (const [key, item] of value) {
          const keyAt = `${at}[${typeof key === "bigint" ? String(key) : JSON.stringify(key) ?? String(key)}]`;
          const problem = mapKeyProblem(field, key);
          if (problem) throw new EventValidationError("invalid-value", problem, { path: keyAt });
          validateValue(field.mapValue, item, keyAt, partial);
        }
        continue;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Map) {
        throw new EventValidationError("invalid-value", `expected a map object, got ${describeValue(value)}`, { path: at });
      }
      for (const key of Object.keys(value)) {
        const keyAt = `${at}[${JSON.stringify(key)}]`;
        const problem = mapKeyProblem(field, key);
        if (problem) throw new EventValidationError("invalid-value", problem, { path: key === "__proto__" ? at : keyAt });
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
  if (schema.wellKnown) {
    const problem = wellKnownProblem(schema, value);
    if (problem) throw new EventValidationError("invalid-value", problem, { path });
    return;
  }
  if (schema.message) {
    validateMessage(schema.message, value, path, partial);
    return;
  }
  const problem = scalarProblem(schema.type, value, schema.long);
  if (problem) throw new EventValidationError("invalid-value", problem, { path });
}
