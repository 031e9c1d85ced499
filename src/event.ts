/** The event: its base fields, headers and payload, and the types that tie events to generated message types. */
import { freezeDate, freezeMap } from "./schema/frozen.js";

/**
 * One event: the base fields every event carries, its string headers, and
 * its payload, a message of the generated type that `eventType` names.
 *
 * Events are immutable: every event eventwire makes or decodes is frozen,
 * payload included. To change one, make a new event.
 */
export interface Event<TType extends string = string, TPayload = unknown> {
  /** Unique id of the event, a UUID string; kept across retries, moves and replays. */
  readonly eventId: string;
  /** When the event was made, in seconds since the Unix epoch (as Python's `time.time()`). */
  readonly timestamp: number;
  /** The event's type: the short name of its message, e.g. `OrderCreatedEvent`. */
  readonly eventType: TType;
  /** Headers that travel with the event: correlation id, causation id, trace context, source service. */
  readonly headers: Readonly<Record<string, string>>;
  /** The event's own fields. */
  readonly payload: TPayload;
}

/** The base fields a caller may set when making an event; the rest are filled in. */
export interface EventBase {
  /** Defaults to a new random (version 4) UUID. */
  readonly eventId?: string;
  /** Defaults to now, in seconds since the Unix epoch. */
  readonly timestamp?: number;
  /** Defaults to no headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Header names eventwire's components set and read. Services may use their own as well. */
export const Headers = {
  /** Id shared by every event of one business flow. */
  correlationId: "correlation-id",
  /** The `eventId` of the event that caused this one. */
  causationId: "causation-id",
  /** W3C trace context. */
  traceparent: "traceparent",
  /** Name of the service that published the event. */
  sourceService: "source-service",
} as const;

/** The JSON key under which non-empty headers travel (LeanMQ reserves `_`-prefixed keys for metadata). */
export const HEADERS_KEY = "_headers";

/** The headers of a decoded event that has none: one frozen object, shared. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The last dot-separated part of a fully qualified name: `a.b.C` gives `C`. */
export type ShortName<S extends string> = S extends `${string}.${infer Rest}` ? ShortName<Rest> : S;

/** The message type a generated `MessageType` encodes and decodes. */
export type PayloadOf<M> = M extends { decode(input: never, length?: number): infer T } ? T : never;

/** The event a generated message type makes. */
export type EventOf<M> = M extends { readonly $type: infer N extends string } ? Event<ShortName<N>, PayloadOf<M>> : never;

/** The short name of a fully qualified message name, at run time. */
export function shortName(fullName: string): string {
  const dot = fullName.lastIndexOf(".");
  return dot < 0 ? fullName : fullName.slice(dot + 1);
}

/** Freezes a decoded or constructed message and everything it holds (Maps and Dates refuse changes too). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) {
    return value;
  }
  if (value instanceof Date) return freezeDate(value) as T;
  if (value instanceof Map) {
    for (const item of value.values()) deepFreeze(item);
    return freezeMap(value);
  }
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(value);
}
