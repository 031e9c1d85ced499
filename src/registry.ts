/**
 * The registry: the event types a service knows, by wire name, and the
 * codec verbs between events and their binary and JSON forms.
 */
import { v4 as uuidv4, validate as isUuid } from "uuid";
import { compileTypes, type CompiledTypes } from "./compile/compiled-type.js";
import { DecodeError, EventValidationError, RegistryError } from "./errors.js";
import { deepFreeze, shortName, type Event, type EventBase, type EventOf } from "./event.js";
import { fromBinary } from "./from-binary.js";
import { fromJson, fromJsonValue } from "./from-json.js";
import { decodeOptions, defaultDecodeOptions, type DecodeOptions } from "./schema/decode-options.js";
import type { MessageType, ProtoFile } from "./schema/descriptors.js";
import type { RegisteredType, TypeLookup } from "./schema/registered-type.js";
import { SchemaPool, type MessageSchema } from "./schema/schema.js";
import { validateMessage } from "./schema/validate.js";
import { toBinary } from "./to-binary.js";
import { toJson, toJsonObject, type JsonStyle } from "./to-json.js";

/** Any generated message type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMessageType = MessageType<any, string>;

/** The union of the events a list of generated message types makes. */
export type EventsOf<Ms extends readonly AnyMessageType[]> = { [K in keyof Ms]: EventOf<Ms[K]> }[number];

/** The event of one wire name, out of a union of events. */
export type EventNamed<E extends Event, N extends E["eventType"]> = Extract<E, { readonly eventType: N }>;

type Builtin = Uint8Array | string | number | boolean | undefined | null;

/** A payload with any field left out (it takes its default). */
export type PayloadInit<T> = T extends Builtin
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<PayloadInit<U>>
    : { readonly [K in keyof T]?: PayloadInit<T[K]> };

/** How a registry is made. */
export interface RegistryOptions {
  /**
   * The generated files the event types are declared in: each file's
   * `protoMetadata` (files they import are found through it). The JSON codec
   * reads field names and types from these descriptors.
   */
  readonly files: readonly ProtoFile[];
  /** Decoding limits for this registry's decoders; each call may narrow them. Defaults: {@link defaultDecodeOptions}. */
  readonly decode?: Partial<DecodeOptions>;
}

/** A decoding outcome as a value: the event, or the error that says why there is none. */
export type DecodeResult<E> = { readonly ok: true; readonly event: E } | { readonly ok: false; readonly error: DecodeError };

/** Keys the flat JSON form uses for the base fields; no payload field may take them. */
const RESERVED_KEYS = new Set(["event_id", "eventId", "timestamp", "event_type", "eventType"]);

/**
 * The event types a service knows, by wire name, and the codecs between
 * events and their binary and JSON forms.
 *
 * The wire name of an event type is its message's short name
 * (`OrderCreatedEvent`); its fully qualified name
 * (`eventwire.shop.v1.OrderCreatedEvent`) resolves too. Decoded events always
 * carry the wire name.
 */
export class EventRegistry<E extends Event = Event> implements TypeLookup {
  /** The registered types, in registration order. */
  readonly types: readonly RegisteredType[];
  /** The decoding limits in force when a call gives none. */
  readonly decodeOptions: DecodeOptions;
  private readonly byName: ReadonlyMap<string, RegisteredType>;
  /** The types with their compiled binary codecs, by wire name and fully qualified name. */
  private readonly binary: CompiledTypes;

  /** The messages of the registry's files, by fully qualified name: the types an Any may hold. */
  readonly messageTypes: { resolve(fullName: string): MessageSchema | undefined } | undefined;

