/**
 * What one run of the CLI works with: the event types (read from `.proto`
 * files) and a connection to Redis, opened on first use and closed at the end.
 */
import { existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, relative, resolve } from "node:path";
import { createRegistry, type Event, type EventRegistry } from "../index.js";
import { loadProtoTypes } from "../dynamic/index.js";
import { connectRedis, DEFAULT_PREFIX, defaultRedisUrl, redactUrl, type Logger, type StreamTransport } from "../redis/index.js";
import { usageError } from "./errors.js";

/** The options every command that touches Redis or event types shares. */
export interface SessionOptions {
  /** @defaultValue `REDIS_URL`, else `redis://127.0.0.1:6379` */
  readonly redis?: string | undefined;
  /** @defaultValue `mq:` */
  readonly prefix?: string | undefined;
  /** Folders or files of `.proto` event types, added to the default ones (see {@link defaultProtoPaths}). */
  readonly proto?: readonly string[] | undefined;
}

/** The environment variable that names the folders (or files) of `.proto` event types, separated as in `PATH`. */
export const PROTO_ENV = "EVENTWIRE_PROTO";

/**
 * Where the CLI reads event types from when `--proto` adds nothing else:
 * the paths in `EVENTWIRE_PROTO`, else the `proto` folder of the working
 * directory when there is one (as in a project laid out for buf), else none.
 */
export function defaultProtoPaths(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const listed = env[PROTO_ENV];
  if (listed !== undefined && listed !== "") return listed.split(delimiter).filter((p) => p !== "");
  const local = resolve(cwd, "proto");
  return existsSync(local) && statSync(local).isDirectory() ? [local] : [];
}

interface Types {
  readonly registry: EventRegistry<Event>;
  /** The `.proto` file each event type was read from, by fully qualified name. */
  readonly sources: ReadonlyMap<string, string>;
}

/** See the module comment. */
export class Session {
  readonly redisUrl: string;
  readonly prefix: string;
  private readonly protoPaths: readonly string[];
  private types: Types | undefined;
  private connected: Promise<StreamTransport<Event>> | undefined;

  constructor(options: SessionOptions, private readonly logger: Logger) {
    this.redisUrl = options.redis ?? defaultRedisUrl();
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    const paths = [...defaultProtoPaths(), ...(options.proto ?? [])];
    this.protoPaths = [...new Set(paths.map((p) => resolve(p)))];
  }

  /** Redis's URL with the password hidden, for messages. */
  get where(): string {
    return redactUrl(this.redisUrl);
  }

  /** The registry of the event types read from the `.proto` files. */
  get registry(): EventRegistry<Event> {
    return this.load().registry;
  }

  /** The `.proto` file an event type was read from: relative to the working directory when it is under it. */
  sourceOf(fullName: string): string {
    const file = this.load().sources.get(fullName);
    if (file === undefined) return "?";
    const rel = relative(process.cwd(), file);
    return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  }

  private load(): Types {
    if (this.types) return this.types;
    if (this.protoPaths.length === 0) {
      this.types = { registry: createRegistry([], { files: [] }), sources: new Map() };
      return this.types;
    }
    const loaded = loadProtoTypes(this.protoPaths);
    this.types = { registry: createRegistry(loaded.eventTypes, { files: loaded.files }) as unknown as EventRegistry<Event>, sources: loaded.sources };
    return this.types;
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

  /** Fails with the list of known queues when `queue` is not in the prefix's registry. */
  async requireQueue(queue: string): Promise<void> {
    const transport = await this.transport();
    if (await transport.hasQueue(queue)) return;
    const known = await transport.queueNames();
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
