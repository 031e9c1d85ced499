/** The logging middleware: one line per delivery handled, and one per failure with its error. */
import type { Event } from "../../index.js";
import { consoleLogger, type Logger } from "../options.js";
import type { Middleware } from "./middleware.js";

/** What the logging middleware writes, and at which levels. */
export interface LoggingOptions {
  /** @defaultValue {@link consoleLogger} (which shows warnings and errors only) */
  readonly logger: Logger;
  /** The level of a line for a handled event. @defaultValue `"info"` */
  readonly handledLevel: "debug" | "info";
  /** The level of a line for a failed delivery. @defaultValue `"warn"` */
  readonly failedLevel: "info" | "warn" | "error";
}

/**
 * Logs each delivery's outcome: the event type and id, the queue, the
 * delivery number and how long the handler took; a failure with its error
 * (and then rethrows it: the delivery fails all the same).
 */
export function logging<E extends Event = Event>(options: Partial<LoggingOptions> = {}): Middleware<E> {
  const logger = options.logger ?? consoleLogger;
  const handledLevel = options.handledLevel ?? "info";
  const failedLevel = options.failedLevel ?? "warn";
  return async (event, context, next) => {
    const start = performance.now();
    const details = { queue: context.queue, streamId: context.streamId, eventId: event.eventId, deliveries: context.deliveries };
    try {
      await next();
    } catch (error) {
      const ms = (performance.now() - start).toFixed(1);
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger[failedLevel]?.(`${event.eventType} ${event.eventId} from ${context.queue} failed on delivery ${context.deliveries} of ${context.maxAttempts} after ${ms} ms: ${why}`, details);
      throw error;
    }
    const ms = (performance.now() - start).toFixed(1);
    logger[handledLevel]?.(`handled ${event.eventType} ${event.eventId} from ${context.queue} in ${ms} ms (delivery ${context.deliveries})`, details);
  };
}
