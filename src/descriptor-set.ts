/**
 * An event type's schema as a `google.protobuf.FileDescriptorSet`: written
 * from the compiled schema (the one the codec uses, whether it came from
 * ts-proto's output or from `.proto` files), read back into plain
 * descriptors, and fingerprinted. This is what publishers register in Redis
 * so that tools decode events without the `.proto` files.
 */
import { createHash } from "node:crypto";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DecodeError } from "./errors.js";
import { FieldType } from "./schema/descriptors.js";
import type { EnumSchema, FieldSchema, MessageSchema, ValueSchema } from "./schema/schema.js";

/** `FieldDescriptorProto.Label`. */
const LABEL = { optional: 1, repeated: 3 } as const;

/** One field, as a `FieldDescriptorProto` says it. */
export interface DescribedField {
  readonly name: string;
  readonly number: number;
  /** 1 optional (singular), 3 repeated. */
  readonly label: number;
  /** A {@link FieldType} number. */
  readonly type: number;
  /** For messages and enums: the fully qualified name, with a leading dot. */
  readonly typeName: string;
  readonly jsonName: string;
  /** Explicit presence (proto3 `optional`, or a oneof member, which this description does not tell apart). */
  readonly proto3Optional: boolean;
  /**
   * The oneof it belongs to, where the description knows it: only for
   * `google.protobuf.Value`'s `kind` (a compiled schema does not keep
   * oneofs; other oneof members are described as `optional` fields, which
   * reads and writes the same bytes).
   */
  readonly oneof?: string;
}

/** One message, as a `DescriptorProto` says it, with the messages (map entries included) and enums declared in it. */
export interface DescribedMessage {
  readonly name: string;
  readonly field: readonly DescribedField[];
  readonly nestedType: readonly DescribedMessage[];
  readonly enumType: readonly DescribedEnum[];
  readonly mapEntry: boolean;
}

/** One enum, as an `EnumDescriptorProto` says it. */
export interface DescribedEnum {
  readonly name: string;
  readonly value: readonly { readonly name: string; readonly number: number }[];
}

/** One file, as a `FileDescriptorProto` says it: one per package. */
export interface DescribedFile {
  readonly name: string;
  readonly package: string;
  readonly dependency: readonly string[];
  readonly messageType: readonly DescribedMessage[];
  readonly enumType: readonly DescribedEnum[];
}

/** An event type's schema: the event type's full name and every file its messages reach. */
export interface DescriptorSet {
  readonly files: readonly DescribedFile[];
}

const packageOf = (fullName: string): string => fullName.slice(0, Math.max(0, fullName.lastIndexOf(".")));
const shortOf = (fullName: string): string => fullName.slice(fullName.lastIndexOf(".") + 1);
const fileOf = (pkg: string): string => `eventwire/described/${pkg === "" ? "_" : pkg.replace(/\./g, "/")}.proto`;

/** protoc's name for a map field's entry message: `item_counts` → `ItemCountsEntry`. */
function mapEntryName(field: string): string {
  return field.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, "") + "Entry";
}

function valueField(v: ValueSchema, name: string, number: number, jsonName: string): DescribedField {
  const typeName = v.message ? `.${v.message.fullName}` : v.enumType ? `.${v.enumType.fullName}` : "";
  return { name, number, label: LABEL.optional, type: v.type, typeName, jsonName, proto3Optional: false };
}

/**
 * The descriptor set of a message and everything it reaches, canonical:
 * files by package, messages and enums by name, fields by number, so that
 * the same schema always gives the same bytes and fingerprint.
 */
