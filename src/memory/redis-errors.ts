/**
 * The errors Redis replies with, in its own words, and the argument checks
 * of the commands the memory store models that give them: code that tells
 * errors apart by their text (`NOGROUP …`, `WRONGTYPE …`) works with both
 * stores.
 */

export function invalidId(): Error {
  return new Error("ERR Invalid stream ID specified as stream command argument");
}

export function wrongType(): Error {
  return new Error("WRONGTYPE Operation against a key holding the wrong kind of value");
}

/** NOGROUP, as a command words it (`suffix`: XREADGROUP adds ` in XREADGROUP with GROUP option`). */
export function noGroup(stream: string, group: string, suffix = ""): Error {
  return new Error(`NOGROUP No such key '${stream}' or consumer group '${group}'${suffix}`);
}

/** Checks an XADD's fields as Redis does: at least one name/value pair. */
export function checkFields(fields: readonly (string | Buffer)[]): void {
  if (fields.length === 0 || fields.length % 2 !== 0) throw new Error("ERR wrong number of arguments for 'xadd' command");
}

/** Checks `MAXLEN ~ n`. */
export function checkMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength)) throw new Error("ERR value is not an integer or out of range");
  if (maxLength < 0) throw new Error("ERR The MAXLEN argument must be >= 0.");
}

/** Checks a ZADD score. */
export function checkExpiry(expireAt: number | null): void {
  if (expireAt !== null && Number.isNaN(expireAt)) throw new Error("ERR value is not a valid float");
}

export function checkInteger(value: number, what = "value"): void {
  if (!Number.isSafeInteger(value)) throw new Error(`ERR ${what} is not an integer or out of range`);
}

/** Checks the `BLOCK` timeout of XREAD and XREADGROUP. */
export function checkTimeout(blockMs: number): void {
  checkInteger(blockMs, "timeout");
  if (blockMs < 0) throw new Error("ERR timeout is negative");
}
