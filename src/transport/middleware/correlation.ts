/**
 * The correlation middleware: events published while a handler runs carry
 * the handled event's correlation id and, as their causation id, its event
 * id — through every `await`, whichever transport publishes them.
 */
import { Headers, type Event } from "../../index.js";
import { currentHandling, withHandling } from "../handling.js";
import type { Middleware } from "./middleware.js";

/** The correlation id of an event: its `correlation-id` header, else (the first event of a flow) its own event id. */
export function correlationIdOf(event: Event): string {
  return event.headers[Headers.correlationId] ?? event.eventId;
}

/**
 * Runs the handler so that every event it publishes (before or after
 * `await`s) gets a `correlation-id` header — the handled event's correlation
 * id (see {@link correlationIdOf}) — and a `causation-id` header — the
 * handled event's `eventId`. Headers an event already has are kept.
 */
export function correlation<E extends Event = Event>(): Middleware<E> {
  return (event, _context, next) => withHandling({ event, correlate: true }, () => next());
}

/**
 * The headers an event published here gets from the event being handled
 * (under the correlation middleware), or the event itself when there are
 * none to add.
 */
export function correlated<E extends Event>(event: E): E {
  const handling = currentHandling();
  if (handling === undefined || !handling.correlate || handling.event === event) return event;
  const headers = event.headers;
  const correlationId = headers[Headers.correlationId] ?? correlationIdOf(handling.event);
  const causationId = headers[Headers.causationId] ?? handling.event.eventId;
  if (headers[Headers.correlationId] === correlationId && headers[Headers.causationId] === causationId) return event;
  return withHeaders(event, { [Headers.correlationId]: correlationId, [Headers.causationId]: causationId });
}

/** A copy of a (frozen) event with headers added. */
export function withHeaders<E extends Event>(event: E, added: Readonly<Record<string, string>>): E {
  return Object.freeze({ ...event, headers: Object.freeze({ ...event.headers, ...added }) });
}
