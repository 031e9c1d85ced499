// Traces with the real OpenTelemetry SDK on a real Redis: one trace across
// a publish, the bus's router and two services' handlers; the messaging
// conventions' attributes; retries and moves to the DLQ as span events;
// traces started by a Python service (a traceparent written straight into
// the LeanMQ layout, in JSON `_headers` and in the binary envelope's headers)
// continued; batches; and nothing traced when telemetry is off.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { context, trace, type SpanContext } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Redis } from "ioredis";
import { connectRedis, EventBus, isEventwireError, silentLogger, type StreamTransport } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { testRedis } from "../support/redis.js";
import { until } from "../support/wait.js";

let redis: { url: string; stop: () => Promise<void> };
let raw: Redis;
const transports: StreamTransport<ShopEvent>[] = [];
const buses: EventBus<ShopEvent>[] = [];

before(async () => {
  redis = await testRedis();
  raw = new Redis(redis.url);
});

after(async () => {
  await Promise.all(buses.map((b) => b.stop()));
  await Promise.all(transports.map((t) => t.close()));
  raw.disconnect();
  await redis.stop();
});

function tracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), exporter };
}

async function transport(prefix: string, provider: BasicTracerProvider | false): Promise<StreamTransport<ShopEvent>> {
  const t = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix, logger: silentLogger, telemetry: { tracerProvider: provider, meterProvider: false } });
  transports.push(t);
  return t;
}

const FAST = { blockMs: 50, claimIntervalMs: 50 } as const;

function prefix(): string {
  return `trace-${randomUUID().slice(0, 8)}:`;
}

function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function spanNamed(spans: readonly ReadableSpan[], name: string, where: (s: ReadableSpan) => boolean = () => true): ReadableSpan {
  const found = spans.filter((s) => s.name === name && where(s));
  assert.equal(found.length, 1, `one span ${name} (of ${spans.map((s) => s.name).join(", ")})`);
  return found[0]!;
}

