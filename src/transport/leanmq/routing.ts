/**
 * How the bus routes, for the stores that route in TypeScript (memory, and
 * Redis Cluster, where no one script reaches every destination): event types
 * matched by short name, subscriptions read as the route script reads them,
 * and a copy parked in a DLQ with the reason in its `_failures` list, byte
 * for byte as `redis/lua/route.lua` writes it.
 */
import { pythonFloat, pythonJsonDumps } from "../../index.js";

/** A short name, as the route script matches event types: the part after the last dot (a name ending in a dot, or without one, is its own). */
export function shortName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 || dot === name.length - 1 ? name : name.slice(dot + 1);
}

/** The event types a subscription's JSON names, as the route script reads it: the short names of the strings of a JSON array; undefined when it is not one. */
export function subscribedTypes(json: string): Set<string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  // the script keeps any JSON object, but only the strings of an array can match an event type
  return new Set(Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string").map(shortName) : []);
}

/** A JSON array's opening, end (what comes before its closing bracket) and emptiness, as the route script finds them. */
const LIST_START = /^[ \t\n\r]*\[/;
const LIST_END = /^([\s\S]*?)[ \t\n\r]*\][ \t\n\r]*$/;
const EMPTY_LIST_START = /^[ \t\n\r]*\[[ \t\n\r]*$/;

/**
 * A JSON list (its text, or undefined) with one more item (its text), as the
 * route script's `ew_json_append` makes it: the list's own text kept as it
 * is, the item after a ", "; a list that is not a JSON array starts again.
 */
function jsonAppend(list: string | undefined, item: string): string {
  if (list !== undefined && LIST_START.test(list)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(list);
    } catch {
      // an unreadable list starts again
    }
    const body = Array.isArray(parsed) ? LIST_END.exec(list)?.[1] : undefined;
    if (body !== undefined) return EMPTY_LIST_START.test(body) ? `${body}${item}]` : `${body}, ${item}]`;
  }
  return `[${item}]`;
}

/** The entry's fields with a move to a DLQ recorded in its own `_failures` field (moved to the end), as the route script parks a copy. */
export function parkedFields(fields: readonly (string | Buffer)[], timestamp: number, reason: string): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  let failures: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (String(fields[i]) === "_failures") failures = String(fields[i + 1]);
    else out.push(fields[i]!, fields[i + 1]!);
  }
  out.push("_failures", jsonAppend(failures, pythonJsonDumps({ timestamp: pythonFloat(timestamp), reason })));
  return out;
}
