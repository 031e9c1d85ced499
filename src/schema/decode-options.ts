/** The decoding limits, their defaults, and how a caller's options are checked and filled in. */
import { EventwireError } from "../errors.js";
import { MAX_DEPTH } from "../wire/limits.js";

/** Limits that protect a decoder from hostile or broken input. */
export interface DecodeOptions {
  /**
   * The largest input accepted, in bytes (for JSON text, its UTF-8 length).
   * Larger input is rejected with code `too-large` before any parsing.
   * @defaultValue 1048576 (1 MiB)
   */
  readonly maxBytes: number;
  /**
   * How deep messages may nest inside the payload (the payload itself is
   * depth 1). Deeper input is rejected with code `too-deep`. At most 100
   * (the generated decoders' own limit).
   * @defaultValue 64
   */
  readonly maxDepth: number;
}

/** The defaults of {@link DecodeOptions}. */
export const defaultDecodeOptions: DecodeOptions = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 64,
});

/** Fills in the defaults of {@link DecodeOptions}, checking what the caller gave. */
export function decodeOptions(base: DecodeOptions, given: Partial<DecodeOptions> | undefined): DecodeOptions {
  if (given === undefined) return base;
  const merged = { ...base, ...definedOnly(given) };
  for (const key of ["maxBytes", "maxDepth"] as const) {
    const v = merged[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new EventwireError("invalid-option", `DecodeOptions.${key} must be a positive integer, got ${String(v)}`);
    }
  }
  if (merged.maxDepth > MAX_DEPTH) {
    throw new EventwireError("invalid-option", `DecodeOptions.maxDepth must be at most ${MAX_DEPTH}, got ${merged.maxDepth}`);
  }
  return merged;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}
