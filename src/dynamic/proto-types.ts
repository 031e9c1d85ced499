/**
 * The event types of a protobufjs `Root`: a message type for every message,
 * descriptors for the registry, and which messages are event types.
 */
import protobuf from "protobufjs";
import { RegistryError, type EnumDescriptorLike, type MessageDescriptorLike, type MessageType, type ProtoFile } from "../index.js";
import { enumDescriptor, messageDescriptor } from "./descriptors.js";
import { DynamicMessage } from "./message-type.js";

const ENVELOPE = ".eventwire.envelope.v1.EventEnvelope";

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
