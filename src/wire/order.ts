/**
 * The orders canonical output is written in: strings by Unicode code point
 * (UTF-8 byte order), as protoc sorts map keys.
 */

/** The keys of a record in Unicode code point order (UTF-8 byte order), as protoc sorts map keys. */
export function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  const keys = Object.keys(record);
  return keys.length < 2 ? keys : keys.sort(compareCodePoints);
}

/** Compares strings by Unicode code point (UTF-8 byte order), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only where a surrogate
    // (0xD800–0xDFFF, part of a code point above 0xFFFF) meets 0xE000–0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