  /** Use {@link createRegistry}. */
  constructor(types: readonly RegisteredType[], options: DecodeOptions, pool?: SchemaPool) {
    const byName = new Map<string, RegisteredType>();
    for (const t of types) {
      for (const key of [t.name, t.fullName]) {
        const other = byName.get(key);
        if (other !== undefined && other.fullName !== t.fullName) {
          throw new RegistryError(
            "duplicate-event-type",
            `${other.fullName} and ${t.fullName} both claim the event type name ${JSON.stringify(key)}`,
          );
        }
        byName.set(key, t);
      }
    }
    this.types = Object.freeze([...new Set(byName.values())]);
    this.byName = byName;
    this.binary = compileTypes(byName);
    this.decodeOptions = options;
    this.messageTypes = pool === undefined ? undefined : { resolve: (fullName) => (pool.hasMessage(fullName) ? pool.message(fullName) : undefined) };
  }

  /** The registered type of a wire name or fully qualified name, if any. */
  get(eventType: string): RegisteredType | undefined {
    return this.byName.get(eventType);
  }

  /** The registered type of a wire name; throws {@link DecodeError} `unknown-event-type` when there is none. */
  require(eventType: string): RegisteredType {
    const registered = this.byName.get(eventType);
    if (registered === undefined) {
      throw new DecodeError("unknown-event-type", `no event type ${JSON.stringify(eventType)} is registered`, {
        path: "event_type",
      });
    }
    return registered;
  }

  /** The wire names of the registered types. */
  get names(): E["eventType"][] {
    return this.types.map((t) => t.name);
  }

  /**
   * Makes a frozen event. Payload fields left out take their defaults;
   * `eventId` defaults to a new UUID, `timestamp` to now, `headers` to none.
   * Throws {@link EventValidationError} when a value has the wrong type or is
   * out of range, or a base field is malformed.
   */
  create<N extends E["eventType"]>(
    eventType: N,
    payload: PayloadInit<EventNamed<E, N>["payload"]> = {} as PayloadInit<EventNamed<E, N>["payload"]>,
    base: EventBase = {},
  ): EventNamed<E, N> {
    const registered = this.byName.get(eventType);
    if (registered === undefined) {
      throw new EventValidationError("invalid-value", `no event type ${JSON.stringify(eventType)} is registered`, {
        path: "event_type",
      });
    }
    const eventId = base.eventId ?? uuidv4();
    if (typeof eventId !== "string" || !isUuid(eventId)) {
      throw new EventValidationError("invalid-value", `eventId must be a UUID, got ${JSON.stringify(eventId)}`, {
        path: "event_id",
      });
    }
    let timestamp = base.timestamp ?? Date.now() / 1000;
    if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
      throw new EventValidationError("invalid-value", `timestamp must be a finite number of seconds, got ${String(timestamp)}`, {
        path: "timestamp",
      });
    }
    if (timestamp === 0) timestamp = 0; // no negative zero: JSON cannot carry it
    const headers = copyHeaders(base.headers);
    // The input is checked before the generated `fromPartial` fills in the
    // defaults, which would otherwise drop unknown properties and coerce
    // some values silently.
    validateMessage(registered.schema, payload, "", true);
    const message = registered.type.fromPartial(payload as never);
    return Object.freeze({
      eventId,
      timestamp,
      eventType: registered.name,
      headers,
      payload: deepFreeze(message),
    }) as unknown as EventNamed<E, N>;
  }

  /**
   * The event as a binary `EventEnvelope` (canonical: the same event always
   * gives the same bytes). Like Node's small Buffers, a small result may
   * share its underlying `ArrayBuffer` with other results: its bytes are
   * those from `byteOffset` for `byteLength`.
   */
  toBinary(event: E): Uint8Array {
    const type = this.binary.get(event.eventType);
    if (type === undefined) this.require(event.eventType);
    return toBinary(type!, event);
  }

  /** Decodes a binary `EventEnvelope`; throws {@link DecodeError}. */
  fromBinary(bytes: Uint8Array, options?: Partial<DecodeOptions>): E {
    return fromBinary(this.binary, bytes, decodeOptions(this.decodeOptions, options)) as E;
  }

  /** {@link fromBinary} returning the error as a value instead of throwing it. */
  tryFromBinary(bytes: Uint8Array, options?: Partial<DecodeOptions>): DecodeResult<E> {
    return attempt(() => this.fromBinary(bytes, options));
  }

  /** The event as the flat JSON object (see the README's JSON format). */
  toJsonObject(event: E): Record<string, unknown> {
    return toJsonObject(this.require(event.eventType), event, this.messageTypes);
  }

  /**
   * The event as JSON text: compact (the default), or with `style:
   * "python"` byte for byte what Python's `json.dumps(serialize_event(e))`
   * writes (see {@link JsonStyle}).
   */
  toJson(event: E, options?: { readonly style?: JsonStyle }): string {
    return toJson(this.require(event.eventType), event, options?.style ?? "compact", this.messageTypes);
  }

  /** Decodes JSON text or its UTF-8 bytes; throws {@link DecodeError}. */
  fromJson(input: string | Uint8Array, options?: Partial<DecodeOptions>): E {
    return fromJson(this, input, decodeOptions(this.decodeOptions, options)) as E;
  }

  /** Decodes an already parsed JSON object; throws {@link DecodeError}. */
  fromJsonObject(value: unknown, options?: Partial<DecodeOptions>): E {
    return fromJsonValue(this, value, decodeOptions(this.decodeOptions, options)) as E;
  }

  /** {@link fromJson} returning the error as a value instead of throwing it. */
  tryFromJson(input: string | Uint8Array, options?: Partial<DecodeOptions>): DecodeResult<E> {
    return attempt(() => this.fromJson(input, options));
  }
}

