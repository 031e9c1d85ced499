/**
 * Event types read from `.proto` files at run time, through protobufjs,
 * for tools that meet event types they were not built with (the CLI's
 * `--proto`). The result is what ts-proto generates — `ProtoFile`
 * descriptors and message types — so the same registry and the same codec
 * serve both:
 *
 * ```ts
 * import { createRegistry } from "eventwire";
 * import { loadProtoTypes } from "eventwire/dynamic";
 *
 * const types = loadProtoTypes(["./proto"]);
 * const registry = createRegistry(types.eventTypes, { files: types.files });
 * ```
 *
 * Messages made here have the shape of ts-proto's: lowerCamelCase
 * properties, defaults filled in, message fields (and `optional` and oneof
 * members) `undefined` while unset, 64-bit integers as numbers, bytes as
 * `Uint8Array`.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import protobuf from "protobufjs";
import { DecodeError, RegistryError } from "./errors.js";
import { FieldType, type EnumDescriptorLike, type FieldDescriptorLike, type MessageDescriptorLike, type MessageType, type ProtoFile } from "./schema.js";

/** What {@link protoTypes} and {@link loadProtoTypes} find. */
export interface ProtoTypes {
  /** Descriptors of every message and enum, for `createRegistry`'s `files`. */
  readonly files: readonly ProtoFile[];
  /** The messages taken as event types (see {@link ProtoTypesOptions.isEventType}). */
  readonly eventTypes: readonly MessageType<object>[];
  /** Every message, by fully qualified name (no leading dot). */
  readonly messages: ReadonlyMap<string, MessageType<object>>;
  /** The `.proto` file each message was read from, by fully qualified name, when known. */
  readonly sources: ReadonlyMap<string, string>;
}

/** How messages are picked as event types. */
export interface ProtoTypesOptions {
  /**
   * Whether a message is an event type.
   * @defaultValue a top-level message whose name ends in `Event`, or that no
   * other message uses as a field type; never `google.protobuf.*` nor
   * eventwire's own `EventEnvelope`
   */
  readonly isEventType?: (type: protobuf.Type) => boolean;
}

const SCALARS: Readonly<Record<string, number>> = {
  double: FieldType.DOUBLE,
  float: FieldType.FLOAT,
  int64: FieldType.INT64,
  uint64: FieldType.UINT64,
  int32: FieldType.INT32,
  fixed64: FieldType.FIXED64,
  fixed32: FieldType.FIXED32,
  bool: FieldType.BOOL,
  string: FieldType.STRING,
  bytes: FieldType.BYTES,
  uint32: FieldType.UINT32,
  sfixed32: FieldType.SFIXED32,
  sfixed64: FieldType.SFIXED64,
  sint32: FieldType.SINT32,
  sint64: FieldType.SINT64,
};

const LONGS = new Set(["int64", "uint64", "fixed64", "sfixed64", "sint64"]);
const UNSIGNED_LONGS = new Set(["uint64", "fixed64"]);
const LABEL_OPTIONAL = 1;
const LABEL_REQUIRED = 2;
const LABEL_REPEATED = 3;
const ENVELOPE = ".eventwire.envelope.v1.EventEnvelope";

