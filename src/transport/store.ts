/**
 * The store contract: the stream operations the transport is built on,
 * which the Redis store and the in-memory store both implement, with the
 * same semantics.
 */
import type { EntryFields, StreamEntry } from "./leanmq/entry.js";
import type { KeyLayout, QueueKeys } from "./leanmq/keys.js";

export type { EntryFields, StreamEntry };

/**
 * How streams are kept to about `maxLength` entries.
 * - `acknowledged`: only entries every consumer group of the stream has
 *   delivered and acknowledged are trimmed, so nothing is lost that nobody
 *   has read; a stream whose readers lag grows past `maxLength` until they
 *   catch up (a DLQ, whose group nobody reads, is never trimmed).
 * - `length`: trimmed to `maxLength` whatever was read, as LeanMQ's
 *   `MAXLEN` does; entries trimmed before a group read them are counted
 *   (`QueueInfo.trimmedUnread`).
 */
export type TrimMode = "acknowledged" | "length";

/** The bounds a write keeps streams within. */
export interface StreamLimits {
  /** Streams are kept to about this many entries. */
  readonly maxLength: number;
  readonly trim: TrimMode;
}

/** What an append did besides appending. */
export interface AppendResult {
  /** The new entries' ids, in order. */
  readonly ids: string[];
  /** Queues whose stream was gone (Redis restarted empty, flushed, a key deleted) and came back with its consumer group at the start. */
  readonly revived: readonly QueueKeys[];
  /** Entries trimmed before some group had read them (trim mode `length` only). */
  readonly trimmedUnread: number;
}

/** An entry to append to a queue's main stream. */
export interface OutgoingEntry {
  /** The queue it goes to. */
  readonly keys: QueueKeys;
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

/** What routing one entry did: copies made, and copies parked in a DLQ because their destination could not take them; -1 when it was not pending to the router. */
export type Routed = { readonly copies: number; readonly parked: number } | -1;

/** What a routing step did. */
export interface RouteResult {
  /** Per entry, in order. */
  readonly entries: readonly Routed[];
  /** Subscription queues whose stream was gone and came back with its consumer group at the start. */
  readonly revived: readonly string[];
}

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
  /** Times the main stream or its consumer group was found gone and made again (Redis restarted empty, a flush, a deleted key). */
  readonly resets: number;
  /** Entries trimmed from the main stream before its group had read them (trim mode `length`). */
  readonly trimmedUnread: number;
  /**
   * From the transport, on a queue with partitions: each partition's own
   * counts, partition 0 first; the counts above are their sums
   * (consumers: the most of any, oldest age: the oldest).
   */
  readonly partitions?: readonly QueueInfo[];
}

/** A queue's partitions, as recorded with it. */
export interface PartitionCount {
  /** How many partitions publishers write to (1: the queue itself only). */
  readonly count: number;
  /** The most partitions the queue has had: consumers read partitions 0 to `highest - 1`. */
  readonly highest: number;
}

/** A schema version to register. */
export interface NewSchema {
  readonly fingerprint: string;
  /** The binary `FileDescriptorSet`. */
  readonly descriptorSet: Uint8Array;
  /** Float seconds. */
  readonly registeredAt: number;
  /** Registered despite breaking changes. */
  readonly forced: boolean;
}

/** One registered version of an event type's schema. */
export interface StoredSchema extends NewSchema {
  readonly version: number;
}

/** What {@link EntryStore.addSchemaVersion} did. */
export type SchemaAdded =
  | { readonly outcome: "added" | "exists"; readonly version: number }
  | { readonly outcome: "conflict"; readonly latest: number };

/**
 * The stream operations the transport is built on. The Redis store runs each
 * as one command or one Lua script; the in-memory store does the same on
 * plain data structures. Every method that says "atomically" is all or
 * nothing, also when the process dies half way.
 */
