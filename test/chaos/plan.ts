// What the chaos suite's processes share (test/chaos/chaos.test.ts and
// test/chaos/worker.ts): the queues and services, their consumer options,
// the keys of the recording server, how an event says it must fail, and a
// seeded random number generator, so that a run can be replayed.
import type { ConsumerInit, RouterOptions } from "eventwire/redis";
import type { ShopEvent } from "../../examples/shop/events.js";

/** The plain queue (prefix `mq:`). */
export const QUEUE = "orders";
export const QUEUE_PREFIX = "mq:";
/** The event bus's prefix. */
export const BUS_PREFIX = "events:";

/**
 * The bus's services, the event types each subscribes to, and how many
 * replicas (processes) each runs. `audit` is the one whose queue the suite
 * turns into a key of the wrong type for a while.
 */
export const SERVICES = {
  billing: { types: ["OrderCreatedEvent", "PaymentProcessedEvent"], replicas: 2 },
  shipping: { types: ["PaymentProcessedEvent", "OrderShippedEvent"], replicas: 2 },
  audit: { types: ["*"], replicas: 1 },
} as const satisfies Record<string, { types: readonly string[]; replicas: number }>;
export type Service = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as Service[];

/** Whether `service` subscribes to events of type `type`. */
export function wants(service: Service, type: string): boolean {
  const types: readonly string[] = SERVICES[service].types;
  return types.includes("*") || types.includes(type);
}

/** Streams are kept to about this many entries (small, so that trimming happens during the run). */
export const MAX_LENGTH = 500;

/** How long a publish may try before it fails (and is not confirmed). */
export const COMMAND_TIMEOUT_MS = 2_000;

/** Consumers: quick reclaims of what a killed process left pending, quick retries, expired events to the DLQ (so that they are counted by id). */
export const CONSUMER_OPTIONS = {
  concurrency: 4,
  batchSize: 10,
  blockMs: 200,
  claimIdleMs: 2_000,
  claimIntervalMs: 500,
  retry: { maxAttempts: 3, initialDelayMs: 50, multiplier: 2, maxDelayMs: 400 },
  expired: "dead-letter",
  shutdownTimeoutMs: 3_000,
} as const satisfies ConsumerInit;

export const ROUTER_OPTIONS = {
  blockMs: 200,
  claimIdleMs: 2_000,
  claimIntervalMs: 500,
  shutdownTimeoutMs: 3_000,
} as const satisfies Partial<RouterOptions>;

/** Keys of the recording server (a redis-server the faults never touch). */
export const Rec = {
  /** Hash: event id → JSON of {@link PublishedMeta}, written once the publish resolved. */
  published: (where: "queue" | "bus") => `published:${where}`,
  /** Hash: event id → the error code of a publish that failed (not confirmed; it may have been written all the same). */
  unconfirmed: (where: "queue" | "bus") => `unconfirmed:${where}`,
  /** Hash: event id → how many times a handler of `target` (`queue` or a service) ran to the end for it. */
  handled: (target: string) => `handled:${target}`,
  /** Counter: pending entries a consumer of `target` found trimmed away. */
  trimmed: (target: string) => `trimmed:${target}`,
  /** List: the warnings and errors the processes logged. */
  log: "log",
} as const;

/** What a publisher records of a confirmed event. */
export interface PublishedMeta {
  /** Event type. */
  readonly t: string;
  /** TTL in seconds, or null. */
  readonly ttl: number | null;
  /** The publisher's name. */
  readonly p: string;
  /** How its handlers must fail, if they must (see {@link flagOf}). */
  readonly f: Flag | null;
}

/** How an event says its handler must fail: its order id ends in `-cursed` (always throws) or `-refused` (PermanentError). */
export type Flag = "cursed" | "refused" | undefined;

export function flagOf(event: ShopEvent): Flag {
  const orderId = (event.payload as { orderId?: string }).orderId ?? "";
  if (orderId.endsWith("-cursed")) return "cursed";
  if (orderId.endsWith("-refused")) return "refused";
  return undefined;
}

/** A seeded generator of numbers in [0, 1) (xmur3 to seed, sfc32 to generate). */
export function random(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next = (): number => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next(), b = next(), c = next(), d = next();
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** What the suite tells a worker process (its one argument, as JSON). */
export interface WorkerConfig {
  readonly role: "publisher" | "queue-consumer" | "service";
  /** A label for logs and reports, e.g. `billing#2`. */
  readonly label: string;
  readonly service?: Service;
  /** The Redis under test. */
  readonly main: string;
  /** The recording Redis. */
  readonly rec: string;
  readonly seed: string;
}

/** Messages from a worker to the suite. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "stopped"; readonly times: Readonly<Record<string, number>>; readonly published?: number; readonly failed?: number };
