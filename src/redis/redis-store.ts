/**
 * The entry store on Redis, through ioredis: each operation one command or
 * one Lua script (see scripts.ts), in LeanMQ's key layout.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { formatPythonFloat } from "../index.js";
import { EntryField, queueNames, readSubscriptions, subscriptionsKey, type QueueKeys } from "../transport/leanmq/keys.js";
import type { ClaimOne, ClaimResult, DeliveredEntry, EntryStore, OutgoingEntry, QueueInfo, RouteEntry, StreamEntry } from "../transport/index.js";
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

/** {@link EntryStore} on Redis, through ioredis. */
export class RedisStore implements EntryStore {
  private readonly client: Redis;
  private readonly ensured = new Set<string>();
  private readonly owned: "quit" | "disconnect" | false;
  private readonly duplicates: Redis[] = [];

  /** `owned`: how {@link close} closes the client (`quit` waits for replies under way), or `false` to leave it open. */
  constructor(client: Redis, owned: "quit" | "disconnect" | false) {
    defineScripts(client);
    this.client = client;
    this.owned = owned;
  }

  /** The ioredis client, for operations eventwire does not wrap. */
  get redis(): Redis {
    return this.client;
  }

  async ensureQueue(keys: QueueKeys): Promise<void> {
    if (this.ensured.has(keys.stream)) return;
    const now = formatPythonFloat(Date.now() / 1000);
    for (const [stream, group] of [
      [keys.stream, keys.group],
      [keys.dlq, keys.dlqGroup],
    ] as const) {
      try {
        await this.client.xgroup("CREATE", stream, group, "$", "MKSTREAM");
      } catch (error) {
        if (!isError(error, "BUSYGROUP")) throw error;
      }
    }
    await this.client
      .multi()
      .sadd(keys.registry, keys.stream, keys.dlq)
      .hsetnx(keys.streamMetadata, "created_at", now)
      .hset(keys.streamMetadata, "dlq", keys.dlq, "consumer_group", keys.group)
      .hsetnx(keys.dlqMetadata, "created_at", now)
      .hset(keys.dlqMetadata, "main_queue", keys.stream, "consumer_group", keys.dlqGroup, "is_dlq", "true")
      .exec();
    this.ensured.add(keys.stream);
  }

  /** Forgets which queues were created (after Redis lost its data, say), so they are created again. */
  forgetQueues(): void {
    this.ensured.clear();
  }

  async hasQueue(keys: QueueKeys): Promise<boolean> {
    return (await this.client.sismember(keys.registry, keys.stream)) === 1;
  }

  async listQueues(prefix: string): Promise<string[]> {
    return queueNames(await this.client.smembers(prefix + "registry"), prefix);
  }

  async append(entries: readonly OutgoingEntry[], atomic: boolean, maxLength: number): Promise<string[]> {
    if (entries.length === 0) return [];
    if (atomic) {
      const keys: string[] = [];
      const args: Arg[] = [maxLength];
      for (const e of entries) {
        keys.push(e.stream, e.stream + ":expiry");
        args.push(e.fields.length, ...e.fields, e.expireAt === null ? "" : formatPythonFloat(e.expireAt));
      }
      return runScript<string[]>(this.client, Scripts.append, keys, args);
    }
    if (entries.length === 1) {
      const [e] = entries;
      if (e!.expireAt === null) return [String(await this.client.xadd(e!.stream, "MAXLEN", "~", maxLength, "*", ...e!.fields))];
      return runScript<string[]>(this.client, Scripts.append, [e!.stream, e!.stream + ":expiry"], [maxLength, e!.fields.length, ...e!.fields, formatPythonFloat(e!.expireAt)]);
    }
    // Many entries: one script call per chunk, the chunks sent one after the
    // other without waiting, so that Redis works on one while the next is sent.
    const calls: Promise<string[]>[] = [];
    for (let i = 0; i < entries.length; i += APPEND_CHUNK) calls.push(this.appendMany(entries.slice(i, i + APPEND_CHUNK), maxLength));
    const results = await Promise.all(calls);
    return results.length === 1 ? results[0]! : results.flat();
  }

