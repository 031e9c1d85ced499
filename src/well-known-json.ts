/**
 * The well-known types in JSON, as the proto3 canonical mapping writes them
 * (what Python's `json_format.MessageToDict` gives): RFC 3339 timestamps,
 * `"1.5s"` durations, Struct, Value and ListValue as plain JSON, wrappers
 * unwrapped, field masks as one string of lowerCamelCase paths, Empty as
 * `{}`, Any as its message's JSON with `"@type"`; read back into the form
 * the generated code holds them in (unwrapped, or as their messages).
 */
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
import { DecodeError, describeValue } from "./errors.js";
import { FieldType } from "./schema/descriptors.js";
import { freezeDate } from "./schema/frozen.js";
import { pack, resolveTypeUrl, unpack } from "./any-types.js";
import type { LongKind, MessageSchema, ValueSchema, WellKnownForm } from "./schema/schema.js";
import { jsonValueProblem, scalarProblem } from "./schema/validate.js";
import { inexact } from "./python/loads.js";
import { shortestFloat32 } from "./wire/float.js";
import { DURATION_MAX_SECONDS, TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from "./wire/limits.js";

/** What the readers and writers here return for a value that is not a well-known type they handle. */
export const NOT_WELL_KNOWN: unique symbol = Symbol("not a well-known type");

type FloatMark = ((value: number) => unknown) | undefined;

// --- Timestamps and durations -------------------------------------------------

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;

/** Nanoseconds as the fraction the canonical mapping writes: none, or 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (nanos === 0) return "";
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, "0")}`;
  if (nanos % 1000 === 0) return `.${String(nanos / 1000).padStart(6, "0")}`;
  return `.${String(nanos).padStart(9, "0")}`;
}

/** RFC 3339 text of a moment, in UTC, with the fraction the canonical mapping writes. */
export function formatTimestamp(seconds: number, nanos: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

/** RFC 3339 text as seconds and nanoseconds since the epoch; undefined when it is not one, or out of range. */
export function parseTimestamp(text: string): { seconds: number; nanos: number } | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let seconds = date.getTime() / 1000;
  const zone = m[8]!;
  if (zone !== "Z" && zone !== "z") {
    const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60;
    seconds -= zone[0] === "+" ? offset : -offset;
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
  if (seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) return undefined;
  return { seconds, nanos };
}

/** A duration as the canonical mapping writes it: `"1.5s"`, `"-0.000000001s"`. */
export function formatDuration(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? "-" : ""}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

const DURATION = /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/;

/** Duration text as seconds and nanoseconds (both of its sign); undefined when it is not one, or out of range. */
export function parseDuration(text: string): { seconds: number; nanos: number } | undefined {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  const seconds = Number(m[2]);
  if (seconds > DURATION_MAX_SECONDS) return undefined;
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  const sign = m[1] === "-" ? -1 : 1;
  return { seconds: sign * seconds || 0, nanos: sign * nanos || 0 };
}

// --- Field masks ----------------------------------------------------------------

function camel(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// --- 64-bit seconds in message form -------------------------------------------------

function longToNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value as bigint | string);
}

function numberToLong(value: number, long: LongKind | undefined): unknown {
  return long === "bigint" ? BigInt(value) : long === "string" ? String(value) : value;
}

/** A Timestamp or Duration in message form, as generated code holds it. */
function secondsAndNanos(schema: MessageSchema, seconds: number, nanos: number): object {
  const s = schema.byNumber.get(1)!;
  const n = schema.byNumber.get(2)!;
  return Object.freeze({ [s.localName]: numberToLong(seconds, s.long), [n.localName]: nanos });
}

function readSecondsAndNanos(schema: MessageSchema, message: unknown): { seconds: number; nanos: number } {
  const m = message as Record<string, unknown>;
  return { seconds: longToNumber(m[schema.byNumber.get(1)!.localName]), nanos: m[schema.byNumber.get(2)!.localName] as number };
}

// --- Well-known types held as their messages ------------------------------------------

const WRAPPERS = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"].map((n) => `google.protobuf.${n}`));

/** The unwrapped form of a well-known message type, for the types ts-proto unwraps. */
function formOf(fullName: string): WellKnownForm | undefined {
  switch (fullName) {
    case "google.protobuf.Struct":
      return "struct";
    case "google.protobuf.Value":
      return "value";
    case "google.protobuf.ListValue":
      return "list";
    case "google.protobuf.FieldMask":
      return "field-mask";
    default:
      return WRAPPERS.has(fullName) ? "wrapper" : undefined;
  }
}

/** The schema of a well-known message held unwrapped, as a field of it would have it. */
function unwrappedSchema(message: MessageSchema, form: WellKnownForm): ValueSchema {
  const inner = message.byNumber.get(1)!;
  const wrapped: ValueSchema | undefined =
    form === "wrapper" ? { type: inner.type, message: undefined, enumType: undefined, long: inner.long, wellKnown: undefined, wrapped: undefined } : undefined;
  return { type: FieldType.MESSAGE, message, enumType: undefined, long: undefined, wellKnown: form, wrapped };
}

/** A value held by a field of a well-known message: unwrapped already, or a message to unwrap. */
function unwrapField(schema: ValueSchema, value: unknown): unknown {
  if (schema.wellKnown !== undefined || schema.message === undefined || value === undefined) return value;
  return unwrapMessage(schema.message, value);
}

/** Struct, Value, ListValue, a wrapper or a FieldMask held as its message → the value ts-proto would hold. */
function unwrapMessage(message: MessageSchema, value: unknown): unknown {
  const m = value as Record<string, unknown>;
  const field = (n: number) => message.byNumber.get(n)!;
  switch (message.fullName) {
    case "google.protobuf.Struct": {
      const f = field(1);
      const out: Record<string, unknown> = {};
      const map = m[f.localName] as Record<string, unknown>;
      for (const key of Object.keys(map)) out[key] = unwrapField(f.mapValue!, map[key]);
      return out;
    }
    case "google.protobuf.Value":
      for (let n = 6; n >= 1; n--) {
        const v = m[field(n).localName];
        if (v !== undefined) return n === 1 ? null : unwrapField(field(n), v);
      }
      return undefined;
    case "google.protobuf.ListValue":
      return (m[field(1).localName] as readonly unknown[]).map((v) => unwrapField(field(1), v));
    default:
      return m[field(1).localName];
  }
}

/** The value of a field of a well-known message, from its unwrapped form. */
function wrapField(schema: ValueSchema, value: unknown): unknown {
  if (schema.wellKnown !== undefined || schema.message === undefined) return value;
  return wrapMessage(schema.message, value);
}

/** An unwrapped value → Struct, Value, ListValue, a wrapper or a FieldMask as its message. */
function wrapMessage(message: MessageSchema, value: unknown): object {
  const out = message.blank();
  const field = (n: number) => message.byNumber.get(n)!;
  switch (message.fullName) {
    case "google.protobuf.Struct": {
      const f = field(1);
      const map: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) map[key] = wrapField(f.mapValue!, v);
      out[f.localName] = Object.freeze(map);
      break;
    }
    case "google.protobuf.Value": {
      const n = value === null ? 1 : typeof value === "number" ? 2 : typeof value === "string" ? 3 : typeof value === "boolean" ? 4 : Array.isArray(value) ? 6 : value === undefined ? 0 : 5;
      if (n === 1) out[field(1).localName] = 0;
      else if (n !== 0) out[field(n).localName] = wrapField(field(n), value);
      break;
    }
    case "google.protobuf.ListValue":
      out[field(1).localName] = Object.freeze((value as readonly unknown[]).map((v) => wrapField(field(1), v)));
      break;
    default:
      out[field(1).localName] = value;
  }
  return Object.freeze(out);
}

