/**
 * `@opentelemetry/api`, loaded if it is installed: an optional peer
 * dependency. Nothing else in eventwire loads it, and nothing changes when it
 * is missing: telemetry is then off.
 */
import { createRequire } from "node:module";

/** The OpenTelemetry API, as far as eventwire uses it (types only: the module itself is loaded below, or not at all). */
export type OtelApi = typeof import("@opentelemetry/api");

let loaded: OtelApi | null | undefined;

/**
 * The OpenTelemetry API when `@opentelemetry/api` can be loaded from here,
 * else undefined (looked for once). It is loaded with `require`, so that a
 * missing package costs nothing but this one attempt, and the modules that
 * import this one load as before without it.
 */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
