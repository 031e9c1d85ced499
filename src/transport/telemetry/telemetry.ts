/**
 * OpenTelemetry for a transport: producer spans that put the trace context
 * into the event's headers, consumer spans that continue it around the
 * handler, span events for retries, moves to a DLQ, reclaims and expiries,
 * and the metrics (counters, histograms and queue gauges). Made only when
 * `@opentelemetry/api` is installed and a tracer or meter is to be had.
 */
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Link,
  Meter,
  MeterProvider,
  ObservableResult,
  Span,
  TextMapGetter,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import { Headers, TransportError, type Event } from "../../index.js";
import type { DeadLetterReason } from "../dead-letter-reason.js";
import { currentHandling, withHandling } from "../handling.js";
import type { DecodedEntry } from "../leanmq/entry.js";
import type { QueueKeys } from "../leanmq/keys.js";
import type { Lifecycle } from "../lifecycle.js";
import type { Logger } from "../options.js";
import type { EntryStore, QueueInfo } from "../store.js";
import { Attr, Metric, OperationType, SCOPE, SpanEvent } from "./names.js";
import { otelApi, type OtelApi } from "./otel-api.js";
import { defaultTelemetryOptions, type TelemetryOptions } from "./telemetry-options.js";
import { formatTraceParent, parseTraceParent, TraceHeaders } from "./trace-context.js";

const headerGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.name;
  }
  return "unknown";
}

interface Instruments {
  readonly published: Counter;
  readonly handled: Counter;
  readonly failed: Counter;
  readonly retried: Counter;
  readonly deadLettered: Counter;
  readonly expired: Counter;
  readonly trimmed: Counter;
  readonly reclaimed: Counter;
  readonly duration: Histogram;
  readonly latency: Histogram;
}

/** Seconds on a scale fit for handlers: 5 ms to 10 s, then 30 s and a minute. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

/** The tracer a provider option gives, if any: `"global"` gives one only when a provider is registered. */
function resolveTracer(api: OtelApi, given: TelemetryOptions["tracerProvider"]): Tracer | undefined {
  if (given === false) return undefined;
  if (given !== "global") return (given as TracerProvider).getTracer(SCOPE);
  const provider = api.trace.getTracerProvider();
  if (provider instanceof api.ProxyTracerProvider) return provider.getDelegateTracer(SCOPE) === undefined ? undefined : provider.getTracer(SCOPE);
  return provider.getTracer(SCOPE);
}

/** The meter a provider option gives, if any: `"global"` gives one only when a provider is registered. */
function resolveMeter(api: OtelApi, given: TelemetryOptions["meterProvider"]): Meter | undefined {
  if (given === false) return undefined;
  if (given !== "global") return (given as MeterProvider).getMeter(SCOPE);
  const meter = api.metrics.getMeterProvider().getMeter(SCOPE);
  return meter.constructor === api.createNoopMeter().constructor ? undefined : meter;
}

/** Span event attributes (OpenTelemetry's `Attributes`, as far as eventwire uses them). */
export type SpanAttributes = Record<string, string | number | boolean>;

/** One publish (of one event or many) being traced and counted. */
export interface PublishTrace {
  /** The event as it is written: with the trace context of its span in its headers. */
  prepare<E extends Event>(event: E, queue: string, messageId: string): E;
  /** Ends the spans and counts the events (`error` when the publish failed). */
  end(error?: unknown): void;
}

/** One delivery being traced and measured, from its reading to its outcome. */
export interface DeliveryTrace {
  /** Runs the handler (and its middleware) in the delivery's span, and times it. */
  run(work: () => unknown): unknown;
  /** The handler succeeded. */
  handled(): void;
  /** The handler failed. */
  failed(error: unknown): void;
  /** Records something that happened to the delivery (a retry, a move to the DLQ, an expiry). */
  note(name: string, attributes: SpanAttributes): void;
  /** The delivery is done with. */
  end(): void;
}

