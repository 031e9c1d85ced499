/**
 * Decoding eventwire's JSON form — or what the Python event system's
 * `serialize_event` and `json.dumps` write — into a frozen event.
 */
import { base64Decode } from "@bufbuild/protobuf/wire";
import { validate as isUuid } from "uuid";
import { DecodeError, describeValue, joinPath } from "./errors.js";
import { HEADERS_KEY, NO_HEADERS, type Event } from "./event.js";
import { inexact, NEEDS_PYTHON, parseJson, pythonJsonLoadsExactly, READ_AGAIN, readAgainIfInexact } from "./python/loads.js";
import type { DecodeOptions } from "./schema/decode-options.js";
import { FieldType } from "./schema/descriptors.js";
import type { TypeLookup } from "./schema/registered-type.js";
import type { FieldSchema, LongKind, MessageSchema, ValueSchema } from "./schema/schema.js";
import { mapKeyProblem, scalarProblem } from "./schema/validate.js";
import { freezeMap, keepUnknown, UNKNOWN_FIELDS_KEY, UNKNOWN_JSON } from "./schema/frozen.js";
import { reader, rtag } from "./wire/reader.js";
import { skipField } from "./wire/skip.js";
import { WireFault } from "./wire/faults.js";
import { NOT_WELL_KNOWN, readWellKnownJson } from "./well-known-json.js";
import { useAnyTypes } from "./any-types.js";

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
  // JSON.parse first (fast); the exact reader of Python's dialect only for text JSON.parse cannot read,
  // or when a 64-bit field meets an integer beyond 2^53, which JSON.parse may have rounded.
  const parsed = parseJson(text);
  if (parsed !== NEEDS_PYTHON) {
    const again = readAgainIfInexact(() => fromJsonValue(lookup, parsed, options));
    if (again !== READ_AGAIN) return again;
  }
  return fromJsonValue(lookup, pythonJsonLoadsExactly(text), options);
}

/** Decodes an already parsed JSON value (for example, LeanMQ's `data` after `JSON.parse`). */
export function fromJsonValue(lookup: TypeLookup, value: unknown, options: DecodeOptions): Event {
  const previous = useAnyTypes(lookup.messageTypes);
  const event = readEvent(lookup, value, options);
  useAnyTypes(previous);
  return event;
}

function readEvent(lookup: TypeLookup, value: unknown, options: DecodeOptions): Event {
  if (!isObject(value)) throw new DecodeError("invalid-json", `expected a JSON object, got ${describeValue(value)}`);
  const eventId = pick(value, "event_id", "eventId");
  if (eventId === undefined || eventId === null) {
    throw new DecodeError("missing-field", "the event has no event_id", { path: "event_id" });
  }
  if (typeof eventId !== "string" || !isUuid(eventId)) {
    throw new DecodeError("invalid-event-id", `event_id is not a UUID: ${describeValue(eventId)}`, { path: "event_id" });
  }
  let timestamp = pick(value, "timestamp", "timestamp");
  if (typeof timestamp === "bigint") timestamp = Number(timestamp);
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
    headers,
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

/** The event's headers, frozen. */
function readHeaders(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined || value === null) return NO_HEADERS;
  const headers: Record<string, string> = {};
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
  return Object.freeze(headers);
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
  const message = schema.blank();
  const keys = Object.keys(json);
  let unknownBytes: Uint8Array | undefined;
  let unknownJson: Record<string, unknown> | undefined;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const field = schema.byJsonKey.get(key);
    if (field === undefined) {
      // Unknown keys are held to the same rules, and kept to be written back (a newer producer's fields),
      // except the envelope's and, at the top, LeanMQ's `_`-prefixed ones.
      if (key === "__proto__") throw new DecodeError("forbidden-key", "the key __proto__ is not allowed", { path: pathOf(path, key) });
      const unknown = json[key];
      if (typeof unknown === "object" && unknown !== null) checkNesting(unknown, pathOf(path, key), depth, maxDepth);
      if (key === UNKNOWN_FIELDS_KEY) unknownBytes = readUnknownFields(schema, json[key], pathOf(path, key));
      else if (depth > 1 || !(BASE_KEYS.has(key) || key.charCodeAt(0) === 0x5f)) (unknownJson ??= {})[key] = keptJson(unknown);
      continue;
    }
    if (field.jsonName !== field.name && Object.hasOwn(json, key === field.name ? field.jsonName : field.name)) {
      throw new DecodeError("invalid-value", `given twice, as ${field.name} and as ${field.jsonName}`, { path: pathOf(path, field.name) });
    }
    const value = json[key];
    if (value === null) {
      // null means the default, except in a google.protobuf.Value, where it is the null value
      if (field.wellKnown === "value" && !field.repeated) message[field.localName] = null;
      continue;
    }
    if (field.mapValue !== undefined && field.mapKey !== undefined) {
      if (!isObject(value)) {
        throw new DecodeError("invalid-value", `expected an object, got ${describeValue(value)}`, { path: pathOf(path, field.name) });
      }
      message[field.localName] = readMap(field, value, path, depth, maxDepth);
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
    if (field.repeated || (field.mapValue !== undefined && !field.mapIsMap)) Object.freeze(message[field.localName]);
    else if (field.mapIsMap) freezeMap(message[field.localName] as Map<unknown, unknown>);
  }
  if (unknownBytes !== undefined && unknownBytes.length > 0) keepUnknown(message, unknownBytes, [0, unknownBytes.length]);
  if (unknownJson !== undefined) Object.defineProperty(message, UNKNOWN_JSON, { value: Object.freeze(unknownJson), enumerable: false });
  return Object.freeze(message);
}

