/**
 * JSON text exactly as Python's `json.dumps` writes it with its defaults
 * (`", "` and `": "` separators, `ensure_ascii`, `allow_nan`), which is how
 * LeanMQ writes every entry: so that an entry eventwire writes is the same,
 * byte for byte, as the one a Python service would write for the same data.
 */

/** A number Python holds as a `float`: printed with a decimal point or an exponent (`2.0`, `1e+16`). */
export class PythonFloat {
  constructor(readonly value: number) {}
}

/** Marks a number to be printed as a Python float. */
export function pythonFloat(value: number): PythonFloat {
  return new PythonFloat(value);
}

/**
 * Python's `repr(float)`: the shortest digits that read back to the same
 * double (as JavaScript also finds them), in fixed notation when the decimal
 * exponent is from -4 to 15, else in scientific notation with a signed
 * exponent of at least two digits.
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const magnitude = value < 0 ? -value : value;
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    // Both languages print the shortest digits that read back, in fixed
    // notation over this range; Python adds ".0" to a whole number.
    const fixed = String(value);
    return fixed.includes(".") ? fixed : fixed + ".0";
  }
  const sign = value < 0 ? "-" : "";
  const exp = Math.abs(value).toExponential(); // shortest round-trip digits: "d.ddde±x"
  const e = exp.indexOf("e");
  const digits = exp.slice(0, e).replace(".", "");
  const exponent = Number(exp.slice(e + 1));
  const decpt = exponent + 1; // position of the decimal point after the first digit
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expSign = exponent < 0 ? "-" : "+";
  const expDigits = String(Math.abs(exponent)).padStart(2, "0");
  return `${sign}${mantissa}e${expSign}${expDigits}`;
}

/** A string as Python's `json.dumps` writes it with `ensure_ascii=True`. */
export function pythonJsonString(text: string): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += text.slice(last, i);
    last = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      default:
        out += "\\u" + c.toString(16).padStart(4, "0");
    }
  }
  return out + text.slice(last) + '"';
}

/** Keys already written, as `pyString` wrote them (object keys repeat from entry to entry). */
const keyCache = new Map<string, string>();

function pyKey(key: string): string {
  let quoted = keyCache.get(key);
  if (quoted === undefined) {
    quoted = pythonJsonString(key);
    if (keyCache.size >= 1000) keyCache.clear();
    keyCache.set(key, quoted);
  }
  return quoted;
}

/**
 * `json.dumps(value)` for a JSON value built of objects, arrays, strings,
 * booleans, null, integers (plain numbers) and floats ({@link PythonFloat}).
 * A plain number that is not an integer is printed as a float.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof PythonFloat) return formatPythonFloat(value.value);
  switch (typeof value) {
    case "string":
      return pythonJsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : formatPythonFloat(value);
    case "object": {
      if (Array.isArray(value)) {
        if (value.length === 0) return "[]";
        let out = "[" + pythonJsonDumps(value[0]);
        for (let i = 1; i < value.length; i++) out += ", " + pythonJsonDumps(value[i]);
        return out + "]";
      }
      const keys = Object.keys(value);
      if (keys.length === 0) return "{}";
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        out += (i === 0 ? "" : ", ") + pyKey(key) + ": " + pythonJsonDumps((value as Record<string, unknown>)[key]);
      }
      return out + "}";
    }
    default:
      throw new TypeError(`cannot write a ${typeof value} as JSON`);
  }
}
