/**
 * The binary codec of payload messages, compiled once per registry from the
 * schemas it holds: an encoder and a decoder per message type, generated as
 * JavaScript source (see encoder-source.ts and decoder-source.ts) and made
 * into functions with `new Function`. Names from the schema only ever appear
 * in the source as JSON string literals, or as property names in object
 * literals when they are plain identifiers.
 */
import type { MessageSchema } from "../schema/schema.js";
import { decoderOf } from "./decoder-source.js";
import { encoderOf } from "./encoder-source.js";
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

/** The JavaScript source of the codecs of the messages in `order` (the body of a function of `rt`). */
function codecSource(order: readonly MessageSchema[]): string {
  const index = new Map(order.map((schema, i) => [schema, i]));
  const out: string[] = [`"use strict";`, `const {${Object.keys(runtime).join(", ")}} = rt;`, `const R = reader, PN = pathNames, SC = rt.schemas;`];
  order.forEach((schema, i) => {
    out.push(encoderOf(schema, i, index));
    out.push(decoderOf(schema, i, index));
  });
  out.push(`return [${order.map((_, i) => `{ encode: e${i}, decode: d${i} }`).join(", ")}];`);
  return out.join("\n");
}

/** Compiles the codecs of every message reachable from `roots`. */
export function compileCodecs(roots: readonly MessageSchema[]): Map<MessageSchema, MessageCodec> {
  const order = reachable(roots);
  const factory = new Function("rt", codecSource(order)) as (rt: unknown) => MessageCodec[];
  const codecs = factory({ ...runtime, schemas: order });
  const result = new Map<MessageSchema, MessageCodec>();
  order.forEach((schema, i) => result.set(schema, codecs[i]!));
  return result;
}
