/** The options of a transport's telemetry: where its spans and metrics go, and their defaults. */

/** Anything with OpenTelemetry's `TracerProvider.getTracer` (an SDK's provider). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/** Anything with OpenTelemetry's `MeterProvider.getMeter` (an SDK's provider). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/**
 * Where a transport's spans and metrics go. Telemetry needs
 * `@opentelemetry/api` (an optional peer dependency); without it every
 * option here is ignored and nothing is traced or measured.
 */
export interface TelemetryOptions {
  /**
   * Where spans go: a tracer provider, `"global"` — the provider registered
   * with the OpenTelemetry API (by the application's SDK set-up, which must
   * run before the transport is made) — or `false` for no spans. With
   * `"global"` and no provider registered, nothing is traced and tracing
   * costs nothing.
   * @defaultValue `"global"`
   */
  readonly tracerProvider: TracerProviderLike | "global" | false;
  /**
   * Where metrics go, as {@link tracerProvider} says for spans.
   * @defaultValue `"global"`
   */
  readonly meterProvider: MeterProviderLike | "global" | false;
  /**
   * The `messaging.system` attribute.
   * @defaultValue `"redis"`
   */
  readonly system: string;
}

/** The defaults of {@link TelemetryOptions}. */
export const defaultTelemetryOptions: TelemetryOptions = Object.freeze({
  tracerProvider: "global",
  meterProvider: "global",
  system: "redis",
});