test("one trace across a publish, the bus's router and two services' handlers, with the messaging attributes", async () => {
  const { provider, exporter } = tracing();
  const p = prefix();
  const orders = new EventBus(await transport(p, provider), { router: FAST });
  const payments = new EventBus(await transport(p, provider), { route: false });
  const notifications = new EventBus(await transport(p, provider), { route: false });
  buses.push(orders, payments, notifications);
  const seen: ShopEvent[] = [];
  await payments.subscribe(
    "payment-service",
    {
      OrderCreatedEvent: async (event) => {
        await new Promise((r) => setTimeout(r, 5)); // the trace is kept across awaits
        await payments.publish(shopRegistry.create("PaymentProcessedEvent", { orderId: event.payload.orderId, paymentId: "pay-1", status: "succeeded", amount: 12.5 }));
      },
    },
    FAST,
  );
  await notifications.subscribe("notification-service", { "*": (event) => void seen.push(event) }, FAST);
  const created = shopRegistry.create("OrderCreatedEvent", { orderId: "o-1", userId: "u-1", total: 12.5 });
  const published = await orders.publish(created);
  await until("both events at the notification service", () => seen.length === 2);
  await until("the spans of both deliveries", () => exporter.getFinishedSpans().filter((s) => s.name.startsWith("process ")).length === 3);
  const routedLinks = (): string[] => exporter.getFinishedSpans().filter((s) => s.name === "route all").flatMap((s) => s.links.map((l) => l.context.spanId));
  await until("the routing spans of both events", () => routedLinks().length === 2);
  const spans = exporter.getFinishedSpans();

  const publish = spanNamed(spans, "publish all", (s) => s.attributes["eventwire.event.type"] === "OrderCreatedEvent");
  assert.equal(publish.kind, 3 /* PRODUCER */);
  assert.equal(parentId(publish), undefined, "a publish outside any span starts a trace");
  assert.deepEqual(
    {
      system: publish.attributes["messaging.system"],
      type: publish.attributes["messaging.operation.type"],
      name: publish.attributes["messaging.operation.name"],
      destination: publish.attributes["messaging.destination.name"],
      messageId: publish.attributes["messaging.message.id"],
      eventId: publish.attributes["eventwire.event.id"],
    },
    { system: "redis", type: "send", name: "publish", destination: "all", messageId: published.messageId, eventId: created.eventId },
  );
  const traceId = publish.spanContext().traceId;

  // the event carries the publish span's context, as W3C traceparent
  const [, fields] = ((await raw.xrange(`${p}all`, "-", "+", "COUNT", 1)) as [string, string[]][])[0]!;
  const headers = (JSON.parse(fields![1]!) as { _headers: Record<string, string> })._headers;
  assert.equal(headers["traceparent"], `00-${traceId}-${publish.spanContext().spanId}-01`);

  const atPayment = spanNamed(spans, "process sub:payment-service");
  assert.equal(atPayment.kind, 4 /* CONSUMER */);
  assert.equal(atPayment.spanContext().traceId, traceId);
  assert.equal(parentId(atPayment), publish.spanContext().spanId, "the handler's span is the publish span's child");
  assert.deepEqual(
    {
      system: atPayment.attributes["messaging.system"],
      type: atPayment.attributes["messaging.operation.type"],
      destination: atPayment.attributes["messaging.destination.name"],
      group: atPayment.attributes["messaging.consumer.group.name"],
      messageId: atPayment.attributes["messaging.message.id"],
      deliveries: atPayment.attributes["eventwire.delivery.count"],
      eventType: atPayment.attributes["eventwire.event.type"],
      format: atPayment.attributes["eventwire.entry.format"],
    },
    {
      system: "redis",
      type: "process",
      destination: "sub:payment-service",
      group: "sub:payment-service-group",
      messageId: published.messageId,
      deliveries: 1,
      eventType: "OrderCreatedEvent",
      format: "json",
    },
  );
  assert.equal(atPayment.status.code, 1 /* OK */);

  // the payment service's publish, from inside its handler, continues the trace
  const paymentPublish = spanNamed(spans, "publish all", (s) => s.attributes["eventwire.event.type"] === "PaymentProcessedEvent");
  assert.equal(paymentPublish.spanContext().traceId, traceId);
  assert.equal(parentId(paymentPublish), atPayment.spanContext().spanId);

  const notified = spans.filter((s) => s.name === "process sub:notification-service");
  assert.equal(notified.length, 2);
  const byType = new Map(notified.map((s) => [s.attributes["eventwire.event.type"], s]));
  assert.equal(parentId(byType.get("OrderCreatedEvent")!), publish.spanContext().spanId);
  assert.equal(parentId(byType.get("PaymentProcessedEvent")!), paymentPublish.spanContext().spanId);
  for (const s of notified) assert.equal(s.spanContext().traceId, traceId, "the second service's handlers are in the same trace");

  // the router's steps are spans of their own, linked to the traces of the events they routed
  const routes = spans.filter((s) => s.name === "route all");
  const linked = routes.flatMap((s) => s.links.map((l) => l.context.spanId));
  assert.ok(linked.includes(publish.spanContext().spanId) && linked.includes(paymentPublish.spanContext().spanId), "the router's spans link to both publishes");
  for (const r of routes) {
    assert.equal(r.attributes["messaging.batch.message_count"], r.links.length);
    assert.equal(r.attributes["messaging.consumer.group.name"], "all-group");
  }
});

test("a retry and a move to the DLQ are events of the delivery's spans, which record the failure", async () => {
  const { provider, exporter } = tracing();
  const t = await transport(prefix(), provider);
  let calls = 0;
  await t.consume(
    "orders",
    {
      OrderShippedEvent: () => {
        calls++;
        throw new Error("the warehouse is closed");
      },
    },
    { ...FAST, retry: { maxAttempts: 2, initialDelayMs: 10 } },
  );
  await t.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-2", carrier: "UPS" }));
  await until("two failed deliveries", () => exporter.getFinishedSpans().filter((s) => s.name === "process orders").length === 2);
  const [first, second] = exporter.getFinishedSpans().filter((s) => s.name === "process orders").sort((a, b) => Number(a.attributes["eventwire.delivery.count"]) - Number(b.attributes["eventwire.delivery.count"]));
  assert.equal(calls, 2);
  for (const s of [first!, second!]) {
    assert.equal(s.status.code, 2 /* ERROR */);
    assert.equal(s.attributes["error.type"], "Error");
    assert.ok(s.events.some((e) => e.name === "exception" && e.attributes?.["exception.message"] === "the warehouse is closed"));
  }
  const retry = first!.events.find((e) => e.name === "eventwire.retry");
  assert.ok(retry, "the first delivery's span has the retry");
  assert.equal(retry.attributes?.["eventwire.retry.attempt"], 1);
  assert.equal(retry.attributes?.["eventwire.retry.delay_ms"], 10);
  const moved = second!.events.find((e) => e.name === "eventwire.dead_letter");
  assert.ok(moved, "the last delivery's span has the move to the DLQ");
  assert.equal(moved.attributes?.["eventwire.dead_letter.kind"], "handler-failed");
  assert.match(String(moved.attributes?.["eventwire.dead_letter.reason"]), /the warehouse is closed/);
  assert.equal(second!.attributes["eventwire.delivery.count"], 2);
  assert.equal(first!.spanContext().traceId, second!.spanContext().traceId, "both deliveries continue the publish's trace");
});