function attempt<E>(decode: () => E): DecodeResult<E> {
  try {
    return { ok: true, event: decode() };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error };
    throw error;
  }
}

function copyHeaders(headers: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (headers === undefined) return Object.freeze(out);
  if (typeof headers !== "object" || headers === null) {
    throw new EventValidationError("invalid-value", "headers must be an object of strings", { path: "headers" });
  }
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (key === "__proto__") throw new EventValidationError("invalid-value", "the header name __proto__ is not allowed", { path: "headers" });
    if (typeof value !== "string" || !value.isWellFormed() || !key.isWellFormed()) {
      throw new EventValidationError("invalid-value", `header ${JSON.stringify(key)} must be a well-formed string`, {
        path: "headers",
      });
    }
    out[key] = value;
  }
  return Object.freeze(out);
}

/**
 * Makes a registry of the given generated message types, each an event type
 * under its message's short name. Throws {@link RegistryError} when two types
 * claim one name, when a type's descriptor is not among `options.files`, or
 * when a payload field takes a name the envelope's JSON form reserves
 * (`event_id`, `timestamp`, `event_type`, or any name starting with `_`).
 *
 * ```ts
 * const registry = createRegistry([OrderCreatedEvent, PaymentProcessedEvent], { files: [protoMetadata] });
 * ```
 */
export function createRegistry<const Ms extends readonly AnyMessageType[]>(
  types: Ms,
  options: RegistryOptions,
): EventRegistry<EventsOf<Ms>> {
  const pool = new SchemaPool(options.files);
  const registered = types.map((type): RegisteredType => {
    if (typeof type?.$type !== "string") {
      throw new RegistryError(
        "invalid-event-type",
        "an event type has no $type: generate it with ts-proto's outputTypeAnnotations option (see buf.gen.yaml)",
      );
    }
    const schema = pool.message(type.$type);
    if (schema.type !== (type as unknown)) {
      throw new RegistryError("invalid-event-type", `${type.$type} in \`files\` is not the same generated type as the one registered`);
    }
    for (const field of schema.fields) {
      for (const key of [field.name, field.jsonName]) {
        if (RESERVED_KEYS.has(key) || key.startsWith("_")) {
          throw new RegistryError(
            "invalid-event-type",
            `${type.$type}: the field name ${JSON.stringify(key)} is reserved for the envelope; rename the field`,
          );
        }
      }
    }
    return Object.freeze({ name: shortName(type.$type), fullName: type.$type, type: schema.type, schema });
  });
  return new EventRegistry<EventsOf<Ms>>(registered, decodeOptions(defaultDecodeOptions, options.decode), pool);
}
