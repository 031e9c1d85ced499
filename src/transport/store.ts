/**
 * The store contract: the stream operations the transport is built on,
 * which the Redis store and the in-memory store both implement, with the
 * same semantics.
 */
import type { EntryFields, StreamEntry } from "./leanmq/entry.js";
import type { QueueKeys } from "./leanmq/keys.js";

export type { EntryFields, StreamEntry };

/** An entry to append to a stream. */
export interface OutgoingEntry {
  /** The stream key. */
  readonly stream: string;
  /** Field/value pairs, flattened. */
  readonly fields: readonly (string | Buffer)[];
  /** Expiry in float seconds since the epoch (recorded in the stream's `:expiry` set), or null. */
  readonly expireAt: number | null;
}

/** An entry delivered to a consumer, with Redis's own delivery counter. */
export interface DeliveredEntry extends StreamEntry {
  /** How many times the entry has been delivered, this time included (1 on the first delivery). */
  readonly deliveries: number;
}

/** What a reclaim pass found. */
export interface ClaimResult {
  /** Entries now delivered to the claiming consumer. */
  readonly entries: readonly DeliveredEntry[];
  /** Ids that were pending but whose entries are gone from the stream (trimmed or deleted); removed from the pending list. */
  readonly deleted: readonly string[];
  /** The cursor for the next pass; `0-0` when the pending list has been walked through. */
  readonly next: string;
}

/** The outcome of claiming one entry for a retry. */
export type ClaimOne =
  | { readonly status: "claimed"; readonly entry: DeliveredEntry }
  /** The entry was trimmed away while pending; it has been dropped from the pending list. */
  | { readonly status: "deleted" }
  /** The entry is no longer pending, or another consumer has it. */
  | { readonly status: "gone" };

/** One entry to route from the bus's shared queue. */
export interface RouteEntry {
  readonly id: string;
  readonly eventType: string;
  readonly fields: readonly (string | Buffer)[];
  readonly expireAt: number | null;
}

/** Counts and ages of one queue pair. */
export interface QueueInfo {
  /** The queue's name, without prefix. */
  readonly name: string;
  /** The main stream's key. */
  readonly stream: string;
  /** Entries in the main stream (acknowledged ones included, until trimmed). */
  readonly length: number;
  /** Entries delivered to the queue's consumer group and not yet acknowledged. */
  readonly pending: number;
  /** Consumers known to the group. */
  readonly consumers: number;
  /** Entries not yet delivered to the group (Redis 7 `lag`), when known. */
  readonly lag: number | null;
  /** Entries in the dead-letter stream. */
  readonly dlqLength: number;
  /** Age of the oldest entry in the main stream, in milliseconds, or null when it is empty. */
  readonly oldestAgeMs: number | null;
}

/**
 * The stream operations the transport is built on. The Redis store runs each
 * as one command or one Lua script; the in-memory store does the same on
 * plain data structures. Every method that says "atomically" is all or
 * nothing, also when the process dies half way.
 */