/** The lowerCamelCase name protoc gives a field in JSON (`user_id` → `userId`). */
function camelName(name: string): string {
  let out = "";
  let upper = false;
  for (const c of name) {
    if (c === "_") upper = true;
    else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

/** The name protoc gives a map field's entry message (`by_id` → `ByIdEntry`). */
function mapEntryName(name: string): string {
  const camel = camelName(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1) + "Entry";
}

/** One field, as the adapter converts it. */
interface Slot {
  /** The `.proto` name: protobufjs's property name (files are read with `keepCase`). */
  readonly name: string;
  /** The property name of eventwire's messages. */
  readonly local: string;
  readonly map: boolean;
  readonly repeated: boolean;
  /** Unset is `undefined` (messages, `optional`, oneof members, proto2 optionals). */
  readonly presence: boolean;
  /** The scalar type of the value (of a map's values), or undefined for messages and enums. */
  readonly scalar: string | undefined;
  readonly message: DynamicMessage | undefined;
  /** A map's key type. */
  readonly mapKey: string | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A protobufjs reader whose strings must be valid UTF-8, as the generated
 * decoders' are, whatever the file's `utf8_validation` feature says, and
 * whose refusal is the codec's `invalid-utf8`.
 */
class StrictReader extends protobuf.Reader {
  override string(): string {
    const bytes = this.bytes();
    try {
      return utf8.decode(bytes);
    } catch (cause) {
      throw new DecodeError("invalid-utf8", "a string field is not valid UTF-8", { path: "payload", cause });
    }
  }

  override stringVerify(): string {
    return this.string();
  }
}

function isLong(value: unknown): value is protobuf.Long {
  return typeof value === "object" && value !== null && "low" in value && "high" in value;
}

/** A 64-bit value as a number, as ts-proto's `forceLong=number` gives it; throws past the safe range. */
function longToNumber(value: unknown): number {
  if (typeof value === "number") return value;
  const text = isLong(value) ? value.toString() : String(value);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`the 64-bit value ${text} is beyond Number.MAX_SAFE_INTEGER`);
  return n;
}

function isZero(value: unknown): boolean {
  return value === "" || value === 0 || value === false || (value instanceof Uint8Array && value.length === 0);
}

function zeroOf(scalar: string | undefined): unknown {
  switch (scalar) {
    case "string":
      return "";
    case "bool":
      return false;
    case "bytes":
      return new Uint8Array(0);
    default:
      return 0; // numbers and enums
  }
}

/** A message type over a protobufjs `Type`, with ts-proto's functions. */
class DynamicMessage implements MessageType<Record<string, unknown>> {
  readonly $type: string;
  private slots: readonly Slot[] = [];

  constructor(private readonly type: protobuf.Type) {
    this.$type = type.fullName.replace(/^\./, "");
  }

  /** Called once every message has its adapter, so fields can point at each other (and at themselves). */
  link(adapters: ReadonlyMap<protobuf.Type, DynamicMessage>, explicitPresence: (field: protobuf.Field) => boolean): void {
    this.slots = this.type.fieldsArray.map((field): Slot => {
      const resolved = field.resolvedType;
      const message = resolved instanceof protobuf.Type ? adapters.get(resolved) : undefined;
      const isMap = field.map;
      const repeated = field.repeated && !isMap;
      return {
        name: field.name,
        local: camelName(field.name),
        map: isMap,
        repeated,
        presence: !isMap && !repeated && (message !== undefined || field.partOf !== null || explicitPresence(field)),
        scalar: resolved === null ? field.type : undefined,
        message,
        mapKey: field instanceof protobuf.MapField ? field.keyType : undefined,
      };
    });
  }

  encode(message: Record<string, unknown>, writer: BinaryWriter = new BinaryWriter()): BinaryWriter {
    return writer.raw(this.type.encode(this.toProtobufjs(message)).finish());
  }

  decode(input: BinaryReader | Uint8Array, length?: number): Record<string, unknown> {
    let bytes: Uint8Array;
    if (input instanceof Uint8Array) {
      bytes = length === undefined ? input : input.subarray(0, length);
    } else {
      // BinaryReader keeps its buffer private; it is read, not changed.
      const buf = (input as unknown as { readonly buf: Uint8Array }).buf;
      const end = length === undefined ? input.len : input.pos + length;
      bytes = buf.subarray(input.pos, end);
      input.pos = end;
    }
    return this.fromProtobufjs(this.type.decode(new StrictReader(bytes)) as unknown as Record<string, unknown>);
  }

  fromPartial(object: unknown): Record<string, unknown> {
    const given = (typeof object === "object" && object !== null ? object : {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const s of this.slots) {
      const value = given[s.local];
      if (s.map) {
        const map: Record<string, unknown> = {};
        for (const [key, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          if (v !== undefined) map[key] = s.message ? s.message.fromPartial(v) : v;
        }
        out[s.local] = map;
      } else if (s.repeated) {
        out[s.local] = Array.isArray(value) ? value.map((v: unknown) => (s.message ? s.message.fromPartial(v) : v)) : [];
      } else if (s.message) {
        out[s.local] = value !== undefined && value !== null ? s.message.fromPartial(value) : undefined;
      } else if (s.presence) {
        out[s.local] = value ?? undefined;
      } else {
        out[s.local] = value ?? zeroOf(s.scalar);
      }
    }
    return out;
  }

  /** eventwire's message → protobufjs's plain object (`.proto` names; values at their default left out, as ts-proto leaves them out). */
  private toProtobufjs(message: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.slots) {
      const value = message[s.local];
      if (value === undefined || value === null) continue;
      if (s.map) {
        const map: Record<string, unknown> = {};
        const entries = Object.entries(value as Record<string, unknown>);
        for (const [key, v] of entries) map[key] = s.message ? s.message.toProtobufjs(v as Record<string, unknown>) : v;
        if (entries.length > 0) out[s.name] = map;
      } else if (s.repeated) {
        const list = value as readonly unknown[];
        if (list.length > 0) out[s.name] = list.map((v) => (s.message ? s.message.toProtobufjs(v as Record<string, unknown>) : v));
      } else if (s.message) {
        out[s.name] = s.message.toProtobufjs(value as Record<string, unknown>);
      } else if (s.presence || !isZero(value)) {
        out[s.name] = value;
      }
    }
    return out;
  }

  /** protobufjs's decoded message → eventwire's message. */
  private fromProtobufjs(message: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.slots) {
      const value = message[s.name];
      if (s.map) {
        const map: Record<string, unknown> = {};
        for (const [key, v] of Object.entries((value ?? {}) as Record<string, unknown>)) map[this.mapKey(s, key)] = this.value(s, v);
        out[s.local] = map;
      } else if (s.repeated) {
        out[s.local] = ((value ?? []) as readonly unknown[]).map((v) => this.value(s, v));
      } else if (s.presence) {
        out[s.local] = Object.hasOwn(message, s.name) && value !== null && value !== undefined ? this.value(s, value) : undefined;
      } else {
        out[s.local] = value === null || value === undefined ? zeroOf(s.scalar) : this.value(s, value);
      }
    }
    return out;
  }

  private value(s: Slot, value: unknown): unknown {
    if (s.message) return s.message.fromProtobufjs(value as Record<string, unknown>);
    if (s.scalar !== undefined && LONGS.has(s.scalar)) return longToNumber(value);
    if (value instanceof Uint8Array) return Uint8Array.from(value);
    return value;
  }

  /** protobufjs keys 64-bit maps by an 8-byte hash of the value; eventwire by the decimal text, as ts-proto does. */
  private mapKey(s: Slot, key: string): string {
    if (s.mapKey === undefined || !LONGS.has(s.mapKey)) return key;
    const value = protobuf.util.longFromHash(key, UNSIGNED_LONGS.has(s.mapKey));
    return String(longToNumber(value));
  }
}

function fieldDescriptor(field: protobuf.Field, owner: protobuf.Type, nested: MessageDescriptorLike[]): FieldDescriptorLike {
  const jsonName = typeof field.options?.["json_name"] === "string" ? (field.options["json_name"] as string) : camelName(field.name);
  const base = { name: field.name, number: field.id, jsonName };
  if (field instanceof protobuf.MapField) {
    // A map is a repeated field of a nested entry message, as protoc describes it.
    const entry = mapEntryName(field.name);
    const key = field;
    nested.push({
      name: entry,
      field: [
        { name: "key", number: 1, label: LABEL_OPTIONAL, type: SCALARS[key.keyType] ?? 0, typeName: "", jsonName: "key" },
        { name: "value", number: 2, label: LABEL_OPTIONAL, ...valueType(field), jsonName: "value" },
      ],
      nestedType: [],
      enumType: [],
      options: { mapEntry: true },
    });
    return { ...base, label: LABEL_REPEATED, type: FieldType.MESSAGE, typeName: `${owner.fullName}.${entry}` };
  }
  const label = field.repeated ? LABEL_REPEATED : field.required ? LABEL_REQUIRED : LABEL_OPTIONAL;
  return { ...base, label, ...valueType(field) };
}

function valueType(field: protobuf.Field): { type: number; typeName: string } {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return { type: field.delimited ? FieldType.GROUP : FieldType.MESSAGE, typeName: resolved.fullName };
  if (resolved instanceof protobuf.Enum) return { type: FieldType.ENUM, typeName: resolved.fullName };
  const type = SCALARS[field.type];
  if (type === undefined) throw new RegistryError("invalid-event-type", `${field.fullName}: unknown field type ${field.type}`);
  return { type, typeName: "" };
}

function enumDescriptor(e: protobuf.Enum): EnumDescriptorLike {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function messageDescriptor(type: protobuf.Type): MessageDescriptorLike {
  const nestedType: MessageDescriptorLike[] = [];
  const enumType: EnumDescriptorLike[] = [];
  for (const n of type.nestedArray) {
    if (n instanceof protobuf.Type) nestedType.push(messageDescriptor(n));
    else if (n instanceof protobuf.Enum) enumType.push(enumDescriptor(n));
  }
  const field = type.fieldsArray.map((f) => fieldDescriptor(f, type, nestedType));
  return { name: type.name, field, nestedType, enumType, options: undefined };
}

function allTypes(ns: protobuf.NamespaceBase, out: protobuf.Type[] = []): protobuf.Type[] {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) out.push(n);
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) allTypes(n, out);
  }
  return out;
}