export function describeMessage(root: MessageSchema): DescriptorSet {
  const messages = new Map<string, MessageSchema>();
  const enums = new Map<string, EnumSchema>();
  const visit = (m: MessageSchema): void => {
    if (messages.has(m.fullName)) return;
    messages.set(m.fullName, m);
    for (const f of m.fields) {
      for (const v of f.mapValue ? [f.mapValue] : [f as ValueSchema]) {
        if (v.message) visit(v.message);
        if (v.enumType) enums.set(v.enumType.fullName, v.enumType);
      }
    }
  };
  visit(root);

  const describe = (m: MessageSchema): DescribedMessage => {
    const nested: DescribedMessage[] = [];
    const wellKnown = m.fullName.startsWith("google.protobuf.");
    const fields = [...m.fields]
      .sort((a, b) => a.number - b.number)
      .map((field: FieldSchema): DescribedField => {
        // (the well-known types by their .proto names, however the reader that compiled them named their fields)
        const f = wellKnown ? { ...field, name: field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) } : field;
        if (f.mapValue && f.mapKey !== undefined) {
          const entry = mapEntryName(f.name);
          nested.push({
            name: entry,
            field: [
              { name: "key", number: 1, label: LABEL.optional, type: f.mapKey, typeName: "", jsonName: "key", proto3Optional: false },
              valueField(f.mapValue, "value", 2, "value"),
            ],
            nestedType: [],
            enumType: [],
            mapEntry: true,
          });
          return { name: f.name, number: f.number, label: LABEL.repeated, type: FieldType.MESSAGE, typeName: `.${m.fullName}.${entry}`, jsonName: f.jsonName, proto3Optional: false };
        }
        const base = valueField(f, f.name, f.number, f.jsonName);
        if (m.fullName === "google.protobuf.Value") return { ...base, oneof: "kind" };
        return { ...base, label: f.repeated ? LABEL.repeated : LABEL.optional, proto3Optional: f.presence && !f.repeated && !f.message };
      });
    // messages and enums declared inside this one (their full names start with its own)
    for (const child of children.get(m.fullName) ?? []) nested.push(describe(child));
    const enumType = (enumChildren.get(m.fullName) ?? []).map(describeEnum);
    return { name: shortOf(m.fullName), field: fields, nestedType: nested.sort(byName), enumType: enumType.sort(byName), mapEntry: false };
  };
  const describeEnum = (e: EnumSchema): DescribedEnum => ({
    name: shortOf(e.fullName),
    // the zero value first (proto3's default is the first value), then by number
    value: [...e.byNumber].map(([number, name]) => ({ name, number })).sort((a, b) => (a.number === 0 ? -1 : b.number === 0 ? 1 : a.number - b.number)),
  });

  // A message or enum whose scope is a message of the set is declared in it; the others, in their package's file.
  const children = new Map<string, MessageSchema[]>();
  const enumChildren = new Map<string, EnumSchema[]>();
  const topMessages: MessageSchema[] = [];
  const topEnums: EnumSchema[] = [];
  for (const m of messages.values()) {
    if (m.isMapEntry) continue;
    const scope = packageOf(m.fullName);
    if (messages.has(scope)) children.set(scope, [...(children.get(scope) ?? []), m]);
    else topMessages.push(m);
  }
  for (const e of enums.values()) {
    const scope = packageOf(e.fullName);
    if (messages.has(scope)) enumChildren.set(scope, [...(enumChildren.get(scope) ?? []), e]);
    else topEnums.push(e);
  }

  const packages = new Map<string, { messages: DescribedMessage[]; enums: DescribedEnum[]; uses: Set<string> }>();
  const at = (pkg: string) => {
    let p = packages.get(pkg);
    if (!p) packages.set(pkg, (p = { messages: [], enums: [], uses: new Set() }));
    return p;
  };
  const fileOfName = new Map<string, string>();
  for (const m of topMessages) fileOfName.set(m.fullName, packageOf(m.fullName));
  for (const e of topEnums) fileOfName.set(e.fullName, packageOf(e.fullName));
  /** The package whose file declares a type: that of its outermost enclosing message in the set. */
  const declaredIn = (fullName: string): string => {
    let name = fullName;
    while (!fileOfName.has(name) && name.includes(".")) name = packageOf(name);
    return fileOfName.get(name) ?? packageOf(fullName);
  };
  const usesOf = (d: DescribedMessage, out: Set<string>): void => {
    for (const f of d.field) if (f.typeName !== "") out.add(declaredIn(f.typeName.slice(1)));
    for (const n of d.nestedType) usesOf(n, out);
  };
  for (const m of topMessages) {
    const pkg = packageOf(m.fullName);
    const d = describe(m);
    at(pkg).messages.push(d);
    usesOf(d, at(pkg).uses);
  }
  for (const e of topEnums) at(packageOf(e.fullName)).enums.push(describeEnum(e));
  // Files in dependency order (a file after those it imports), by package name otherwise.
  const order: string[] = [];
  const state = new Map<string, "open" | "done">();
  const place = (pkg: string): void => {
    if (state.has(pkg)) return;
    state.set(pkg, "open");
    for (const dep of [...packages.get(pkg)!.uses].sort()) if (dep !== pkg && packages.has(dep)) place(dep);
    state.set(pkg, "done");
    order.push(pkg);
  };
  for (const pkg of [...packages.keys()].sort()) place(pkg);
  const files = order.map((pkg): DescribedFile => {
    const p = packages.get(pkg)!;
    return {
      name: fileOf(pkg),
      package: pkg,
      dependency: [...p.uses].filter((d) => d !== pkg && packages.has(d)).sort().map(fileOf),
      messageType: p.messages.sort(byName),
      enumType: p.enums.sort(byName),
    };
  });
  return { files };
}

