/**
 * Every Redis key and entry field name eventwire uses, in one place. The
 * layout is LeanMQ's (version 0.2.0), so that Python services using LeanMQ
 * and TypeScript services using eventwire share queues:
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `P` + `N` | stream | the main queue |
 * | `P` + `N` + `:dlq` | stream | its dead-letter queue |
 * | `P` + `registry` | set | full keys of every main queue and DLQ created |
 * | `P` + `N` + `:metadata` | hash | `created_at`, `dlq`, `consumer_group` |
 * | `P` + `N` + `:dlq:metadata` | hash | `created_at`, `main_queue`, `consumer_group`, `is_dlq` |
 * | stream key + `:expiry` | sorted set | entry id → expiry time (float seconds) |
 *
 * and, eventwire's own, `P` + `subscriptions`: a hash from service name to
 * the JSON list of event types the service subscribes to (`["*"]` for all);
 * and the schema registry, under `P` + `eventwire:` (a namespace queue
 * names may not use, so that no queue's keys can meet these):
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `P` + `eventwire:schemas` | set | full names of the event types with a registered schema |
 * | `P` + `eventwire:schema:` + full name | hash | `latest` → the newest version (1, 2, …); per version `V`: `V:set` → the binary `FileDescriptorSet`, `V:fingerprint` → `sha256:<hex>` of it, `V:registered_at` → float seconds, `V:forced` → `1` when registered despite breaking changes; `by:<fingerprint>` → its version |
 *
 * A queue with partitions keeps its count in its metadata hash (fields
 * `partitions`, where publishers write, and `partitions_highest`, the most
 * it has had, which consumers read); partition `i` ≥ 1 is the queue pair
 * named `N#i` (partition 0 is the queue itself, so a queue that gains
 * partitions keeps what it holds).
 *
 * On Redis Cluster (the `cluster` layout) the part of each queue's keys
 * after the prefix is a hash tag, `P{N}`, `P{N}:dlq`, `P{N}:expiry`,
 * `P{N}:metadata`, …, so that every key of one queue pair lives in one slot
 * and each script touches one slot; the schema registry's keys share the
 * tag `{eventwire}`. The registry set and the subscriptions hash keep their
 * names. Routing on a cluster keeps, with the bus's shared queue (in its
 * slot), `<shared stream>:routing`: a hash from entry id to the JSON list
 * of the destination queues that have their copy, while another destination
 * has not (deleted once the entry is acknowledged). LeanMQ cannot run on a cluster (its MULTI spans slots), so the
 * cluster layout need not match it.
 */
import { TransportError } from "../../index.js";

/** The LeanMQ default key prefix. */
export const DEFAULT_PREFIX = "mq:";

/** The default consumer name LeanMQ uses. */
export const LEANMQ_DEFAULT_CONSUMER = "default-consumer";

/** The approximate MAXLEN LeanMQ caps every stream at. */
export const DEFAULT_MAX_LENGTH = 100_000;

/** Entry field names. */
export const EntryField = {
  /** LeanMQ's single field: the message as a JSON object, `_metadata` included. */
  data: "data",
  /** Binary entries: the event type's wire name, readable without decoding. */
  eventType: "event_type",
  /** Binary entries: the protobuf `EventEnvelope`. */
  envelope: "envelope",
  /** Binary entries: the message metadata as JSON (`id`, `timestamp`, `ttl`), as inside LeanMQ's `data`. */
  metadata: "_metadata",
  /** The list of moves to a DLQ: `{timestamp, reason}` each. */
  failures: "_failures",
  /** The list of requeues from a DLQ: `{timestamp, from_dlq, to_queue}` each. */
  requeues: "_requeues",
} as const;

/** The keys and group names of one queue pair. */
export interface QueueKeys {
  /** The queue's name without prefix, e.g. `orders` or `sub:payment-service` (for every partition of the queue). */
  readonly name: string;
  readonly prefix: string;
  /** The partition these keys are of: 0 for the queue itself (and a queue without partitions). */
  readonly partition: number;
  /** The main stream. */
  readonly stream: string;
  /** The dead-letter stream. */
  readonly dlq: string;
  readonly streamExpiry: string;
  readonly dlqExpiry: string;
  readonly streamMetadata: string;
  readonly dlqMetadata: string;
  /** The registry set of the prefix. */
  readonly registry: string;
  /** The main queue's consumer group: `N-group`. */
  readonly group: string;
  /** The DLQ's consumer group: `N-group-dlq`. */
  readonly dlqGroup: string;
}

/** The namespace under a prefix that holds eventwire's own keys (the schema registry); no queue name starts with it. */
export const RESERVED_NAMESPACE = "eventwire:";

/** The part of the schema registry's keys after the prefix and before their own names: on a cluster, one hash tag for all. */
function schemaNamespace(layout: KeyLayout): string {
  return layout === "cluster" ? "{eventwire}:" : RESERVED_NAMESPACE;
}

/** The set of the event types with a registered schema under `prefix`. */
export function schemaIndexKey(prefix: string, layout: KeyLayout = "leanmq"): string {
  return prefix + schemaNamespace(layout) + "schemas";
}

