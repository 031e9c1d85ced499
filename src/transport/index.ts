export { StreamTransport } from "./transport.js";
export type { Outgoing, PublishOptions, Published } from "./transport.js";
export { Consumer, DeadLetterReason, PermanentError, isPermanentError, attemptsOf } from "./consumer.js";
export type { ConsumerStats, Handler, HandlerContext, Handlers } from "./consumer.js";
export { DeadLetterQueue } from "./dead-letters.js";
export type { BulkOptions, DeadLetter, Failure, Selection } from "./dead-letters.js";
export { EventBus } from "./bus.js";
export type { EventBusOptions, RouterOptions, RouterStats, Subscription } from "./bus.js";
export { consoleLogger, defaultRetryPolicy, defaultTransportOptions, silentLogger } from "./options.js";
export type { ConsumerInit, ConsumerOptions, Logger, RetryPolicy, SkipPolicy, TransportOptions } from "./options.js";
export { decodeEntry, encodeEntry } from "./entry.js";
export type { DecodedEntry, EntryFormat, EntryMetadata, StreamEntry } from "./entry.js";
export {
  BUS_PREFIX,
  BUS_QUEUE,
  DEFAULT_MAX_LENGTH,
  DEFAULT_PREFIX,
  EntryField,
  LEANMQ_DEFAULT_CONSUMER,
  queueKeys,
  subscriptionQueue,
  subscriptionsKey,
} from "./keys.js";
export type { QueueKeys } from "./keys.js";
export type { ClaimOne, ClaimResult, DeliveredEntry, EntryStore, OutgoingEntry, QueueInfo, RouteEntry } from "./store.js";
