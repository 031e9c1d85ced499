/**
 * The entry store on Redis, through ioredis: each operation one command or
 * one Lua script (see scripts.ts), in LeanMQ's key layout.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { formatPythonFloat } from "../index.js";
import { EntryField, queueNames, readSubscriptions, SchemaField, schemaIndexKey, schemaKey, subscriptionsKey, type QueueKeys } from "../transport/leanmq/keys.js";
import type {
  AppendResult,
  ClaimOne,
  ClaimResult,
  DeliveredEntry,
  EntryStore,
  NewSchema,
  OutgoingEntry,
  QueueInfo,
  RouteEntry,
  RouteResult,
  SchemaAdded,
  StoredSchema,
  StreamEntry,
  StreamLimits,
} from "../transport/index.js";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "./connection.js";
import { isReplyError, redisFailure, wasNotSent } from "./errors.js";
import { defineScripts, runScript, Scripts, type ScriptArg } from "./scripts.js";

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

/** How a store talks to its client. */
export interface RedisStoreOptions {
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
  private readonly client: Redis;
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
  private readonly duplicates: Redis[] = [];
  private readonly timeoutMs: number;
  private readonly where: string;

  /** `owned`: how {@link close} closes the client (`quit` waits for replies under way), or `false` to leave it open. */
  constructor(client: Redis, owned: "quit" | "disconnect" | false, options: RedisStoreOptions = {}) {
    defineScripts(client);
    this.client = client;
    this.owned = owned;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.where = options.where ?? "Redis";
    // After a reconnection nothing known about the server holds: it may have restarted empty.
    client.on("reconnecting", () => this.ensured.clear());
  }

  /** The ioredis client, for operations eventwire does not wrap. */
  get redis(): Redis {
    return this.client;
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
        if (wasNotSent(error) && Date.now() + wait < deadline) {
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
      const tx = this.client
        .multi()
        .sadd(keys.registry, keys.stream, keys.dlq)
        .hsetnx(keys.streamMetadata, "created_at", now)
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
    if (atomic || entries.length === 1) {
      return this.run(what, async () => {
        const keys: string[] = [];
        const args: Arg[] = [limits.maxLength, limits.trim];
        for (const e of entries) {
          keys.push(e.keys.stream, e.keys.streamExpiry, e.keys.streamMetadata);
          args.push(e.keys.group, e.fields.length, ...e.fields, e.expireAt === null ? "" : formatPythonFloat(e.expireAt));
        }
        return this.appended(entries, await runScript<[string[], string[], number]>(this.client, Scripts.append, keys, args));
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
    const reply = await runScript<[string[], string[], number]>(this.client, Scripts.appendPacked, keys, [
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
      const reply = await runScript<string | null>(
        this.client,
        Scripts.deadLetter,
        [keys.stream, keys.dlq, keys.streamExpiry, keys.dlqMetadata],
        [keys.group, consumer, id, limits.maxLength, limits.trim, ...fields],
      );
      return reply ?? undefined;
    });
  }

  async requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], limits: StreamLimits): Promise<{ id: string; revived: boolean } | undefined> {
    return this.run(`requeueing entry ${id} of ${keys.dlq}`, async () => {
      const reply = await runScript<[string, number] | null>(
        this.client,
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
      const raw = await this.client.hgetallBuffer(schemaKey(prefix, fullName));
      return readSchemaHash(new Map(Object.entries(raw)));
    });
  }

  async addSchemaVersion(prefix: string, fullName: string, expectedLatest: number, schema: NewSchema): Promise<SchemaAdded> {
    return this.run(`registering the schema of ${fullName}`, async () => {
      const [version, flag] = await runScript<[number, number]>(this.client, Scripts.addSchema, [schemaKey(prefix, fullName), schemaIndexKey(prefix)], [
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
    return this.run(`listing the schemas of ${prefix}`, async () => (await this.client.smembers(schemaIndexKey(prefix))).sort());
  }

  async route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], limits: StreamLimits): Promise<RouteResult> {
    if (entries.length === 0) return { entries: [], revived: [] };
    return this.run(`routing entries of ${keys.stream}`, async () => {
      const args: Arg[] = [keys.group, consumer, keys.prefix, limits.maxLength, limits.trim, formatPythonFloat(Date.now() / 1000)];
      for (const e of entries) {
        args.push(e.id, e.eventType, e.expireAt === null ? "" : formatPythonFloat(e.expireAt), e.fields.length, ...e.fields);
      }
      const [out, revived] = await runScript<[(number | [number, number])[], string[]]>(
        this.client,
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
    const duplicate = this.client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true, connectionName: name, commandTimeout: undefined } as never);
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
      const list = String(await this.client.call("CLIENT", "LIST", "TYPE", "normal"));
      const line = list.split("\n").find((l) => l.includes(` name=${name} `));
      const id = line ? /(?:^|\s)id=(\d+)/.exec(line)?.[1] : undefined;
      if (id !== undefined) await this.client.client("UNBLOCK", id);
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
    for (const d of this.duplicates.splice(0)) if (d.status !== "end") d.disconnect();
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
