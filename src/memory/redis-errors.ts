/**
 * The errors Redis replies with, in its own words, and the argument checks
 * of the commands the memory store models that give them: code that tells
 * errors apart by their text (`NOGROUP …`, `WRONGTYPE …`) works with both
 * stores. They are `redis-refused` errors, as the Redis store's are.
 */
import { TransportError } from "../transport/index.js";

/** A refusal in Redis's words. */
export function refused(message: string): TransportError {
  return new TransportError("redis-refused", message);
}

export function invalidId(): TransportError {
  return refused("ERR Invalid stream ID specified as stream command argument");
}

export function wrongType(): TransportError {
  return refused("WRONGTYPE Operation against a key holding the wrong kind of value");
}

/** NOGROUP, as a command words it (`suffix`: XREADGROUP adds ` in XREADGROUP with GROUP option`). */
export function noGroup(stream: string, group: string, suffix = ""): TransportError {
  return refused(`NOGROUP No such key '${stream}' or consumer group '${group}'${suffix}`);
}

/** Checks an XADD's fields as Redis does: at least one name/value pair. */
export function checkFields(fields: readonly (string | Buffer)[]): void {
  if (fields.length === 0 || fields.length % 2 !== 0) throw refused("ERR wrong number of arguments for 'xadd' command");
}

/** Checks a maxLength as the scripts do before they write (`ew_maxlen_error`: what XTRIM MAXLEN takes). */
export function checkMaxLength(maxLength: number): void {
  if (!Number.isSafeInteger(maxLength)) throw refused("ERR value is not an integer or out of range");
  if (maxLength < 0) throw refused("ERR The MAXLEN argument must be >= 0.");
}

/** Checks a ZADD score. */
export function checkExpiry(expireAt: number | null): void {
  if (expireAt !== null && Number.isNaN(expireAt)) throw refused("ERR value is not a valid float");
}

export function checkInteger(value: number, what = "value"): void {
  if (!Number.isSafeInteger(value)) throw refused(`ERR ${what} is not an integer or out of range`);
}

/** Checks the `BLOCK` timeout of XREAD and XREADGROUP. */
export function checkTimeout(blockMs: number): void {
  checkInteger(blockMs, "timeout");
  if (blockMs < 0) throw refused("ERR timeout is negative");
}
