/**
 * How the wire layer reports failures: faults thrown deep in the readers and
 * writers, which do not know where in the message they are, and turned into
 * eventwire's typed errors, with the field path, by the code that does.
 */
import { DecodeError, type EventwireErrorCode } from "../errors.js";

/**
 * Field names along the path to the message being decoded: the message at
 * depth `d` (the payload is depth 1) was reached through `pathNames[1]` …
 * `pathNames[d - 1]`. Written as the decoder descends; read only for error
 * paths.
 */
export const pathNames: string[] = new Array<string>(128).fill("");

/** The path of the message at `depth` under `root`: `payload.items`. */
export function pathAt(root: string, depth: number): string {
  let path = root;
  for (let i = 1; i < depth && i < pathNames.length; i++) path = path ? `${path}.${pathNames[i]}` : pathNames[i]!;
  return path;
}

/**
 * A decoding failure whose path is not yet known: thrown by the readers,
 * which do not know where in the message they are, and turned into a
 * {@link DecodeError} by the message decoder that catches it.
 */
export class WireFault extends Error {
  override name = "WireFault";
  readonly code: EventwireErrorCode;
  constructor(code: EventwireErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Turns a {@link WireFault} into a {@link DecodeError} at the given path; other errors pass unchanged. */
export function placeFault(error: unknown, root: string, depth: number): unknown {
  if (error instanceof WireFault) return new DecodeError(error.code, error.message, { path: pathAt(root, depth) });
  return error;
}

/** An encoding failure inside the compiled encoder, made into an `EventValidationError` by the caller. */
export class EncodeFault extends Error {
  override name = "EncodeFault";
}
