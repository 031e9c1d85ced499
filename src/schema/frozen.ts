/**
 * What makes a decoded or constructed message immutable and complete: Maps
 * and Dates that refuse changes, and the unknown fields a message keeps.
 */

/**
 * The property, not enumerable, under which a decoded message keeps the bytes
 * of the fields its schema does not know (a newer producer's), so that
 * encoding it again writes them back. Equality checks that look at
 * enumerable properties (`assert.deepStrictEqual`) do not see it.
 */
export const UNKNOWN_FIELDS: unique symbol = Symbol.for("eventwire.unknownFields") as never;

function refuse(): never {
  throw new TypeError("eventwire events are immutable: make a new event instead");
}

const REFUSE_CHANGES: PropertyDescriptorMap = {
  set: { value: refuse, enumerable: false },
  delete: { value: refuse, enumerable: false },
  clear: { value: refuse, enumerable: false },
};

/** Makes a Map refuse `set`, `delete` and `clear`, and freezes it. Returns it. */
export function freezeMap<M extends Map<unknown, unknown>>(map: M): M {
  if (Object.isFrozen(map)) return map;
  return Object.freeze(Object.defineProperties(map, REFUSE_CHANGES));
}

/**
 * Freezes a Date. (Its `set…` methods still change its time: JavaScript
 * has no way to freeze a Date's value short of replacing its methods, which
 * costs more than decoding the rest of an event. Treat a Date in an event
 * as read-only.)
 */
export function freezeDate(date: Date): Date {
  return Object.freeze(date);
}

/**
 * Adds the bytes from `start` to `end` (one unknown field, tag included) to
 * the ranges kept so far (`null` for none): consecutive fields make one range.
 */
export function unknownRange(ranges: number[] | null, start: number, end: number): number[] {
  if (ranges === null) return [start, end];
  if (ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
  else ranges.push(start, end);
  return ranges;
}

/** Keeps a copy of the bytes of `ranges` of `bytes` on `message`, under {@link UNKNOWN_FIELDS}. */
export function keepUnknown(message: object, bytes: Uint8Array, ranges: readonly number[]): void {
  let size = 0;
  for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]!;
  const kept = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    kept.set(bytes.subarray(ranges[i]!, ranges[i + 1]!), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  Object.defineProperty(message, UNKNOWN_FIELDS, { value: kept, enumerable: false });
}

/**
 * The property, not enumerable, under which a message decoded from JSON
 * keeps the keys its schema does not know (a newer producer's), with their
 * values, for the JSON encoder to write back.
 */
export const UNKNOWN_JSON: unique symbol = Symbol.for("eventwire.unknownJson") as never;

/** The JSON key under which eventwire's JSON form carries a message's unknown binary fields, as base64. */
export const UNKNOWN_FIELDS_KEY = "_unknown_fields";

/** The unknown fields' bytes a message keeps, if any. */
export function unknownFieldsOf(message: object): Uint8Array | undefined {
  return (message as { [UNKNOWN_FIELDS]?: Uint8Array })[UNKNOWN_FIELDS];
}
