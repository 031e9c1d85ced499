/** The options shared by everything built on one transport, the loggers, and how numeric options are checked. */
import { TransportError, type Event } from "../index.js";
import type { EntryFormat } from "./leanmq/entry.js";
import { DEFAULT_MAX_LENGTH, DEFAULT_PREFIX } from "./leanmq/keys.js";
import type { TrimMode } from "./store.js";
import type { TelemetryOptions } from "./telemetry/telemetry-options.js";

/** Where a component reports what it does; every method is optional. */
export interface Logger {
  debug?(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

/** The default logger: warnings and errors to the console, nothing else. */
export const consoleLogger: Logger = {
  warn: (message, details) => console.warn(`[eventwire] ${message}`, details ?? ""),
  error: (message, details) => console.error(`[eventwire] ${message}`, details ?? ""),
};

/** A logger that says nothing. */
export const silentLogger: Logger = {};

/**
 * What a publisher does with its schemas: `register` them (refusing one that
 * breaks compatibility), `force` them (registering a breaking one as a new
 * version, marked forced), or `off` (nothing: its events are readable only
 * where their `.proto` files are).
 */
export type SchemaMode = "register" | "force" | "off";

/** Options shared by everything built on one transport. */
export interface TransportOptions {
  /**
   * The key prefix, as LeanMQ's `prefix`.
   * @defaultValue `"mq:"`
   */
  readonly prefix: string;
  /**
   * The entry format publishers use unless a call says otherwise. Consumers
   * read both formats whatever this says.
   * @defaultValue `"json"` (LeanMQ's entries, readable by Python services)
   */
  readonly format: EntryFormat;
  /**
   * Streams are kept to about this many entries, oldest trimmed first, as
   * {@link trim} says.
   * @defaultValue 100000 (LeanMQ's `MAXLEN`)
   */
  readonly maxLength: number;
  /**
   * What trimming may take (see {@link TrimMode}): by default only what
   * every consumer group has delivered and acknowledged, so nothing unread
   * is lost (a lagging stream grows past `maxLength` until its readers catch
   * up); `"length"` trims to `maxLength` whatever was read, as LeanMQ does,
   * and counts what went unread (`info().trimmedUnread`, a warning).
   * @defaultValue `"acknowledged"`
   */
  readonly trim: TrimMode;
  /** @defaultValue {@link consoleLogger} */
  readonly logger: Logger;
  /**
   * What publishing does with each event type's schema, the first time this
   * transport publishes the type (see `SchemaRegistry`): `"register"` it in
   * Redis under the prefix, so that tools (`eventwire tail`, `eventwire ui`)
   * decode the events without `.proto` files, refusing a schema that breaks
   * compatibility with the registered one (`SchemaConflictError`);
   * `"force"` registers even that, as a new version; `"off"` registers
   * nothing.
   * @defaultValue `"register"`
   */
  readonly schemas: SchemaMode;
  /**
   * OpenTelemetry spans and metrics (see docs/observability.md), when
   * `@opentelemetry/api` is installed: the options, or `false` for none.
   * By default the providers registered with the API are used, when there
   * are any; without them, or without the package, nothing is traced and
   * nothing is measured.
   * @defaultValue `{}` (every {@link TelemetryOptions} at its default)
   */
  readonly telemetry: Partial<TelemetryOptions> | false;
  /**
   * The key that picks an event's partition, on a queue with partitions
   * (see `StreamTransport.setPartitions`): events of one key go to one
   * partition, in the order they were published. A publish's own
   * `partitionKey` comes first; `undefined` falls back to the event id,
   * which spreads events evenly.
   * @defaultValue the event id
   */
  readonly partitionKey: ((event: Event, queue: string) => string | undefined) | undefined;
  /**
   * How long the partition count of a queue read from Redis is trusted, in
   * ms: a change of the count reaches publishers and consumers of other
   * processes within this time.
   * @defaultValue 5000
   */
  readonly partitionRefreshMs: number;
}

/** The defaults of {@link TransportOptions}. */
export const defaultTransportOptions: TransportOptions = Object.freeze({
  prefix: DEFAULT_PREFIX,
  format: "json",
  maxLength: DEFAULT_MAX_LENGTH,
  trim: "acknowledged",
  logger: consoleLogger,
  schemas: "register",
  telemetry: Object.freeze({}),
  partitionKey: undefined,
  partitionRefreshMs: 5000,
});

/** Throws `invalid-option` unless `value` is a positive (or, with `allowZero`, non-negative) number. */
export function positive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TransportError("invalid-option", `${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(value)}`);
  }
}
