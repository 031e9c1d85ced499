/**
 * The entry store on Redis, through ioredis: each operation one command or
 * one Lua script (see scripts.ts), in LeanMQ's key layout.
 */
import { randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { formatPythonFloat } from "../index.js";
import {
  EntryField,
  PartitionField,
  queueKeys,
  queueNames,
  readSubscriptions,
  routingProgressKey,
  SchemaField,
  schemaIndexKey,
  schemaKey,
  subscriptionQueue,
  subscriptionsKey,
  type KeyLayout,
  type QueueKeys,
} from "../transport/leanmq/keys.js";
import { parkedFields, shortName, subscribedTypes } from "../transport/leanmq/routing.js";
import { checkPartitionCount, partitionCount, TransportError } from "../transport/index.js";
import type {
  AppendResult,
  ClaimOne,
  ClaimResult,
  DeliveredEntry,
  EntryStore,
  NewSchema,
  OutgoingEntry,
  PartitionCount,
  QueueInfo,
  RouteEntry,
  Routed,
  RouteResult,
  SchemaAdded,
  StoredSchema,
  StreamEntry,
  StreamLimits,
} from "../transport/index.js";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "./connection.js";
import { isReplyError, notRunYet, redisFailure, wasNotSent } from "./errors.js";
import { defineScripts, queueScript, runScript, Scripts, type RedisScript, type ScriptArg } from "./scripts.js";

type Arg = ScriptArg;

/** Field/value buffers as a map (field names as UTF-8 text). */
export function fieldMap(raw: readonly Buffer[] | null | undefined): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  if (!raw) return fields;
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(fieldName(raw[i]!), raw[i + 1]!);
  return fields;
}

/** The names of the fields eventwire and LeanMQ write, as bytes. */
const KNOWN_FIELDS = Object.values(EntryField).map((name) => [Buffer.from(name), name] as const);

/** A field name as text: the known names without decoding them (every entry has them). */
function fieldName(raw: Buffer): string {
  for (const [bytes, name] of KNOWN_FIELDS) if (raw.length === bytes.length && raw.equals(bytes)) return name;
  return raw.toString("utf8");
}

function toEntries(raw: readonly [Buffer, Buffer[]][] | null | undefined): StreamEntry[] {
  if (!raw) return [];
  const out: StreamEntry[] = [];
  for (const item of raw) {
    if (item) out.push({ id: item[0].toString(), fields: fieldMap(item[1]) });
  }
  return out;
}

function flatToObject(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function isError(error: unknown, text: string): boolean {
  return error instanceof Error && error.message.includes(text);
}

/** Milliseconds part of a stream id. */
function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** UTF-8 length of a string: counted in JavaScript for short ASCII text, which is most field names and values. */
function byteLength(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text);
  return text.length;
}

/** Writes `text` as UTF-8 at `pos` (the caller made room); returns the end. */
function writeText(buf: Buffer, pos: number, text: string): number {
  if (text.length <= 64) {
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      buf[pos + i] = c;
    }
    if (i === text.length) return pos + i;
  }
  return pos + buf.write(text, pos);
}

/** Entries per script call when appending many. */
const APPEND_CHUNK = 256;

/** Waits `ms`. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Redirections a write waiting for replicas follows, at most (see {@link RedisStore.write}). */
const MAX_REDIRECTIONS = 16;

/** A MOVED or ASK answer of Redis Cluster: where the slot (or, while it migrates, the key) is now. */
function redirection(error: unknown): { readonly ask: boolean; readonly address: string } | undefined {
  if (!isReplyError(error)) return undefined;
  const match = /^(MOVED|ASK) \d+ (\S+)/.exec((error as Error).message);
  return match ? { ask: match[1] === "ASK", address: match[2]! } : undefined;
}


/** The destinations a routing progress field lists (none for a missing or unreadable one). */
function readProgress(field: string | null | undefined): string[] {
  if (!field) return [];
  try {
    const list: unknown = JSON.parse(field);
    return Array.isArray(list) ? list.filter((q): q is string => typeof q === "string") : [];
  } catch {
    return [];
  }
}

/** Asks the cluster for its slots again (a failed refresh shows on the next command). */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => cluster.refreshSlotsCache(() => resolve()));
}

/**
 * After a cluster client is closed: ioredis re-arms its periodic slots
 * refresh when a refresh under way at the close completes, and from then on
 * refreshes (failing at once) every `slotsRefreshInterval` for ever, which
 * holds the process open. A callback queued behind that refresh runs after
 * it re-armed its timer, and disconnecting once more clears the timer.
 * (With no refresh under way, the refresh asked for here ends at once, or
 * after one CLUSTER SLOTS, on the closed client.)
 */
function stopRefreshing(client: RedisClient): void {
  if (!client.isCluster) return;
  const cluster = client as Cluster;
  cluster.refreshSlotsCache(() => cluster.disconnect());
}

/** A client of one Redis server, or of a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Waiting for replicas before a write of events counts as done: after the
 * write, on its connection, `WAIT count timeoutMs`.
 */
export interface ReplicaWait {
  /** How many replicas must have the write. */
  readonly replicas: number;
  /** How long to wait for them, in ms; then the write fails with `not-replicated` (it was made on the master). */
  readonly timeoutMs: number;
}

/** The routing progress kept at most: entries whose copies were made for some destinations and not yet for all. */
const MAX_ROUTING_PROGRESS = 100_000;

