/**
 * Partitions of a queue: which partition an event goes to (FNV-1a of its
 * key), the count as recorded in the queue's metadata, and its bounds.
 */
import { TransportError } from "../index.js";
import { MAX_PARTITIONS } from "./leanmq/keys.js";
import type { PartitionCount } from "./store.js";

/** Checks a partition count: an integer from 1 to {@link MAX_PARTITIONS}. */
export function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new TransportError("invalid-option", `a queue has from 1 to ${MAX_PARTITIONS} partitions, got ${String(count)}`);
  }
}

/** The partition count as the metadata hash holds it (text or absent): 1 partition, the queue itself, when none is recorded or it is unreadable. */
export function partitionCount(count: string | Buffer | null | undefined, highest: string | Buffer | null | undefined): PartitionCount {
  const read = (text: string | Buffer | null | undefined): number => {
    const n = text === null || text === undefined ? NaN : Number(String(text));
    return Number.isInteger(n) && n >= 1 && n <= MAX_PARTITIONS ? n : 1;
  };
  const c = read(count);
  return { count: c, highest: Math.max(c, read(highest)) };
}

const encoder = new TextEncoder();

/**
 * The partition a key goes to among `count`: the 32-bit FNV-1a hash of its
 * UTF-8 bytes, modulo `count`. Any language can compute it the same way:
 * start from 2166136261; for each byte, xor it in, then multiply by
 * 16777619 modulo 2^32.
 */
export function partitionOf(key: string, count: number): number {
  if (count <= 1) return 0;
  let hash = 0x811c9dc5;
  // (ASCII keys, event ids and most business keys, without encoding them)
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return fnvBytes(encoder.encode(key)) % count;
    hash = Math.imul(hash ^ c, 0x01000193) >>> 0;
  }
  return hash % count;
}

function fnvBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash;
}
