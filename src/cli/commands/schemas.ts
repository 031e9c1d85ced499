/** `eventwire schemas`: the event types' schemas publishers registered in Redis, and the versions of one. */
import { breakingChanges, decodeDescriptorSet, describeMessage, descriptorSetFingerprint, encodeDescriptorSet, isOlderShape } from "../../index.js";
import type { Command, CommandContext } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { age, json, table } from "../output.js";

const short = (fingerprint: string): string => fingerprint.replace(/^sha256:/, "").slice(0, 12);

export const schemas: Command = {
  name: "schemas",
  summary: "List the event types' schemas registered in Redis; the versions of one.",
  args: "[EventType]",
  details: `
Publishers register the schema of each event type they publish (a
FileDescriptorSet and its fingerprint) under the prefix, the first time they
publish it; a schema that breaks compatibility with the registered one is
refused unless forced, and a compatible change is a new version. The CLI and
the dashboard decode events of every registered type without .proto files.

Without an argument: every registered type, with its newest version, how
many versions there are, the fingerprint (its first 12 hex digits), its age,
and whether it was forced. With an event type (wire or full name): its
versions, oldest first.

--json prints an array of {"name", "full_name", "version", "versions",
"fingerprint", "registered_at", "forced"}; for one type, one object per
version with "descriptor_set" (the FileDescriptorSet, base64).

--check compares the event types of the .proto files the CLI reads (--proto,
$EVENTWIRE_PROTO, the config file, ./proto) with the newest registered
versions, without publishing or registering anything: each is "new" (not
registered), "same", "compatible" (it adds fields: publishing it registers a
new version), "older" (it only lacks fields of the newest) or "breaking"
(with what breaks). The exit status is 1 when one is breaking: a check for
CI before a deploy.

Keys: <prefix>eventwire:schemas (a set of the full names) and
<prefix>eventwire:schema:<full name> (a hash of the versions).

Examples:
  eventwire schemas
  eventwire schemas OrderCreatedEvent --json | jq -r '.[-1].descriptor_set' | base64 -d > order.pb
  eventwire schemas --check --proto ./proto`,
  options: {
    check: { type: "boolean", help: "compare the .proto files' event types with the registered versions; status 1 when one breaks" },
  },
  positionals: { min: 0, max: 1 },
  async run(context) {
    const { values, positionals, session, io, paint } = context;
    if (values["check"] === true) {
      if (positionals.length > 0) throw usageError("--check takes no event type: it checks every one the .proto files define");
      return check(context);
    }
    const transport = await session.transport();
    const registry = transport.schemas;
    const latest = await registry.list();
    const now = Date.now();
    const wanted = positionals[0];
    if (wanted === undefined) {
      if (values["json"]) {
        io.stdout.write(
          json(latest.map((s) => ({ name: s.name, full_name: s.fullName, version: s.version, versions: s.versions, fingerprint: s.fingerprint, registered_at: s.registeredAt, forced: s.forced }))),
        );
        return ExitCode.ok;
      }
      if (latest.length === 0) {
        io.stderr.write(`eventwire: no schemas are registered under prefix ${session.prefix} at ${session.where} (publishers register them when they publish)\n`);
        return ExitCode.ok;
      }
      io.stdout.write(
        table(
          ["EVENT TYPE", "FULL NAME", "VERSION", "VERSIONS", "FINGERPRINT", "AGE", "FORCED"],
          latest.map((s) => [s.name, s.fullName, String(s.version), String(s.versions), short(s.fingerprint), age(now - s.registeredAt * 1000), s.forced ? "yes" : ""]),
          ["left", "left", "right", "right", "left", "right", "left"],
          paint.bold,
        ),
      );
      return ExitCode.ok;
    }
    const match = latest.filter((s) => s.fullName === wanted || s.name === wanted);
    if (match.length === 0) {
      throw usageError(`no schema of ${JSON.stringify(wanted)} is registered under prefix ${JSON.stringify(session.prefix)}`, latest.length === 0 ? "No schemas are registered there." : `Registered: ${latest.map((s) => s.name).join(", ")}.`);
    }
    if (match.length > 1) throw usageError(`${JSON.stringify(wanted)} names several event types: ${match.map((s) => s.fullName).join(", ")}`, "Give the full name.");
    const versions = await registry.versions(match[0]!.fullName);
    if (values["json"]) {
      io.stdout.write(
        json(
          versions.map((v) => ({
            name: v.name,
            full_name: v.fullName,
            version: v.version,
            fingerprint: v.fingerprint,
            registered_at: v.registeredAt,
            forced: v.forced,
            descriptor_set: Buffer.from(v.descriptorSet).toString("base64"),
          })),
        ),
      );
      return ExitCode.ok;
    }
    io.stdout.write(
      table(
        ["VERSION", "FINGERPRINT", "REGISTERED", "FORCED"],
        versions.map((v) => [String(v.version), v.fingerprint, new Date(v.registeredAt * 1000).toISOString(), v.forced ? "yes" : ""]),
        ["right", "left", "left", "left"],
        paint.bold,
      ),
    );
    return ExitCode.ok;
  },
};

/** `schemas --check`: each local event type against the newest registered version. */
async function check({ values, session, io, paint }: CommandContext): Promise<number> {
  const local = await session.registry();
  if (local.types.length === 0) throw usageError("no event types to check: give --proto DIR (or set EVENTWIRE_PROTO, or run where ./proto holds them)");
  const registry = (await session.transport()).schemas;
  const results: { name: string; full_name: string; status: string; registered_version: number | null; changes: string[] }[] = [];
  for (const type of local.types) {
    const described = describeMessage(type.schema);
    const fingerprint = descriptorSetFingerprint(encodeDescriptorSet(described));
    const versions = await registry.versions(type.fullName);
    const newest = versions.at(-1);
    const base = { name: type.name, full_name: type.fullName, registered_version: newest?.version ?? null };
    if (newest === undefined) {
      results.push({ ...base, status: "new", changes: [] });
      continue;
    }
    const known = versions.find((v) => v.fingerprint === fingerprint);
    if (known) {
      results.push({ ...base, registered_version: known.version, status: "same", changes: [] });
      continue;
    }
    const before = decodeDescriptorSet(newest.descriptorSet);
    const changes = breakingChanges(before, described, type.fullName);
    const status = changes.length === 0 ? "compatible" : isOlderShape(before, described, type.fullName) ? "older" : "breaking";
    results.push({ ...base, status, changes: status === "breaking" ? changes : [] });
  }
  const broken = results.some((r) => r.status === "breaking");
  if (values["json"]) io.stdout.write(json(results));
  else {
    io.stdout.write(
      table(
        ["EVENT TYPE", "STATUS", "REGISTERED", "WHAT BREAKS"],
        results.map((r) => [r.name, r.status, r.registered_version === null ? "-" : `v${r.registered_version}`, r.changes.join("; ")]),
        ["left", "left", "left", "left"],
        paint.bold,
      ),
    );
  }
  return broken ? ExitCode.failure : ExitCode.ok;
}
