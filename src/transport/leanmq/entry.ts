/**
 * The two entry formats, LeanMQ's JSON and eventwire's binary: writing an
 * event into a stream entry, reading one back as far as it goes, and the
 * fields of an entry moved to or from a dead-letter queue.
 */
import { v4 as uuidv4 } from "uuid";
import { isDecodeError, pythonJsonDumps, pythonJsonLoads, type DecodeError, type Event, type EventRegistry } from "../../index.js";
import { recordMove } from "./json-edit.js";
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function jsonField(fields: EntryFields, name: string): unknown {
  const raw = fields.get(name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Decodes an entry of either format, telling them apart by their fields. Never throws. */
export function decodeEntry<E extends Event>(registry: EventRegistry<E>, fields: EntryFields): DecodedEntry<E> {
  const data = fields.get(EntryField.data);
  if (data !== undefined) {
    if (data.length > registry.decodeOptions.maxBytes) {
      return unreadable(fields, `too-large: data is ${data.length} bytes, over the limit of ${registry.decodeOptions.maxBytes}`);
    }
    let value: unknown;
    try {
      value = pythonJsonLoads(data.toString("utf8"));
    } catch (error) {
      return unreadable(fields, `data is not JSON: ${String(error)}`);
    }
    if (!isObject(value)) {
      return unreadable(fields, "data is not a JSON object");
    }
    const meta = readMetadata(value[EntryField.metadata]);
    const eventType = typeof value["event_type"] === "string" ? value["event_type"] : undefined;
    const base = { failures: list(value[EntryField.failures]), requeues: list(value[EntryField.requeues]) };
    const result = safe(() => registry.fromJsonObject(value));
    return finish("json", eventType, meta, base, result);
  }
  const envelope = fields.get(EntryField.envelope);
  const eventType = fields.get(EntryField.eventType)?.toString("utf8");
  const meta = readMetadata(jsonField(fields, EntryField.metadata));
  const base = { failures: list(jsonField(fields, EntryField.failures)), requeues: list(jsonField(fields, EntryField.requeues)) };
  if (envelope !== undefined) {
    if (eventType !== undefined && registry.get(eventType) === undefined) {
      return {
        format: "binary",
        eventType,
        metadata: meta,
        ...base,
        event: undefined,
        problem: { kind: "unknown-type", eventType, message: `unknown event type ${JSON.stringify(eventType)}` },
      };
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
      ? { kind: "unknown-type", eventType: eventType ?? "", message: error.message }
      : { kind: "undecodable", message: `${error.code}: ${error.message}`, error };
  return { format, eventType, metadata, ...base, event: undefined, problem: p };
}

/** An entry whose `data` cannot be read: its history, if any, is in fields of its own (see {@link movedFields}). */
function unreadable<E extends Event>(fields: EntryFields, message: string): DecodedEntry<E> {
  return {
    format: "json",
    eventType: undefined,
    metadata: readMetadata(jsonField(fields, EntryField.metadata)),
    failures: list(jsonField(fields, EntryField.failures)),
    requeues: list(jsonField(fields, EntryField.requeues)),
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
  const oldMeta = data !== undefined ? metadataFromData(data) : readMetadata(jsonField(fields, EntryField.metadata));
  const meta = metadataJson(newMetadata(null, oldMeta?.id ?? uuidv4(), now));
  if (data !== undefined) {
    const edited = recordMove(data.toString("utf8"), listKey, itemJson, meta);
    if (edited !== undefined && isValidUtf8(data)) return [EntryField.data, edited, ...otherFields(fields, [EntryField.data])];
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

function metadataFromData(data: Buffer): EntryMetadata | undefined {
  try {
    const value = pythonJsonLoads(data.toString("utf8"));
    return isObject(value) ? readMetadata(value[EntryField.metadata]) : undefined;
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isValidUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
