/**
 * A registry's event types with their compiled binary codecs, found by wire
 * name, by fully qualified name, or straight from the bytes of a wire name.
 */
import type { RegisteredType } from "../schema/registered-type.js";
import { compileCodecs, type MessageCodec } from "./codec.js";

/** A registered type with what the binary codec needs of it. */
export interface CompiledType {
  readonly registered: RegisteredType;
  /** The payload message's compiled codec. */
  readonly codec: MessageCodec;
  /** The envelope's `event_type` field for this type, tag and length included. */
  readonly nameField: Uint8Array;
}

/** The envelope's `event_type` field holding `name`. */
function nameField(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  const out: number[] = [26];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
  }
  return new Uint8Array([...out, ...bytes]);
}

/** Resolves a wire name or a fully qualified name to its type and codec. */
export interface CompiledLookup {
  get(eventType: string): CompiledType | undefined;
}

/**
 * The types of a registry by name, also found straight from the bytes of a
 * wire name (without making a string of them first).
 */
export class CompiledTypes implements CompiledLookup {
  private readonly byName: ReadonlyMap<string, CompiledType>;
  /** Types by the UTF-8 length of their wire name: the name's bytes, and the type. */
  private readonly byLength: ({ readonly bytes: Uint8Array; readonly type: CompiledType }[] | undefined)[] = [];

  constructor(byName: ReadonlyMap<string, CompiledType>) {
    this.byName = byName;
    for (const type of new Set(byName.values())) {
      const bytes = new TextEncoder().encode(type.registered.name);
      (this.byLength[bytes.length] ??= []).push({ bytes, type });
    }
  }

  get(eventType: string): CompiledType | undefined {
    return this.byName.get(eventType);
  }

  /** The type whose wire name is `bytes[start, end)`, if any. */
  match(bytes: Uint8Array, start: number, end: number): CompiledType | undefined {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return undefined;
    const n = end - start;
    for (let c = 0; c < candidates.length; c++) {
      const name = candidates[c]!.bytes;
      let i = n - 1;
      // (names of one length tend to share a prefix, so compare from the end)
      while (i >= 0 && bytes[start + i] === name[i]) i--;
      if (i < 0) return candidates[c]!.type;
    }
    return undefined;
  }
}

/** Compiles the codecs of the registered types, found under each of the names in `byName`. */
export function compileTypes(byName: ReadonlyMap<string, RegisteredType>): CompiledTypes {
  const types = [...new Set(byName.values())];
  const codecs = compileCodecs(types.map((t) => t.schema));
  const compiled = new Map<RegisteredType, CompiledType>();
  for (const t of types) compiled.set(t, { registered: t, codec: codecs.get(t.schema)!, nameField: nameField(t.name) });
  const out = new Map<string, CompiledType>();
  for (const [key, t] of byName) out.set(key, compiled.get(t)!);
  return new CompiledTypes(out);
}
