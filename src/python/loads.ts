/**
 * Reading JSON text as Python's `json.dumps` writes it: standard JSON, plus
 * the bare words `NaN`, `Infinity` and `-Infinity` it writes for non-finite
 * floats, and integers of any size (Python's `2**60` is a bare integer),
 * kept exact.
 */
import { DecodeError } from "../errors.js";


/** The deepest nesting the reader of Python's dialect accepts (JSON.parse reads standard JSON of any depth). */
const MAX_NESTING = 1000;

/**
 * Parses JSON text. Python's `json.dumps` writes non-finite floats as the
 * bare words `NaN`, `Infinity` and `-Infinity`, which JSON does not allow;
 * they are read as the numbers `NaN`, `Infinity` and `-Infinity` (never as
 * strings: a string field does not take them). An integer literal beyond
 * 2^53 (which a JavaScript number cannot hold exactly) is read as a
 * `bigint`, exactly; every other number as a number.
 */
export function pythonJsonLoads(text: string): unknown {
  const value = parseJson(text);
  return value !== NEEDS_PYTHON && !hasInexactInteger(value) ? value : new Parser(text).document();
}

/** What {@link parseJson} returns for text only Python's dialect reads. */
export const NEEDS_PYTHON: unique symbol = Symbol("not standard JSON");

/**
 * Standard JSON text as `JSON.parse` reads it (integers beyond 2^53
 * rounded), or {@link NEEDS_PYTHON} when the text uses Python's bare `NaN`
 * or `Infinity`; throws {@link DecodeError} when it is neither. For readers
 * that want to read exactly only when they meet an integer beyond 2^53.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (/NaN|Infinity/.test(text)) return NEEDS_PYTHON;
    throw new DecodeError("invalid-json", `the input is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Whether the value being read came from JSON.parse of text that can be read again exactly. */
let exactAvailable = false;
/** Thrown, while {@link exactAvailable}, where an integer JSON.parse may have rounded matters. */
const NEEDS_EXACT: unique symbol = Symbol("read the text again, exactly");
/** What {@link readAgainIfInexact} returns when the text must be read again exactly. */
export const READ_AGAIN: unique symbol = Symbol("read again");

/**
 * Runs `read` over a value JSON.parse made; returns {@link READ_AGAIN} when
 * `read` met, through {@link inexact}, an integer JSON.parse may have rounded.
 */
export function readAgainIfInexact<T>(read: () => T): T | typeof READ_AGAIN {
  exactAvailable = true;
  try {
    return read();
  } catch (error) {
    if (error === NEEDS_EXACT) return READ_AGAIN;
    throw error;
  } finally {
    exactAvailable = false;
  }
}

/**
 * True for an integer beyond 2^53 held as a number (rounded, perhaps), for
 * a reader that needs it exactly; inside {@link readAgainIfInexact} it
 * throws instead, to have the text read again exactly.
 */
export function inexact(value: unknown): boolean {
  if (typeof value !== "number" || !Number.isInteger(value) || Number.isSafeInteger(value)) return false;
  if (exactAvailable) throw NEEDS_EXACT;
  return true;
}

/** Reads JSON text in Python's dialect exactly: what {@link pythonJsonLoads} does without trying `JSON.parse` first. */
export function pythonJsonLoadsExactly(text: string): unknown {
  return new Parser(text).document();
}

/** True when a parsed JSON value holds an integer beyond 2^53 (which JSON.parse may have rounded). */
function hasInexactInteger(value: unknown): boolean {
  if (typeof value === "number") return value > 9007199254740991 || value < -9007199254740991 ? Number.isInteger(value) : false;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasInexactInteger(value[i])) return true;
    return false;
  }
  for (const key in value) if (hasInexactInteger((value as Record<string, unknown>)[key])) return true;
  return false;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** A reader of JSON text with Python's extras, for the texts JSON.parse cannot read exactly. */
class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) this.fail("unexpected text after the JSON value");
    return value;
  }

  private fail(what: string): never {
    throw new DecodeError("invalid-json", `the input is not JSON: ${what} at position ${this.pos}`);
  }

  private space(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private word(word: string, value: unknown): unknown {
    if (!this.text.startsWith(word, this.pos)) this.fail("unexpected character");
    this.pos += word.length;
    return value;
  }

  private value(): unknown {
    this.space();
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b:
        return this.object();
      case 0x5b:
        return this.array();
      case 0x22:
        return this.string();
      case 0x74:
        return this.word("true", true);
      case 0x66:
        return this.word("false", false);
      case 0x6e:
        return this.word("null", null);
      case 0x4e:
        return this.word("NaN", NaN);
      case 0x49:
        return this.word("Infinity", Infinity);
      case 0x2d:
        if (this.text.startsWith("-Infinity", this.pos)) return this.word("-Infinity", -Infinity);
        return this.number();
      default:
        if (c >= 0x30 && c <= 0x39) return this.number();
        return this.fail(Number.isNaN(c) ? "the text ends where a value belongs" : "unexpected character");
    }
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail("malformed number");
    this.pos = NUMBER.lastIndex;
    const literal = m[0];
    const n = Number(literal);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(literal);
    return n;
  }

  private string(): string {
    const start = this.pos;
    let i = start + 1;
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) {
        this.pos = i;
        this.fail("unterminated string");
      }
      if (c === 0x22) break;
      i += c === 0x5c ? 2 : 1;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch (cause) {
      this.pos = start;
      return this.fail(`malformed string (${(cause as Error).message})`);
    }
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw new DecodeError("too-deep", `the JSON nests deeper than ${MAX_NESTING} levels`);
    }
  }

  private array(): unknown[] {
    this.enter();
    this.pos++;
    const out: unknown[] = [];
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) break;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
    this.depth--;
    return out;
  }

  private object(): Record<string, unknown> {
    this.enter();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail("expected a property name");
      const key = this.string();
      this.space();
      if (this.text.charCodeAt(this.pos++) !== 0x3a) {
        this.pos--;
        this.fail("expected ':'");
      }
      const value = this.value();
      // An own property, as JSON.parse makes it: never the prototype (`__proto__`).
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) break;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
    this.depth--;
    return out;
  }
}