/** The hash of the registered versions of one event type's schema (by full name) under `prefix`. */
export function schemaKey(prefix: string, fullName: string, layout: KeyLayout = "leanmq"): string {
  return prefix + schemaNamespace(layout) + "schema:" + fullName;
}

/** The fields of one version in a schema hash (see the table above). */
export const SchemaField = {
  latest: "latest",
  set: (v: number) => `${v}:set`,
  fingerprint: (v: number) => `${v}:fingerprint`,
  registeredAt: (v: number) => `${v}:registered_at`,
  forced: (v: number) => `${v}:forced`,
  byFingerprint: (fingerprint: string) => `by:${fingerprint}`,
} as const;

/** The separator between a queue's name and the number of one of its partitions (`orders#3`). */
export const PARTITION_SEPARATOR = "#";

/** The most partitions a queue may have. */
export const MAX_PARTITIONS = 1024;

/** How keys are laid out: LeanMQ's, for one Redis server, or with a hash tag per queue, for Redis Cluster. */
export type KeyLayout = "leanmq" | "cluster";

/** The keys of queue pair `name` under `prefix` (of its partition `partition`, 0 for the queue itself), in `layout`. */
export function queueKeys(prefix: string, name: string, layout: KeyLayout = "leanmq", partition = 0): QueueKeys {
  if (name === "") throw new RangeError("a queue name must not be empty");
  if (name.startsWith(RESERVED_NAMESPACE)) {
    throw new TransportError("invalid-option", `queue names starting with ${JSON.stringify(RESERVED_NAMESPACE)} are reserved for eventwire's own keys, got ${JSON.stringify(name)}`);
  }
  if (/#[0-9]+$/.test(name)) {
    throw new TransportError("invalid-option", `a queue name may not end in "#" and a number, which names a partition, got ${JSON.stringify(name)}`);
  }
  if (layout === "cluster" && /[{}]/.test(name)) {
    throw new TransportError("invalid-option", `on Redis Cluster a queue name may not hold "{" or "}" (its keys' hash tag), got ${JSON.stringify(name)}`);
  }
  if (!Number.isInteger(partition) || partition < 0 || partition >= MAX_PARTITIONS) {
    throw new TransportError("invalid-option", `a partition is an integer from 0 to ${MAX_PARTITIONS - 1}, got ${String(partition)}`);
  }
  const own = partition === 0 ? name : name + PARTITION_SEPARATOR + partition;
  const stream = layout === "cluster" ? `${prefix}{${own}}` : prefix + own;
  const dlq = stream + ":dlq";
  return {
    name,
    prefix,
    partition,
    stream,
    dlq,
    streamExpiry: stream + ":expiry",
    dlqExpiry: dlq + ":expiry",
    streamMetadata: stream + ":metadata",
    dlqMetadata: dlq + ":metadata",
    registry: prefix + "registry",
    group: name + "-group",
    dlqGroup: name + "-group-dlq",
  };
}

/** Metadata fields of a queue with partitions (in partition 0's metadata hash). */
export const PartitionField = {
  /** How many partitions publishers write to. */
  count: "partitions",
  /** The most partitions the queue has had: consumers read all of them (a queue whose count went down drains the rest). */
  highest: "partitions_highest",
} as const;

/** The queue name (without prefix, of partition 0) of a main stream's key, in either layout: `mq:orders` and `mq:{orders}` → `orders`. */
export function queueNameOf(stream: string, prefix: string): string {
  let name = stream.startsWith(prefix) ? stream.slice(prefix.length) : stream;
  if (name.startsWith("{") && name.endsWith("}")) name = name.slice(1, -1);
  return name;
}

/** Where routing on a cluster records which destinations have their copy of a shared-queue entry (see the module comment). */
export function routingProgressKey(keys: QueueKeys): string {
  return `${keys.stream}:routing`;
}

/** The hash of the event bus's subscriptions under `prefix`. */
export function subscriptionsKey(prefix: string): string {
  return prefix + "subscriptions";
}

/**
 * The queue names (without prefix) among the members of a prefix's registry
 * set, in either layout: main queues, not DLQs, and not the partitions
 * after the first (`orders#2`), sorted.
 */
export function queueNames(registryMembers: Iterable<string>, prefix: string): string[] {
  const names = new Set<string>();
  for (const m of registryMembers) {
    if (!m.startsWith(prefix) || m.endsWith(":dlq")) continue;
    const name = queueNameOf(m, prefix);
    if (/#[1-9][0-9]*$/.test(name)) continue;
    names.add(name);
  }
  return [...names].sort();
}

/**
 * The bus's subscriptions, read from the fields of its hash: service name to
 * event types. A value that is not a JSON array of strings subscribes to
 * nothing (the routing script reads it the same way).
 */
export function readSubscriptions(fields: Iterable<readonly [string, string]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [service, json] of fields) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (Array.isArray(parsed)) out.set(service, parsed.map(String));
    } catch {
      // a malformed subscription routes nothing
    }
  }
  return out;
}

/** The queue name of a service's subscription queue on the event bus: `sub:<service>`. */
export function subscriptionQueue(service: string): string {
  return "sub:" + service;
}

/** The name of the event bus's shared queue. */
export const BUS_QUEUE = "all";

/** The event bus's default prefix, as the Python event bus uses it. */
export const BUS_PREFIX = "events:";