/** The envelope's keys in the flat JSON form: not payload fields, and not kept as unknown ones. */
const BASE_KEYS = new Set(["event_id", "eventId", "timestamp", "event_type", "eventType"]);

/** A value under an unknown key, kept to be written back: frozen, integers beyond 2^53 as decimal strings (as the proto3 mapping writes 64-bit integers; a number that large may not be exact). */
function keptJson(value: unknown): unknown {
  if (typeof value === "bigint" || inexact(value)) return String(value);
  if (Array.isArray(value)) return Object.freeze(value.map(keptJson));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = keptJson((value as Record<string, unknown>)[key]);
    return Object.freeze(out);
  }
  return value;
}

/**
 * The unknown binary fields eventwire's JSON carries under
 * `_unknown_fields` (base64): well-formed fields, none of them one the
 * schema knows.
 */
function readUnknownFields(schema: MessageSchema, value: unknown, path: string): Uint8Array {
  if (typeof value !== "string" || !BASE64.test(value)) {
    throw new DecodeError("invalid-value", `expected the unknown fields as base64 text, got ${describeValue(value)}`, { path });
  }
  const bytes = base64Decode(value);
  try {
    let p = 0;
    while (p < bytes.length) {
      const tag = rtag(bytes, p, bytes.length);
      p = reader.pos;
      const fieldNo = tag >>> 3;
      if (fieldNo === 0) throw new WireFault("malformed-binary", `field number 0 at byte ${p}`);
      if (schema.byNumber.has(fieldNo)) throw new WireFault("invalid-value", `field ${fieldNo} is a known field of ${schema.fullName}, not an unknown one`);
      p = skipField(bytes, p, bytes.length, tag & 7, fieldNo, 1);
    }
  } catch (error) {
    if (error instanceof WireFault) throw new DecodeError(error.code, error.message, { path });
    throw error;
  }
  return bytes;
}

/** Fails when a value under an unknown key nests deeper than the limit allows (the message holding it is at `depth`). */
function checkNesting(value: unknown, path: string, depth: number, maxDepth: number): void {
  if (typeof value !== "object" || value === null) return;
  if (depth + 1 > maxDepth) throw new DecodeError("too-deep", `values nest deeper than maxDepth ${maxDepth}`, { path });
  if (Array.isArray(value)) {
    for (const item of value) checkNesting(item, path, depth + 1, maxDepth);
  } else {
    for (const key of Object.keys(value)) {
      if (key === "__proto__") throw new DecodeError("forbidden-key", "the key __proto__ is not allowed", { path });
      checkNesting((value as Record<string, unknown>)[key], path, depth + 1, maxDepth);
    }
  }
}