  private appendMany(entries: readonly OutgoingEntry[], maxLength: number): Promise<string[]> {
    const streams: string[] = [];
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
      let k = streams.indexOf(e.stream);
      if (k < 0) k = streams.push(e.stream) - 1;
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
    const keys = [...streams, ...streams.map((s) => s + ":expiry")];
    return runScript<string[]>(this.client, Scripts.appendPacked, keys, [maxLength, lengths, blob.subarray(0, pos)]);
  }

  async readNew(keys: QueueKeys, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
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
  }

  async claimIdle(keys: QueueKeys, consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ClaimResult> {
    const [next, raw, counts, deleted] = await runScript<[Buffer, [Buffer, Buffer[]][], number[], Buffer[]]>(
      this.client,
      Scripts.claimIdle,
      [keys.stream],
      [keys.group, consumer, Math.max(0, Math.floor(minIdleMs)), cursor, count],
      true,
    );
    const entries: DeliveredEntry[] = toEntries(raw).map((e, i) => ({ ...e, deliveries: Number(counts[i] ?? 1) }));
    return { entries, deleted: (deleted ?? []).map((d) => d.toString()), next: next.toString() };
  }

  async claimOne(keys: QueueKeys, consumer: string, id: string, minIdleMs: number): Promise<ClaimOne> {
    const reply = await runScript<[number, [Buffer, Buffer[]]?, number?]>(
      this.client,
      Scripts.claimOne,
      [keys.stream],
      [keys.group, consumer, Math.max(0, Math.floor(minIdleMs)), id],
      true,
    );
    const status = Number(reply[0]);
    if (status === 1) return { status: "deleted" };
    if (status !== 2 || !reply[1]) return { status: "gone" };
    const [entry] = toEntries([reply[1]]);
    return { status: "claimed", entry: { ...entry!, deliveries: Number(reply[2]) } };
  }

  async touch(keys: QueueKeys, consumer: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await runScript(this.client, Scripts.touch, [keys.stream], [keys.group, consumer, ...ids]);
  }

  async ack(keys: QueueKeys, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(await runScript(this.client, Scripts.ack, [keys.stream, keys.streamExpiry], [keys.group, ...ids]));
  }

  async deadLetter(
    keys: QueueKeys,
    consumer: string,
    id: string,
    fields: readonly (string | Buffer)[],
    maxLength: number,
  ): Promise<string | undefined> {
    const reply = await runScript<string | null>(this.client, Scripts.deadLetter, [keys.stream, keys.dlq, keys.streamExpiry], [keys.group, consumer, id, maxLength, ...fields]);
    return reply ?? undefined;
  }

  async requeue(keys: QueueKeys, id: string, fields: readonly (string | Buffer)[], maxLength: number): Promise<string | undefined> {
    const reply = await runScript<string | null>(this.client, Scripts.requeue, [keys.dlq, keys.stream, keys.dlqExpiry], [id, maxLength, ...fields]);
    return reply ?? undefined;
  }

  async range(stream: string, start: string, end: string, count: number): Promise<StreamEntry[]> {
    const reply = (await this.client.xrangeBuffer(stream, start, end, "COUNT", count)) as unknown as [Buffer, Buffer[]][];
    return toEntries(reply);
  }

  async rangeReverse(stream: string, end: string, start: string, count: number): Promise<StreamEntry[]> {
    const reply = (await this.client.xrevrangeBuffer(stream, end, start, "COUNT", count)) as unknown as [Buffer, Buffer[]][];
    return toEntries(reply);
  }

  async readAfter(stream: string, after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const reply = (await this.client.xreadBuffer("COUNT", count, "BLOCK", blockMs, "STREAMS", stream, after)) as [Buffer, [Buffer, Buffer[]][]][] | null;
    if (!reply || reply.length === 0) return [];
    return toEntries(reply[0]![1]);
  }

  async lastId(stream: string): Promise<string | undefined> {
    const [newest] = (await this.client.xrevrange(stream, "+", "-", "COUNT", 1)) as [string, string[]][];
    return newest?.[0];
  }

  async deleteEntries(stream: string, ids: readonly string[], group?: string): Promise<number> {
    if (ids.length === 0) return 0;
    const tx = this.client.multi();
    if (group !== undefined) tx.xack(stream, group, ...ids);
    tx.xdel(stream, ...ids).zrem(stream + ":expiry", ...ids);
    const results = (await tx.exec()) ?? [];
    const [error, deleted] = results[group !== undefined ? 1 : 0] ?? [new Error("the deletion was not executed"), 0];
    if (error) throw error;
    return Number(deleted);
  }

  async info(keys: QueueKeys): Promise<QueueInfo> {
    const [streamInfo, groups, dlqLength] = await Promise.all([
      this.client.xinfo("STREAM", keys.stream).catch((e: unknown) => (isError(e, "no such key") ? null : Promise.reject(e))),
      this.client.xinfo("GROUPS", keys.stream).catch((e: unknown) => (isError(e, "no such key") ? [] : Promise.reject(e))),
      this.client.xlen(keys.dlq),
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
    };
  }

  async setSubscription(prefix: string, service: string, eventTypes: readonly string[] | null): Promise<void> {
    if (eventTypes === null) await this.client.hdel(subscriptionsKey(prefix), service);
    else await this.client.hset(subscriptionsKey(prefix), service, JSON.stringify(eventTypes));
  }

  async subscriptions(prefix: string): Promise<Map<string, string[]>> {
    const raw = await this.client.hgetall(subscriptionsKey(prefix));
    return readSubscriptions(Object.entries(raw));
  }

  async route(keys: QueueKeys, consumer: string, entries: readonly RouteEntry[], maxLength: number): Promise<number[]> {
    if (entries.length === 0) return [];
    const args: Arg[] = [keys.group, consumer, keys.prefix, maxLength];
    for (const e of entries) {
      args.push(e.id, e.eventType, e.expireAt === null ? "" : formatPythonFloat(e.expireAt), e.fields.length, ...e.fields);
    }
    const reply = await runScript<number[]>(this.client, Scripts.route, [keys.stream, subscriptionsKey(keys.prefix), keys.streamExpiry], args);
    return reply.map(Number);
  }

  async pruneConsumers(keys: QueueKeys, minIdleMs: number, keep: string): Promise<number> {
    return Number(await runScript(this.client, Scripts.prune, [keys.stream], [keys.group, minIdleMs, keep]));
  }

  async leaveGroup(keys: QueueKeys, consumer: string): Promise<boolean> {
    return Number(await runScript(this.client, Scripts.leave, [keys.stream], [keys.group, consumer])) === 1;
  }

  async forBlockingReads(): Promise<EntryStore> {
    // A name of its own, so that it can be found (and woken) from another connection.
    const name = `eventwire-reader-${randomBytes(6).toString("hex")}`;
    const duplicate = this.client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true, connectionName: name });
    duplicate.on("error", () => {});
    await duplicate.connect();
    this.duplicates.push(duplicate);
    const reader = new RedisStore(duplicate, "disconnect");
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

  async close(): Promise<void> {
    // (a second disconnect of a closed connection would hold the process for ioredis's disconnect timeout)
    for (const d of this.duplicates.splice(0)) if (d.status !== "end") d.disconnect();
    if (this.owned === "disconnect" && this.client.status !== "end") this.client.disconnect();
    else if (this.owned === "quit") {
      try {
        await this.client.quit();
      } catch {
        this.client.disconnect();
      }
    }
  }
}