/** How a store talks to its client. */
export interface RedisStoreOptions {
  /**
   * Publishes, routed copies, moves to a DLQ and requeues wait until this
   * many replicas have them (`WAIT`), so that an acknowledged write
   * survives the death of its master; one that is not confirmed in time
   * fails with `not-replicated`, though its master has it. Without it, a
   * write is acknowledged by the master alone, and a failover within
   * about a second of it can lose it.
   * @defaultValue none
   */
  readonly waitForReplicas?: ReplicaWait;
  /**
   * How long an operation may try, in ms — through a reconnection, or a
   * server that does not answer — before it fails with `redis-unavailable`.
   * @defaultValue 10000
   */
  readonly commandTimeoutMs?: number;
  /** Where the client is connected, for messages (never with a password). @defaultValue "Redis" */
  readonly where?: string;
}

/**
 * {@link EntryStore} on Redis, through ioredis. Every failure is an
 * `EventwireError`: `redis-refused` with Redis's message when Redis refuses
 * a command, `redis-unavailable` when it cannot be reached within
 * `commandTimeoutMs`.
 */
export class RedisStore implements EntryStore {
  private readonly client: RedisClient;
  readonly layout: KeyLayout;
  readonly crossQueueAtomic: boolean;
  private readonly replicaWait: ReplicaWait | undefined;
  /** Routing on a cluster: per shared-queue entry (`stream id`), the destinations that have their copy. */
  private readonly routed = new Map<string, Set<string>>();
  /** Queues made (or found whole) since the last reconnection: {@link ensureQueue} need not look again. */
  private readonly ensured = new Set<string>();
  /** Queue creations under way, by stream key. */
  private readonly ensuring = new Map<string, Promise<boolean>>();
  /**
   * Queues this store has made or found whole at any time: one whose group
   * it has to make again was reset (Redis restarted empty, say), and the
   * reset is counted.
   */
  private readonly known = new Set<string>();
  private readonly owned: "quit" | "disconnect" | false;
  private readonly duplicates: RedisClient[] = [];
  private readonly timeoutMs: number;
  private readonly where: string;

  /** `owned`: how {@link close} closes the client (`quit` waits for replies under way), or `false` to leave it open. */
  constructor(client: RedisClient, owned: "quit" | "disconnect" | false, options: RedisStoreOptions = {}) {
    defineScripts(client);
    this.client = client;
    this.layout = client.isCluster ? "cluster" : "leanmq";
    this.crossQueueAtomic = !client.isCluster;
    const wait = options.waitForReplicas;
    if (wait !== undefined) {
      if (!Number.isInteger(wait.replicas) || wait.replicas < 1) {
        throw new TransportError("invalid-option", `waitForReplicas.replicas must be a positive integer, got ${String(wait.replicas)}`);
      }
      if (!Number.isInteger(wait.timeoutMs) || wait.timeoutMs < 1) {
        throw new TransportError("invalid-option", `waitForReplicas.timeoutMs must be a positive integer, got ${String(wait.timeoutMs)}`);
      }
    }
    this.replicaWait = wait;
    this.owned = owned;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.where = options.where ?? "Redis";
    // After a reconnection nothing known about the server holds: it may have restarted empty.
    client.on("reconnecting", () => this.ensured.clear());
  }

  /** The ioredis client (a `Cluster` on Redis Cluster), for operations eventwire does not wrap. */
  get redis(): RedisClient {
    return this.client;
  }

  /**
   * Runs a script that writes events; with {@link RedisStoreOptions.waitForReplicas},
   * then WAIT on the same connection (a pipeline of the two), failing with
   * `not-replicated` when too few replicas confirm it in time.
   *
   * On a cluster the pipeline follows redirections itself: ioredis retries a
   * redirected pipeline only when every command in it was redirected, and
   * WAIT, which has no key, is answered by whichever node gets it. A script
   * answered MOVED (its slot has another master now: a failover, a
   * resharding) did not run: the slots are asked for again and it is sent
   * again. One answered ASK (its keys moved, the slot still migrating) did
   * not run either: it is sent to the node named, after ASKING, with its WAIT.
   */
  private async write<T>(script: RedisScript, keys: readonly string[], args: readonly ScriptArg[], buffers = false): Promise<T> {
    const wait = this.replicaWait;
    if (wait === undefined) return runScript<T>(this.client, script, keys, args, buffers);
    let asking: Redis | undefined;
    for (let redirections = 0; ; redirections++) {
      const pipeline = (asking ?? this.client).pipeline();
      if (asking !== undefined) pipeline.call("ASKING");
      queueScript(pipeline, script, keys, args);
      pipeline.call("WAIT", wait.replicas, wait.timeoutMs);
      const results = ((await pipeline.exec()) ?? []).slice(asking === undefined ? 0 : 1);
      const [[error, reply] = [new Error("the write was not executed"), null], [waitError, confirmed] = [new Error("WAIT was not executed"), 0]] = results;
      if (error) {
        const redirect = this.client.isCluster && redirections < MAX_REDIRECTIONS ? redirection(error) : undefined;
        if (redirect === undefined) throw error;
        asking = redirect.ask ? await this.clusterNode(redirect.address) : undefined;
        if (!redirect.ask) await refreshSlots(this.client as Cluster);
        continue;
      }
      if (waitError) throw waitError;
      if (Number(confirmed) < wait.replicas) {
        throw new TransportError(
          "not-replicated",
          `a write to ${keys[0] ?? "Redis"} was made on its master, but ${Number(confirmed)} of the ${wait.replicas} replica(s) asked for confirmed it within ${wait.timeoutMs} ms: it would be lost if its master failed before replicating it`,
        );
      }
      return reply as T;
    }
  }

