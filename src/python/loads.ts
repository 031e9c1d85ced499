/**
 * Reading JSON text as Python's `json.dumps` writes it: standard JSON, plus
 * the bare words `NaN`, `Infinity` and `-Infinity` it writes for non-finite
 * floats.
 */
import { DecodeError } from "../errors.js";

/**
 * Parses JSON text. Python's `json.dumps` writes non-finite floats as the
 * bare words `NaN`, `Infinity` and `-Infinity`, which JSON does not allow;
 * they are read as the strings the proto3 JSON mapping uses for them.
 */
export function pythonJsonLoads(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    if (/NaN|Infinity/.test(text)) {
      const quoted = quoteNonFinite(text);
      if (quoted !== text) {
        try {
          return JSON.parse(quoted);
        } catch {
          // fall through to the original error
        }
      }
    }
    throw new DecodeError("invalid-json", `the input is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Quotes the bare words NaN, Infinity and -Infinity where a value stands
 * (never as an object key), outside of strings.
 */
function quoteNonFinite(text: string): string {
  let out = "";
  let last = 0;
  // containers open around the current position: true for an object
  const objects: boolean[] = [];
  // in an object: whether a value (after ':') is expected rather than a key
  let valuePosition = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, with its escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    if (c === 0x7b) {
      objects.push(true);
      valuePosition = false;
    } else if (c === 0x5b) {
      objects.push(false);
      valuePosition = true;
    } else if (c === 0x7d || c === 0x5d) {
      objects.pop();
      valuePosition = true;
    } else if (c === 0x3a) {
      valuePosition = true;
    } else if (c === 0x2c) {
      valuePosition = objects.at(-1) !== true;
    } else if (valuePosition && (c === 0x4e || c === 0x49 || c === 0x2d)) {
      for (const word of ["-Infinity", "Infinity", "NaN"]) {
        if (text.startsWith(word, i)) {
          out += text.slice(last, i) + '"' + word + '"';
          i += word.length - 1;
          last = i + 1;
          break;
        }
      }
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
