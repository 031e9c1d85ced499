/**
 * The Python side of the LeanMQ tests: `test/python/leanmq_model.py`, a model
 * of LeanMQ's Redis behaviour and of the seed's event classes, run with
 * Debian's `/usr/bin/python3` and its `redis` package against the test's
 * private Redis. Plus what the tests share: the seed's events in both forms,
 * a frozen clock for eventwire, raw reads and dumps of Redis.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

const PYTHON = process.env["LEANMQ_MODEL_PYTHON"] ?? "/usr/bin/python3";
const MODEL = fileURLToPath(new URL("../python/leanmq_model.py", import.meta.url));

const HOW_TO_GET_PYTHON =
  "The LeanMQ interplay tests run a Python model of LeanMQ with Debian's python3 and its redis client: " +
  "apt-get install python3 python3-redis (or point LEANMQ_MODEL_PYTHON at a python3 that has `redis`).";

/** A float for the Python side: JSON alone would turn `20` into an int there. */
export interface PyFloatArg {
  readonly __float__: string;
}

/** Marks `value` to reach Python as a `float`. */
export function f(value: number): PyFloatArg {
  return { __float__: Object.is(value, -0) ? "-0.0" : String(value) };
}

/** JSON text with every non-ASCII code unit escaped, safe for argv whatever the locale. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** What to fix on the Python side for one call. */
export interface Fixed {
  /** What `time.time()` returns: one value, or one per call (the last one kept). */
  readonly time?: number | readonly number[];
  /** What `uuid4()` returns, in turn. */
  readonly uuids?: readonly string[];
}

/** One message as the model's `get_messages` returns it. */
export interface PyMessage {
  readonly id: string;
  /** The message's data, `_metadata` taken out (as parsed by JavaScript: floats and ints look alike). */
  readonly data: Record<string, unknown>;
  readonly metadata: { id: string; timestamp: number; ttl: number | null };
  readonly delivery_count: number;
  /** The `data` field as it is in Redis. */
  readonly raw: string;
  /** With `deserialize`: the seed's `deserialize_event(data)`, described. */
  readonly event?: {
    readonly class: string;
    readonly fields: Record<string, unknown>;
    /** Python type names of the fields: `float`, `int`, `str`, `list`. */
    readonly types: Record<string, string>;
    readonly item_types: Record<string, string>[];
  } | null;
}

/** The Python model, talking to the Redis at `redisUrl`. */
export class PythonLeanMQ {
  constructor(readonly redisUrl: string) {}