const byName = <T extends { readonly name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function writeEnum(w: BinaryWriter, e: DescribedEnum): void {
  w.tag(1, WireType.LengthDelimited).string(e.name);
  for (const v of e.value) w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(v.name).tag(2, WireType.Varint).int32(v.number).join();
}

function writeField(w: BinaryWriter, f: DescribedField): void {
  w.tag(1, WireType.LengthDelimited).string(f.name);
  w.tag(3, WireType.Varint).int32(f.number);
  w.tag(4, WireType.Varint).int32(f.label);
  w.tag(5, WireType.Varint).int32(f.type);
  if (f.typeName !== "") w.tag(6, WireType.LengthDelimited).string(f.typeName);
  w.tag(10, WireType.LengthDelimited).string(f.jsonName);
  if (f.proto3Optional) w.tag(17, WireType.Varint).bool(true);
}

function writeMessage(w: BinaryWriter, m: DescribedMessage): void {
  w.tag(1, WireType.LengthDelimited).string(m.name);
  // the real oneofs first, then each proto3 `optional` field in a synthetic oneof of its own, as protoc describes them
  const real = [...new Set(m.field.flatMap((f) => (f.oneof === undefined ? [] : [f.oneof])))];
  const synthetic: string[] = [];
  for (const f of m.field) {
    w.tag(2, WireType.LengthDelimited).fork();
    writeField(w, f);
    if (f.oneof !== undefined) w.tag(9, WireType.Varint).int32(real.indexOf(f.oneof));
    else if (f.proto3Optional) {
      w.tag(9, WireType.Varint).int32(real.length + synthetic.length);
      synthetic.push(`_${f.name}`);
    }
    w.join();
  }
  for (const n of m.nestedType) {
    w.tag(3, WireType.LengthDelimited).fork();
    writeMessage(w, n);
    w.join();
  }
  for (const e of m.enumType) {
    w.tag(4, WireType.LengthDelimited).fork();
    writeEnum(w, e);
    w.join();
  }
  if (m.mapEntry) w.tag(7, WireType.LengthDelimited).fork().tag(7, WireType.Varint).bool(true).join();
  for (const name of [...real, ...synthetic]) w.tag(8, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).join();
}

/** The descriptor set as a binary `google.protobuf.FileDescriptorSet` (proto3 files). */
export function encodeDescriptorSet(set: DescriptorSet): Uint8Array {
  const w = new BinaryWriter();
  for (const file of set.files) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(file.name);
    if (file.package !== "") w.tag(2, WireType.LengthDelimited).string(file.package);
    for (const d of file.dependency) w.tag(3, WireType.LengthDelimited).string(d);
    for (const m of file.messageType) {
      w.tag(4, WireType.LengthDelimited).fork();
      writeMessage(w, m);
      w.join();
    }
    for (const e of file.enumType) {
      w.tag(5, WireType.LengthDelimited).fork();
      writeEnum(w, e);
      w.join();
    }
    w.tag(12, WireType.LengthDelimited).string("proto3");
    w.join();
  }
  return w.finish();
}

/** Reads the fields of one length-delimited message, calling `on` for each; skips what it does not know. */
function readFields(r: BinaryReader, end: number, on: (field: number, wireType: WireType) => boolean): void {
  while (r.pos < end) {
    const [field, wireType] = r.tag();
    if (!on(field, wireType)) r.skip(wireType);
  }
}

function sub(r: BinaryReader): number {
  const length = r.uint32();
  return r.pos + length;
}

function readField(r: BinaryReader, end: number): DescribedField & { oneofIndex?: number } {
  const f: { -readonly [K in keyof DescribedField]: DescribedField[K] } & { oneofIndex?: number } = { name: "", number: 0, label: LABEL.optional, type: 0, typeName: "", jsonName: "", proto3Optional: false };
  readFields(r, end, (n, wt) => {
    if (n === 1 && wt === WireType.LengthDelimited) f.name = r.string();
    else if (n === 3 && wt === WireType.Varint) f.number = r.int32();
    else if (n === 4 && wt === WireType.Varint) f.label = r.int32();
    else if (n === 5 && wt === WireType.Varint) f.type = r.int32();
    else if (n === 6 && wt === WireType.LengthDelimited) f.typeName = r.string();
    else if (n === 10 && wt === WireType.LengthDelimited) f.jsonName = r.string();
    else if (n === 17 && wt === WireType.Varint) f.proto3Optional = r.bool();
    else if (n === 9 && wt === WireType.Varint) f.oneofIndex = r.int32();
    else return false;
    return true;
  });
  return f;
}

