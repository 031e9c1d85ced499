/** Writing an event as eventwire's flat JSON form, compact or exactly as Python's `json.dumps` writes it. */
import { base64Encode } from "@bufbuild/protobuf/wire";
import { HEADERS_KEY, type Event } from "./event.js";
import { pythonFloat, pythonJsonDumps } from "./python/dumps.js";
import { FieldType } from "./schema/descriptors.js";
import type { RegisteredType } from "./schema/registered-type.js";
import type { MessageSchema, ValueSchema } from "./schema/schema.js";
import { useAnyTypes, type AnyTypes } from "./any-types.js";
import { shortestFloat32 } from "./wire/float.js";
import { compareCodePoints, sortedKeys } from "./wire/order.js";
import { NOT_WELL_KNOWN, writeWellKnownJson } from "./well-known-json.js";
import { UNKNOWN_FIELDS, UNKNOWN_FIELDS_KEY, UNKNOWN_JSON } from "./schema/frozen.js";


/**
 * The event as the flat JSON object the Python event system's `to_dict`
 * makes: `event_id`, `timestamp` (float seconds), `event_type`, then every
 * payload field under its `.proto` name, defaults included (fields that
 * track presence are left out while unset), values per the proto3 JSON
 * mapping; `_headers` last, when there are any.
 */
export function toJsonObject(registered: RegisteredType, event: Event, types?: AnyTypes): Record<string, unknown> {
  const previous = useAnyTypes(types);
  const tree = jsonTree(registered, event, undefined);
  useAnyTypes(previous);
  return tree;
}

/**
 * {@link toJsonObject}, with every `double` and `float` value (the timestamp
 * included) passed through `markFloat`, for writers that print floats
 * differently from integers, as Python's `json.dumps` does.
 */
function jsonTree(
  registered: RegisteredType,
  event: Event,
  markFloat: ((value: number) => unknown) | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    event_id: event.eventId,
    timestamp: markFloat ? markFloat(event.timestamp) : event.timestamp,
    event_type: registered.name,
  };
  writeFields(registered.schema, event.payload as Record<string, unknown>, out, markFloat);
  const keys = sortedKeys(event.headers);
  if (keys.length > 0) {
    const headers: Record<string, string> = {};
    for (const key of keys) headers[key] = event.headers[key]!;
    out[HEADERS_KEY] = headers;
  }
  return out;
}

/**
 * How JSON text is written.
 * - `compact`: `JSON.stringify`'s, with no spaces.
 * - `python`: byte for byte what Python's `json.dumps(serialize_event(e))`
 *   writes (`", "` and `": "` separators, `ensure_ascii`, floats such as the
 *   timestamp always with a decimal point or an exponent, non-finite floats
 *   as bare `NaN`/`Infinity`), which is how LeanMQ stores messages.
 */
export type JsonStyle = "compact" | "python";

/** {@link toJsonObject}, as JSON text in the given style. */
export function toJson(registered: RegisteredType, event: Event, style: JsonStyle, types?: AnyTypes): string {
  const previous = useAnyTypes(types);
  const text = style === "python" ? pythonJsonDumps(jsonTree(registered, event, pythonFloat)) : JSON.stringify(jsonTree(registered, event, undefined));
  useAnyTypes(previous);
  return text;
}

type FloatMark = ((value: number) => unknown) | undefined;

function writeFields(schema: MessageSchema, message: Record<string, unknown>, out: Record<string, unknown>, markFloat: FloatMark): void {
  for (const field of schema.fields) {
    const value = message[field.localName];
    if (value === undefined) {
      if (field.presence) continue;
    }
    if (field.mapValue) {
      const map: Record<string, unknown> = {};
      if (value instanceof Map) {
        // keys in the order of their values (false, true; numbers ascending), as the binary form sorts them
        const keys = [...(value as Map<unknown, unknown>).keys()].sort(compareKeys);
        for (const key of keys) map[String(key)] = writeValue(field.mapValue, value.get(key), markFloat);
      } else {
        const source = value as Record<string, unknown>;
        for (const key of Object.keys(source)) map[key] = writeValue(field.mapValue, source[key], markFloat);
      }
      out[field.name] = map;
    } else if (field.repeated) {
      out[field.name] = (value as readonly unknown[]).map((item) => writeValue(field, item, markFloat));
    } else {
      out[field.name] = writeValue(field, value, markFloat);
    }
  }
  // What the message kept of fields its schema does not know: JSON keys as they came, binary fields as base64.
  const json = (message as { [UNKNOWN_JSON]?: Record<string, unknown> })[UNKNOWN_JSON];
  if (json !== undefined) for (const key of Object.keys(json)) if (!Object.hasOwn(out, key)) out[key] = json[key];
  const bytes = (message as { [UNKNOWN_FIELDS]?: Uint8Array })[UNKNOWN_FIELDS];
  if (bytes !== undefined) out[UNKNOWN_FIELDS_KEY] = base64Encode(bytes);
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function writeValue(schema: ValueSchema, value: unknown, markFloat: FloatMark): unknown {
  if (schema.wellKnown !== undefined || schema.message?.fullName.startsWith("google.protobuf.")) {
    const written = writeWellKnownJson(schema, value, markFloat, (s, m, out) => writeFields(s, m as Record<string, unknown>, out, markFloat));
    if (written !== NOT_WELL_KNOWN) return written;
  }
  if (schema.message) {
    const out: Record<string, unknown> = {};
    writeFields(schema.message, value as Record<string, unknown>, out, markFloat);
    return out;
  }
  switch (schema.type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT: {
      // a float as the decimal protobuf's Python writes for it (0.1, not 0.10000000149011612)
      const n = schema.type === FieldType.FLOAT ? shortestFloat32(value as number) : (value as number);
      if (markFloat) return markFloat(n);
      if (Object.is(n, -0)) return "-0"; // (JSON.stringify would write 0; proto3 JSON readers take the string)
      if (Number.isFinite(n)) return n;
      return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
    }
    case FieldType.INT64:
    case FieldType.UINT64:
    case FieldType.FIXED64:
    case FieldType.SFIXED64:
    case FieldType.SINT64:
      return String(value);
    case FieldType.BYTES:
      return base64Encode(value as Uint8Array);
    case FieldType.ENUM:
      // google.protobuf.NullValue is JSON's null
      if (schema.enumType?.fullName === "google.protobuf.NullValue") return null;
      return schema.enumType?.byNumber.get(value as number) ?? value;
    default:
      return value;
  }
}

