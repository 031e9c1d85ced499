/** The errors eventwire throws, their codes, and how their messages name values and field paths. */

/**
 * What went wrong, as a stable machine-readable code. Codes are part of the
 * public API: a code is never renamed or reused for another failure.
 */
export type EventwireErrorCode =
  /** The input is larger than the configured `maxBytes`. */
  | "too-large"
  /** The bytes are not valid protobuf: truncated, an overlong varint, a bad tag, a length past the end. */
  | "malformed-binary"
  /** A known field arrived with a wire type its declaration does not allow. */
  | "invalid-wire-type"
  /** A string field holds bytes that are not valid UTF-8. */
  | "invalid-utf8"
  /** Messages nest deeper than the configured `maxDepth`. */
  | "too-deep"
  /** The text is not JSON, or not a JSON object where one was needed. */
  | "invalid-json"
  /** A value has the wrong type or is out of range for its field. */
  | "invalid-value"
  /** A required base field (`event_id`, `event_type`, `timestamp`) is absent. */
  | "missing-field"
  /** `event_id` is present but is not a UUID. */
  | "invalid-event-id"
  /** `timestamp` is present but is not a finite number of seconds. */
  | "invalid-timestamp"
  /** `event_type` names no type in the registry. */
  | "unknown-event-type"
  /** A key that could replace an object's prototype (`__proto__`). */
  | "forbidden-key"
  /** Two event types claim the same wire name. */
  | "duplicate-event-type"
  /** A message cannot serve as an event type (a field name the envelope reserves, a missing descriptor, an unsupported field type). */
  | "invalid-event-type"
  /** Redis cannot be reached, or stopped answering. */
  | "redis-unavailable"
  /** Redis refused a command (out of memory, no permission, a key of the wrong type, a read-only replica…); the message is Redis's. */
  | "redis-refused"
  /** A queue that does not exist was named. */
  | "unknown-queue"
  /** The component was closed or stopped and cannot do that any more. */
  | "closed"
  /** An option is out of its range. */
  | "invalid-option"
  /** An event type's schema breaks wire or JSON compatibility with the version registered in Redis. */
  | "incompatible-schema"
  /** A handler ran past the time a timeout middleware gave it (the delivery counts as failed). */
  | "handler-timeout"
  /** A write was made, but fewer replicas than asked confirmed it in time (it may not survive a failover of its master). */
  | "not-replicated"
  /** The operation needs its keys in one slot and they are not (a transaction across queues on Redis Cluster). */
  | "cross-slot";

/**
 * The base class of every error eventwire throws on purpose. `code` says what
 * went wrong, `path` (where there is one) where in the input, and `cause`
 * carries the underlying error, if any.
 */
export class EventwireError extends Error {
  override name = "EventwireError";
  /** What went wrong; see {@link EventwireErrorCode}. */
  readonly code: EventwireErrorCode;
  /** Where in the input, as a field path such as `items[2].quantity`; empty when the input as a whole is at fault. */
  readonly path: string;

  constructor(code: EventwireErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(options.path ? `${options.path}: ${message}` : message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path ?? "";
  }
}

/** Input bytes or text could not be decoded into an event. */
export class DecodeError extends EventwireError {
  override name = "DecodeError";
}

/** An event could not be made or encoded: a payload value has the wrong type or is out of range. */
export class EventValidationError extends EventwireError {
  override name = "EventValidationError";
}

/**
 * A publisher's schema of an event type breaks compatibility with the one
 * registered in Redis (code `incompatible-schema`): `changes` says how,
 * one sentence each. Publishing with `schemas: "force"` registers it anyway,
 * as a new version.
 */
export class SchemaConflictError extends EventwireError {
  override name = "SchemaConflictError";
  /** The event type's full name. */
  readonly eventType: string;
  /** The registered version it conflicts with. */
  readonly registeredVersion: number;
  /** What breaks, one sentence each. */
  readonly changes: readonly string[];

  constructor(eventType: string, registeredVersion: number, changes: readonly string[]) {
    super(
      "incompatible-schema",
      `the schema of ${eventType} is not compatible with version ${registeredVersion} registered in Redis: ${changes.join("; ")}`,
    );
    this.eventType = eventType;
    this.registeredVersion = registeredVersion;
    this.changes = Object.freeze([...changes]);
  }
}

/** Whether `error` is a {@link SchemaConflictError} (also across copies of eventwire). */
export function isSchemaConflictError(error: unknown): error is SchemaConflictError {
  return isEventwireError(error) && error.code === "incompatible-schema";
}

/** A transport operation failed: Redis unreachable, an unknown queue, a closed component, a bad option. */
export class TransportError extends EventwireError {
  override name = "TransportError";
}

/** An event type could not be registered. */
export class RegistryError extends EventwireError {
  override name = "RegistryError";
}

function hasCode(err: unknown): err is EventwireError {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as { code?: unknown }).code === "string" &&
    typeof (err as { path?: unknown }).path === "string" &&
    err instanceof Error
  );
}

/**
 * True when `err` is an error eventwire threw on purpose, optionally with the
 * given code. Works across copies of the package (it checks the shape, not
 * only `instanceof`).
 */
export function isEventwireError(err: unknown, code?: EventwireErrorCode): err is EventwireError {
  return hasCode(err) && (code === undefined || err.code === code);
}

/** True when `err` is a {@link DecodeError}, optionally with the given code. */
export function isDecodeError(err: unknown, code?: EventwireErrorCode): err is DecodeError {
  return isEventwireError(err, code) && err.name === "DecodeError";
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
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
export function joinPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