  /** Runs one command of the model and returns its JSON result; throws with the model's stderr when it fails. */
  call<T = unknown>(command: string, args: Record<string, unknown> = {}, fixed: Fixed = {}): T {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: this.redisUrl, PYTHONDONTWRITEBYTECODE: "1" };
    delete env["LEANMQ_MODEL_TIME"];
    delete env["LEANMQ_MODEL_UUIDS"];
    if (fixed.time !== undefined) env["LEANMQ_MODEL_TIME"] = JSON.stringify(fixed.time);
    if (fixed.uuids !== undefined) env["LEANMQ_MODEL_UUIDS"] = JSON.stringify(fixed.uuids);
    const json = asciiJson(args);
    const viaStdin = json.length > 16_000;
    const r = spawnSync(PYTHON, [MODEL, command, viaStdin ? "-" : json], {
      env,
      encoding: "utf8",
      timeout: 20_000,
      ...(viaStdin ? { input: json } : {}),
    });
    if (r.error) throw new Error(`${PYTHON} could not be run (${r.error.message}). ${HOW_TO_GET_PYTHON}`);
    if (r.status === 3) throw new Error(`${r.stderr.trim()}. ${HOW_TO_GET_PYTHON}`);
    if (r.status !== 0) throw new Error(`leanmq_model.py ${command} failed (status ${r.status}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Fails with install instructions unless python3 and its redis client are there. */
  check(): void {
    this.call("check");
  }

  createQueuePair(prefix: string, queue: string, fixed: Fixed = {}): void {
    this.call("create_queue_pair", { prefix, queue }, fixed);
  }

  /** `send_message(serialize_event(e), message_id, ttl)` for each event spec; returns the stream ids. */
  sendEvents(
    prefix: string,
    queue: string,
    events: readonly PySpec[],
    options: { messageIds?: readonly string[]; ttl?: number } & Fixed = {},
  ): string[] {
    const { messageIds, ttl, ...fixed } = options;
    return this.call<{ ids: string[] }>("send_events", { prefix, queue, events, message_ids: messageIds ?? [], ttl: ttl ?? null }, fixed).ids;
  }

  /** `send_message(data, message_id, ttl)`; returns the stream id. */
  sendMessage(prefix: string, queue: string, data: Record<string, unknown>, options: { messageId?: string; ttl?: number } & Fixed = {}): string {
    const { messageId, ttl, ...fixed } = options;
    return this.call<{ id: string }>("send_message", { prefix, queue, data, message_id: messageId ?? null, ttl: ttl ?? null }, fixed).id;
  }

  getMessages(
    prefix: string,
    queue: string,
    options: { count?: number; dlq?: boolean; deserialize?: boolean; consumer?: string } & Fixed = {},
  ): PyMessage[] {
    const { count, dlq, deserialize, consumer, ...fixed } = options;
    return this.call<PyMessage[]>(
      "get_messages",
      { prefix, queue, count: count ?? 100, dlq: dlq ?? false, deserialize: deserialize ?? false, ...(consumer ? { consumer } : {}) },
      fixed,
    );
  }

  acknowledge(prefix: string, queue: string, ids: readonly string[]): number {
    return this.call<{ acknowledged: number }>("acknowledge", { prefix, queue, ids }).acknowledged;
  }

  moveToDlq(prefix: string, queue: string, ids: readonly string[], reason: string, fixed: Fixed = {}): string[] {
    return this.call<{ ids: string[] }>("move_to_dlq", { prefix, queue, ids, reason }, fixed).ids;
  }

  /** Records a Python service's subscription to eventwire's event bus: one `HSET <prefix>subscriptions`. */
  registerSubscription(prefix: string, service: string, eventTypes: readonly string[]): void {
    this.call("register_subscription", { prefix, service, event_types: eventTypes });
  }

  /** `requeue_messages(ids)` on the DLQ of `queue`; returns the new ids in the main queue. */
  requeueMessages(prefix: string, queue: string, ids: readonly string[], fixed: Fixed = {}): string[] {
    return this.call<{ ids: string[] }>("requeue_messages", { prefix, queue, dlq: true, ids }, fixed).ids;
  }
}

// --- the seed's events, in both forms -------------------------------------------------

/** An event as the Python model makes it: `event_type`, base fields and the seed's constructor arguments. */
export type PySpec = Record<string, unknown> & { readonly event_type: string };

/** One seed event: the Python spec and the same event made by eventwire. */
export interface SeedEvent {
  readonly spec: PySpec;
  readonly event: ShopEvent;
}

interface Base {
  readonly eventId: string;
  readonly timestamp: number;
}

export interface ItemInit {
  readonly product_id: string;
  readonly name: string;
  readonly price: number;
  readonly quantity: number;
}

export function orderCreated(base: Base, p: { order_id: string; user_id: string; total: number; items: readonly ItemInit[] }): SeedEvent {
  return {
    spec: {
      event_type: "OrderCreatedEvent",
      event_id: base.eventId,
      timestamp: f(base.timestamp),
      order_id: p.order_id,
      user_id: p.user_id,
      total: f(p.total),
      items: p.items.map((i) => ({ product_id: i.product_id, name: i.name, price: f(i.price), quantity: i.quantity })),
    },
    event: shopRegistry.create(
      "OrderCreatedEvent",
      {
        orderId: p.order_id,
        userId: p.user_id,
        total: p.total,
        items: p.items.map((i) => ({ productId: i.product_id, name: i.name, price: i.price, quantity: i.quantity })),
      },
      base,
    ),
  };
}

export function paymentProcessed(base: Base, p: { payment_id: string; order_id: string; amount: number; status: string }): SeedEvent {
  return {
    spec: {
      event_type: "PaymentProcessedEvent",
      event_id: base.eventId,
      timestamp: f(base.timestamp),
      payment_id: p.payment_id,
      order_id: p.order_id,
      amount: f(p.amount),
      status: p.status,
    },
    event: shopRegistry.create("PaymentProcessedEvent", { paymentId: p.payment_id, orderId: p.order_id, amount: p.amount, status: p.status }, base),
  };
}

export function orderShipped(base: Base, p: { order_id: string; tracking_number: string; carrier: string }): SeedEvent {
  return {
    spec: {
      event_type: "OrderShippedEvent",
      event_id: base.eventId,
      timestamp: f(base.timestamp),
      order_id: p.order_id,
      tracking_number: p.tracking_number,
      carrier: p.carrier,
    },
    event: shopRegistry.create("OrderShippedEvent", { orderId: p.order_id, trackingNumber: p.tracking_number, carrier: p.carrier }, base),
  };
}

/** The three seed events of one order, with awkward values: float sums, an integral float, unicode, quotes. */
export function seedEvents(n = 0): SeedEvent[] {
  const id = (k: number): string => `0b7a3c1e-2d4f-4a5b-8c6d-${(0x7e8f9a0b1c00 + n * 16 + k).toString(16).padStart(12, "0")}`;
  const items: ItemInit[] = [
    { product_id: "prod-1", name: 'Café "Crème" \\ ☕', price: 29.99, quantity: 2 },
    { product_id: "prod-2", name: "Notebook 𝄞 – A5\n", price: 9.99, quantity: 1 },
    { product_id: "prod-3", name: "Pen", price: 20, quantity: 3 },
  ];
  const total = items.reduce((sum, i) => sum + i.price * i.quantity, 0);
  const order = `order-${n}-ü`;
  return [
    orderCreated({ eventId: id(1), timestamp: 1732700000.123456 }, { order_id: order, user_id: "user-42", total, items }),
    paymentProcessed({ eventId: id(2), timestamp: 1732700001.5 }, { payment_id: `payment-${id(9)}`, order_id: order, amount: total, status: "succeeded" }),
    orderShipped({ eventId: id(3), timestamp: 1732700003 }, { order_id: order, tracking_number: "TRACK-1A2B3C4D", carrier: "DHL" }),
  ];
}

// --- eventwire's clock, Redis reads ------------------------------------------------------

/** Runs `fn` with `Date.now()` returning `ms`, so that eventwire's timestamps are fixed. */
export async function atTime<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

/** The raw entries of a stream: id and field → bytes. */
export async function rawEntries(redis: Redis, key: string): Promise<{ id: string; fields: Map<string, Buffer> }[]> {
  const reply = (await redis.xrangeBuffer(key, "-", "+")) as unknown as [Buffer, Buffer[]][];
  return reply.map(([id, flat]) => {
    const fields = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!.toString("utf8"), flat[i + 1]!);
    return { id: id.toString(), fields };
  });
}

/** The `data` field of each entry of a stream, as text. */
export async function dataOf(redis: Redis, key: string): Promise<string[]> {
  return (await rawEntries(redis, key)).map((e) => e.fields.get("data")?.toString("utf8") ?? "<no data field>");
}

function pairs(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** The consumer groups of a stream as `XINFO GROUPS` gives them. */
export async function groupsOf(redis: Redis, key: string): Promise<Record<string, unknown>[]> {
  return ((await redis.xinfo("GROUPS", key)) as unknown[][]).map(pairs);
}

/**
 * Everything in the current database, in a form two databases can be
 * compared in: stream ids replaced by `<stream>#<index>`, `created_at`
 * values by `<created_at>` (after checking they are Python float texts), and
 * stream entries' field values as text.
 */
export async function dumpDb(redis: Redis): Promise<Record<string, unknown>> {
  // (eventwire's own namespace under a prefix — the schema registry — is no part of LeanMQ's layout)
  const keys = (await redis.keys("*")).filter((k) => !/^[^:]*:eventwire:/.test(k)).sort();
  const idName = new Map<string, string>();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if ((await redis.type(key)) !== "stream") continue;
    const entries = await rawEntries(redis, key);
    entries.forEach((e, i) => idName.set(`${key} ${e.id}`, `${key}#${i}`));
  }
  const name = (stream: string, id: string): string => (id === "0-0" ? "0-0" : (idName.get(`${stream} ${id}`) ?? `${stream}#gone`));
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === "stream") {
      const entries = (await rawEntries(redis, key)).map((e) => ({
        id: name(key, e.id),
        fields: Object.fromEntries([...e.fields].map(([k, v]) => [k, v.toString("utf8")])),
      }));
      const groups = (await groupsOf(redis, key)).map((g) => ({
        name: g["name"],
        consumers: g["consumers"],
        pending: g["pending"],
        "last-delivered-id": name(key, String(g["last-delivered-id"])),
        "entries-read": g["entries-read"],
        lag: g["lag"],
      }));
      out[key] = { type, entries, groups };
    } else if (type === "set") {
      out[key] = { type, members: (await redis.smembers(key)).sort() };
    } else if (type === "hash") {
      const hash = await redis.hgetall(key);
      if ("created_at" in hash) {
        const v = hash["created_at"]!;
        if (!/^\d+\.\d+$/.test(v)) throw new Error(`${key} created_at is not a float text: ${v}`);
        hash["created_at"] = "<created_at>";
      }
      out[key] = { type, fields: hash };
    } else if (type === "zset") {
      const flat = await redis.zrange(key, "0", "-1", "WITHSCORES");
      const stream = key.endsWith(":expiry") ? key.slice(0, -":expiry".length) : key;
      const members: [string, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) members.push([name(stream, flat[i]!), flat[i + 1]!]);
      out[key] = { type, members };
    } else {
      out[key] = { type };
    }
  }
  return out;
}

/** Waits until `done()` holds, polling; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs; // not Date.now(): it may be frozen
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
