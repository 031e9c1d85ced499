/**
 * What one run of the CLI works with: the event types (read from `.proto`
 * files, and from the schemas publishers registered in Redis) and a
 * connection to Redis (one server, or a cluster from its seed nodes),
 * opened on first use and closed at the end.
 */
import { isAbsolute, relative } from "node:path";
import { createRegistry, type Event, type EventRegistry } from "../index.js";
import { connectRedis, redactUrl, StreamTransport, type Logger, type RegisteredSchema } from "../redis/index.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import type { Settings } from "./settings.js";

interface Types {
  readonly registry: EventRegistry<Event>;
  /** Where each event type was read from, by fully qualified name: a `.proto` file, or Redis. */
  readonly sources: ReadonlyMap<string, string>;
}

type Dynamic = typeof import("../dynamic/index.js");

/** See the module comment. */
export class Session {
  /** One Redis server's URL, when that is where Redis is. */
  readonly redisUrl: string | undefined;
  /** A Redis Cluster's seed nodes, when that is where Redis is. */
  readonly clusterNodes: readonly string[] | undefined;
  readonly prefix: string;
  private readonly protoPaths: readonly string[];
  private local: Promise<Types> | undefined;
  private loaded: Types | undefined;
  private connected: Promise<StreamTransport<Event>> | undefined;

  constructor(
    /** The settings in effect, and where each came from. */
    readonly settings: Settings,
    private readonly logger: Logger,
  ) {
    this.redisUrl = settings.redis?.value;
    this.clusterNodes = settings.cluster?.value;
    this.prefix = settings.prefix.value;
    this.protoPaths = settings.proto.map((p) => p.value);
  }

  /** Where Redis is, passwords hidden, for messages: its URL, or `cluster host:port,…`. */
  get where(): string {
    if (this.clusterNodes !== undefined) return `cluster ${this.clusterNodes.map(redactUrl).join(",")}`;
    return redactUrl(this.redisUrl ?? "");
  }

  /** Whether Redis is a cluster (the connection is made from seed nodes). */
  get cluster(): boolean {
    return this.clusterNodes !== undefined;
  }

  /**
   * The registry of the event types read from the `.proto` files (without
   * Redis). Commands that use Redis take `(await transport()).registry`,
   * which adds the types registered there.
   */
  async registry(): Promise<EventRegistry<Event>> {
    if (this.connected) return (await this.connected).registry;
    return (await this.readLocal()).registry;
  }

  /** Where an event type was read from (after {@link registry} or {@link transport}): a `.proto` file, relative to the working directory when under it, or Redis. */
  sourceOf(fullName: string): string {
    const source = this.loaded?.sources.get(fullName);
    if (source === undefined) return "?";
    if (source.startsWith("redis ")) return source;
    const rel = relative(process.cwd(), source);
    return rel.startsWith("..") || isAbsolute(rel) ? source : rel;
  }

  private readLocal(): Promise<Types> {
    this.local ??= (async () => {
      const types: Types =
        this.protoPaths.length === 0 ? { registry: createRegistry([], { files: [] }), sources: new Map() } : await fromProtoFiles(await loadDynamic(this.protoPaths), this.protoPaths);
      this.loaded = types;
      return types;
    })();
    return this.local;
  }

  /**
   * The transport, connected on first use, with the event types of the
   * `.proto` files and those registered in Redis under the prefix (the
   * `.proto` files win where both define a type).
   */
  transport(): Promise<StreamTransport<Event>> {
    this.connected ??= (async () => {
      const local = await this.readLocal();
      const where = this.clusterNodes !== undefined ? { cluster: this.clusterNodes } : { connection: this.redisUrl! };
      const base = await connectRedis({ registry: local.registry, ...where, prefix: this.prefix, logger: this.logger });
      try {
        const remote = (await base.schemas.list()).filter((s) => local.registry.get(s.fullName) === undefined);
        if (remote.length === 0) return base;
        const dynamic = await loadDynamic(undefined).catch((error: unknown) => {
          if (!(error instanceof CliError)) throw error;
          this.logger.warn?.(`${remote.length} event type${remote.length === 1 ? " is" : "s are"} registered in Redis (${remote.map((s) => s.name).join(", ")}); install protobufjs to decode them: npm install protobufjs`);
          return undefined;
        });
        if (dynamic === undefined) return base;
        const types = fromRegistered(dynamic, remote, this.protoPaths);
        this.loaded = types;
        // (the same store: the transport made first is left to this one, which closes it)
        return new StreamTransport<Event>(base.store, types.registry, base.options);
      } catch (error) {
        await base.close().catch(() => {});
        throw error;
      }
    })();
    return this.connected;
  }

  /** Fails with the list of known queues when `queue` is not in the prefix's registry; `advice` ends the hint. */
  async requireQueue(queue: string, advice = "The event bus's queues are under --prefix events:."): Promise<void> {
    const transport = await this.transport();
    if (await transport.hasQueue(queue)) return;
    const known = await transport.queueNames();
    const prefix = JSON.stringify(this.prefix);
    const list = known.length === 0 ? `There are no queues under prefix ${prefix}` : `Queues under prefix ${prefix}: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}`;
    throw usageError(`there is no queue ${JSON.stringify(queue)} under prefix ${prefix} at ${this.where}`, `${list}. ${advice}`);
  }

  /** Closes the connection, if one was opened. */
  async close(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    if (connected) await (await connected.catch(() => undefined))?.close();
  }
}

/**
 * `eventwire/dynamic`, loaded only now: it needs protobufjs, an optional
 * peer dependency of eventwire. `paths`: the `.proto` files it is for, named
 * in the error when protobufjs is missing.
 */
async function loadDynamic(paths: readonly string[] | undefined): Promise<Dynamic> {
  try {
    return await import("../dynamic/index.js");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && /protobufjs/.test((error as Error).message)) {
      const what = paths ? `reading event types from .proto files (${paths.join(", ")})` : "decoding event types registered in Redis";
      throw new CliError(`${what} needs protobufjs, which is not installed`, ExitCode.failure, "Install it next to eventwire: npm install protobufjs", { cause: error });
    }
    throw error;
  }
}

function fromProtoFiles(dynamic: Dynamic, paths: readonly string[]): Types {
  const loaded = dynamic.loadProtoTypes(paths);
  return { registry: createRegistry(loaded.eventTypes, { files: loaded.files }) as unknown as EventRegistry<Event>, sources: loaded.sources };
}

function fromRegistered(dynamic: Dynamic, schemas: readonly RegisteredSchema[], paths: readonly string[]): Types {
  const loaded = dynamic.descriptorSetTypes(
    schemas.map((s) => ({ fullName: s.fullName, descriptorSet: s.descriptorSet, source: `redis (schema version ${s.version})` })),
    { paths },
  );
  return { registry: createRegistry(loaded.eventTypes, { files: loaded.files }) as unknown as EventRegistry<Event>, sources: loaded.sources };
}