/** The explicit-presence rule of the file's syntax or edition (proto2 optionals, editions' EXPLICIT). */
function explicitPresence(field: protobuf.Field): boolean {
  const features = (field as unknown as { _features?: { field_presence?: string } })._features;
  return field.options?.["proto3_optional"] === true || features?.field_presence === "EXPLICIT";
}

function defaultIsEventType(referenced: ReadonlySet<protobuf.Type>): (type: protobuf.Type) => boolean {
  return (type) =>
    !(type.parent instanceof protobuf.Type) &&
    !type.fullName.startsWith(".google.protobuf.") &&
    type.fullName !== ENVELOPE &&
    (type.name.endsWith("Event") || !referenced.has(type));
}

/**
 * Descriptors and message types for every message of a protobufjs `Root`
 * (loaded with `keepCase: true`, so that field names are the `.proto` names
 * the JSON form uses), and the event types among them.
 */
export function protoTypes(root: protobuf.Root, options: ProtoTypesOptions = {}): ProtoTypes {
  try {
    root.resolveAll();
  } catch (cause) {
    throw new RegistryError("invalid-event-type", `the .proto types do not resolve: ${(cause as Error).message}`, { cause });
  }
  const types = allTypes(root);
  const adapters = new Map<protobuf.Type, DynamicMessage>(types.map((t) => [t, new DynamicMessage(t)]));
  for (const adapter of adapters.values()) adapter.link(adapters, explicitPresence);
  const messages = new Map<string, MessageType<object>>();
  const references: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const referenced = new Set<protobuf.Type>();
  for (const [type, adapter] of adapters) {
    messages.set(adapter.$type, adapter);
    references[type.fullName] = adapter;
    if (type.filename) sources.set(adapter.$type, type.filename);
    for (const f of type.fieldsArray) if (f.resolvedType instanceof protobuf.Type && f.resolvedType !== type) referenced.add(f.resolvedType);
  }
  // One descriptor "file" per package: the schema pool only needs each declaration under its scope.
  const files: ProtoFile[] = [];
  const visit = (ns: protobuf.NamespaceBase): void => {
    const messageType: MessageDescriptorLike[] = [];
    const enumType: EnumDescriptorLike[] = [];
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) messageType.push(messageDescriptor(n));
      else if (n instanceof protobuf.Enum) enumType.push(enumDescriptor(n));
      else if (n instanceof protobuf.Namespace) visit(n);
    }
    if (messageType.length > 0 || enumType.length > 0) {
      const pkg = ns instanceof protobuf.Root ? "" : ns.fullName.replace(/^\./, "");
      files.push({ fileDescriptor: { name: pkg || "(no package)", package: pkg, messageType, enumType }, references, dependencies: [] });
    }
  };
  visit(root);
  const isEventType = options.isEventType ?? defaultIsEventType(referenced);
  const eventTypes = types.filter((t) => isEventType(t)).map((t) => adapters.get(t)!);
  return { files, eventTypes, messages, sources };
}

