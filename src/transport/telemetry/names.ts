/**
 * The names eventwire's spans and metrics use, in one place: OpenTelemetry's
 * messaging semantic conventions where they have a name for the thing, and
 * `eventwire.*` where they do not (docs/observability.md lists them all).
 */

/** The instrumentation scope: the tracer's and the meter's name. */
export const SCOPE = "eventwire";

/** Span and metric attributes. */
export const Attr = {
  // OpenTelemetry messaging conventions
  system: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  consumerGroup: "messaging.consumer.group.name",
  clientId: "messaging.client.id",
  messageId: "messaging.message.id",
  conversationId: "messaging.message.conversation_id",
  bodySize: "messaging.message.body.size",
  batchCount: "messaging.batch.message_count",
  errorType: "error.type",
  // eventwire's own
  eventType: "eventwire.event.type",
  eventId: "eventwire.event.id",
  streamId: "eventwire.stream.id",
  deliveryCount: "eventwire.delivery.count",
  format: "eventwire.entry.format",
  reason: "eventwire.dead_letter.kind",
  reclaimed: "eventwire.reclaimed",
  outcome: "eventwire.outcome",
} as const;

/** Values of `messaging.operation.type`. */
export const OperationType = {
  create: "create",
  send: "send",
  process: "process",
} as const;

/** The metric instruments. */
export const Metric = {
  published: "messaging.client.sent.messages",
  processDuration: "messaging.process.duration",
  handled: "eventwire.messages.handled",
  failed: "eventwire.messages.failed",
  retried: "eventwire.messages.retried",
  deadLettered: "eventwire.messages.dead_lettered",
  expired: "eventwire.messages.expired",
  trimmed: "eventwire.messages.trimmed",
  reclaimed: "eventwire.messages.reclaimed",
  latency: "eventwire.message.latency",
  queueLength: "eventwire.queue.length",
  queuePending: "eventwire.queue.pending",
  queueLag: "eventwire.queue.lag",
  dlqLength: "eventwire.queue.dlq.length",
} as const;

/** Span event names. */
export const SpanEvent = {
  retry: "eventwire.retry",
  deadLetter: "eventwire.dead_letter",
  expired: "eventwire.expired",
  reclaimed: "eventwire.reclaimed",
  skipped: "eventwire.skipped",
} as const;
