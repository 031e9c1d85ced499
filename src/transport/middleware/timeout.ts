/** The timeout middleware: a handler that runs too long has its signal aborted and its delivery failed. */
import { TransportError, type Event } from "../../index.js";
import { positive } from "../options.js";
import type { Middleware } from "./middleware.js";

/**
 * Gives each handler `ms` milliseconds. When they run out, the handler's
 * `context.signal` is aborted (with the error below as its reason) and the
 * delivery fails with a {@link TransportError} `handler-timeout`: it is
 * retried, or dead-lettered after the last attempt, like any failure. A
 * handler that ignores its signal keeps running, but its outcome no longer
 * counts. The signal is also aborted when the consumer's shutdown deadline
 * passes, as without the middleware.
 */
export function timeout<E extends Event = Event>(ms: number): Middleware<E> {
  positive("timeout", ms);
  return async (event, context, next) => {
    const controller = new AbortController();
    const outer = context.signal;
    const forward = (): void => controller.abort(outer.reason);
    if (outer.aborted) forward();
    else outer.addEventListener("abort", forward, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TransportError(
          "handler-timeout",
          `the handler of ${event.eventType} ${event.eventId} (delivery ${context.deliveries} from ${context.queue}) ran past its timeout of ${ms} ms`,
        );
        controller.abort(error);
        reject(error);
      }, ms);
    });
    try {
      await Promise.race([next({ ...context, signal: controller.signal }), expired]);
    } finally {
      clearTimeout(timer);
      outer.removeEventListener("abort", forward);
    }
  };
}
