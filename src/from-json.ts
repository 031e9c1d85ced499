/**
 * Decoding eventwire's JSON form — or what the Python event system's
 * `serialize_event` and `json.dumps` write — into a frozen event.
 */
import { base64Decode } from "@bufbuild/protobuf/wire";
import { validate as isUuid } from "uuid";
import { DecodeError, describeValue, joinPath } from "./errors.js";
import { HEADERS_KEY, type Event } from "./event.js";
import { pythonJsonLoads } from "./python/loads.js";
import type { DecodeOptions } from "./schema/decode-options.js";
import { FieldType } from "./schema/descriptors.js";
import type { TypeLookup } from "./schema/registered-type.js";
import type { MessageSchema, ValueSchema } from "./schema/schema.js";
import { scalarProblem } from "./schema/validate.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes JSON text (or its UTF-8 bytes) in eventwire's JSON form, or as the
 * Python event system's `serialize_event` and `json.dumps` write it, into a
 * frozen event. Throws {@link DecodeError} on anything else.
 */
export function fromJson(lookup: TypeLookup, input: string | Uint8Array, options: DecodeOptions): Event {
  let text: string;
  if (typeof input === "string") {
    const size = utf8Length(input, options.maxBytes);
    if (size > options.maxBytes) {
      throw new DecodeError("too-large", `the JSON text is over ${options.maxBytes} bytes`);
    }
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.length > options.maxBytes) {
      throw new DecodeError("too-large", `the JSON text is ${input.length} bytes, over the limit of ${options.maxBytes}`);
    }
    try {
      text = utf8.decode(input);
    } catch (cause) {
      throw new DecodeError("invalid-utf8", "the JSON text is not valid UTF-8", { cause });
    }
  } else {
    throw new DecodeError("invalid-json", `expected JSON text, got ${describeValue(input)}`);
  }
  return fromJsonValue(lookup, pythonJsonLoads(text), options);
}

/** Decodes an already parsed JSON value (for example, LeanMQ's `data` after `JSON.parse`). */
export function fromJsonValue(lookup: TypeLookup, value: unknown, options: DecodeOptions): Event {
  if (!isObject(value)) throw new DecodeError("invalid-json", `expected a JSON object, got ${describeValue(value)}`);
  const eventId = pick(value, "event_id", "eventId");
  if (eventId === undefined || eventId === null) {
    throw new DecodeError("missing-field", "the event has no event_id", { path: "event_id" });
  }
  if (typeof eventId !== "string" || !isUuid(eventId)) {
    throw new DecodeError("invalid-event-id", `event_id is not a UUID: ${describeValue(eventId)}`, { path: "event_id" });
  }
  const timestamp = pick(value, "timestamp", "timestamp");
  if (timestamp === undefined || timestamp === null) {
    throw new DecodeError("missing-field", "the event has no timestamp", { path: "timestamp" });
  }
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
    throw new DecodeError("invalid-timestamp", `timestamp is not a finite number of seconds: ${describeValue(timestamp)}`, {
      path: "timestamp",
    });
  }
  const eventType = pick(value, "event_type", "eventType");
  if (eventType === undefined || eventType === null || eventType === "") {
    throw new DecodeError("missing-field", "the event has no event_type", { path: "event_type" });
  }
  if (typeof eventType !== "string") {
    throw new DecodeError("invalid-value", `event_type is not a string: ${describeValue(eventType)}`, { path: "event_type" });
  }
  const registered = lookup.get(eventType);
  if (registered === undefined) {
    throw new DecodeError("unknown-event-type", `no event type ${JSON.stringify(eventType.slice(0, 200))} is registered`, {
      path: "event_type",
    });
  }
  const headers = readHeaders(value[HEADERS_KEY]);
  const payload = readMessage(registered.schema, value, "", 1, options.maxDepth);
  return Object.freeze({
    eventId,
    timestamp: timestamp === 0 ? 0 : timestamp, // negative zero (a number that underflows, say) reads as zero, as in binary
    eventType: registered.name,
    headers: Object.freeze(headers),
    payload,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function pick(obj: Record<string, unknown>, name: string, alias: string): unknown {
  const a = own(obj, name);
  if (alias === name) return a;
  const b = own(obj, alias);
  if (a !== undefined && b !== undefined) {
    throw new DecodeError("invalid-value", `given twice, as ${name} and as ${alias}`, { path: name });
  }
  return a ?? b;
}

function readHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined || value === null) return headers;
  if (!isObject(value)) {
    throw new DecodeError("invalid-value", `expected an object of strings, got ${describeValue(value)}`, { path: HEADERS_KEY });
  }
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (key === "__proto__") {
      throw new DecodeError("forbidden-key", "the header name __proto__ is not allowed", { path: HEADERS_KEY });
    }
    if (typeof v !== "string" || !v.isWellFormed() || !key.isWellFormed()) {
      throw new DecodeError("invalid-value", `expected a string, got ${describeValue(v)}`, { path: joinPath(HEADERS_KEY, key) });
    }
    headers[key] = v;
  }
  return headers;
}

