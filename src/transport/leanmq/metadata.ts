/**
 * LeanMQ's `_metadata`, which travels with every message (`id`, `timestamp`,
 * `ttl`), and the TTL rule read from it: one home for both.
 */
import { formatPythonFloat, pythonFloat, pythonJsonDumps } from "../../index.js";

/** The metadata LeanMQ keeps with every message. */
export interface EntryMetadata {
  /** A UUID kept across moves to and from the DLQ. */
  readonly id: string;
  /** When the entry was written, in float seconds. */
  readonly timestamp: number;
  /** Time to live in seconds, or null. */
  readonly ttl: number | null;
}

/** Fresh metadata for an entry being written. */
export function newMetadata(ttl: number | null, id: string, now: number = Date.now() / 1000): EntryMetadata {
  return { id, timestamp: now, ttl };
}

/** Characters a message id may have to be written as it is (as `json.dumps` writes a UUID). */
const PLAIN_ID = /^[\w.:-]*$/;

/** The metadata as JSON text, exactly as LeanMQ's `json.dumps` writes it. */
export function metadataJson(meta: EntryMetadata): string {
  if (meta.ttl === null && PLAIN_ID.test(meta.id)) {
    return `{"id": "${meta.id}", "timestamp": ${formatPythonFloat(meta.timestamp)}, "ttl": null}`;
  }
  return pythonJsonDumps({ id: meta.id, timestamp: pythonFloat(meta.timestamp), ttl: meta.ttl });
}

/** The metadata in a parsed JSON value, or undefined when it is not there or malformed. */
export function readMetadata(value: unknown): EntryMetadata | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const id = typeof record["id"] === "string" ? record["id"] : undefined;
  const timestamp = typeof record["timestamp"] === "number" ? record["timestamp"] : undefined;
  const ttl = typeof record["ttl"] === "number" && Number.isFinite(record["ttl"]) ? record["ttl"] : null;
  if (id === undefined || timestamp === undefined) return undefined;
  return { id, timestamp, ttl };
}

/** When a message with this metadata expires, in float seconds since the epoch, or null when it has no TTL. */
export function expiresAt(meta: EntryMetadata | undefined): number | null {
  return meta === undefined || meta.ttl === null ? null : meta.timestamp + meta.ttl;
}

/** The TTL rule: a message is expired once `now` (float seconds) is past its timestamp plus its TTL. */
export function isExpired(meta: EntryMetadata | undefined, now: number = Date.now() / 1000): boolean {
  const at = expiresAt(meta);
  return at !== null && now > at;
}