// --- Reading -----------------------------------------------------------------------

/** Reads a message of `schema` from its JSON object (the JSON decoder's own reader). */
export type MessageReader = (schema: MessageSchema, json: Record<string, unknown>, path: string, depth: number) => object;

function fail(message: string, path: string): never {
  throw new DecodeError("invalid-value", message, { path });
}

/** A JSON value as a `google.protobuf.Value` holds it: numbers as numbers (exact integers beyond 2^53 rounded, as a double holds them). */
function jsonValue(value: unknown, path: string, depth: number, maxDepth: number): unknown {
  if (depth > maxDepth) throw new DecodeError("too-deep", `values nest deeper than maxDepth ${maxDepth}`, { path });
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return Object.freeze(value.map((item) => jsonValue(item, path, depth + 1, maxDepth)));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key === "__proto__") throw new DecodeError("forbidden-key", "the key __proto__ is not allowed", { path });
      out[key] = jsonValue((value as Record<string, unknown>)[key], path, depth + 1, maxDepth);
    }
    return Object.freeze(out);
  }
  const problem = jsonValueProblem(value);
  if (problem !== undefined) fail(problem, path);
  return value;
}

/** A wrapped scalar from JSON: the scalar's own JSON form. */
function wrappedScalar(schema: ValueSchema, value: unknown, path: string): unknown {
  const inner = schema.wrapped!;
  let v = value;
  switch (inner.type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT:
      if (v === "NaN") v = NaN;
      else if (v === "Infinity") v = Infinity;
      else if (v === "-Infinity") v = -Infinity;
      else if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) v = Number(v);
      else if (typeof v === "bigint") v = Number(v);
      break;
    case FieldType.BYTES:
      if (typeof v !== "string") fail(`expected base64 text, got ${describeValue(v)}`, path);
      v = base64Decode(v);
      break;
    case FieldType.INT64:
    case FieldType.UINT64: {
      inexact(v);
      const text = typeof v === "bigint" ? String(v) : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : typeof v === "string" && /^-?[0-9]+$/.test(v) ? String(BigInt(v)) : undefined;
      if (text === undefined) fail(`expected an integer, got ${describeValue(v)}`, path);
      v = inner.long === "bigint" ? BigInt(text) : inner.long === "string" ? text : Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text);
      break;
    }
    case FieldType.INT32:
    case FieldType.UINT32:
      if (typeof v === "string" && /^-?[0-9]+$/.test(v)) v = Number(v);
      break;
  }
  const problem = scalarProblem(inner.type, v, inner.long);
  if (problem !== undefined) fail(problem, path);
  return inner.type === FieldType.FLOAT ? Math.fround(v as number) : v;
}