/** A map field's JSON object, as the generated code holds it: an object keyed by property names, or a `Map`. */
function readMap(field: FieldSchema, value: Record<string, unknown>, path: string, depth: number, maxDepth: number): unknown {
  const keyType = field.mapKey!;
  const map: Record<string, unknown> | Map<unknown, unknown> = field.mapIsMap ? new Map() : {};
  for (const mk of Object.keys(value)) {
    if (mk === "__proto__") throw new DecodeError("forbidden-key", "the map key __proto__ is not allowed", { path: pathOf(path, field.name) });
    let key: unknown = mk;
    if (keyType === FieldType.BOOL) {
      if (mk !== "true" && mk !== "false") throw new DecodeError("invalid-value", "the map key is not of the map's key type", { path: pathOf(path, field.name, mk) });
      key = mk === "true";
    } else if (keyType !== FieldType.STRING) {
      if (!INTEGER.test(mk)) throw new DecodeError("invalid-value", "the map key is not of the map's key type", { path: pathOf(path, field.name, mk) });
      if (field.mapIsMap) key = field.mapKeyLong === "bigint" ? BigInt(mk) : field.mapKeyLong === "string" ? mk : Number(mk);
    }
    const problem = mapKeyProblem(field, key);
    if (problem !== undefined) throw new DecodeError("invalid-value", problem, { path: pathOf(path, field.name, mk) });
    const item = readValue(field.mapValue!, value[mk], path, field.name, mk, depth, maxDepth);
    if (map instanceof Map) map.set(key, item);
    else map[mk] = item;
  }
  return map;
}

/**
 * A 64-bit integer from JSON — a decimal string, a bigint (an integer
 * literal beyond 2^53, as the JSON reader keeps it), or a number — held as
 * `long` says. Never passes a value beyond 2^53 through a number.
 */
function readLong(type: number, long: LongKind, value: unknown): unknown {
  inexact(value);
  let big: bigint | undefined;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "string" && INTEGER_TEXT.test(value)) big = BigInt(value);
  else if (typeof value === "string" && NUMBER.test(value)) value = Number(value);
  if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
  // (a fraction, a number beyond 2^53 that may have been rounded already, or not a number at all: refused as it is)
  if (big === undefined) return value;
  switch (long) {
    case "bigint":
      return big;
    case "string":
      return String(big);
    default:
      // a bigint beyond 2^53 stays one, and is refused naming the field
      return big >= -MAX_SAFE && big <= MAX_SAFE ? Number(big) : big;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
/** Integer text as the proto3 JSON mapping reads it: leading zeros allowed. */
const INTEGER_TEXT = /^-?[0-9]+$/;
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
  if (schema.wellKnown !== undefined || (schema.message !== undefined && schema.message.fullName.startsWith("google.protobuf."))) {
    const at = pathOf(parent, name, index);
    const read = readWellKnownJson(schema, value, at, depth + 1, maxDepth, (s, json, p, d) => readMessage(s, json, p, d, maxDepth));
    if (read !== NOT_WELL_KNOWN) return read;
  }
  if (schema.message !== undefined) {
    if (!isObject(value)) throw new DecodeError("invalid-value", `expected an object, got ${describeValue(value)}`, { path: pathOf(parent, name, index) });
    return readMessage(schema.message, value, pathOf(parent, name, index), depth + 1, maxDepth);
  }
  let v = value;
  switch (schema.type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT:
      // (an integer literal beyond 2^53 is read exactly; a float takes the double nearest to it)
      if (typeof v === "bigint") v = Number(v);
      else if (typeof v === "string") {
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
    case FieldType.INT64:
    case FieldType.UINT64:
    case FieldType.FIXED64:
    case FieldType.SFIXED64:
    case FieldType.SINT64:
      v = readLong(schema.type, schema.long ?? "number", v);
      break;
    default:
      // integers: a JSON number, or a string holding one
      if (typeof v === "string" && NUMBER.test(v)) v = Number(v);
  }
  const problem = scalarProblem(schema.type, v, schema.long);
  if (problem !== undefined) throw new DecodeError("invalid-value", problem, { path: pathOf(parent, name, index) });
  // a float field holds a float: the JSON's decimal (0.1) read as the float nearest to it, as the binary form reads it
  return schema.type === FieldType.FLOAT ? Math.fround(v as number) : v;
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