/** Telemetry of one transport. */
export class Telemetry {
  private readonly api: OtelApi;
  private readonly tracer: Tracer | undefined;
  private readonly instruments: Instruments | undefined;
  private readonly system: string;
  private readonly watched = new Map<string, { keys: QueueKeys; group: string; users: number }>();

  /**
   * Telemetry for a transport as its options say, or undefined when there
   * is nothing to do: `@opentelemetry/api` is not installed, telemetry is
   * off, or `"global"` finds no provider registered.
   */
  static create(given: Partial<TelemetryOptions> | false | undefined, lifecycle: Lifecycle, store: EntryStore, logger: Logger): Telemetry | undefined {
    if (given === false) return undefined;
    if (given !== undefined && (typeof given !== "object" || given === null)) {
      throw new TransportError("invalid-option", `telemetry must be false or an object of options, got ${String(given)}`);
    }
    const options = { ...defaultTelemetryOptions, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) } as TelemetryOptions;
    for (const [name, value, method] of [
      ["tracerProvider", options.tracerProvider, "getTracer"],
      ["meterProvider", options.meterProvider, "getMeter"],
    ] as const) {
      if (value !== false && value !== "global" && typeof (value as unknown as Record<string, unknown>)?.[method] !== "function") {
        throw new TransportError("invalid-option", `telemetry.${name} must be "global", false or an object with ${method}(), got ${typeof value}`);
      }
    }
    if (typeof options.system !== "string" || options.system === "") throw new TransportError("invalid-option", "telemetry.system must be a non-empty string");
    const api = otelApi();
    if (api === undefined) return undefined;
    const tracer = resolveTracer(api, options.tracerProvider);
    const meter = resolveMeter(api, options.meterProvider);
    if (tracer === undefined && meter === undefined) return undefined;
    return new Telemetry(api, tracer, meter, options.system, lifecycle, store, logger);
  }

  private constructor(
    api: OtelApi,
    tracer: Tracer | undefined,
    meter: Meter | undefined,
    system: string,
    lifecycle: Lifecycle,
    private readonly store: EntryStore,
    private readonly logger: Logger,
  ) {
    this.api = api;
    this.tracer = tracer;
    this.system = system;
    if (meter !== undefined) {
      const count = (name: string, description: string): Counter => meter.createCounter(name, { description, unit: "{message}" });
      const seconds = (name: string, description: string): Histogram =>
        meter.createHistogram(name, { description, unit: "s", advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
      this.instruments = {
        published: count(Metric.published, "Events published (written to a stream)"),
        handled: count(Metric.handled, "Deliveries whose handler succeeded"),
        failed: count(Metric.failed, "Deliveries whose handler failed (threw, rejected or timed out)"),
        retried: count(Metric.retried, "Failed deliveries scheduled for another attempt"),
        deadLettered: count(Metric.deadLettered, "Entries moved to a dead-letter queue"),
        expired: count(Metric.expired, "Entries past their TTL, not handled"),
        trimmed: count(Metric.trimmed, "Entries trimmed from a stream before they were handled or read"),
        reclaimed: count(Metric.reclaimed, "Entries reclaimed from consumers that left them pending"),
        duration: seconds(Metric.processDuration, "How long handlers (with their middleware) took"),
        latency: seconds(Metric.latency, "From publishing an entry to the start of its handler"),
      };
      this.observeQueues(meter);
      this.countLifecycle(lifecycle);
    }
  }

  /** Whether spans are made (else only metrics). */
  get tracing(): boolean {
    return this.tracer !== undefined;
  }

  private base(queue: string): Attributes {
    return { [Attr.system]: this.system, [Attr.destination]: queue };
  }

  private countLifecycle(lifecycle: Lifecycle): void {
    const m = this.instruments!;
    lifecycle.on("retry", (e) => m.retried.add(1, this.base(e.queue)));
    lifecycle.on("dead-letter", (e) => m.deadLettered.add(1, { ...this.base(e.queue), [Attr.reason]: e.reason.kind ?? "unknown" }));
    lifecycle.on("expire", (e) => m.expired.add(1, this.base(e.queue)));
    lifecycle.on("trim", (e) => m.trimmed.add(e.count, { [Attr.system]: this.system, [Attr.destination]: e.stream, [Attr.outcome]: e.kind }));
    lifecycle.on("reclaim", (e) => m.reclaimed.add(e.streamIds.length, this.base(e.queue)));
  }

  /** The queue gauges: length, pending, lag and DLQ length of every queue a consumer of this transport reads, from `info` at each collection. */
  private observeQueues(meter: Meter): void {
    const length = meter.createObservableGauge(Metric.queueLength, { description: "Entries in the queue's stream", unit: "{message}" });
    const pending = meter.createObservableGauge(Metric.queuePending, { description: "Entries delivered to the queue's group and not yet acknowledged", unit: "{message}" });
    const lag = meter.createObservableGauge(Metric.queueLag, { description: "Entries not yet delivered to the queue's group", unit: "{message}" });
    const dlq = meter.createObservableGauge(Metric.dlqLength, { description: "Entries in the queue's dead-letter queue", unit: "{message}" });
    meter.addBatchObservableCallback(
      async (observer) => {
        const queues = [...this.watched.values()];
        const infos = await Promise.all(
          queues.map((q) =>
            this.store.info(q.keys).catch((error: unknown): QueueInfo | undefined => {
              this.logger.debug?.(`queue gauges: no info on ${q.keys.stream}: ${String(error)}`);
              return undefined;
            }),
          ),
        );
        // one series per queue: the partitions of a queue summed
        const totals = new Map<string, { name: string; group: string; length: number; pending: number; lag: number | null; dlq: number }>();
        infos.forEach((info, i) => {
          if (info === undefined) return;
          const { keys, group } = queues[i]!;
          const id = `${keys.name}\u0000${group}`;
          const t = totals.get(id);
          if (t === undefined) totals.set(id, { name: keys.name, group, length: info.length, pending: info.pending, lag: info.lag, dlq: info.dlqLength });
          else {
            t.length += info.length;
            t.pending += info.pending;
            t.lag = t.lag === null || info.lag === null ? null : t.lag + info.lag;
            t.dlq += info.dlqLength;
          }
        });
        for (const t of totals.values()) {
          const attributes = { ...this.base(t.name), [Attr.consumerGroup]: t.group };
          observer.observe(length, t.length, attributes);
          observer.observe(pending, t.pending, attributes);
          if (t.lag !== null) observer.observe(lag, t.lag, attributes);
          observer.observe(dlq, t.dlq, attributes);
        }
      },
      [length, pending, lag, dlq],
    );
  }

  /** Includes a queue in the gauges while a consumer reads it (the function returned stops that). */
  watchQueue(keys: QueueKeys): () => void {
    if (this.instruments === undefined) return () => {};
    const key = keys.stream;
    const watched = this.watched.get(key) ?? { keys, group: keys.group, users: 0 };
    watched.users++;
    this.watched.set(key, watched);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--watched.users === 0) this.watched.delete(key);
    };
  }

  /** The context a span started here takes as its parent: the active span, else the span of the event being handled. */
  private parentContext(): Context {
    const active = this.api.context.active();
    if (this.api.trace.getSpanContext(active) !== undefined) return active;
    const handling = currentHandling()?.traceContext as Context | undefined;
    return handling ?? active;
  }

  /** The headers with the trace context of `context`: W3C `traceparent` and `tracestate`, and what the registered propagator adds (baggage, say). */
  private inject(headers: Readonly<Record<string, string>>, context: Context): Readonly<Record<string, string>> | undefined {
    const span = this.api.trace.getSpanContext(context);
    if (span === undefined || !this.api.isSpanContextValid(span)) return undefined;
    const out: Record<string, string> = { ...headers };
    this.api.propagation.inject(context, out, headerSetter);
    out[TraceHeaders.traceparent] = formatTraceParent(span);
    const state = span.traceState?.serialize();
    if (state) out[TraceHeaders.tracestate] = state;
    else delete out[TraceHeaders.tracestate];
    return out;
  }

  /** The trace context an event's headers carry (a remote parent), over the root context. */
  private extract(headers: Readonly<Record<string, string>>): Context | undefined {
    const api = this.api;
    const parent = parseTraceParent(headers[TraceHeaders.traceparent]);
    let context = api.propagation.extract(api.ROOT_CONTEXT, headers, headerGetter);
    if (parent !== undefined) {
      const state = headers[TraceHeaders.tracestate];
      context = api.trace.setSpanContext(context, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.traceFlags,
        isRemote: true,
        ...(state ? { traceState: api.createTraceState(state) } : {}),
      });
    }
    return api.trace.getSpanContext(context) === undefined ? undefined : context;
  }

  /** Starts tracing (and counting) a publish of `count` events to `queue` (the first queue, when they go to several). */
  publish(queue: string, count: number, transaction: boolean): PublishTrace {
    const api = this.api;
    const tracer = this.tracer;
    const instruments = this.instruments;
    const queues = new Map<string, number>();
    let send: Span | undefined;
    let sendContext: Context | undefined;
    const single = count === 1;
    if (tracer !== undefined) {
      const parent = this.parentContext();
      send = tracer.startSpan(
        `${transaction ? "transaction" : "publish"} ${queue}`,
        {
          kind: single ? api.SpanKind.PRODUCER : api.SpanKind.CLIENT,
          attributes: {
            ...this.base(queue),
            [Attr.operationType]: OperationType.send,
            [Attr.operationName]: transaction ? "transaction" : "publish",
            ...(single ? {} : { [Attr.batchCount]: count }),
          },
        },
        parent,
      );
      sendContext = api.trace.setSpan(parent, send);
    }
    return {
      prepare: <E extends Event>(event: E, to: string, messageId: string): E => {
        queues.set(to, (queues.get(to) ?? 0) + 1);
        if (send === undefined) return event;
        const attributes: Attributes = {
          [Attr.messageId]: messageId,
          [Attr.eventId]: event.eventId,
          [Attr.eventType]: event.eventType,
          ...(event.headers[Headers.correlationId] === undefined ? {} : { [Attr.conversationId]: event.headers[Headers.correlationId] }),
        };
        let context = sendContext!;
        if (single) {
          send.setAttributes(attributes);
        } else {
          // one creation span per event: its context is the one the event carries
          const create = tracer!.startSpan(
            `create ${to}`,
            { kind: api.SpanKind.PRODUCER, attributes: { ...this.base(to), [Attr.operationType]: OperationType.create, [Attr.operationName]: "create", ...attributes } },
            sendContext,
          );
          context = api.trace.setSpan(sendContext!, create);
          create.end();
        }
        const headers = this.inject(event.headers, context);
        return headers === undefined ? event : (Object.freeze({ ...event, headers: Object.freeze(headers) }) as E);
      },
      end: (error?: unknown) => {
        if (send !== undefined) {
          if (error !== undefined) {
            send.recordException(error instanceof Error ? error : String(error));
            send.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
            send.setAttribute(Attr.errorType, errorType(error));
          }
          send.end();
        }
        if (instruments !== undefined) {
          for (const [to, n] of queues) {
            instruments.published.add(n, { ...this.base(to), [Attr.operationName]: "publish", ...(error === undefined ? {} : { [Attr.errorType]: errorType(error) }) });
          }
        }
      },
    };
  }

  /** Starts tracing one delivery of an entry to a consumer. */
  delivery(keys: QueueKeys, consumer: string, entry: { readonly id: string; readonly deliveries: number }, decoded: DecodedEntry, reclaimed: boolean): DeliveryTrace {
    const api = this.api;
    const instruments = this.instruments;
    const queue = keys.name;
    const metricAttributes: Attributes = { ...this.base(queue), [Attr.consumerGroup]: keys.group };
    const event = decoded.event;
    let span: Span | undefined;
    let context: Context | undefined;
    if (this.tracer !== undefined) {
      const parent = event === undefined ? undefined : this.extract(event.headers);
      const attributes: Attributes = {
        ...metricAttributes,
        [Attr.operationType]: OperationType.process,
        [Attr.operationName]: "process",
        [Attr.clientId]: consumer,
        [Attr.streamId]: entry.id,
        [Attr.deliveryCount]: entry.deliveries,
        [Attr.format]: decoded.format,
      };
      if (decoded.metadata?.id !== undefined) attributes[Attr.messageId] = decoded.metadata.id;
      if (decoded.eventType !== undefined) attributes[Attr.eventType] = decoded.eventType;
      if (event !== undefined) {
        attributes[Attr.eventId] = event.eventId;
        const correlationId = event.headers[Headers.correlationId];
        if (correlationId !== undefined) attributes[Attr.conversationId] = correlationId;
      }
      if (reclaimed) attributes[Attr.reclaimed] = true;
      span = this.tracer.startSpan(`process ${queue}`, { kind: api.SpanKind.CONSUMER, attributes }, parent ?? api.ROOT_CONTEXT);
      if (reclaimed) span.addEvent(SpanEvent.reclaimed);
      context = api.trace.setSpan(parent ?? api.ROOT_CONTEXT, span);
    }
    let started: number | undefined;
    let duration: number | undefined;
    const measure = (): void => {
      if (started !== undefined && duration === undefined) duration = (performance.now() - started) / 1000;
    };
    return {
      run: (work) => {
        started = performance.now();
        if (instruments !== undefined && decoded.metadata !== undefined) {
          instruments.latency.record(Math.max(0, Date.now() / 1000 - decoded.metadata.timestamp), metricAttributes);
        }
        if (context === undefined) return work();
        return api.context.with(context, () => withHandling({ event: event!, traceContext: context }, work));
      },
      handled: () => {
        measure();
        instruments?.handled.add(1, metricAttributes);
        if (duration !== undefined) instruments?.duration.record(duration, metricAttributes);
        span?.setStatus({ code: api.SpanStatusCode.OK });
      },
      failed: (error) => {
        measure();
        const type = errorType(error);
        instruments?.failed.add(1, { ...metricAttributes, [Attr.errorType]: type });
        if (duration !== undefined) instruments?.duration.record(duration, { ...metricAttributes, [Attr.errorType]: type });
        if (span !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          span.setAttribute(Attr.errorType, type);
        }
      },
      note: (name, attributes) => span?.addEvent(name, attributes),
      end: () => span?.end(),
    };
  }

  /** Starts the span of one routing step of the bus's router, linked to each routed event's trace. */
  route(keys: QueueKeys, consumer: string, traceparents: readonly (string | undefined)[], startTime: number): { end(error?: unknown): void } {
    const api = this.api;
    if (this.tracer === undefined) return { end: () => {} };
    const links: Link[] = [];
    for (const value of traceparents) {
      const parent = parseTraceParent(value);
      if (parent !== undefined) links.push({ context: { ...parent, isRemote: true } });
    }
    const span = this.tracer.startSpan(
      `route ${keys.name}`,
      {
        kind: api.SpanKind.CONSUMER,
        links,
        startTime,
        attributes: {
          ...this.base(keys.name),
          [Attr.operationType]: OperationType.process,
          [Attr.operationName]: "route",
          [Attr.consumerGroup]: keys.group,
          [Attr.clientId]: consumer,
          [Attr.batchCount]: traceparents.length,
        },
      },
      api.ROOT_CONTEXT,
    );
    return {
      end: (error) => {
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: api.SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }
}

/** Span event attributes of a move to the DLQ. */
export function deadLetterAttributes(reason: DeadLetterReason, text: string, dlqStreamId: string): SpanAttributes {
  return { [Attr.reason]: reason.kind ?? "unknown", "eventwire.dead_letter.reason": text, "eventwire.dead_letter.stream_id": dlqStreamId };
}

const attached = new WeakMap<object, Telemetry>();

/** Records the telemetry of a transport, for what is built on it (the bus's router). */
export function attachTelemetry(transport: object, telemetry: Telemetry): void {
  attached.set(transport, telemetry);
}

/** The telemetry of a transport, if it has any. */
export function telemetryOf(transport: object): Telemetry | undefined {
  return attached.get(transport);
}