function readMessage(r: BinaryReader, end: number): DescribedMessage {
  const fields: (DescribedField & { oneofIndex?: number })[] = [];
  const oneofs: string[] = [];
  const m = { name: "", field: [] as DescribedField[], nestedType: [] as DescribedMessage[], enumType: [] as DescribedEnum[], mapEntry: false };
  readFields(r, end, (n, wt) => {
    if (n === 1 && wt === WireType.LengthDelimited) m.name = r.string();
    else if (n === 2 && wt === WireType.LengthDelimited) fields.push(readField(r, sub(r)));
    else if (n === 8 && wt === WireType.LengthDelimited) {
      let name = "";
      readFields(r, sub(r), (o, owt) => {
        if (o === 1 && owt === WireType.LengthDelimited) name = r.string();
        else return false;
        return true;
      });
      oneofs.push(name);
    }
    else if (n === 3 && wt === WireType.LengthDelimited) m.nestedType.push(readMessage(r, sub(r)));
    else if (n === 4 && wt === WireType.LengthDelimited) m.enumType.push(readEnum(r, sub(r)));
    else if (n === 7 && wt === WireType.LengthDelimited) {
      readFields(r, sub(r), (o, owt) => {
        if (o === 7 && owt === WireType.Varint) m.mapEntry = r.bool();
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  // a field's oneof is kept by name when it is a real one (not the synthetic oneof of a proto3 `optional` field)
  m.field = fields.map(({ oneofIndex, ...f }) => (oneofIndex !== undefined && !f.proto3Optional && oneofs[oneofIndex] !== undefined ? { ...f, oneof: oneofs[oneofIndex]! } : f));
  return m;
}

function readEnum(r: BinaryReader, end: number): DescribedEnum {
  const e = { name: "", value: [] as { name: string; number: number }[] };
  readFields(r, end, (n, wt) => {
    if (n === 1 && wt === WireType.LengthDelimited) e.name = r.string();
    else if (n === 2 && wt === WireType.LengthDelimited) {
      const v = { name: "", number: 0 };
      readFields(r, sub(r), (o, owt) => {
        if (o === 1 && owt === WireType.LengthDelimited) v.name = r.string();
        else if (o === 2 && owt === WireType.Varint) v.number = r.int32();
        else return false;
        return true;
      });
      e.value.push(v);
    } else return false;
    return true;
  });
  return e;
}

/** Reads a binary `FileDescriptorSet` into plain descriptors; a `DecodeError` when the bytes are not one. */
export function decodeDescriptorSet(bytes: Uint8Array): DescriptorSet {
  try {
    const r = new BinaryReader(bytes);
    const files: DescribedFile[] = [];
    readFields(r, r.len, (n, wt) => {
      if (n !== 1 || wt !== WireType.LengthDelimited) return false;
      const file = { name: "", package: "", dependency: [] as string[], messageType: [] as DescribedMessage[], enumType: [] as DescribedEnum[] };
      readFields(r, sub(r), (fn, fwt) => {
        if (fn === 1 && fwt === WireType.LengthDelimited) file.name = r.string();
        else if (fn === 2 && fwt === WireType.LengthDelimited) file.package = r.string();
        else if (fn === 3 && fwt === WireType.LengthDelimited) file.dependency.push(r.string());
        else if (fn === 4 && fwt === WireType.LengthDelimited) file.messageType.push(readMessage(r, sub(r)));
        else if (fn === 5 && fwt === WireType.LengthDelimited) file.enumType.push(readEnum(r, sub(r)));
        else return false;
        return true;
      });
      files.push(file);
      return true;
    });
    return { files };
  } catch (error) {
    throw new DecodeError("malformed-binary", `not a FileDescriptorSet: ${(error as Error).message}`, { cause: error });
  }
}

/** The fingerprint of an encoded descriptor set: `sha256:` and the hex digest of its bytes. */
export function descriptorSetFingerprint(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

/** Every message of a descriptor set by fully qualified name (no leading dot), map entries included. */
export function describedMessages(set: DescriptorSet): Map<string, DescribedMessage> {
  const out = new Map<string, DescribedMessage>();
  const add = (prefix: string, m: DescribedMessage): void => {
    const full = prefix === "" ? m.name : `${prefix}.${m.name}`;
    out.set(full, m);
    for (const n of m.nestedType) add(full, n);
  };
  for (const f of set.files) for (const m of f.messageType) add(f.package, m);
  return out;
}

/** Every enum of a descriptor set by fully qualified name (no leading dot), those declared in messages included. */
export function describedEnums(set: DescriptorSet): Map<string, DescribedEnum> {
  const out = new Map<string, DescribedEnum>();
  const full = (scope: string, name: string): string => (scope === "" ? name : `${scope}.${name}`);
  const add = (scope: string, m: DescribedMessage): void => {
    const name = full(scope, m.name);
    for (const e of m.enumType) out.set(full(name, e.name), e);
    for (const n of m.nestedType) add(name, n);
  };
  for (const f of set.files) {
    for (const e of f.enumType) out.set(full(f.package, e.name), e);
    for (const m of f.messageType) add(f.package, m);
  }
  return out;
}
