/**
 * `eventwire/transport`: the store-agnostic transport — publishing,
 * consumers, the event bus, dead-letter queues — and the contract a store
 * implements. `eventwire/redis` and `eventwire/memory` give it a store.
 */
export { StreamTransport } from "./transport.js";
export type { Outgoing, PublishOptions, Published } from "./transport.js";
export { Consumer } from "./consumer.js";
export type { ConsumerStats } from "./consumer.js";
export { PermanentError, isPermanentError } from "./handler.js";
export { Lifecycle } from "./lifecycle.js";
export type {
  DeadLetterEvent,
  ExpireEvent,
  LifecycleEventName,
  LifecycleEvents,
  LifecycleListener,
  LifecycleSource,
  ReadFailureEvent,
  ReclaimEvent,
  ResetEvent,
  RetryEvent,
  TrimEvent,
} from "./lifecycle.js";
export type { Middleware, Next } from "./middleware/middleware.js";
export { timeout } from "./middleware/timeout.js";
export { correlation, correlationIdOf } from "./middleware/correlation.js";
export { logging } from "./middleware/logging.js";
export type { LoggingOptions } from "./middleware/logging.js";
export { defaultTelemetryOptions } from "./telemetry/telemetry-options.js";
export type { MeterProviderLike, TelemetryOptions, TracerProviderLike } from "./telemetry/telemetry-options.js";
export { TraceHeaders } from "./telemetry/trace-context.js";
export type { Handler, HandlerContext, Handlers } from "./handler.js";
export { DeadLetterKind } from "./dead-letter-reason.js";
export type { DeadLetterReason } from "./dead-letter-reason.js";
export { DeadLetterQueue } from "./dead-letters.js";
export type { BulkOptions, DeadLetter, Failure, Selection } from "./dead-letters.js";
export { QueueBrowser } from "./queue-browser.js";
export type { StoredEntry } from "./queue-browser.js";
export { EventBus } from "./bus.js";
export type { EventBusOptions, Subscription } from "./bus.js";
export type { RouterOptions, RouterStats } from "./router.js";
export { consoleLogger, defaultTransportOptions, silentLogger } from "./options.js";
export type { Logger, SchemaMode, TransportOptions } from "./options.js";
export { defaultConsumerOptions, defaultRetryPolicy } from "./consumer-options.js";
export type { ConsumerInit, ConsumerOptions, RetryPolicy, SkipPolicy } from "./consumer-options.js";
export type { EntryFormat } from "./leanmq/entry.js";
export type { EntryMetadata } from "./leanmq/metadata.js";
export {
  BUS_PREFIX,
  BUS_QUEUE,
  DEFAULT_MAX_LENGTH,
  DEFAULT_PREFIX,
  LEANMQ_DEFAULT_CONSUMER,
  MAX_PARTITIONS,
  PARTITION_SEPARATOR,
  queueKeys,
  RESERVED_NAMESPACE,
  schemaIndexKey,
  schemaKey,
} from "./leanmq/keys.js";
export type { KeyLayout, QueueKeys } from "./leanmq/keys.js";
export { checkPartitionCount, partitionCount, partitionOf } from "./partitions.js";
export type {
  AppendResult,
  ClaimOne,
  ClaimResult,
  DeliveredEntry,
  EntryFields,
  EntryStore,
  OutgoingEntry,
  PartitionCount,
  QueueInfo,
  RouteEntry,
  NewSchema,
  RouteResult,
  Routed,
  SchemaAdded,
  StoredSchema,
  StreamEntry,
  StreamLimits,
  TrimMode,
} from "./store.js";
export { SchemaRegistry } from "./schema-registry.js";
export type { RegisteredSchema } from "./schema-registry.js";
export { EventwireError, SchemaConflictError, TransportError, isEventwireError, isSchemaConflictError } from "../index.js";
