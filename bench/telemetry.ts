/**
 * What telemetry costs: batched publishing and end to end (publish →
 * consumer group → handler → acknowledgement) with telemetry off, with
 * OpenTelemetry tracing on (the SDK's tracer provider, spans batched to an
 * exporter that drops them), and with tracing and metrics on — side by side,
 * on the same redis-server, in one run.
 */
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { connectRedis, silentLogger, type StreamTransport, type TelemetryOptions } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../examples/shop/events.js";
import { endToEnd, publishBatched, type Rate, type TransportSettings } from "./transport.js";

/** The telemetry set-ups compared. */
export const telemetryModes = ["off", "traces", "traces+metrics"] as const;
export type TelemetryMode = (typeof telemetryModes)[number];

export interface TelemetryResults {
  readonly publishBatched: Record<TelemetryMode, Rate>;
  readonly endToEnd: Record<TelemetryMode, Rate>;
  /** Spans the tracing modes made, over all their runs. */
  readonly spans: Record<TelemetryMode, number>;
}

/** Takes the spans and drops them (what an exporter costs over the network is not eventwire's). */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A metric reader that is never asked to collect: the instruments record, nothing reads. */
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export async function telemetryBench(url: string, settings: TransportSettings, log: (line: string) => void): Promise<TelemetryResults> {
  const batched = {} as Record<TelemetryMode, Rate>;
  const e2e = {} as Record<TelemetryMode, Rate>;
  const spans = {} as Record<TelemetryMode, number>;
  for (const mode of telemetryModes) {
    log(`telemetry: ${mode}`);
    const exporter = new DroppingExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] });
    const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
    const telemetry: Partial<TelemetryOptions> | false =
      mode === "off" ? false : { tracerProvider, meterProvider: mode === "traces+metrics" ? meterProvider : false };
    const t: StreamTransport<ShopEvent> = await connectRedis({ registry: shopRegistry, connection: url, logger: silentLogger, maxLength: 100_000, telemetry });
    try {
      if (t.tracing !== (mode !== "off")) throw new Error(`telemetry ${mode}: tracing is ${t.tracing}`);
      batched[mode] = await publishBatched(t, "json", settings.rounds, settings.events, settings.batch);
      const perSecond: number[] = [];
      for (let r = 0; r < settings.rounds; r++) perSecond.push(await endToEnd(t, "json", settings.events, settings.batch));
      e2e[mode] = { perSecond };
    } finally {
      await t.close();
      await tracerProvider.forceFlush();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    }
    spans[mode] = exporter.spans;
  }
  return { publishBatched: batched, endToEnd: e2e, spans };
}
