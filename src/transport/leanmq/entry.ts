/**
 * The two entry formats, LeanMQ's JSON and eventwire's binary: writing an
 * event into a stream entry, reading one back as far as it goes, and the
 * fields of an entry moved to or from a dead-letter queue.
 */
import { v4 as uuidv4 } from "uuid";
import { HEADERS_KEY, isDecodeError, pythonJsonDumps, pythonJsonLoads, type DecodeError, type Event, type EventRegistry } from "../../index.js";
import { objectShape, recordMove } from "./json-edit.js";
import { EntryField } from "./keys.js";
import { metadataJson, newMetadata, readMetadata, type EntryMetadata } from "./metadata.js";

/**
 * How an event is written into a stream entry.
 * - `json`: LeanMQ's entry, one field `data` holding the event's JSON plus
 *   `_metadata`; what Python services using LeanMQ read and write.
 * - `binary`: the protobuf `EventEnvelope` in field `envelope`, the event
 *   type in field `event_type` (routing and filtering never decode the
 *   payload), and `_metadata` as JSON in a field of its own.
 */
export type EntryFormat = "json" | "binary";

/** A stream entry's fields, as Redis returns them (names as text, values as bytes). */
export type EntryFields = ReadonlyMap<string, Buffer>;

/** An entry as read from a stream. */
export interface StreamEntry {
  /** The stream entry id, e.g. `1732700000123-0`. */
  readonly id: string;
  readonly fields: EntryFields;
}

/** Why an entry could not be turned into an event. */
export type EntryProblem =
  | { readonly kind: "undecodable"; readonly message: string; readonly error?: DecodeError }
  | { readonly kind: "unknown-type"; readonly eventType: string; readonly message: string };

/** An entry read and decoded as far as it goes. */
export interface DecodedEntry<E extends Event = Event> {
  readonly format: EntryFormat | "unknown";
  /** The event type, when it can be told (for binary entries without decoding). */
  readonly eventType: string | undefined;
  readonly metadata: EntryMetadata | undefined;
  /** Moves to a DLQ so far: `{timestamp, reason}` each. */
  readonly failures: readonly unknown[];
  /** Requeues from a DLQ so far. */
  readonly requeues: readonly unknown[];
  readonly event: E | undefined;
  readonly problem: EntryProblem | undefined;
}

/**
 * The field/value list of an entry holding `event`, in the given format. The
 * JSON form is what LeanMQ's `send_message(serialize_event(event))` writes,
 * byte for byte.
 */
export function encodeEntry<E extends Event>(
  registry: EventRegistry<E>,
  event: E,
  format: EntryFormat,
  meta: EntryMetadata,
): (string | Buffer)[] {
  if (format === "binary") {
    const bytes = registry.toBinary(event);
    return [
      EntryField.eventType,
      event.eventType,
      EntryField.envelope,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      EntryField.metadata,
      metadataJson(meta),
    ];
  }
  // Python's json.dumps of the event's dict with `_metadata` added last: the
  // event's text (an object with at least its base fields) with one more member.
  const text = registry.toJson(event, { style: "python" });
  return [EntryField.data, `${text.slice(0, -1)}, "${EntryField.metadata}": ${metadataJson(meta)}}`];
}

/** The size of what consumers decode of an entry: its `data` text or its `envelope`, in bytes. */
export function entryPayloadSize(fields: readonly (string | Buffer)[]): number {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === EntryField.data || fields[i] === EntryField.envelope) {
      const value = fields[i + 1]!;
      return typeof value === "string" ? Buffer.byteLength(value) : value.length;
    }
  }
  return 0;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes as text, or undefined when they are not valid UTF-8 (never read lossily). */
