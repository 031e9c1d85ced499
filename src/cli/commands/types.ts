/** `eventwire types`: the event types the CLI knows, with their fields. */
import { FieldType, type FieldSchema, type MessageSchema, type ValueSchema } from "../../index.js";
import { type Command } from "../command.js";
import { ExitCode } from "../errors.js";
import { json } from "../output.js";
import { ENV } from "../settings.js";

const TYPE_NAMES = new Map<number, string>(Object.entries(FieldType).map(([name, n]) => [n, name.toLowerCase()]));

function valueTypeName(v: ValueSchema): string {
  if (v.message) return v.message.fullName;
  if (v.enumType) return `enum ${v.enumType.fullName}`;
  return TYPE_NAMES.get(v.type) ?? `type ${v.type}`;
}

/** A field's type as one would write it in .proto: `repeated eventwire.shop.v1.OrderItem`, `map<string, int32>`. */
function typeName(f: FieldSchema): string {
  if (f.mapValue && f.mapKey !== undefined) return `map<${TYPE_NAMES.get(f.mapKey)}, ${valueTypeName(f.mapValue)}>`;
  return `${f.repeated ? "repeated " : f.presence && !f.message ? "optional " : ""}${valueTypeName(f)}`;
}

function fieldLines(schema: MessageSchema, indent: string, seen: Set<string>): string[] {
  const width = Math.max(0, ...schema.fields.map((f) => f.name.length));
  const lines: string[] = [];
  for (const f of schema.fields) {
    lines.push(`${indent}${f.name.padEnd(width)}  ${typeName(f)}`);
    const nested = f.mapValue ? f.mapValue.message : f.message;
    if (nested && !seen.has(nested.fullName)) {
      lines.push(...fieldLines(nested, indent + "  ", new Set([...seen, nested.fullName])));
    }
  }
  return lines;
}

function fieldJson(f: FieldSchema): Record<string, unknown> {
  const value: ValueSchema = f.mapValue ?? f;
  return {
    name: f.name,
    json_name: f.jsonName,
    number: f.number,
    type: f.mapValue ? "map" : value.message ? "message" : value.enumType ? "enum" : TYPE_NAMES.get(value.type),
    repeated: f.repeated,
    optional: f.presence,
    ...(f.mapValue && f.mapKey !== undefined
      ? { map_key: TYPE_NAMES.get(f.mapKey), map_value: value.message ? "message" : value.enumType ? "enum" : TYPE_NAMES.get(value.type) }
      : {}),
    ...(value.message ? { message_type: value.message.fullName } : {}),
    ...(value.enumType ? { enum_type: value.enumType.fullName, enum_values: [...value.enumType.byName.keys()] } : {}),
  };
}

/** Every message an event type's fields reach, by full name. */
function reachable(schema: MessageSchema, out: Map<string, MessageSchema>): void {
  for (const f of schema.fields) {
    const nested = f.mapValue ? f.mapValue.message : f.message;
    if (nested && !out.has(nested.fullName)) {
      out.set(nested.fullName, nested);
      reachable(nested, out);
    }
  }
}

export const types: Command = {
  name: "types",
  summary: "List the event types and their fields.",
  args: "",
  details: `
The event types this CLI knows, read from .proto files: those under
$EVENTWIRE_PROTO (folders or files, separated by ":"), else those the config
file's "proto" names, else under ./proto when the working directory has one;
and those given with --proto. No others: eventwire's example shop appears
only where its .proto files are read (in eventwire's own repository). Each field is shown with its .proto name (the key in the JSON
form) and type; the fields of nested messages are indented below.

--json prints {"event_types": [...], "messages": {...}}: each event type's
name, full_name, source and fields, and the fields of every message they use.

Examples:
  eventwire types
  eventwire types --proto ./proto --json | jq '.event_types[].name'`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ values, session, io }) {
    const registry = await session.registry();
    if (registry.types.length === 0) {
      io.stderr.write(`eventwire: no event types: give --proto DIR, set ${ENV.proto} (or "proto" in eventwire.config.json) to folders of .proto files, or run where ./proto holds them\n`);
    }
    if (values["json"]) {
      const messages = new Map<string, MessageSchema>();
      for (const t of registry.types) reachable(t.schema, messages);
      io.stdout.write(
        json({
          event_types: registry.types.map((t) => ({
            name: t.name,
            full_name: t.fullName,
            source: session.sourceOf(t.fullName),
            fields: t.schema.fields.map(fieldJson),
          })),
          messages: Object.fromEntries([...messages].sort(([a], [b]) => a.localeCompare(b)).map(([name, m]) => [name, { fields: m.fields.map(fieldJson) }])),
        }),
      );
      return ExitCode.ok;
    }
    const blocks = registry.types.map((t) =>
      [`${t.name}  (${t.fullName}, from ${session.sourceOf(t.fullName)})`, ...fieldLines(t.schema, "  ", new Set([t.fullName]))].join("\n"),
    );
    io.stdout.write(blocks.join("\n\n") + "\n");
    return ExitCode.ok;
  },
};