/** A W3C trace position as another service's OpenTelemetry would have written it. */
function foreignParent(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomUUID().replace(/-/g, "");
  const spanId = randomUUID().replace(/-/g, "").slice(0, 16);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

test("a trace a Python service started is continued: traceparent in LeanMQ JSON `_headers`, written straight into Redis", async () => {
  const { provider, exporter } = tracing();
  const p = prefix();
  const t = await transport(p, provider);
  const handled: ShopEvent[] = [];
  await t.consume("shipping", { "*": async (event) => void handled.push(event) }, FAST);
  const parent = foreignParent();
  const eventId = randomUUID();
  // what LeanMQ's send_message(serialize_event(e)) writes for an event whose headers hold a trace context
  const data =
    `{"event_id": "${eventId}", "timestamp": 1732700000.5, "event_type": "OrderShippedEvent", "order_id": "o-py", ` +
    `"tracking_number": "T-1", "carrier": "DHL", "_headers": {"traceparent": "${parent.traceparent}", "tracestate": "vendor=abc"}, ` +
    `"_metadata": {"id": "${randomUUID()}", "timestamp": ${Date.now() / 1000}, "ttl": null}}`;
  await raw.xadd(`${p}shipping`, "MAXLEN", "~", "100000", "*", "data", data);
  await until("the Python event handled", () => exporter.getFinishedSpans().length === 1);
  const [span] = exporter.getFinishedSpans();
  assert.equal(handled[0]!.eventId, eventId);
  assert.equal(span!.spanContext().traceId, parent.traceId, "the Python service's trace goes on");
  assert.equal(parentId(span!), parent.spanId);
  assert.equal(span!.parentSpanContext?.isRemote, true);
  assert.equal(span!.spanContext().traceState?.get("vendor"), "abc", "tracestate is carried");
});

test("a trace a Python service started is continued: traceparent in a binary envelope's headers", async () => {
  const { provider, exporter } = tracing();
  const p = prefix();
  const t = await transport(p, provider);
  await t.consume("shipping", { "*": () => {} }, FAST);
  const parent = foreignParent();
  // the envelope as another encoder may write it: the event's fields, then a `headers` map entry (field 5) after them
  const event = shopRegistry.create("OrderShippedEvent", { orderId: "o-bin", carrier: "UPS" });
  const key = Buffer.from("traceparent");
  const value = Buffer.from(parent.traceparent);
  const entry = Buffer.concat([Buffer.from([0x0a, key.length]), key, Buffer.from([0x12, value.length]), value]);
  const envelope = Buffer.concat([Buffer.from(shopRegistry.toBinary(event)), Buffer.from([0x2a, entry.length]), entry]);
  const metadata = `{"id": "${randomUUID()}", "timestamp": ${Date.now() / 1000}, "ttl": null}`;
  await raw.xadd(`${p}shipping`, "*", "event_type", "OrderShippedEvent", "envelope", envelope, "_metadata", metadata);
  await until("the binary event handled", () => exporter.getFinishedSpans().length === 1);
  const [span] = exporter.getFinishedSpans();
  assert.equal(span!.spanContext().traceId, parent.traceId);
  assert.equal(parentId(span!), parent.spanId);
  assert.equal(span!.attributes["eventwire.entry.format"], "binary");
});

test("a batch: one publish span, a creation span per event whose context the event carries, and the handlers continue each", async () => {
  const { provider, exporter } = tracing();
  const p = prefix();
  const t = await transport(p, provider);
  const events = [1, 2, 3].map((n) => shopRegistry.create("OrderShippedEvent", { orderId: `o-${n}`, carrier: "UPS" }));
  const published = await t.publishMany(events.map((event) => ({ queue: "batch", event, options: { format: "binary" as const } })));
  const spans = exporter.getFinishedSpans();
  const send = spanNamed(spans, "publish batch");
  assert.equal(send.kind, 2 /* CLIENT */);
  assert.equal(send.attributes["messaging.batch.message_count"], 3);
  const creates = spans.filter((s) => s.name === "create batch");
  assert.equal(creates.length, 3);
  for (const c of creates) {
    assert.equal(c.kind, 3 /* PRODUCER */);
    assert.equal(parentId(c), send.spanContext().spanId);
    assert.equal(c.attributes["messaging.operation.type"], "create");
  }
  assert.deepEqual(creates.map((c) => c.attributes["messaging.message.id"]).sort(), published.map((x) => x.messageId).sort());
  await t.consume("batch", { "*": () => {} }, FAST);
  await until("three deliveries", () => exporter.getFinishedSpans().filter((s) => s.name === "process batch").length === 3);
  const processes = exporter.getFinishedSpans().filter((s) => s.name === "process batch");
  const createOf = new Map(creates.map((c) => [c.attributes["messaging.message.id"], c.spanContext().spanId]));
  for (const s of processes) assert.equal(parentId(s), createOf.get(s.attributes["messaging.message.id"]), "each handler continues its event's creation span");
});

test("a publish inside the caller's own span is its child", async () => {
  const { provider, exporter } = tracing();
  const t = await transport(prefix(), provider);
  const tracer = provider.getTracer("checkout");
  const outer = tracer.startSpan("checkout");
  // as an application's SDK set-up does: a context manager keeps the active span through awaits
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  try {
    await context.with(trace.setSpan(context.active(), outer), async () => {
      await new Promise((r) => setTimeout(r, 1));
      await t.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-3" }));
    });
  } finally {
    context.disable();
  }
  outer.end();
  const publish = spanNamed(exporter.getFinishedSpans(), "publish orders");
  assert.equal(publish.spanContext().traceId, outer.spanContext().traceId);
  assert.equal(parentId(publish), outer.spanContext().spanId);
});

test("telemetry off, or no provider registered: nothing traced, no trace headers written", async () => {
  const p = prefix();
  const off = await transport(p, false);
  assert.equal(off.tracing, false);
  const byDefault = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix: p, logger: silentLogger });
  transports.push(byDefault);
  assert.equal(byDefault.tracing, false, "no global provider is registered: the default traces nothing");
  await off.publish("plain", shopRegistry.create("OrderShippedEvent", { orderId: "o-4" }));
  await byDefault.publish("plain", shopRegistry.create("OrderShippedEvent", { orderId: "o-5" }));
  for (const [, fields] of (await raw.xrange(`${p}plain`, "-", "+")) as [string, string[]][]) {
    assert.doesNotMatch(fields[1]!, /traceparent/);
  }
  const clients = async (): Promise<number> => String(await raw.client("LIST")).trim().split("\n").length;
  const before = await clients();
  await assert.rejects(
    connectRedis({ registry: shopRegistry, connection: redis.url, logger: silentLogger, telemetry: { tracerProvider: {} as never } }),
    (e: unknown) => isEventwireError(e, "invalid-option") && /telemetry\.tracerProvider/.test((e as Error).message),
  );
  // (on a private server: with REDIS_URL, other test files may be connecting meanwhile)
  if (!process.env["REDIS_URL"]) assert.equal(await clients(), before, "the connection opened for a refused transport is closed");
});

test("with a provider registered globally (as an application's SDK set-up does), the default traces", async () => {
  const { provider, exporter } = tracing();
  assert.ok(trace.setGlobalTracerProvider(provider));
  try {
    const t = await connectRedis({ registry: shopRegistry, connection: redis.url, prefix: prefix(), logger: silentLogger });
    transports.push(t);
    assert.equal(t.tracing, true);
    await t.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-6" }));
    const publish = spanNamed(exporter.getFinishedSpans(), "publish orders");
    const ctx: SpanContext = publish.spanContext();
    assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
  } finally {
    trace.disable();
  }
});