function utf8Text(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function jsonField(fields: EntryFields, name: string): unknown {
  const raw = fields.get(name);
  const text = raw === undefined ? undefined : utf8Text(raw);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Moves to a DLQ recorded inside `data` and in a `_failures` field of their own (a copy the bus parked), oldest first. */
function failuresOf(inData: unknown, fields: EntryFields): readonly unknown[] {
  const all = [...list(inData), ...list(jsonField(fields, EntryField.failures))];
  const time = (f: unknown): number => (isObject(f) && typeof f["timestamp"] === "number" ? f["timestamp"] : 0);
  return all.length < 2 ? all : all.sort((a, b) => time(a) - time(b));
}

/**
 * The history of an entry whose `data` is too large to decode: its
 * `_metadata`, `_failures` and `_requeues` members, read alone (so that a DLQ
 * listing still says why the entry is there).
 */
function historyOf(text: string): { metadata: unknown; failures: unknown; requeues: unknown } {
  const shape = objectShape(text);
  const member = (key: string): unknown => {
    const members = shape?.members ?? [];
    let m: (typeof members)[number] | undefined;
    for (const x of members) if (x.key === key) m = x;
    if (m === undefined) return undefined;
    try {
      return pythonJsonLoads(text.slice(m.valueStart, m.valueEnd));
    } catch {
      return undefined;
    }
  };
  return { metadata: member(EntryField.metadata), failures: member(EntryField.failures), requeues: member(EntryField.requeues) };
}

/** A short name: the part after the last dot (`eventwire.shop.v1.OrderShippedEvent` → `OrderShippedEvent`). */
function shortTypeName(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/**
 * What routing needs of an entry, read without decoding the event: its
 * event type (as a short name) and its metadata. The event type is read as
 * consumers read it — `event_type`, or `eventType`, in `data`; the
 * `event_type` field of a binary entry — and text that is not valid UTF-8 is
 * refused as consumers refuse it.
 */
export function entryRouting(fields: EntryFields): { eventType: string; metadata: EntryMetadata | undefined; headers: unknown } | { problem: string } {
  const data = fields.get(EntryField.data);
  let eventType: unknown;
  let meta: unknown;
  let headers: unknown;
  if (data !== undefined) {
    const text = utf8Text(data);
    if (text === undefined) return { problem: "invalid-utf8: data is not valid UTF-8" };
    let value: unknown;
    try {
      value = pythonJsonLoads(text);
    } catch (error) {
      return { problem: `data is not JSON: ${String(error)}` };
    }
    if (!isObject(value)) return { problem: "data is not a JSON object" };
    const snake = Object.hasOwn(value, "event_type") ? value["event_type"] : undefined;
    const camel = Object.hasOwn(value, "eventType") ? value["eventType"] : undefined;
    if (snake !== undefined && camel !== undefined) return { problem: "invalid-value: the event type is given twice, as event_type and as eventType" };
    eventType = snake ?? camel;
    meta = value[EntryField.metadata];
    headers = value[HEADERS_KEY];
  } else {
    const raw = fields.get(EntryField.eventType);
    eventType = raw === undefined ? undefined : utf8Text(raw);
    if (raw !== undefined && eventType === undefined) return { problem: "invalid-utf8: event_type is not valid UTF-8" };
    meta = jsonField(fields, EntryField.metadata);
  }
  if (typeof eventType !== "string" || eventType === "") return { problem: "missing-field: the entry has no event type" };
  return { eventType: shortTypeName(eventType), metadata: readMetadata(meta), headers };
}

/**
 * One header of an entry, read without decoding the event: from `_headers`
 * in `data` as {@link entryRouting} found it (`jsonHeaders`), or from the
 * binary envelope's `headers` map (field 5), scanned for that key alone.
 * Undefined when absent or unreadable.
 */
export function entryHeader(fields: EntryFields, jsonHeaders: unknown, name: string): string | undefined {
  if (fields.has(EntryField.data)) {
    const value = isObject(jsonHeaders) && Object.hasOwn(jsonHeaders, name) ? jsonHeaders[name] : undefined;
    return typeof value === "string" ? value : undefined;
  }
  const envelope = fields.get(EntryField.envelope);
  return envelope === undefined ? undefined : envelopeHeader(envelope, name);
}

/** A header of a binary `EventEnvelope`, scanning its top-level fields (undefined on anything malformed). */
function envelopeHeader(bytes: Uint8Array, name: string): string | undefined {
  let p = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= bytes.length) return -1;
      const b = bytes[p++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return -1;
  };
  let found: string | undefined;
  while (p < bytes.length) {
    const tag = varint();
    if (tag < 0) return undefined;
    const wire = tag & 7;
    if (wire === 0) {
      if (varint() < 0) return undefined;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = varint();
      if (len < 0 || p + len > bytes.length) return undefined;
      if (tag >>> 3 === 5) {
        const pair = mapEntry(bytes.subarray(p, p + len));
        if (pair !== undefined && pair[0] === name) found = pair[1]; // the last one wins, as in protobuf maps
      }
      p += len;
    } else return undefined;
  }
  return p === bytes.length ? found : undefined;
}

/** The key and value of a `map<string, string>` entry (fields 1 and 2). */
function mapEntry(bytes: Uint8Array): [string, string] | undefined {
  let key = "";
  let value = "";
  let p = 0;
  while (p < bytes.length) {
    const tag = bytes[p++]!;
    if ((tag & 7) !== 2) return undefined;
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= bytes.length || shift > 28) return undefined;
      const b = bytes[p++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (p + len > bytes.length) return undefined;
    const text = utf8Text(Buffer.from(bytes.buffer, bytes.byteOffset + p, len));
    if (text === undefined) return undefined;
    if (tag >>> 3 === 1) key = text;
    else if (tag >>> 3 === 2) value = text;
    p += len;
  }
  return [key, value];
}

/** Decodes an entry of either format, telling them apart by their fields. Never throws. */
export function decodeEntry<E extends Event>(registry: EventRegistry<E>, fields: EntryFields): DecodedEntry<E> {
  const data = fields.get(EntryField.data);
  if (data !== undefined) {
    const text = utf8Text(data);
    if (text === undefined) return unreadable(fields, "invalid-utf8: data is not valid UTF-8");
    if (data.length > registry.decodeOptions.maxBytes) {
      return unreadable(fields, `too-large: data is ${data.length} bytes, over the limit of ${registry.decodeOptions.maxBytes}`, historyOf(text));
    }
    let value: unknown;
    try {
      value = pythonJsonLoads(text);
    } catch (error) {
      return unreadable(fields, `data is not JSON: ${String(error)}`);
    }
    if (!isObject(value)) {
      return unreadable(fields, "data is not a JSON object");
    }
    const meta = readMetadata(value[EntryField.metadata]);
    const named = value["event_type"] ?? value["eventType"];
    const eventType = typeof named === "string" ? named : undefined;
    const base = { failures: failuresOf(value[EntryField.failures], fields), requeues: list(value[EntryField.requeues]) };
    const result = safe(() => registry.fromJsonObject(value));
    return finish("json", eventType, meta, base, result);
  }
  const envelope = fields.get(EntryField.envelope);
  const rawType = fields.get(EntryField.eventType);
  const eventType = rawType === undefined ? undefined : utf8Text(rawType);
  const meta = readMetadata(jsonField(fields, EntryField.metadata));
  const base = { failures: failuresOf(undefined, fields), requeues: list(jsonField(fields, EntryField.requeues)) };
  if (rawType !== undefined && eventType === undefined) {
    return { format: envelope === undefined ? "unknown" : "binary", eventType: undefined, metadata: meta, ...base, event: undefined, problem: { kind: "undecodable", message: "invalid-utf8: event_type is not valid UTF-8" } };
  }
  if (envelope !== undefined) {
    if (eventType !== undefined && registry.get(eventType) === undefined) {
      // (worded as the codec words it, whatever the entry's format)
      const message = unknownTypeMessage(eventType);
      return { format: "binary", eventType, metadata: meta, ...base, event: undefined, problem: { kind: "unknown-type", eventType, message } };
    }
    return finish("binary", eventType, meta, base, safe(() => registry.fromBinary(envelope)));
  }
  return {
    format: "unknown",
    eventType,
    metadata: meta,
    ...base,
    event: undefined,
    problem: { kind: "undecodable", message: "the entry has neither a data nor an envelope field" },
  };
}

/** An entry of a type the registry lacks, worded as the codec words it (without its field path), whatever the entry's format. */
function unknownTypeMessage(eventType: string): string {
  return `no event type ${JSON.stringify(eventType.slice(0, 200))} is registered`;
}

type Attempt<E> = { event: E } | { error: DecodeError };

function safe<E>(decode: () => E): Attempt<E> {
  try {
    return { event: decode() };
  } catch (error) {
    if (isDecodeError(error)) return { error };
    throw error;
  }
}

function finish<E extends Event>(
  format: EntryFormat,
  eventType: string | undefined,
  metadata: EntryMetadata | undefined,
  base: { failures: readonly unknown[]; requeues: readonly unknown[] },
  result: Attempt<E>,
): DecodedEntry<E> {
  if ("event" in result) {
    return { format, eventType: result.event.eventType, metadata, ...base, event: result.event, problem: undefined };
  }
  const error = result.error;
  const p: EntryProblem =
    error.code === "unknown-event-type"
      ? { kind: "unknown-type", eventType: eventType ?? "", message: unknownTypeMessage(eventType ?? "") }
      : { kind: "undecodable", message: `${error.code}: ${error.message}`, error };
  return { format, eventType, metadata, ...base, event: undefined, problem: p };
}

/**
 * An entry whose `data` cannot be decoded: its history is in fields of its
 * own (see {@link movedFields}), or, for data that is only too large, in
 * `history` read from it.
 */
function unreadable<E extends Event>(
  fields: EntryFields,
  message: string,
  history?: { metadata: unknown; failures: unknown; requeues: unknown },
): DecodedEntry<E> {
  return {
    format: "json",
    eventType: undefined,
    metadata: readMetadata(history?.metadata ?? jsonField(fields, EntryField.metadata)),
    failures: failuresOf(history?.failures, fields),
    requeues: [...list(history?.requeues), ...list(jsonField(fields, EntryField.requeues))],
    event: undefined,
    problem: { kind: "undecodable", message },
  };
}

/**
 * The fields of an entry being moved (to a DLQ, or back from one): the same
 * fields with `item` appended to the list under `listKey` and fresh
 * `_metadata` (same id, new timestamp, no TTL), as LeanMQ writes a move.
 * Nothing of the original is dropped: an entry whose `data` is not a JSON
 * object keeps it as it is, with the list in a field of its own.
 */
export function movedFields(
  fields: EntryFields,
  listKey: typeof EntryField.failures | typeof EntryField.requeues,
  item: Record<string, unknown>,
  now: number,
): (string | Buffer)[] {
  const itemJson = pythonJsonDumps(item);
  const data = fields.get(EntryField.data);
  const text = data === undefined ? undefined : utf8Text(data);
  const oldMeta = text !== undefined ? metadataFromData(text) : readMetadata(jsonField(fields, EntryField.metadata));
  const meta = metadataJson(newMetadata(null, oldMeta?.id ?? uuidv4(), now));
  if (text !== undefined) {
    const edited = recordMove(text, listKey, itemJson, meta);
    if (edited !== undefined) return [EntryField.data, edited, ...otherFields(fields, [EntryField.data])];
  }
  const out: (string | Buffer)[] = [];
  for (const [name, value] of fields) {
    if (name === listKey || name === EntryField.metadata) continue;
    out.push(name, value);
  }
  const previous = list(jsonField(fields, listKey));
  out.push(EntryField.metadata, meta, listKey, "[" + [...previous.map((p) => pythonJsonDumps(p)), itemJson].join(", ") + "]");
  return out;
}

function otherFields(fields: EntryFields, skip: readonly string[]): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (const [name, value] of fields) if (!skip.includes(name)) out.push(name, value);
  return out;
}

function metadataFromData(text: string): EntryMetadata | undefined {
  try {
    const value = pythonJsonLoads(text);
    return isObject(value) ? readMetadata(value[EntryField.metadata]) : undefined;
  } catch {
    return undefined;
  }
}
