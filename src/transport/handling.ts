/**
 * The handling scope: which event this code runs for, carried through
 * `await`s by an AsyncLocalStorage, so that an event published from inside a
 * handler can take its correlation id, its causation id and its trace from
 * the event being handled.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Event } from "../index.js";

/** The event being handled, and what it passes on to the events published while it is. */
export interface Handling {
  /** The event being handled. */
  readonly event: Event;
  /** Whether events published here take its correlation and causation ids (the `correlation()` middleware). */
  readonly correlate: boolean;
  /** The trace context of the handler's span (an OpenTelemetry `Context`), when traced. */
  readonly traceContext: unknown;
}

const storage = new AsyncLocalStorage<Handling>();
/** Set once a scope was ever entered: until then, looking costs nothing. */
let used = false;

/** The event being handled where this runs, if any. */
export function currentHandling(): Handling | undefined {
  return used ? storage.getStore() : undefined;
}

/** Runs `work` in the scope of `handling` (what is not given is kept from the scope around). */
export function withHandling<T>(handling: Partial<Handling> & { readonly event: Event }, work: () => T): T {
  used = true;
  const outer = storage.getStore();
  return storage.run(
    {
      event: handling.event,
      correlate: handling.correlate ?? (outer?.event === handling.event && outer.correlate),
      traceContext: handling.traceContext ?? (outer?.event === handling.event ? outer.traceContext : undefined),
    },
    work,
  );
}
