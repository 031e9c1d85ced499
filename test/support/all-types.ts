/**
 * fast-check arbitraries of any message of a registry's schemas — every
 * scalar (64-bit integers in the representation the generated code holds),
 * maps of every key kind in their holders, well-known types in their forms —
 * and a hand-made EverythingEvent with every value at its edges, for the
 * property tests and the checks against other protobuf implementations.
 */
import fc from "fast-check";
import type { FieldSchema, LongKind, MessageSchema, RegisteredType, ValueSchema } from "eventwire";
import { text } from "./arbitraries.js";

type Schema = RegisteredType["schema"];

const T = { DOUBLE: 1, FLOAT: 2, INT64: 3, UINT64: 4, INT32: 5, FIXED64: 6, FIXED32: 7, BOOL: 8, STRING: 9, MESSAGE: 11, BYTES: 12, UINT32: 13, ENUM: 14, SFIXED32: 15, SFIXED64: 16, SINT32: 17, SINT64: 18 };

/** The members of each oneof of the fixtures (a schema does not say which fields share a oneof): at most one is set. */
const ONEOFS: readonly (readonly string[])[] = [
  ["c_string", "c_int32", "c_message", "c_bytes"],
  ["pick_ts", "pick_string"],
];

const noNegativeZero = (d: number) => (Object.is(d, -0) ? 0 : d);

function long(unsigned: boolean, kind: LongKind | undefined): fc.Arbitrary<unknown> {
  if (kind === "number" || kind === undefined) {
    return unsigned ? fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32, 2 ** 53 - 1)) : fc.oneof(fc.maxSafeInteger(), fc.constantFrom(-(2 ** 53 - 1), 2 ** 53 - 1, -1));
  }
  const big = unsigned
    ? fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n))
    : fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(0n, -1n, 2n ** 60n + 1n, -(2n ** 63n), 2n ** 63n - 1n));
  return kind === "string" ? big.map(String) : big;
}

/** Values of a scalar type; `presence`: -0 survives (it is written), otherwise it reads back as 0. */
export function scalarOf(type: number, kind: LongKind | undefined, presence: boolean): fc.Arbitrary<unknown> {
  switch (type) {
    case T.DOUBLE:
      return presence ? fc.double() : fc.double().map(noNegativeZero);
    case T.FLOAT:
      // (not ±3.4028234663852886e38: Python's protobuf writes the largest float as 3.4028235e+38 and then refuses to read that back)
      return (presence ? fc.float() : fc.float().map(noNegativeZero)).filter((f) => Math.abs(f) !== 3.4028234663852886e38);
    case T.INT64:
    case T.SINT64:
    case T.SFIXED64:
      return long(false, kind);
    case T.UINT64:
    case T.FIXED64:
      return long(true, kind);
    case T.INT32:
    case T.SINT32:
    case T.SFIXED32:
      return fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1));
    case T.ENUM:
      return fc.oneof(fc.constantFrom(0, 1, 2, -1), fc.integer({ min: -5, max: 9 }));
    case T.UINT32:
    case T.FIXED32:
      return fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 2 ** 32 - 1));
    case T.BOOL:
      return fc.boolean();
    case T.STRING:
      return text;
    case T.BYTES:
      return fc.uint8Array({ maxLength: 12 });
  }
  throw new Error(`no arbitrary for type ${type}`);
}

