/**
 * A message type made at run time over a protobufjs `Type`, with the
 * functions and the message shape ts-proto generates, so that the registry
 * and the codec treat it as they treat generated code.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import protobuf from "protobufjs";
import { DecodeError, type MessageType } from "../index.js";
import { camelName, LONGS, UNSIGNED_LONGS } from "./names.js";

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
  /** The map is held as a `Map` (bool and 64-bit keys, as ts-proto's `forceLong=bigint` holds them). */
  readonly isMap: boolean;
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

/** A 64-bit value as a bigint, as ts-proto's `forceLong=bigint` gives it. */
function longToBigint(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  return BigInt(isLong(value) ? value.toString() : String(value));
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
      return scalar !== undefined && LONGS.has(scalar) ? 0n : 0; // numbers and enums
  }
}

/** A map's key as a property name, as protobufjs takes it. */
function keyText(key: unknown): string {
  return String(key);
}

/** A message type over a protobufjs `Type`, with ts-proto's functions. */
export class DynamicMessage implements MessageType<Record<string, unknown>> {
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
        isMap: field instanceof protobuf.MapField && (field.keyType === "bool" || LONGS.has(field.keyType)),
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
        const entries = value instanceof Map ? [...value] : Object.entries((value ?? {}) as Record<string, unknown>);
        const map: Record<string, unknown> | Map<unknown, unknown> = s.isMap ? new Map() : {};
        for (const [key, v] of entries) {
          if (v === undefined) continue;
          const item = s.message ? s.message.fromPartial(v) : v;
          if (map instanceof Map) map.set(key, item);
          else map[key as string] = item;
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
        const entries = value instanceof Map ? [...value] : Object.entries(value as Record<string, unknown>);
        for (const [key, v] of entries) map[keyText(key)] = s.message ? s.message.toProtobufjs(v as Record<string, unknown>) : this.toLong(s, v);
        if (entries.length > 0) out[s.name] = map;
      } else if (s.repeated) {
        const list = value as readonly unknown[];
        if (list.length > 0) out[s.name] = list.map((v) => (s.message ? s.message.toProtobufjs(v as Record<string, unknown>) : this.toLong(s, v)));
      } else if (s.message) {
        out[s.name] = s.message.toProtobufjs(value as Record<string, unknown>);
      } else if (s.presence || !isZero(value)) {
        out[s.name] = this.toLong(s, value);
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
        const map: Record<string, unknown> | Map<unknown, unknown> = s.isMap ? new Map() : {};
        for (const [key, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          if (map instanceof Map) map.set(this.mapKey(s, key), this.value(s, v));
          else map[key] = this.value(s, v);
        }
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
    if (s.scalar !== undefined && LONGS.has(s.scalar)) return longToBigint(value);
    if (value instanceof Uint8Array) return Uint8Array.from(value);
    return value;
  }

  /** A 64-bit value as protobufjs takes it (decimal text, which it reads exactly). */
  private toLong(s: Slot, value: unknown): unknown {
    return typeof value === "bigint" ? String(value) : value;
  }

  /** protobufjs keys 64-bit maps by an 8-byte hash of the value, bool maps by "true"/"false"; eventwire by the value, as ts-proto does. */
  private mapKey(s: Slot, key: string): unknown {
    if (s.mapKey === "bool") return key === "true";
    if (s.mapKey === undefined || !LONGS.has(s.mapKey)) return key;
    return longToBigint(protobuf.util.longFromHash(key, UNSIGNED_LONGS.has(s.mapKey)));
  }
}