/** Every `.proto` file under `dir`, sorted (folders named `node_modules` or starting with `.` are skipped). */
function protoFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && !name.startsWith(".")) out.push(...protoFilesUnder(path));
    } else if (name.endsWith(".proto")) {
      out.push(path);
    }
  }
  return out;
}

/**
 * Reads `.proto` files with protobufjs: each path is a folder (every
 * `.proto` file under it is read, and imports resolve from it, as with
 * `protoc -I`) or a single file. Returns {@link protoTypes} of them. Throws
 * {@link RegistryError} naming the file when one cannot be read or parsed.
 */
export function loadProtoTypes(paths: readonly string[], options: ProtoTypesOptions = {}): ProtoTypes {
  const includeDirs: string[] = [];
  const files: string[] = [];
  for (const given of paths) {
    const path = resolve(given);
    if (!existsSync(path)) throw new RegistryError("invalid-event-type", `${given}: no such file or folder`);
    if (statSync(path).isDirectory()) {
      includeDirs.push(path);
      const found = protoFilesUnder(path);
      if (found.length === 0) throw new RegistryError("invalid-event-type", `${given}: no .proto files in this folder`);
      files.push(...found);
    } else {
      includeDirs.push(dirname(path));
      files.push(path);
    }
  }
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return origin ? resolve(dirname(origin), target) : resolve(target);
  };
  try {
    root.loadSync(files, { keepCase: true });
  } catch (cause) {
    const where = `imports resolve from ${includeDirs.join(", ")}, as with protoc -I`;
    throw new RegistryError("invalid-event-type", `cannot read the .proto files (${where}): ${(cause as Error).message}`, { cause });
  }
  return protoTypes(root, options);
}