/** A JSON value a google.protobuf.Value holds: no -0 (JSON cannot carry it), no __proto__ keys. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero),
    text,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(text.filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const path = fc.array(fc.stringMatching(/^[a-z]{1,4}(_[a-z]{1,4}){0,2}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("."));

/** A value of `value`'s schema, in the form the generated code holds it. */
function valueOf(value: ValueSchema, presence: boolean, depth: number, anys: fc.Arbitrary<object>): fc.Arbitrary<unknown> {
  switch (value.wellKnown) {
    case "timestamp-date":
      return fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true });
    case "struct":
      return fc.dictionary(text.filter((k) => k !== "__proto__"), jsonValue, { maxKeys: 3 });
    case "value":
      return jsonValue;
    case "list":
      return fc.array(jsonValue, { maxLength: 3 });
    case "wrapper":
      return scalarOf(value.wrapped!.type, value.wrapped!.long, true);
    case "field-mask":
      return fc.array(path, { maxLength: 3 });
  }
  const message = value.message;
  if (message !== undefined) {
    switch (message.fullName) {
      case "google.protobuf.Duration": {
        const s = message.byNumber.get(1)!;
        return fc.tuple(fc.integer({ min: -315576000000, max: 315576000000 }), fc.integer({ min: 0, max: 999_999_999 })).map(([seconds, nanos]) => ({
          [s.localName]: s.long === "bigint" ? BigInt(seconds) : s.long === "string" ? String(seconds) : seconds,
          nanos: seconds < 0 ? -nanos : seconds === 0 ? nanos : nanos,
        }));
      }
      case "google.protobuf.Timestamp": {
        const s = message.byNumber.get(1)!;
        return fc.tuple(fc.integer({ min: -62135596800, max: 253402300799 }), fc.integer({ min: 0, max: 999_999_999 })).map(([seconds, nanos]) => ({
          [s.localName]: s.long === "bigint" ? BigInt(seconds) : s.long === "string" ? String(seconds) : seconds,
          nanos,
        }));
      }
      case "google.protobuf.Empty":
        return fc.constant({});
      case "google.protobuf.Any":
        return anys;
    }
    return messageOf(message, depth + 1, anys);
  }
  if (value.enumType?.fullName === "google.protobuf.NullValue") return fc.constant(0); // JSON's null: it has no other value
  return scalarOf(value.type, value.long, presence);
}

function mapKeyOf(field: FieldSchema): fc.Arbitrary<unknown> {
  const type = field.mapKey!;
  if (type === T.STRING) return text.filter((k) => k !== "__proto__");
  if (type === T.BOOL) return fc.boolean();
  const key = scalarOf(type, field.mapKeyLong, false);
  return field.mapIsMap ? key : key.map(String);
}

function fieldOf(field: FieldSchema, depth: number, anys: fc.Arbitrary<object>): fc.Arbitrary<unknown> {
  if (field.mapValue) {
    const entries = fc.array(fc.tuple(mapKeyOf(field), valueOf(field.mapValue, false, depth, anys)), { maxLength: depth > 2 ? 0 : 3 });
    return field.mapIsMap ? entries.map((e) => new Map(e)) : entries.map((e) => Object.fromEntries(e as [string, unknown][]));
  }
  const item = valueOf(field, field.presence, depth, anys);
  if (field.repeated) return fc.array(item, { maxLength: depth > 2 ? 0 : 3 });
  return item;
}

/** Any valid message of `schema`, as `create` takes it (any field may be left out; at most one member of each oneof). */
export function messageOf(schema: Schema | MessageSchema, depth = 1, anys: fc.Arbitrary<object> = fc.constant({ typeUrl: "", value: new Uint8Array(0) })): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    if (field.message && !field.wellKnown && depth > 3 && field.message.fullName === schema.fullName) continue;
    parts[field.localName] = fieldOf(field, depth, anys);
  }
  const oneofs = ONEOFS.map((names) => names.map((n) => schema.fields.find((f) => f.name === n)?.localName).filter((n): n is string => n !== undefined)).filter((g) => g.length > 0);
  return fc.record(parts, { requiredKeys: [] }).chain((record) =>
    fc.tuple(...oneofs.map((group) => fc.integer({ min: -1, max: group.length - 1 }))).map((picks) => {
      const out = { ...record };
      oneofs.forEach((group, g) => group.forEach((name, i) => i !== picks[g] && delete out[name]));
      return out;
    }),
  );
}