/**
 * A value of a well-known type from its JSON form, as the generated code
 * holds it; {@link NOT_WELL_KNOWN} when the schema is of no type handled here.
 */
export function readWellKnownJson(schema: ValueSchema, value: unknown, path: string, depth: number, maxDepth: number, readMessage?: MessageReader): unknown {
  switch (schema.wellKnown) {
    case "timestamp-date": {
      const t = typeof value === "string" ? parseTimestamp(value) : undefined;
      if (t === undefined) fail(`expected an RFC 3339 timestamp between 0001-01-01 and 9999-12-31, got ${describeValue(value)}`, path);
      return freezeDate(new Date(t.seconds * 1000 + Math.floor(t.nanos / 1_000_000)));
    }
    case "struct":
      if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`expected a JSON object, got ${describeValue(value)}`, path);
      return jsonValue(value, path, depth, maxDepth);
    case "list":
      if (!Array.isArray(value)) fail(`expected a JSON array, got ${describeValue(value)}`, path);
      return jsonValue(value, path, depth, maxDepth);
    case "value":
      return jsonValue(value, path, depth, maxDepth);
    case "wrapper":
      return wrappedScalar(schema, value, path);
    case "field-mask":
      if (typeof value !== "string") fail(`expected a field mask (paths separated by commas), got ${describeValue(value)}`, path);
      return Object.freeze(value === "" ? [] : value.split(",").map(snake));
  }
  const message = schema.message!;
  switch (message.fullName) {
    case "google.protobuf.Timestamp": {
      const t = typeof value === "string" ? parseTimestamp(value) : undefined;
      if (t === undefined) fail(`expected an RFC 3339 timestamp between 0001-01-01 and 9999-12-31, got ${describeValue(value)}`, path);
      return secondsAndNanos(message, t.seconds, t.nanos);
    }
    case "google.protobuf.Duration": {
      const d = typeof value === "string" ? parseDuration(value) : undefined;
      if (d === undefined) fail(`expected a duration such as "1.5s", got ${describeValue(value)}`, path);
      return secondsAndNanos(message, d.seconds, d.nanos);
    }
    case "google.protobuf.Empty":
      if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length > 0) fail(`expected {}, got ${describeValue(value)}`, path);
      return Object.freeze({});
    case "google.protobuf.Any":
      return readAny(message, value, path, depth, maxDepth, readMessage);
  }
  const form = formOf(message.fullName);
  if (form !== undefined) return wrapMessage(message, readWellKnownJson(unwrappedSchema(message, form), value, path, depth, maxDepth));
  return NOT_WELL_KNOWN;
}

const BASE64_TEXT = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** An Any from `{"@type": url, …}`: its message's fields beside the type, or `"value"` for a well-known type (or the bytes, base64, of a type no schema resolves). */
function readAny(message: MessageSchema, value: unknown, path: string, depth: number, maxDepth: number, readMessage: MessageReader | undefined): object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`expected an object with "@type", got ${describeValue(value)}`, path);
  const json = value as Record<string, unknown>;
  const url = json["@type"];
  const typeUrl = message.byNumber.get(1)!.localName;
  const bytesName = message.byNumber.get(2)!.localName;
  if (url === undefined && Object.keys(json).length === 0) return Object.freeze({ [typeUrl]: "", [bytesName]: new Uint8Array(0) });
  if (typeof url !== "string" || url === "") fail(`expected "@type" naming the Any's type, got ${describeValue(url)}`, path);
  const schema = resolveTypeUrl(url);
  let bytes: Uint8Array;
  if (schema === undefined) {
    const raw = json["value"];
    if (typeof raw !== "string" || !BASE64_TEXT.test(raw)) fail(`no type ${JSON.stringify(url)} is known here, and "value" is not its bytes as base64`, path);
    bytes = base64Decode(raw);
  } else if (schema.fullName.startsWith("google.protobuf.") && (formOf(schema.fullName) !== undefined || ["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Empty", "google.protobuf.Any"].includes(schema.fullName))) {
    const inner = readWellKnownJson({ type: FieldType.MESSAGE, message: schema, enumType: undefined, long: undefined, wellKnown: undefined, wrapped: undefined }, json["value"], path, depth + 1, maxDepth, readMessage);
    bytes = pack(schema, inner as object, path);
  } else {
    if (readMessage === undefined) fail(`cannot read the Any's ${schema.fullName} here`, path);
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(json)) if (key !== "@type") rest[key] = json[key];
    bytes = pack(schema, readMessage(schema, rest, path, depth + 1), path);
  }
  return Object.freeze({ [typeUrl]: url, [bytesName]: bytes });
}


