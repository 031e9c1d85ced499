import { protoMetadata } from "../../gen/eventwire/shop/v1/events.js";
import { loadProtoTypes } from "../dynamic.js";
import type { Event } from "../event.js";
import { defaultRedisUrl, redactUrl } from "../redis/connection.js";
import { connectRedis, RedisStore } from "../redis/index.js";
import { createRegistry, type EventRegistry } from "../registry.js";
import { shopEventTypes, shopRegistry } from "../shop.js";
import { DEFAULT_PREFIX } from "../transport/keys.js";
import type { Logger } from "../transport/options.js";
import type { StreamTransport } from "../transport/transport.js";
import { usageError } from "./errors.js";

/** The options every command that touches Redis or event types shares. */
export interface SessionOptions {
  /** @defaultValue `REDIS_URL`, else `redis://127.0.0.1:6379` */
  readonly redis?: string | undefined;
  /** @defaultValue `mq:` */
  readonly prefix?: string | undefined;
  /** Folders or files of `.proto` event types to add to the shop's. */
  readonly proto?: readonly string[] | undefined;
}

/** Where each registered event type comes from. */
export const SHOP_SOURCE = "eventwire/shop";

/**
 * What one run of the CLI works with: the registry (the shop's event types,
 * plus those of `--proto`), and a connection to Redis, opened on first use
 * and closed at the end.
 */
export class Session {
  readonly redisUrl: string;
  readonly prefix: string;
  private readonly protoPaths: readonly string[];
  private built: { registry: EventRegistry<Event>; sources: Map<string, string> } | undefined;
  private connected: Promise<StreamTransport<Event>> | undefined;

  constructor(options: SessionOptions, private readonly logger: Logger) {
    this.redisUrl = options.redis ?? defaultRedisUrl();
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.protoPaths = options.proto ?? [];
  }

  /** Redis's URL with the password hidden, for messages. */
  get where(): string {
    return redactUrl(this.redisUrl);
  }

  /** The registry: the shop's event types and those read from `--proto`. */
  get registry(): EventRegistry<Event> {
    return this.build().registry;
  }

  /** Where an event type was declared: `eventwire/shop`, or the `.proto` file. */
  sourceOf(fullName: string): string {
    return this.build().sources.get(fullName) ?? SHOP_SOURCE;
  }

  private build(): { registry: EventRegistry<Event>; sources: Map<string, string> } {
    if (this.built) return this.built;
    const sources = new Map<string, string>();
    if (this.protoPaths.length === 0) {
      this.built = { registry: shopRegistry as unknown as EventRegistry<Event>, sources };
      return this.built;
    }
    const loaded = loadProtoTypes(this.protoPaths);
    // The shop's generated types win over a .proto copy of them (`--proto proto`).
    const shop = new Set<string>(shopEventTypes.map((t) => t.$type));
    const extra = loaded.eventTypes.filter((t) => !shop.has(t.$type));
    for (const t of extra) sources.set(t.$type, loaded.sources.get(t.$type) ?? "--proto");
    const registry = createRegistry([...shopEventTypes, ...extra], { files: [...loaded.files, protoMetadata] }) as unknown as EventRegistry<Event>;
    this.built = { registry, sources };
    return this.built;
  }

  /** The transport, connected on first use. */
  transport(): Promise<StreamTransport<Event>> {
    this.connected ??= connectRedis({
      registry: this.registry,
      connection: this.redisUrl,
      prefix: this.prefix,
      logger: this.logger,
    });
    return this.connected;
  }

  /** The ioredis client under the transport, for reads eventwire does not wrap (XREAD, XREVRANGE). */
  async redis(): Promise<RedisStore["redis"]> {
    const store = (await this.transport()).store;
    if (!(store instanceof RedisStore)) throw new Error("the transport is not on Redis");
    return store.redis;
  }

  /** Fails with the list of known queues when `queue` is not in the prefix's registry. */
  async requireQueue(queue: string): Promise<void> {
    const transport = await this.transport();
    if (await transport.store.hasQueue(transport.keys(queue))) return;
    const known = await transport.store.listQueues(this.prefix);
    const prefix = JSON.stringify(this.prefix);
    const list = known.length === 0 ? `There are no queues under prefix ${prefix}` : `Queues under prefix ${prefix}: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}`;
    throw usageError(
      `there is no queue ${JSON.stringify(queue)} under prefix ${prefix} at ${this.where}`,
      `${list}. The event bus's queues are under --prefix events:.`,
    );
  }

  /** Closes the connection, if one was opened. */
  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    if (connected) await (await connected.catch(() => undefined))?.close();
  }
}
