/** `eventwire init`: sets up a project for its own event types — buf, ts-proto's options, a first .proto, the registry, package.json. */
import { isAbsolute, relative } from "node:path";
import { stringOption, type Command } from "../command.js";
import { CliError, ExitCode } from "../errors.js";
import { eventwirePackage } from "../package-info.js";
import { scaffold, type ScaffoldReport } from "../scaffold/scaffold.js";
import { GEN_DIR, REGISTRY_FILE } from "../scaffold/templates.js";
import { json } from "../output.js";

function report(r: ScaffoldReport, cwd: string): string {
  const lines: string[] = [`eventwire init: set up ${r.dir} for eventwire events (.proto package ${r.protoPackage})`];
  for (const path of r.written) lines.push(`  wrote        ${path}`);
  for (const path of r.overwritten) lines.push(`  overwrote    ${path}`);
  if (r.packageJsonCreated) lines.push(`  wrote        package.json`);
  else if (r.packageJsonChanges.length > 0) lines.push(`  updated      package.json:`, ...r.packageJsonChanges.map((change) => `                 ${change}`));
  for (const note of r.notes) lines.push(`  note: ${note}`);
  const rel = relative(cwd, r.dir);
  const at = rel.startsWith("..") || isAbsolute(rel) ? r.dir : rel;
  lines.push(
    "",
    "Next:",
    ...(at === "" ? [] : [`  cd ${/^[\w./@-]+$/.test(at) ? at : JSON.stringify(at)}`]),
    "  npm install          # eventwire, the protobuf runtime, buf, ts-proto and TypeScript",
    `  npm run generate     # the .proto files into ${GEN_DIR}/ (again after every change)`,
    `Your events' registry is ${REGISTRY_FILE}: give it to connectRedis({ registry }) (from "eventwire/redis").`,
    "",
  );
  return lines.join("\n");
}

export const init: Command = {
  name: "init",
  summary: "Set up a project for its own event types: buf, ts-proto, a first .proto, the registry.",
  args: "[dir]",
  details: `
Writes into dir (default: the working directory; made when missing):
  buf.yaml                   buf's module (proto/) and lint rules
  buf.gen.yaml               ts-proto with the options eventwire needs
  proto/<package>/events.proto
                             a first event type, lint-clean
  ${REGISTRY_FILE.padEnd(25)}  the registry: createRegistry([...], { files: [protoMetadata] })
  tsconfig.json              for Node's ES modules, only when there is none
and makes or updates package.json: "type": "module", the scripts generate
(buf generate), lint:proto (buf lint) and build (tsc), eventwire and the
packages the generated code imports (@bufbuild/protobuf, ts-proto-descriptors)
in dependencies, and @bufbuild/buf, ts-proto, typescript and @types/node in
devDependencies, with the versions this eventwire uses. A package already in
package.json is left as it is.

It writes nothing when one of its files is already there, unless --force.
Then run: npm install, npm run generate. --json prints what was written as
{"dir", "proto_package", "written", "overwritten", "package_json", "notes"}.

Examples:
  eventwire init
  eventwire init services/billing --package acme.billing.v1`,
  options: {
    package: { type: "string", value: "NAME", help: "the .proto package, e.g. acme.orders.v1 (default: the project's name, then .v1)" },
    force: { type: "boolean", help: "overwrite the files init writes, and replace its scripts in package.json" },
  },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals, io }) {
    const eventwire = eventwirePackage();
    if (!eventwire) throw new CliError("cannot find eventwire's own package.json, which names the versions to install", ExitCode.failure, "Reinstall eventwire.");
    const cwd = process.cwd();
    const result = scaffold({ dir: positionals[0] ?? cwd, protoPackage: stringOption(values, "package"), force: values["force"] === true }, eventwire);
    if (values["json"]) {
      io.stdout.write(
        json({
          dir: result.dir,
          proto_package: result.protoPackage,
          written: result.written,
          overwritten: result.overwritten,
          package_json: { created: result.packageJsonCreated, changes: result.packageJsonChanges },
          notes: result.notes,
        }),
      );
    } else io.stdout.write(report(result, cwd));
    return ExitCode.ok;
  },
};
