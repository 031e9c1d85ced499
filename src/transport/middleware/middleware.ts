/**
 * Middleware: functions a handler is wrapped in, each given the event, its
 * delivery and signal (the {@link HandlerContext}) and the rest of the chain
 * to call, and how a chain is put together.
 */
import { TransportError, type Event } from "../../index.js";
import type { Handler, HandlerContext } from "../handler.js";

/**
 * Calls the rest of the chain, down to the handler, with this context (or
 * a changed copy: a timeout gives the handler its own signal). Resolves when
 * the handler has; rejects with what it threw. Call it once at most.
 */
export type Next = (context?: HandlerContext) => Promise<void>;

/**
 * A middleware: runs around a handler. What it resolves with is ignored;
 * throwing (or rejecting) fails the delivery as a handler's failure does
 * (retried, or dead-lettered after the last attempt or on a
 * `PermanentError`). Not calling `next` skips the handler: the event is
 * then acknowledged as handled.
 */
export type Middleware<E extends Event = Event> = (event: E, context: HandlerContext, next: Next) => unknown;

/**
 * The handler wrapped in the middleware, the first outermost: `compose([a,
 * b], h)` runs `a`, which runs `b`, which runs `h`.
 */
export function compose<E extends Event>(middleware: readonly Middleware<E>[], handler: Handler<E>): Handler<E> {
  if (middleware.length === 0) return handler;
  const chain = [...middleware];
  return (event, context) => {
    const step = async (index: number, ctx: HandlerContext): Promise<void> => {
      if (index === chain.length) {
        await handler(event, ctx);
        return;
      }
      let called = false;
      await chain[index]!(event, ctx, (next?: HandlerContext) => {
        if (called) return Promise.reject(new TransportError("invalid-option", "a middleware called next() more than once"));
        called = true;
        return step(index + 1, next ?? ctx);
      });
    };
    return step(0, context);
  };
}

/** Checks a list given to `use(...)`: functions only. */
export function checkMiddleware(list: readonly unknown[]): void {
  for (const m of list) {
    if (typeof m !== "function") throw new TransportError("invalid-option", `a middleware must be a function, got ${m === null ? "null" : typeof m}`);
  }
}
