/**
 * Tracing for the shop's services: each process registers an OpenTelemetry
 * tracer provider before it connects, so eventwire traces every event, and
 * each order's events share one trace across the four services. The spans
 * are kept in this process only (docs/observability.md shows how to send
 * them to a collector instead).
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { TraceHeaders } from "eventwire/redis";

let registered = false;

/** Registers a tracer provider and a context manager with the OpenTelemetry API (once per process). */
export function startTracing(): void {
  if (registered) return;
  registered = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider());
}

/** The trace id an event's `traceparent` header carries, if any. */
export function traceIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(headers[TraceHeaders.traceparent] ?? "")?.[1];
}