/** The path of a value: `parent.name`, then `[index]` or `["key"]` when given. */
function pathOf(parent: string, name: string, index?: number | string): string {
  const at = joinPath(parent, name);
  if (index === undefined) return at;
  return typeof index === "number" ? `${at}[${index}]` : `${at}[${JSON.stringify(index)}]`;
}

/**
 * Reads a message of `schema` from a JSON object into a frozen object of
 * the generated type's shape, its lists and maps frozen too. Paths are only
 * spelled out for errors and nested messages.
 */
function readMessage(
  schema: MessageSchema,
  json: Record<string, unknown>,
  path: string,
  depth: number,
  maxDepth: number,
): object {
  if (depth > maxDepth) throw new DecodeError("too-deep", `messages nest deeper than maxDepth ${maxDepth}`, { path });
  const message = schema.type.fromPartial({} as never) as Record<string, unknown>;
  const keys = Object.keys(json);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const field = schema.byJsonKey.get(key);
    if (field === undefined) continue; // unknown keys are ignored
    if (field.jsonName !== field.name && Object.hasOwn(json, key === field.name ? field.jsonName : field.name)) {
      throw new DecodeError("invalid-value", `given twice, as ${field.name} and as ${field.jsonName}`, { path: pathOf(path, field.name) });
    }
    const value = json[key];
    if (value === null) continue; // null means the default
    if (field.mapValue !== undefined && field.mapKey !== undefined) {
      if (!isObject(value)) {
        throw new DecodeError("invalid-value", `expected an object, got ${describeValue(value)}`, { path: pathOf(path, field.name) });
      }
      const map: Record<string, unknown> = {};
      for (const mk of Object.keys(value)) {
        if (mk === "__proto__") throw new DecodeError("forbidden-key", "the map key __proto__ is not allowed", { path: pathOf(path, field.name) });
        checkMapKey(field.mapKey, mk, path, field.name);
        map[mk] = readValue(field.mapValue, value[mk], path, field.name, mk, depth, maxDepth);
      }
      message[field.localName] = map;
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        throw new DecodeError("invalid-value", `expected an array, got ${describeValue(value)}`, { path: pathOf(path, field.name) });
      }
      const list = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) list[i] = readValue(field, value[i], path, field.name, i, depth, maxDepth);
      message[field.localName] = list;
    } else {
      message[field.localName] = readValue(field, value, path, field.name, undefined, depth, maxDepth);
    }
  }
  for (const field of schema.fields) {
    if (field.repeated || field.mapValue !== undefined) Object.freeze(message[field.localName]);
  }
  return Object.freeze(message);
}

function checkMapKey(type: number, key: string, parent: string, name: string): void {
  if (type === FieldType.STRING) {
    if (key.isWellFormed()) return;
    throw new DecodeError("invalid-value", "the map key has a lone surrogate and cannot be encoded as UTF-8", { path: pathOf(parent, name, key) });
  }
  if (type === FieldType.BOOL) {
    if (key === "true" || key === "false") return;
  } else if (INTEGER.test(key) && scalarProblem(type, Number(key)) === undefined) {
    return;
  }
  throw new DecodeError("invalid-value", "the map key is not of the map's key type", { path: pathOf(parent, name, key) });
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function readValue(
  schema: ValueSchema,
  value: unknown,
  parent: string,
  name: string,
  index: number | string | undefined,
  depth: number,
  maxDepth: number,
): unknown {
  if (schema.message !== undefined) {
    if (!isObject(value)) throw new DecodeError("invalid-value", `expected an object, got ${describeValue(value)}`, { path: pathOf(parent, name, index) });
    return readMessage(schema.message, value, pathOf(parent, name, index), depth + 1, maxDepth);
  }
  let v = value;
  switch (schema.type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT:
      if (typeof v === "string") {
        if (v === "NaN") v = NaN;
        else if (v === "Infinity") v = Infinity;
        else if (v === "-Infinity") v = -Infinity;
        else if (NUMBER.test(v)) v = Number(v);
      }
      break;
    case FieldType.ENUM:
      if (typeof v === "string") {
        const n = schema.enumType?.byName.get(v);
        if (n === undefined) throw new DecodeError("invalid-value", `${describeValue(v)} is not a value of the enum`, { path: pathOf(parent, name, index) });
        v = n;
      }
      break;
    case FieldType.BYTES:
      if (typeof v !== "string" || !BASE64.test(v) || v.replace(/=+$/, "").length % 4 === 1) {
        throw new DecodeError("invalid-value", `expected base64 text, got ${describeValue(v)}`, { path: pathOf(parent, name, index) });
      }
      v = base64Decode(v);
      break;
    case FieldType.STRING:
      if (typeof v === "string" && v.isWellFormed()) return v;
      break;
    case FieldType.BOOL:
      break;
    default:
      // integers: a JSON number, or a string holding one
      if (typeof v === "string" && NUMBER.test(v)) v = Number(v);
  }
  const problem = scalarProblem(schema.type, v);
  if (problem !== undefined) throw new DecodeError("invalid-value", problem, { path: pathOf(parent, name, index) });
  return v;
}

/** The UTF-8 length of a string, counting no further than just past `limit`. */
function utf8Length(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length; // cannot be over the limit
  let size = 0;
  for (let i = 0; i < text.length && size <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      size += 4;
      i++;
    } else size += 3;
  }
  return size;
}
