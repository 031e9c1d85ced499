/** Whether bytes are a UUID's text, checked where they lie in the input (no string made first). */

/** 1 for the bytes of the hexadecimal digits, either case. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;

/**
 * True when `bytes[start, end)` is a UUID as the uuid package's `validate`
 * accepts it: 8-4-4-4-12 hexadecimal digits in either case, version 1 to 8
 * and variant 10xx, or the nil or the max UUID.
 */
export function isUuidBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  if (bytes[start + 8] !== 0x2d || bytes[start + 13] !== 0x2d || bytes[start + 18] !== 0x2d || bytes[start + 23] !== 0x2d) return false;
  // 32 hexadecimal digits among the 36 bytes (the four dashes count 0)
  let hex = 0;
  for (let i = start; i < start + 36; i += 4) hex += HEX[bytes[i]!]! + HEX[bytes[i + 1]!]! + HEX[bytes[i + 2]!]! + HEX[bytes[i + 3]!]!;
  if (hex !== 32) return false;
  const version = bytes[start + 14]!;
  const variant = bytes[start + 19]! | 0x20;
  if (version >= 0x31 && version <= 0x38 && (variant === 0x38 || variant === 0x39 || variant === 0x61 || variant === 0x62)) return true;
  // the nil UUID and the max UUID
  let zeros = 0;
  let fs = 0;
  for (let i = 0; i < 36; i++) {
    const c = bytes[start + i]! | 0x20;
    if (c === 0x30) zeros++;
    else if (c === 0x66) fs++;
  }
  return zeros === 32 || fs === 32;
}
