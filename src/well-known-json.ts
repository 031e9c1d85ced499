/**
 * The well-known types in JSON, as the proto3 canonical mapping writes them
 * (what Python's `json_format.MessageToDict` gives): RFC 3339 timestamps,
 * `"1.5s"` durations, Struct, Value and ListValue as plain JSON, wrappers
 * unwrapped, field masks as one string of lowerCamelCase paths, Empty as
 * `{}`; read back into the form the generated code holds them in.
 */
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
import { DecodeError, describeValue } from "./errors.js";
import { FieldType } from "./schema/descriptors.js";
import { freezeDate } from "./schema/frozen.js";
import type { LongKind, MessageSchema, ValueSchema } from "./schema/schema.js";
import { jsonValueProblem, scalarProblem } from "./schema/validate.js";
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

// --- Reading -----------------------------------------------------------------------

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
  return v;
}

/**
 * A value of a well-known type from its JSON form, as the generated code
 * holds it; {@link NOT_WELL_KNOWN} when the schema is of no type handled here.
 */
export function readWellKnownJson(schema: ValueSchema, value: unknown, path: string, depth: number, maxDepth: number): unknown {
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
  }
  return NOT_WELL_KNOWN;
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
      const n = value as number;
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
export function writeWellKnownJson(schema: ValueSchema, value: unknown, markFloat: FloatMark): unknown {
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
  }
  return NOT_WELL_KNOWN;
}