export interface EntryStore {
  /** Creates the queue pair as LeanMQ does (streams, consumer groups from `$`, metadata hashes, registry), keeping what exists. */
  ensureQueue(keys: QueueKeys): Promise<void>;
  /** Forgets which queues {@link ensureQueue} has made (when they may be gone), so that it makes them again. */
  forgetQueues?(): void;
  /** Whether the queue pair is in the registry. */
  hasQueue(keys: QueueKeys): Promise<boolean>;
  /** The names of all queue pairs (main queues, without prefix) in the registry of `prefix`. */
  listQueues(prefix: string): Promise<string[]>;
  /**
   * Appends entries, returning their ids in order. `atomic`: all or none, in
   * one step (Lua); otherwise pipelined in one round trip. Streams are capped
   * at about `maxLength` entries.
   */
  append(entries: readonly OutgoingEntry[], atomic: boolean, maxLength: number): Promise<string[]>;
  /** New entries for the group, delivered to `consumer`; waits up to `blockMs` for some when there are none. */
  readNew(keys: QueueKeys, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Claims for `consumer` entries pending to anyone for at least `minIdleMs`, walking the pending list from `cursor`. */
  claimIdle(keys: QueueKeys, consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ClaimResult>;
  /** Claims again, for a retry, an entry still pending to `consumer` itself, when it has been idle at least `minIdleMs`. */
  claimOne(keys: QueueKeys, consumer: string, id: string, minIdleMs: number): Promise<ClaimOne>;
  /** Resets the idle time of entries still pending to `consumer`, so that nobody reclaims them while they are handled. */
  touch(keys: QueueKeys, consumer: string, ids: readonly string[]): Promise<void>;
  /** Acknowledges entries and removes them from the `:expiry` set. Returns how many were pending. */
  ack(keys: QueueKeys, ids: readonly string[]): Promise<number>;
  /**
   * Atomically, if entry `id` is still pending to `consumer`: appends `fields`
   * to the DLQ and acknowledges the entry. Returns the DLQ entry id, or
   * undefined when the entry was not pending to `consumer` (nothing written).
   */
  deadLetter(keys: QueueKeys, consumer: string, id: string, fields: readonly (string | Buffer)[], maxLength: number): Promise<string | undefined>;
  /**
   * Atomically, if DLQ entry `id` still exists: appends `fields` to the main
   * stream and deletes the DLQ entry. Returns the new id, or undefined.
   */
  requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], maxLength: number): Promise<string | undefined>;
  /** Entries of a stream from `start` to `end` (inclusive ids, `(id` for an exclusive bound, or `-` and `+`), oldest first, at most `count`. */
  range(stream: string, start: string, end: string, count: number): Promise<StreamEntry[]>;
  /** The newest entries of a stream from `end` down to `start` (bounds as {@link range}), newest first, at most `count`. */
  rangeReverse(stream: string, end: string, start: string, count: number): Promise<StreamEntry[]>;
  /**
   * Entries of a stream after id `after`, outside any consumer group (nothing
   * is delivered or acknowledged); waits up to `blockMs` for some when there
   * are none. On a store from {@link forBlockingReads}, as it blocks.
   */
  readAfter(stream: string, after: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** The id of a stream's newest entry, or undefined when it has none. */
  lastId(stream: string): Promise<string | undefined>;
  /** Deletes entries from a stream and its `:expiry` set (acknowledging them first in `group` when given). Returns how many were deleted. */
  deleteEntries(stream: string, ids: readonly string[], group?: string): Promise<number>;
  /** Counts and ages of the queue pair. */
  info(keys: QueueKeys): Promise<QueueInfo>;
  /** Sets (or, with `eventTypes` null, removes) a service's subscription on the bus under `prefix`. */
  setSubscription(prefix: string, service: string, eventTypes: readonly string[] | null): Promise<void>;
  /** The bus's subscriptions under `prefix`: service name to event types (`*` for all). */
  subscriptions(prefix: string): Promise<Map<string, string[]>>;
  /**
   * Atomically per entry, if it is still pending to `consumer` on the bus's
   * shared queue: appends a copy to the subscription queue of every service
   * subscribed to its event type (as the subscriptions are at that moment)
   * and acknowledges it, removing it from the `:expiry` set as {@link ack}
   * does. Returns, per entry, how many queues got a copy, or
   * -1 when it was not pending to `consumer`.
   */
  route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], maxLength: number): Promise<number[]>;
  /** Removes consumers of the group that have nothing pending and have been idle at least `minIdleMs`; returns how many. */
  pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number>;
  /** Removes `consumer` from the group when it has nothing pending (a consumer that stops cleanly leaves no name behind). Returns whether it did. */
  leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean>;
  /** A store for a blocking reader: the same data over a connection of its own (Redis), or `this` (memory). */
  forBlockingReads(): Promise<EntryStore>;
  /**
   * On a store from {@link forBlockingReads}: makes a `readNew` of
   * `consumer` that is waiting return at once, as if its wait had run out
   * (so nothing it would have delivered is left in limbo). Used to stop
   * quickly.
   */
  wake?(consumer: string): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
