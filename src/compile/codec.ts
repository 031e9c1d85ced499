/**
 * The binary codec of payload messages, compiled once per registry from the
 * schemas it holds: an encoder and a decoder per message type, generated as
 * JavaScript source (see encoder-source.ts and decoder-source.ts) and made
 * into functions with `new Function`. Names from the schema only ever appear
 * in the source as JSON string literals, or as property names in object
 * literals when they are plain identifiers. Where code generation from
 * strings is unavailable, or `EVENTWIRE_CODEC=interpreted` asks for it, the
 * interpreted codec (interpreted.ts) does the same work.
 */
import type { MessageSchema } from "../schema/schema.js";
import { decoderOf } from "./decoder-source.js";
import { encoderOf } from "./encoder-source.js";
import { interpretCodecs } from "./interpreted.js";
import { runtime } from "./runtime.js";

/** The compiled functions of one message type. */
export interface MessageCodec {
  /** Writes the message's fields at `pos` into the shared writer; returns where they end. */
  readonly encode: (message: object, pos: number) => number;
  /** Reads a message from `bytes[start, end)` at nesting depth `depth` (the payload is 1). */
  readonly decode: (bytes: Uint8Array, start: number, end: number, depth: number) => object;
}

/** Every message reachable from `roots`, each once, roots first. */
function reachable(roots: readonly MessageSchema[]): MessageSchema[] {
  const order: MessageSchema[] = [];
  const seen = new Set<MessageSchema>();
  const visit = (schema: MessageSchema): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    order.push(schema);
    for (const field of schema.fields) {
      if (field.message) visit(field.message);
      if (field.mapValue?.message) visit(field.mapValue.message);
    }
  };
  roots.forEach(visit);
  return order;
}

/** The readers and writers of the wrappers of the well-known types (`WR_<type>_<long>`, `WW_…`), resolved once per codec. */
function wrapperConstants(): string {
  const out: string[] = [];
  for (const type of [1, 2, 3, 4, 5, 8, 9, 12, 13]) {
    for (const long of type === 3 || type === 4 ? ["number", "bigint", "string"] : ["number"]) {
      out.push(`WR_${type}_${long} = wrapperReader(${type}, "${long}")`, `WW_${type}_${long} = wrapperWriter(${type}, "${long}")`);
    }
  }
  return `const ${out.join(", ")};`;
}

/** The JavaScript source of the codecs of the messages in `order` (the body of a function of `rt`). */
function codecSource(order: readonly MessageSchema[]): string {
  const index = new Map(order.map((schema, i) => [schema, i]));
  const out: string[] = [`"use strict";`, `const {${Object.keys(runtime).join(", ")}} = rt;`, `const R = reader, PN = pathNames, SC = rt.schemas;`, wrapperConstants()];
  order.forEach((schema, i) => {
    out.push(encoderOf(schema, i, index));
    out.push(decoderOf(schema, i, index));
  });
  out.push(`return [${order.map((_, i) => `{ encode: e${i}, decode: d${i} }`).join(", ")}];`);
  return out.join("\n");
}

/** Which codec serves: `compiled` (generated source) or `interpreted` (the schema walked at run time). */
export type CodecMode = "compiled" | "interpreted";

/** The mode asked for by `EVENTWIRE_CODEC` (`interpreted` or `compiled`), if any. */
function requestedMode(): CodecMode | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["EVENTWIRE_CODEC"];
  return env === "interpreted" || env === "compiled" ? env : undefined;
}

let codeGeneration: boolean | undefined;

/** Whether this runtime makes functions from strings (`node --disallow-code-generation-from-strings` does not). */
function canGenerateCode(): boolean {
  if (codeGeneration === undefined) {
    try {
      codeGeneration = (new Function("return 1") as () => number)() === 1;
    } catch {
      codeGeneration = false;
    }
  }
  return codeGeneration;
}

/** The mode the codecs of a new registry are made in: what `EVENTWIRE_CODEC` asks for, else compiled where the runtime allows it. */
export function codecMode(): CodecMode {
  const requested = requestedMode();
  if (requested === "interpreted" || !canGenerateCode()) return "interpreted";
  return "compiled";
}

/** Compiles the codecs of every message reachable from `roots` (or interprets them: see {@link codecMode}). */
export function compileCodecs(roots: readonly MessageSchema[]): Map<MessageSchema, MessageCodec> {
  const order = reachable(roots);
  const codecs =
    codecMode() === "interpreted"
      ? interpretCodecs(order)
      : (new Function("rt", codecSource(order)) as (rt: unknown) => MessageCodec[])({ ...runtime, schemas: order });
  const result = new Map<MessageSchema, MessageCodec>();
  order.forEach((schema, i) => result.set(schema, codecs[i]!));
  return result;
}

const single = new WeakMap<MessageSchema, MessageCodec>();

/** The codec of one message type, compiled on first use (for the types an Any holds, which no registered type may reach). */
export function codecOf(schema: MessageSchema): MessageCodec {
  let codec = single.get(schema);
  if (codec === undefined) {
    for (const [s, c] of compileCodecs([schema])) if (!single.has(s)) single.set(s, c);
    codec = single.get(schema)!;
  }
  return codec;
}