  /** The cluster's connection to the node at `address` (`host:port`, as a redirection names it), with the scripts registered. */
  private async clusterNode(address: string): Promise<Redis> {
    const cluster = this.client as Cluster;
    const nat = cluster.options.natMap;
    const mapped = (typeof nat === "function" ? nat(address) : nat?.[address]) ?? {
      host: address.slice(0, address.lastIndexOf(":")),
      port: Number(address.slice(address.lastIndexOf(":") + 1)),
    };
    const find = () => cluster.nodes("all").find((n) => n.options.host === mapped.host && n.options.port === mapped.port);
    let node = find();
    if (node === undefined) {
      await refreshSlots(cluster);
      node = find();
    }
    if (node === undefined) throw new TransportError("redis-unavailable", `Redis at ${this.where}: the cluster redirected a write to ${address}, a node it does not know`);
    defineScripts(node);
    return node;
  }

  /**
   * Runs `op`, trying again while the connection is down (a command that was
   * never sent cannot run twice) until `commandTimeoutMs` has passed, and
   * turns every failure into a typed error.
   */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (error) {
        if (!isReplyError(error)) this.ensured.clear();
        const wait = Math.min(25 * 2 ** attempt, 500);
        if ((wasNotSent(error) || notRunYet(error)) && Date.now() + wait < deadline) {
          await pause(wait);
          continue;
        }
        throw redisFailure(error, what, this.where);
      }
    }
  }

  async ensureQueue(keys: QueueKeys, options: { readonly reset?: boolean } = {}): Promise<boolean> {
    if (options.reset) return this.makeQueue(keys, true);
    if (this.ensured.has(keys.stream)) return false;
    // One creation at a time per queue: callers that come while it is under way wait for it (and made nothing themselves).
    const under = this.ensuring.get(keys.stream);
    if (under !== undefined) return under.then(() => false);
    const making = this.makeQueue(keys, false).finally(() => this.ensuring.delete(keys.stream));
    this.ensuring.set(keys.stream, making);
    return making;
  }

  private makeQueue(keys: QueueKeys, reset: boolean): Promise<boolean> {
    return this.run(`creating the queue ${keys.stream}`, async () => {
      const now = formatPythonFloat(Date.now() / 1000);
      let made = false;
      for (const [stream, group] of [
        [keys.stream, keys.group],
        [keys.dlq, keys.dlqGroup],
      ] as const) {
        try {
          // At the start of the stream: a group made again for a stream that
          // holds entries (after the group was lost) misses none of them.
          await this.client.xgroup("CREATE", stream, group, "0", "MKSTREAM");
          if (stream === keys.stream) made = true;
        } catch (error) {
          if (!isError(error, "BUSYGROUP")) throw error;
        }
      }
      // (on a cluster the registry is in a slot of its own: recorded first, apart; recording it twice is harmless)
      if (this.layout === "cluster") await this.client.sadd(keys.registry, keys.stream, keys.dlq);
      const tx = this.client.multi();
      if (this.layout !== "cluster") tx.sadd(keys.registry, keys.stream, keys.dlq);
      tx.hsetnx(keys.streamMetadata, "created_at", now)
        .hset(keys.streamMetadata, "dlq", keys.dlq, "consumer_group", keys.group)
        .hsetnx(keys.dlqMetadata, "created_at", now)
        .hset(keys.dlqMetadata, "main_queue", keys.stream, "consumer_group", keys.dlqGroup, "is_dlq", "true");
      // A reset is counted once, by whoever makes the group again (a reader
      // that found it gone, or this store for a queue it knew), not by
      // every reader that found it gone.
      if (made && (reset || this.known.has(keys.stream))) tx.hincrby(keys.streamMetadata, "resets", 1);
      const results = (await tx.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
      this.ensured.add(keys.stream);
      if (this.known.size >= 10_000) this.known.clear();
      this.known.add(keys.stream);
      return made;
    });
  }

  /** Forgets which queues were created (after Redis lost its data, say), so they are created again. */
  forgetQueues(): void {
    this.ensured.clear();
  }

  async hasQueue(keys: QueueKeys): Promise<boolean> {
    return this.run(`reading the registry ${keys.registry}`, async () => (await this.client.sismember(keys.registry, keys.stream)) === 1);
  }

  async listQueues(prefix: string): Promise<string[]> {
    return this.run(`reading the registry ${prefix}registry`, async () => queueNames(await this.client.smembers(prefix + "registry"), prefix));
  }

  async append(entries: readonly OutgoingEntry[], atomic: boolean, limits: StreamLimits): Promise<AppendResult> {
    if (entries.length === 0) return { ids: [], revived: [], trimmedUnread: 0 };
    const what = `publishing to ${entries[0]!.keys.stream}${entries.length > 1 ? " and others" : ""}`;
    if (atomic && !this.crossQueueAtomic && entries.some((e) => e.keys.stream !== entries[0]!.keys.stream)) {
      throw new TransportError(
        "cross-slot",
        `on Redis Cluster an atomic append stays within one queue (one partition), whose keys share a slot; these go to ${[...new Set(entries.map((e) => e.keys.stream))].join(", ")}`,
      );
    }
    if (!this.crossQueueAtomic && !atomic && entries.some((e) => e.keys.stream !== entries[0]!.keys.stream)) return this.appendApart(entries, limits, what);
    if (atomic || entries.length === 1) {
      return this.run(what, async () => {
        const keys: string[] = [];
        const args: Arg[] = [limits.maxLength, limits.trim];
        for (const e of entries) {
          keys.push(e.keys.stream, e.keys.streamExpiry, e.keys.streamMetadata);
          args.push(e.keys.group, e.fields.length, ...e.fields, e.expireAt === null ? "" : formatPythonFloat(e.expireAt));
        }
        return this.appended(entries, await this.write<[string[], string[], number]>(Scripts.append, keys, args));
      });
    }
    // Many entries: one script call per chunk, the chunks sent one after the
    // other without waiting, so that Redis works on one while the next is sent.
    const calls: Promise<AppendResult>[] = [];
    for (let i = 0; i < entries.length; i += APPEND_CHUNK) {
      const chunk = entries.slice(i, i + APPEND_CHUNK);
      calls.push(this.run(what, () => this.appendMany(chunk, limits)));
    }
    const results = await Promise.all(calls);
    if (results.length === 1) return results[0]!;
    return {
      ids: results.flatMap((r) => r.ids),
      revived: [...new Set(results.flatMap((r) => r.revived))],
      trimmedUnread: results.reduce((n, r) => n + r.trimmedUnread, 0),
    };
  }

  /** Appends entries of several queues where one call cannot reach them all (a cluster): each queue's in calls of its own, sent together. */
  private async appendApart(entries: readonly OutgoingEntry[], limits: StreamLimits, what: string): Promise<AppendResult> {
    const byStream = new Map<string, number[]>();
    entries.forEach((e, i) => {
      const at = byStream.get(e.keys.stream);
      if (at === undefined) byStream.set(e.keys.stream, [i]);
      else at.push(i);
    });
    const ids = new Array<string>(entries.length);
    const calls: Promise<AppendResult>[] = [];
    for (const at of byStream.values()) {
      for (let i = 0; i < at.length; i += APPEND_CHUNK) {
        const positions = at.slice(i, i + APPEND_CHUNK);
        const chunk = positions.map((p) => entries[p]!);
        calls.push(
          this.run(what, () => this.appendMany(chunk, limits)).then((r) => {
            positions.forEach((p, j) => (ids[p] = r.ids[j]!));
            return r;
          }),
        );
      }
    }
    const results = await Promise.all(calls);
    return { ids, revived: [...new Set(results.flatMap((r) => r.revived))], trimmedUnread: results.reduce((n, r) => n + r.trimmedUnread, 0) };
  }

  /** The result of an append script: its ids, and the queues of the streams that came back. */
  private appended(entries: readonly OutgoingEntry[], [ids, revived, unread]: [string[], string[], number]): AppendResult {
    const byStream = new Map(entries.map((e) => [e.keys.stream, e.keys]));
    this.revived(revived);
    return { ids, revived: revived.map((stream) => byStream.get(String(stream))!), trimmedUnread: Number(unread) };
  }

  /**
   * Streams a script had to make again were gone with the rest of their
   * queue, maybe (the registry entry, the metadata, the DLQ and its group,
   * after a flush): the next {@link ensureQueue} makes what is missing
   * instead of trusting what it made before.
   */
  private revived(streams: readonly (string | Buffer)[]): void {
    for (const stream of streams) this.ensured.delete(String(stream));
  }

  private async appendMany(entries: readonly OutgoingEntry[], limits: StreamLimits): Promise<AppendResult> {
    const streams: QueueKeys[] = [];
    const index = new Map<string, number>();
    let count = 0;
    let size = 0;
    for (const e of entries) {
      count += 3 + e.fields.length;
      for (const f of e.fields) size += typeof f === "string" ? byteLength(f) : f.length;
      if (e.expireAt !== null) size += 32;
    }
    const lengths = Buffer.allocUnsafe(count * 4);
    const blob = Buffer.allocUnsafe(size);
    let h = 0;
    let pos = 0;
    for (const e of entries) {
      let k = index.get(e.keys.stream);
      if (k === undefined) {
        k = streams.push(e.keys) - 1;
        index.set(e.keys.stream, k);
      }
      h = lengths.writeUInt32BE(k + 1, h);
      h = lengths.writeUInt32BE(e.fields.length, h);
      for (const f of e.fields) {
        const start = pos;
        pos = typeof f === "string" ? writeText(blob, pos, f) : pos + f.copy(blob, pos);
        h = lengths.writeUInt32BE(pos - start, h);
      }
      if (e.expireAt === null) {
        h = lengths.writeUInt32BE(0, h);
      } else {
        const start = pos;
        pos = writeText(blob, pos, formatPythonFloat(e.expireAt));
        h = lengths.writeUInt32BE(pos - start, h);
      }
    }
    const keys = [...streams.map((s) => s.stream), ...streams.map((s) => s.streamExpiry), ...streams.map((s) => s.streamMetadata)];
    const reply = await this.write<[string[], string[], number]>(Scripts.appendPacked, keys, [
      limits.maxLength,
      limits.trim,
      lengths,
      blob.subarray(0, pos),
      ...streams.map((s) => s.group),
    ]);
    return this.appended(entries, reply);
  }

  async readNew(keys: QueueKeys, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    try {
      const reply = (await this.client.xreadgroupBuffer(
        "GROUP",
        keys.group,
        consumer,
        "COUNT",
        count,
        "BLOCK",
        blockMs,
        "STREAMS",
        keys.stream,
        ">",
      )) as [Buffer, [Buffer, Buffer[]][]][] | null;
      if (!reply || reply.length === 0) return [];
      return toEntries(reply[0]![1]);
    } catch (error) {
      // (no second try: the reading loop waits and reads again)
      throw redisFailure(error, `reading ${keys.stream}`, this.where);
    }
  }

  async claimIdle(keys: QueueKeys, consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ClaimResult> {
    return this.run(`reclaiming entries of ${keys.stream}`, async () => {
      const [next, raw, counts, deleted] = await runScript<[Buffer, [Buffer, Buffer[]][], number[], Buffer[]]>(
        this.client,
        Scripts.claimIdle,
        [keys.stream],
        [keys.group, consumer, Math.max(0, Math.floor(minIdleMs)), cursor, count],
        true,
      );
      const entries: DeliveredEntry[] = toEntries(raw).map((e, i) => ({ ...e, deliveries: Number(counts[i] ?? 1) }));
      return { entries, deleted: (deleted ?? []).map((d) => d.toString()), next: next.toString() };
    });
  }

  async claimOne(keys: QueueKeys, consumer: string, id: string, minIdleMs: number): Promise<ClaimOne> {
    return this.run(`claiming entry ${id} of ${keys.stream}`, async () => {
      const reply = await runScript<[number, [Buffer, Buffer[]]?, number?]>(
        this.client,
        Scripts.claimOne,
        [keys.stream],
        [keys.group, consumer, Math.max(0, Math.floor(minIdleMs)), id],
        true,
      );
      const status = Number(reply[0]);
      if (status === 1) return { status: "deleted" } as const;
      if (status !== 2 || !reply[1]) return { status: "gone" } as const;
      const [entry] = toEntries([reply[1]]);
      return { status: "claimed", entry: { ...entry!, deliveries: Number(reply[2]) } } as const;
    });
  }

  async touch(keys: QueueKeys, consumer: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run(`keeping entries of ${keys.stream}`, () => runScript(this.client, Scripts.touch, [keys.stream], [keys.group, consumer, ...ids]));
  }

  async ack(keys: QueueKeys, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.run(`acknowledging entries of ${keys.stream}`, async () =>
      Number(await runScript(this.client, Scripts.ack, [keys.stream, keys.streamExpiry], [keys.group, ...ids])),
    );
  }

  async deadLetter(
    keys: QueueKeys,
    consumer: string,
    id: string,
    fields: readonly (string | Buffer)[],
    limits: StreamLimits,
  ): Promise<string | undefined> {
    return this.run(`moving entry ${id} of ${keys.stream} to ${keys.dlq}`, async () => {
      const reply = await this.write<string | null>(
        Scripts.deadLetter,
        [keys.stream, keys.dlq, keys.streamExpiry, keys.dlqMetadata],
        [keys.group, consumer, id, limits.maxLength, limits.trim, ...fields],
      );
      return reply ?? undefined;
    });
  }

  async requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], limits: StreamLimits): Promise<{ id: string; revived: boolean } | undefined> {
    return this.run(`requeueing entry ${id} of ${keys.dlq}`, async () => {
      const reply = await this.write<[string, number] | null>(
        Scripts.requeue,
        [keys.dlq, keys.stream, keys.dlqExpiry, keys.streamMetadata],
        [id, limits.maxLength, limits.trim, keys.group, ...fields],
      );
      if (reply && Number(reply[1]) === 1) this.revived([keys.stream]);
      return reply ? { id: String(reply[0]), revived: Number(reply[1]) === 1 } : undefined;
    });
  }

  async range(stream: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    return this.run(`reading ${stream}`, async () => toEntries((await this.client.xrangeBuffer(stream, start, end, "COUNT", count)) as unknown as [Buffer, Buffer[]][]));
  }

  async rangeReverse(stream: string, end: string, start: string, count: number): Promise<StreamEntry[]> {
    return this.run(`reading ${stream}`, async () => toEntries((await this.client.xrevrangeBuffer(stream, end, start, "COUNT", count)) as unknown as [Buffer, Buffer[]][]));
  }

  async readAfter(stream: string, after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    try {
      const reply = (await this.client.xreadBuffer("COUNT", count, "BLOCK", blockMs, "STREAMS", stream, after)) as [Buffer, [Buffer, Buffer[]][]][] | null;
      if (!reply || reply.length === 0) return [];
      return toEntries(reply[0]![1]);
    } catch (error) {
      throw redisFailure(error, `reading ${stream}`, this.where);
    }
  }

  async lastId(stream: string): Promise<string | undefined> {
    return this.run(`reading ${stream}`, async () => {
      const [newest] = (await this.client.xrevrange(stream, "+", "-", "COUNT", 1)) as [string, string[]][];
      return newest?.[0];
    });
  }

  async deleteEntries(stream: string, ids: readonly string[], group?: string): Promise<number> {
    if (ids.length === 0) return 0;
    return this.run(`deleting entries of ${stream}`, async () => {
      const tx = this.client.multi();
      if (group !== undefined) tx.xack(stream, group, ...ids);
      tx.xdel(stream, ...ids).zrem(stream + ":expiry", ...ids);
      const results = (await tx.exec()) ?? [];
      const [error, deleted] = results[group !== undefined ? 1 : 0] ?? [new Error("the deletion was not executed"), 0];
      if (error) throw error;
      return Number(deleted);
    });
  }

  async info(keys: QueueKeys): Promise<QueueInfo> {
    return this.run(`reading the counts of ${keys.stream}`, async () => {
      const [streamInfo, groups, dlqLength, counters] = await Promise.all([
        this.client.xinfo("STREAM", keys.stream).catch((e: unknown) => (isError(e, "no such key") ? null : Promise.reject(e))),
        this.client.xinfo("GROUPS", keys.stream).catch((e: unknown) => (isError(e, "no such key") ? [] : Promise.reject(e))),
        this.client.xlen(keys.dlq),
        this.client.hmget(keys.streamMetadata, "resets", "trimmed_unread"),
      ]);
      const stream = streamInfo ? flatToObject(streamInfo as unknown[]) : {};
      const group = (groups as unknown[][]).map(flatToObject).find((g) => g["name"] === keys.group);
      const first = stream["first-entry"] as [string, unknown] | null | undefined;
      const lag = group?.["lag"];
      return {
        name: keys.name,
        stream: keys.stream,
        length: Number(stream["length"] ?? 0),
        pending: Number(group?.["pending"] ?? 0),
        consumers: Number(group?.["consumers"] ?? 0),
        lag: lag === null || lag === undefined ? null : Number(lag),
        dlqLength: Number(dlqLength),
        oldestAgeMs: first ? Math.max(0, Date.now() - idTime(String(first[0]))) : null,
        resets: Number(counters[0] ?? 0),
        trimmedUnread: Number(counters[1] ?? 0),
      };
    });
  }

  async setSubscription(prefix: string, service: string, eventTypes: readonly string[] | null): Promise<void> {
    await this.run(`recording the subscription of ${service}`, async () => {
      if (eventTypes === null) await this.client.hdel(subscriptionsKey(prefix), service);
      else await this.client.hset(subscriptionsKey(prefix), service, JSON.stringify(eventTypes));
    });
  }

  async subscriptions(prefix: string): Promise<Map<string, string[]>> {
    return this.run(`reading the subscriptions of ${prefix}`, async () => readSubscriptions(Object.entries(await this.client.hgetall(subscriptionsKey(prefix)))));
  }

  async schemaVersions(prefix: string, fullName: string): Promise<StoredSchema[]> {
    return this.run(`reading the schema of ${fullName}`, async () => {
      const raw = await this.client.hgetallBuffer(schemaKey(prefix, fullName, this.layout));
      return readSchemaHash(new Map(Object.entries(raw)));
    });
  }

  async addSchemaVersion(prefix: string, fullName: string, expectedLatest: number, schema: NewSchema): Promise<SchemaAdded> {
    return this.run(`registering the schema of ${fullName}`, async () => {
      const [version, flag] = await runScript<[number, number]>(this.client, Scripts.addSchema, [schemaKey(prefix, fullName, this.layout), schemaIndexKey(prefix, this.layout)], [
        fullName,
        expectedLatest,
        schema.fingerprint,
        Buffer.from(schema.descriptorSet),
        formatPythonFloat(schema.registeredAt),
        schema.forced ? 1 : 0,
      ]);
      if (version === -1) return { outcome: "conflict", latest: Number(flag) };
      return { outcome: flag === 1 ? "added" : "exists", version: Number(version) };
    });
  }

  async schemaTypes(prefix: string): Promise<string[]> {
    return this.run(`listing the schemas of ${prefix}`, async () => (await this.client.smembers(schemaIndexKey(prefix, this.layout))).sort());
  }

  async route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], limits: StreamLimits): Promise<RouteResult> {
    if (entries.length === 0) return { entries: [], revived: [] };
    if (!this.crossQueueAtomic) return this.routeApart(keys, consumer, entries, limits);
    return this.run(`routing entries of ${keys.stream}`, async () => {
      const args: Arg[] = [keys.group, consumer, keys.prefix, limits.maxLength, limits.trim, formatPythonFloat(Date.now() / 1000)];
      for (const e of entries) {
        args.push(e.id, e.eventType, e.expireAt === null ? "" : formatPythonFloat(e.expireAt), e.fields.length, ...e.fields);
      }
      const [out, revived] = await this.write<[(number | [number, number])[], string[]]>(
        Scripts.route,
        [keys.stream, subscriptionsKey(keys.prefix), keys.streamExpiry, keys.dlq],
        args,
      );
      this.revived(revived);
      return {
        entries: out.map((r) => (Array.isArray(r) ? { copies: Number(r[0]), parked: Number(r[1]) } : -1)),
        revived: revived.map(String),
      };
    });
  }

  /**
   * Routing where no one script reaches every destination (a cluster): the
   * entries still pending to `consumer`, then per destination one script
   * call with all its copies (the destinations in parallel, each in its own
   * slot), then the acknowledgement of the entries whose copies are all
   * made. A destination that failed fails the call; the ones that took
   * their copies are remembered here and recorded with the shared queue
   * (its `:routing` hash, in its slot), and not written again when the
   * entries are routed again, by this router or by another that reclaimed
   * them; the record is deleted once the entries are acknowledged.
   */
  private async routeApart(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], limits: StreamLimits): Promise<RouteResult> {
    const what = `routing entries of ${keys.stream}`;
    // Every argument checked before anything is written, as the scripts check them (with Redis's words).
    const refuse = (message: string): never => {
      throw new TransportError("redis-refused", `Redis at ${this.where} refused ${what}: ${message}`);
    };
    if (!Number.isSafeInteger(limits.maxLength)) refuse("ERR value is not an integer or out of range");
    if (limits.maxLength < 0) refuse("ERR The MAXLEN argument must be >= 0.");
    for (const e of entries) {
      if (e.fields.length < 2 || e.fields.length % 2 !== 0) refuse("ERR wrong number of arguments for 'xadd' command");
      if (e.expireAt !== null && Number.isNaN(e.expireAt)) refuse("ERR value is not a valid float");
    }
    const progressKey = routingProgressKey(keys);
    const [owned, recorded] = await this.run(what, () =>
      runScript<[number[], (string | null)[]]>(this.client, Scripts.owned, [keys.stream, progressKey], [keys.group, consumer, ...entries.map((e) => e.id)]),
    );
    // an entry listed twice is routed once
    const listed = new Set<string>();
    entries.forEach((e, i) => {
      if (listed.has(e.id)) owned[i] = 0;
      listed.add(e.id);
    });
    const subscriptions = await this.run(`reading the subscriptions of ${keys.prefix}`, () => this.client.hgetall(subscriptionsKey(keys.prefix)));
    const wants: [string, Set<string>][] = [];
    for (const [service, json] of Object.entries(subscriptions)) {
      const types = subscribedTypes(json);
      if (types) wants.push([subscriptionQueue(service), types]);
    }
    const now = formatPythonFloat(Date.now() / 1000);
    // per destination queue: the positions of the entries it gets a copy of
    const copies = new Map<string, number[]>();
    /** Per entry, the destinations that had their copy before this call (this router's memory and the progress recorded in Redis). */
    const before: number[] = [];
    /** Per entry, how many destinations the progress recorded in Redis lists. */
    const stored: number[] = [];
    /** Entries whose progress is recorded in Redis, to be deleted once they are acknowledged. */
    const inRedis: string[] = [];
    entries.forEach((e, i) => {
      before[i] = 0;
      stored[i] = 0;
      if (Number(owned[i]) !== 1) return;
      const key = `${keys.stream} ${e.id}`;
      let done = this.routed.get(key);
      const fromRedis = readProgress(recorded[i]);
      stored[i] = fromRedis.length;
      if (fromRedis.length > 0) {
        inRedis.push(e.id);
        done = this.progressOf(key);
        for (const queue of fromRedis) done.add(queue);
      }
      before[i] = done?.size ?? 0;
      const type = shortName(e.eventType);
      for (const [queue, types] of wants) {
        if ((!types.has("*") && !types.has(type)) || done?.has(queue)) continue;
        const at = copies.get(queue);
        if (at === undefined) copies.set(queue, [i]);
        else at.push(i);
      }
    });
    const counts = entries.map(() => ({ copies: 0, parked: 0 }));
    // (in the order of the destinations, whichever call ends first)
    const revivedBy = new Map<string, string>();
    const failures: unknown[] = [];
    await Promise.all(
      [...copies].map(async ([queue, at]) => {
        const d = queueKeys(keys.prefix, queue, this.layout);
        try {
          const args: Arg[] = [d.group, queue, limits.maxLength, limits.trim, now];
          for (const i of at) {
            const e = entries[i]!;
            args.push(e.expireAt === null ? "" : formatPythonFloat(e.expireAt), e.fields.length, ...e.fields);
          }
          const [out, back, bad] = await this.run(`copying entries of ${keys.stream} to ${d.stream}`, () =>
            this.write<[number[], number, string[]]>(Scripts.copy, [d.stream, d.streamExpiry, d.streamMetadata, d.dlq], args),
          );
          if (Number(back) === 1) {
            revivedBy.set(queue, d.stream);
            this.revived([d.stream]);
          }
          const lost: [number, string][] = [];
          at.forEach((i, j) => {
            const r = Number(out[j]);
            if (r === 1) counts[i]!.copies++;
            else if (r === 0) counts[i]!.parked++;
            else lost.push([i, String(bad[j])]);
          });
          // Neither the destination nor its DLQ can take them: parked in the shared queue's DLQ.
          if (lost.length > 0) {
            await this.run(`parking copies for ${d.stream} in ${keys.dlq}`, async () => {
              const tx = this.client.multi();
              for (const [i, why] of lost) {
                tx.xadd(keys.dlq, "*", ...parkedFields(entries[i]!.fields, Date.now() / 1000, `undeliverable: the copy for ${queue} cannot be written (${why})`));
              }
              for (const [error] of (await tx.exec()) ?? []) if (error) throw error;
            });
            for (const [i] of lost) counts[i]!.parked++;
          }
          for (const i of at) this.progressOf(`${keys.stream} ${entries[i]!.id}`).add(queue);
        } catch (error) {
          failures.push(error);
        }
      }),
    );
    if (failures.length > 0) {
      // What was copied is recorded with the shared queue, for whichever router routes these entries again.
      const fields: string[] = [];
      entries.forEach((e, i) => {
        const done = Number(owned[i]) === 1 ? this.routed.get(`${keys.stream} ${e.id}`) : undefined;
        if (done !== undefined && done.size > stored[i]!) fields.push(e.id, JSON.stringify([...done]));
      });
      if (fields.length > 0) {
        // (when the shared queue's master cannot take it, this router's memory still has it)
        await this.run(`recording the routing progress of ${keys.stream}`, () => this.client.hset(progressKey, ...fields)).catch(() => {});
      }
      throw redisFailure(failures[0], what, this.where);
    }
    const acked = entries.filter((_, i) => Number(owned[i]) === 1).map((e) => e.id);
    await this.ack(keys, acked);
    for (const id of acked) this.routed.delete(`${keys.stream} ${id}`);
    if (inRedis.length > 0) await this.run(`deleting the routing progress of ${keys.stream}`, () => this.client.hdel(progressKey, ...inRedis)).catch(() => {});
    const out: Routed[] = entries.map((_, i) => {
      if (Number(owned[i]) !== 1) return -1;
      // copies made on an earlier try count too
      return { copies: counts[i]!.copies + before[i]!, parked: counts[i]!.parked };
    });
    const revived = [...copies.keys()].filter((q) => revivedBy.has(q)).map((q) => revivedBy.get(q)!);
    return { entries: out, revived };
  }

  /** The destinations this router knows to have their copy of a shared-queue entry (`stream id`), made empty when there is none. */
  private progressOf(key: string): Set<string> {
    let done = this.routed.get(key);
    if (done === undefined) {
      if (this.routed.size >= MAX_ROUTING_PROGRESS) this.routed.clear();
      this.routed.set(key, (done = new Set()));
    }
    return done;
  }

  async partitions(keys: QueueKeys): Promise<PartitionCount> {
    return this.run(`reading the partitions of ${keys.stream}`, async () => {
      const [count, highest] = await this.client.hmget(keys.streamMetadata, PartitionField.count, PartitionField.highest);
      return partitionCount(count, highest);
    });
  }

  async setPartitions(keys: QueueKeys, count: number): Promise<PartitionCount> {
    checkPartitionCount(count);
    return this.run(`recording the partitions of ${keys.stream}`, async () => {
      const [c, h] = await runScript<[number, number]>(this.client, Scripts.setPartitions, [keys.streamMetadata], [count]);
      return { count: Number(c), highest: Number(h) };
    });
  }

  async pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number> {
    return this.run(`pruning the consumers of ${keys.stream}`, async () => Number(await runScript(this.client, Scripts.prune, [keys.stream], [keys.group, minIdleMs, keep])));
  }

  async leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean> {
    return this.run(`leaving the group of ${keys.stream}`, async () => Number(await runScript(this.client, Scripts.leave, [keys.stream], [keys.group, consumer])) === 1);
  }

  async forBlockingReads(): Promise<EntryStore> {
    // A name of its own, so that it can be found (and woken) from another connection.
    const name = `eventwire-reader-${randomBytes(6).toString("hex")}`;
    // (no command timeout: a blocking read waits as long as it asks to)
    const own = { maxRetriesPerRequest: null, connectionName: name, commandTimeout: undefined };
    const duplicate: RedisClient = this.client.isCluster
      ? (this.client as Cluster).duplicate(undefined, { lazyConnect: true, redisOptions: { ...(this.client as Cluster).options.redisOptions, ...own } } as never)
      : (this.client as Redis).duplicate({ ...own, lazyConnect: true } as never);
    duplicate.on("error", () => {});
    try {
      await duplicate.connect();
    } catch (error) {
      duplicate.disconnect();
      throw redisFailure(error, "opening a connection for blocking reads", this.where);
    }
    duplicate.options.enableOfflineQueue = false;
    this.duplicates.push(duplicate);
    const reader = new RedisStore(duplicate, "disconnect", { commandTimeoutMs: this.timeoutMs, where: this.where });
    reader.unblock = async () => {
      // (on a cluster, the reader's connection is on whichever master serves the stream it reads)
      const nodes: Redis[] = this.client.isCluster ? (this.client as Cluster).nodes("master") : [this.client as Redis];
      await Promise.all(
        nodes.map(async (node) => {
          const list = String(await node.call("CLIENT", "LIST", "TYPE", "normal"));
          for (const line of list.split("\n").filter((l) => l.includes(` name=${name} `))) {
            const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
            if (id !== undefined) await node.client("UNBLOCK", id);
          }
        }),
      );
    };
    return reader;
  }

  private unblock: (() => Promise<void>) | undefined;

  async wake(_consumer: string): Promise<void> {
    await this.unblock?.().catch(() => {});
  }

  /** Closes the connections: at once when Redis does not answer within a second. */
  async close(): Promise<void> {
    // (a second disconnect of a closed connection would hold the process for ioredis's disconnect timeout)
    for (const d of this.duplicates.splice(0)) {
      if (d.status !== "end") d.disconnect();
      stopRefreshing(d);
    }
    if (this.owned === "disconnect" && this.client.status !== "end") this.client.disconnect();
    else if (this.owned === "quit" && this.client.status !== "end") {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.client.quit(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("no answer")), Math.min(1000, this.timeoutMs));
          }),
        ]);
      } catch {
        this.client.disconnect();
      } finally {
        clearTimeout(timer);
      }
    }
    if (this.owned !== false) stopRefreshing(this.client);
  }
}

/** The versions in a schema hash (see `schemaKey`), oldest first; fields of a version that is incomplete are skipped. */
export function readSchemaHash(fields: ReadonlyMap<string, Buffer>): StoredSchema[] {
  const latest = Number(fields.get(SchemaField.latest)?.toString() ?? "0");
  const out: StoredSchema[] = [];
  for (let v = 1; v <= latest; v++) {
    const set = fields.get(SchemaField.set(v));
    const fingerprint = fields.get(SchemaField.fingerprint(v))?.toString();
    if (set === undefined || fingerprint === undefined) continue;
    out.push({
      version: v,
      fingerprint,
      descriptorSet: new Uint8Array(set),
      registeredAt: Number(fields.get(SchemaField.registeredAt(v))?.toString() ?? "0"),
      forced: fields.get(SchemaField.forced(v))?.toString() === "1",
    });
  }
  return out;
}
