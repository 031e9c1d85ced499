/**
 * The schema registry under a prefix: publishers register each event type's
 * schema (a `FileDescriptorSet` and its fingerprint) the first time they
 * publish it, so that tools read every event without the `.proto` files; a
 * schema that breaks compatibility with the registered one is refused with
 * a {@link SchemaConflictError} unless forced — but a schema that only lacks
 * fields of the newest version is taken for an older publisher's and
 * registers nothing; Redis refusing the registry's
 * keys is a warning, once, and publishing goes on. Keys: see leanmq/keys.ts.
 */
import {
  breakingChanges,
  decodeDescriptorSet,
  describeMessage,
  descriptorSetFingerprint,
  encodeDescriptorSet,
  SchemaConflictError,
  TransportError,
  type Event,
  isEventwireError,
  isOlderShape,
  type EventRegistry,
  type RegisteredType,
} from "../index.js";
import type { Logger, SchemaMode } from "./options.js";
import type { EntryStore, StoredSchema } from "./store.js";

/** One registered version of an event type's schema. */
export interface RegisteredSchema extends StoredSchema {
  /** The event type's full name. */
  readonly fullName: string;
  /** Its wire name (the short name). */
  readonly name: string;
}

/** Tries of a registration that other publishers keep overtaking. */
const MAX_ATTEMPTS = 5;

/** See the module comment. */
export class SchemaRegistry {
  /** Event types (wire names) this process has registered: the publish path's check is one lookup here. */
  private readonly registered = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();

  /** Use `StreamTransport.schemas`. */
  constructor(
    private readonly store: EntryStore,
    /** The key prefix. */
    readonly prefix: string,
    private readonly registry: EventRegistry<Event>,
    /** What publishing does with schemas. */
    readonly mode: SchemaMode,
    private readonly logger: Logger = {},
  ) {}

  /**
   * Before publishing an event of `eventType`: undefined when nothing is to
   * be done (its schema was registered by this process, or the mode is
   * `off`); else a promise that resolves once it is registered, or rejects
   * with a {@link SchemaConflictError} (tried again at the next publish).
   */
  ensure(eventType: string): Promise<void> | undefined {
    if (this.mode === "off" || this.registered.has(eventType)) return undefined;
    let p = this.pending.get(eventType);
    if (p === undefined) {
      const type = this.registry.get(eventType);
      if (type === undefined) return undefined; // the encoder reports it
      p = this.register(type, { force: this.mode === "force" }).then(
        () => {
          this.registered.add(eventType);
          this.pending.delete(eventType);
        },
        (error: unknown) => {
          this.pending.delete(eventType);
          // Redis refusing the registry's keys (an ACL that allows only the queues' keys, say) does not stop publishing: said once, not tried again
          if (isEventwireError(error, "redis-refused")) {
            this.registered.add(eventType);
            this.logger.warn?.(`the schema of ${type.fullName} was not registered (tools will not decode its events without its .proto files): ${(error as Error).message}`);
            return;
          }
          throw error;
        },
      );
      this.pending.set(eventType, p);
    }
    return p;
  }

  /**
   * Registers the schema of a registered event type (wire or full name, or
   * the type itself): the version already registered with the same
   * fingerprint, else a new version when it is compatible with the newest
   * (or `force`), else a {@link SchemaConflictError}.
   */
  async register(type: RegisteredType | string, options: { readonly force?: boolean } = {}): Promise<RegisteredSchema & { readonly added: boolean }> {
    const registered = typeof type === "string" ? this.registry.get(type) : type;
    if (registered === undefined) throw new TransportError("invalid-option", `no event type ${JSON.stringify(type)} is registered`);
    const described = describeMessage(registered.schema);
    const descriptorSet = encodeDescriptorSet(described);
    const fingerprint = descriptorSetFingerprint(descriptorSet);
    const named = { fullName: registered.fullName, name: registered.name };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const versions = await this.store.schemaVersions(this.prefix, registered.fullName);
      const same = versions.find((v) => v.fingerprint === fingerprint);
      if (same) return { ...same, ...named, added: false };
      const latest = versions.at(-1);
      let forced = false;
      if (latest) {
        const newest = decodeDescriptorSet(latest.descriptorSet);
        const changes = breakingChanges(newest, described, registered.fullName);
        if (changes.length > 0) {
          // an older publisher (during a rolling deploy, say): it lacks fields the newest version has, and nothing else differs; the newest stays
          if (isOlderShape(newest, described, registered.fullName)) return { ...latest, ...named, added: false };
          if (!options.force) throw new SchemaConflictError(registered.fullName, latest.version, changes);
          forced = true;
        }
      }
      const schema = { fingerprint, descriptorSet, registeredAt: Date.now() / 1000, forced };
      const result = await this.store.addSchemaVersion(this.prefix, registered.fullName, latest?.version ?? 0, schema);
      if (result.outcome !== "conflict") return { ...schema, version: result.version, ...named, added: result.outcome === "added" };
    }
    throw new TransportError("redis-refused", `the schema of ${registered.fullName} could not be registered: other publishers registered versions ${MAX_ATTEMPTS} times meanwhile`);
  }

  /** The newest registered version of every event type under the prefix, by full name. */
  async list(): Promise<(RegisteredSchema & { readonly versions: number })[]> {
    const out: (RegisteredSchema & { versions: number })[] = [];
    for (const fullName of await this.store.schemaTypes(this.prefix)) {
      const versions = await this.versions(fullName);
      const latest = versions.at(-1);
      if (latest) out.push({ ...latest, versions: versions.length });
    }
    return out;
  }

  /** Every registered version of one event type (by full name), oldest first. */
  async versions(fullName: string): Promise<RegisteredSchema[]> {
    const name = fullName.slice(fullName.lastIndexOf(".") + 1);
    return (await this.store.schemaVersions(this.prefix, fullName)).map((v) => ({ ...v, fullName, name }));
  }
}
