/** Events typed on the command line or piped in, as JSON: checked, completed and decoded. */
import { v4 as uuidv4 } from "uuid";
import { HEADERS_KEY, isDecodeError, pythonJsonLoads, type Event, type EventRegistry, type MessageSchema } from "../index.js";
import { unknownTypeError, usageError } from "./errors.js";

const BASE_KEYS = new Set(["event_id", "eventId", "timestamp", "event_type", "eventType"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A usage error for an event type the registry does not have, listing those it has. */
export function unknownType(registry: EventRegistry<Event>, name: string): Error {
  return unknownTypeError(name, registry.names);
}

/**
 * The first key, anywhere in the JSON, that names no field of its message,
 * as a message; the codec's JSON decoder ignores unknown keys (LeanMQ adds
 * its own), but on the command line a misspelt field must not be dropped
 * silently. Base fields and `_`-prefixed keys are allowed at the top.
 */
function unknownKey(schema: MessageSchema, json: Record<string, unknown>, path: string, top: boolean): string | undefined {
  for (const key of Object.keys(json)) {
    if (top && (BASE_KEYS.has(key) || key.startsWith("_"))) continue;
    if (key === "_unknown_fields" && !schema.byJsonKey.has(key)) continue; // fields a newer schema knows, as `decode` prints them
    const field = schema.byJsonKey.get(key);
    const at = path ? `${path}.${key}` : key;
    if (field === undefined) {
      const names = schema.fields.map((f) => f.name).join(", ");
      return `${path ? `${path}: ` : ""}${schema.fullName} has no field ${JSON.stringify(key)} (its fields: ${names || "none"})`;
    }
    const value = json[key];
    const message = field.mapValue ? field.mapValue.message : field.message;
    // (a well-known type has its own JSON form — a Struct is any object, a Timestamp a string — that the decoder checks)
    if (message === undefined || message.fullName.startsWith("google.protobuf.")) continue;
    const items: [string, unknown][] = field.mapValue
      ? Object.entries(isObject(value) ? value : {}).map(([k, v]) => [`${at}[${JSON.stringify(k)}]`, v])
      : field.repeated
        ? (Array.isArray(value) ? value : []).map((v, i) => [`${at}[${i}]`, v])
        : [[at, value]];
    for (const [itemPath, item] of items) {
      if (!isObject(item)) continue; // the decoder reports the wrong type
      const found = unknownKey(message, item, itemPath, false);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * An event from JSON typed on the command line or piped in: the event's
 * fields (by `.proto` or JSON name), or the codec's whole JSON form.
 * `event_id` and `timestamp` are filled in unless given; the type is
 * `eventType`, or the JSON's `event_type`. Values are checked by the
 * codec's JSON decoder. Throws usage errors that say what is wrong.
 */
export function eventFromJson(
  registry: EventRegistry<Event>,
  text: string,
  eventType: string | undefined,
  what: string,
  headers: Readonly<Record<string, string>> = {},
): Event {
  let value: unknown;
  try {
    value = pythonJsonLoads(text);
  } catch (error) {
    throw usageError(`${what} is not JSON: ${(error as Error).message.replace(/^the input is not JSON: /, "")}`, `Give one JSON object, e.g. '{"order_id": "order-1"}' (quote it for the shell).`);
  }
  if (!isObject(value)) throw usageError(`${what} must be a JSON object of the event's fields, not ${Array.isArray(value) ? "an array" : typeof value}`);
  const named = value["event_type"] ?? value["eventType"];
  if (named !== undefined && typeof named !== "string") throw usageError(`${what}: event_type must be a string`);
  const typeName = eventType ?? named;
  if (typeName === undefined) throw usageError(`${what} has no event_type: give the event type as an argument`);
  const registered = registry.get(typeName);
  if (registered === undefined) throw unknownType(registry, typeName);
  if (named !== undefined && registry.get(named)?.fullName !== registered.fullName) {
    throw usageError(`${what} says event_type ${JSON.stringify(named)}, but the command line says ${JSON.stringify(typeName)}`);
  }
  const unknown = unknownKey(registered.schema, value, "", true);
  if (unknown) throw usageError(`${what}: ${unknown}`, `Run "eventwire types" for the fields of each event type.`);
  const input: Record<string, unknown> = { ...value, event_type: registered.name };
  delete input["eventType"];
  if (value["event_id"] === undefined && value["eventId"] === undefined) input["event_id"] = uuidv4();
  if (value["timestamp"] === undefined) input["timestamp"] = Date.now() / 1000;
  if (Object.keys(headers).length > 0) {
    input[HEADERS_KEY] = { ...(isObject(value[HEADERS_KEY]) ? value[HEADERS_KEY] : {}), ...headers };
  }
  try {
    return registry.fromJsonObject(input);
  } catch (error) {
    if (isDecodeError(error)) throw usageError(`${what}: ${error.message}`, `Run "eventwire types" for the fields of ${registered.name} and their types.`);
    throw error;
  }
}