// --- Writing -----------------------------------------------------------------------

function writeJsonValue(value: unknown, markFloat: FloatMark): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`a google.protobuf.Value holds ${value}, which JSON cannot carry`);
    return markFloat ? markFloat(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => writeJsonValue(item, markFloat));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = writeJsonValue((value as Record<string, unknown>)[key], markFloat);
    return out;
  }
  return value === undefined ? null : value;
}

function writeScalar(type: number, value: unknown, markFloat: FloatMark): unknown {
  switch (type) {
    case FieldType.DOUBLE:
    case FieldType.FLOAT: {
      const n = type === FieldType.FLOAT ? shortestFloat32(value as number) : (value as number);
      if (markFloat) return markFloat(n);
      if (Number.isFinite(n)) return n;
      return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
    }
    case FieldType.INT64:
    case FieldType.UINT64:
      return String(value);
    case FieldType.BYTES:
      return base64Encode(value as Uint8Array);
    default:
      return value;
  }
}

/**
 * The JSON form of a value of a well-known type; {@link NOT_WELL_KNOWN} when
 * the schema is of no type handled here.
 */
export function writeWellKnownJson(schema: ValueSchema, value: unknown, markFloat: FloatMark, writeMessage?: MessageWriter, path = ""): unknown {
  switch (schema.wellKnown) {
    case "timestamp-date": {
      const ms = (value as Date).getTime();
      const seconds = Math.floor(ms / 1000);
      return formatTimestamp(seconds, (ms - seconds * 1000) * 1_000_000);
    }
    case "struct":
    case "list":
    case "value":
      return writeJsonValue(value, markFloat);
    case "wrapper":
      return writeScalar(schema.wrapped!.type, value, markFloat);
    case "field-mask":
      return (value as readonly string[]).map(camel).join(",");
  }
  const message = schema.message!;
  switch (message.fullName) {
    case "google.protobuf.Timestamp": {
      const t = readSecondsAndNanos(message, value);
      return formatTimestamp(t.seconds, t.nanos);
    }
    case "google.protobuf.Duration": {
      const d = readSecondsAndNanos(message, value);
      return formatDuration(d.seconds, d.nanos);
    }
    case "google.protobuf.Empty":
      return {};
    case "google.protobuf.Any":
      return writeAny(message, value, markFloat, writeMessage, path);
  }
  const form = formOf(message.fullName);
  if (form !== undefined) return writeWellKnownJson(unwrappedSchema(message, form), unwrapMessage(message, value), markFloat);
  return NOT_WELL_KNOWN;
}

/** Writes a message's fields into a JSON object (the JSON encoder's own writer). */
export type MessageWriter = (schema: MessageSchema, message: object, out: Record<string, unknown>) => void;

function writeAny(message: MessageSchema, value: unknown, markFloat: FloatMark, writeMessage: MessageWriter | undefined, path: string): unknown {
  const m = value as Record<string, unknown>;
  const url = m[message.byNumber.get(1)!.localName] as string;
  const bytes = m[message.byNumber.get(2)!.localName] as Uint8Array;
  if (url === "" && bytes.length === 0) return {};
  const schema = resolveTypeUrl(url);
  if (schema === undefined) return { "@type": url, value: base64Encode(bytes) };
  const inner = unpack(schema, bytes, path);
  const asValue = { type: FieldType.MESSAGE, message: schema, enumType: undefined, long: undefined, wellKnown: undefined, wrapped: undefined };
  const wellKnown = schema.fullName.startsWith("google.protobuf.") ? writeWellKnownJson(asValue, inner, markFloat, writeMessage, path) : NOT_WELL_KNOWN;
  if (wellKnown !== NOT_WELL_KNOWN) return { "@type": url, value: wellKnown };
  const out: Record<string, unknown> = { "@type": url };
  writeMessage?.(schema, inner, out);
  return out;
}