export interface EntryStore {
  /**
   * How this store lays out keys: LeanMQ's on one server, a hash tag per
   * queue on Redis Cluster (see leanmq/keys.ts). The transport makes every
   * queue's keys in it.
   */
  readonly layout: KeyLayout;
  /**
   * Whether one atomic step may write keys of different queues (one
   * server); false on a cluster, where each script touches one queue's
   * slot: a transaction must stay within one queue, and routing copies
   * each destination's events apart (see {@link route}).
   */
  readonly crossQueueAtomic: boolean;
  /**
   * Creates the queue pair as LeanMQ does (streams, consumer groups,
   * metadata hashes, registry), keeping what exists. A group is created at
   * the start of its stream (`0`), so that a group made again for a stream
   * that already holds entries (after the group was lost) misses none.
   * Returns true when the main stream's group was missing (and made).
   * With `reset` (the caller found the queue gone), it makes the queue even
   * if it made it before, and counts the reset in `QueueInfo.resets` when
   * the group was still missing (once per reset however many readers found
   * it gone). A store that keeps state across reconnections (Redis) also
   * counts a reset when it has to make again the group of a queue it had
   * made or found before (Redis restarted without its data).
   */
  ensureQueue(keys: QueueKeys, options?: { readonly reset?: boolean }): Promise<boolean>;
  /** Forgets which queues {@link ensureQueue} has made (when they may be gone), so that it makes them again. */
  forgetQueues?(): void;
  /** Whether the queue pair is in the registry. */
  hasQueue(keys: QueueKeys): Promise<boolean>;
  /** The names of all queue pairs (main queues, without prefix) in the registry of `prefix`. */
  listQueues(prefix: string): Promise<string[]>;
  /**
   * Appends entries. `atomic`: all or none, in one step (Lua); otherwise
   * pipelined in one round trip. Every key and argument is checked before
   * anything is written (not atomic: before each pipelined step, of a few
   * hundred entries). A stream that is gone comes back with its group at
   * the start.
   * Streams are then trimmed as `limits` says.
   */
  append(entries: readonly OutgoingEntry[], atomic: boolean, limits: StreamLimits): Promise<AppendResult>;
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
  deadLetter(keys: QueueKeys, consumer: string, id: string, fields: readonly (string | Buffer)[], limits: StreamLimits): Promise<string | undefined>;
  /**
   * Atomically, if DLQ entry `id` still exists: appends `fields` to the main
   * stream and deletes the DLQ entry (every key checked before anything is
   * written). Returns the new id and whether the main stream had to come
   * back, or undefined when the entry is no longer in the DLQ.
   */
  requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], limits: StreamLimits): Promise<{ id: string; revived: boolean } | undefined>;
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
   * subscribed to its event type (as the subscriptions are at that moment;
   * types match by short name) and acknowledges it, removing it from the
   * `:expiry` set as {@link ack} does. Where one step cannot write several
   * queues (`crossQueueAtomic` false: Redis Cluster), each destination's
   * copies are appended in one step of their own and the entries are
   * acknowledged once every copy is made; a destination that failed is
   * tried again, the others not (the store records which took their
   * copies, where any router that routes the entries again finds it), so
   * that a copy is duplicated only when the process dies between the
   * copies and the acknowledgement. A destination that cannot take its
   * copy costs that destination only: the copy is parked in its DLQ (or,
   * when that is unusable, the shared queue's DLQ) with the reason, added
   * to the copy's `_failures` list as json.dumps writes an item. Every
   * entry's arguments are checked before anything is written.
   */
  route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], limits: StreamLimits): Promise<RouteResult>;
  /** The partitions recorded with a queue (`keys` of partition 0); `{count: 1, highest: 1}` when none are. */
  partitions(keys: QueueKeys): Promise<PartitionCount>;
  /** Atomically records that publishers write to `count` partitions from now on, and raises `highest` to it when below. */
  setPartitions(keys: QueueKeys, count: number): Promise<PartitionCount>;
  /** Removes consumers of the group that have nothing pending and have been idle at least `minIdleMs`; returns how many. */
  pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number>;
  /** Removes `consumer` from the group when it has nothing pending (a consumer that stops cleanly leaves no name behind). Returns whether it did. */
  leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean>;
  /**
   * The registered versions of an event type's schema under `prefix`
   * (see `schemaKey` in leanmq/keys.ts), oldest first; empty when none.
   */
  schemaVersions(prefix: string, fullName: string): Promise<StoredSchema[]>;
  /**
   * Atomically: when a version with this fingerprint is registered, that
   * version (`exists`); else, when the newest version is still
   * `expectedLatest` (0 for none), adds version `expectedLatest + 1` and
   * records the type in the index (`added`); else `conflict`, with the newest
   * version (another publisher registered one meanwhile: check it and try
   * again).
   */
  addSchemaVersion(prefix: string, fullName: string, expectedLatest: number, schema: NewSchema): Promise<SchemaAdded>;
  /** The full names of the event types with a registered schema under `prefix`, sorted. */
  schemaTypes(prefix: string): Promise<string[]>;
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
