// `eventwire init` without the network: what it writes into an empty folder
// (checked by the repository's own buf), that it refuses to overwrite unless
// --force, how it merges an existing package.json, its errors, and the
// command as a user runs it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CliError } from "../../src/cli/errors.js";
import { eventwirePackage, type PackageInfo } from "../../src/cli/package-info.js";
import { neededPackages } from "../../src/cli/scaffold/package-json.js";
import { defaultProtoPackage, scaffold } from "../../src/cli/scaffold/scaffold.js";
import { registryFile, TS_PROTO_OPTIONS } from "../../src/cli/scaffold/templates.js";
import { cli, root } from "../support/cli.js";

const base = mkdtempSync(join(tmpdir(), "eventwire-init-unit-"));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
/** A new empty folder (not made: init makes it). */
const folder = (name = `project-${++n}`): string => join(base, name);

const repoPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const eventwire: PackageInfo = eventwirePackage()!;

const read = (dir: string, path: string): string => readFileSync(join(dir, path), "utf8");
const readJson = (dir: string, path: string): Record<string, Record<string, string> & unknown> => JSON.parse(read(dir, path)) as never;

/** The usage error `fn` throws. */
function usageErrorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CliError, `not a CliError: ${String(error)}`);
    assert.equal(error.exitCode, 2, error.message);
    return error;
  }
  assert.fail("no error was thrown");
}

describe("init in an empty folder", () => {
  const dir = folder("order-service");
  const report = scaffold({ dir, force: false }, eventwire);

  test("writes buf.yaml, buf.gen.yaml, a first .proto, the registry file, tsconfig.json and package.json", () => {
    assert.equal(report.protoPackage, "order_service.v1");
    assert.deepEqual(report.written, ["buf.yaml", "buf.gen.yaml", "proto/order_service/v1/events.proto", "src/events.ts", "tsconfig.json"]);
    assert.deepEqual(report.overwritten, []);
    assert.equal(report.packageJsonCreated, true);
    for (const path of [...report.written, "package.json"]) assert.ok(existsSync(join(dir, path)), path);
  });

  test("buf.gen.yaml has the six ts-proto options of eventwire's own buf.gen.yaml, plus forceLong=bigint", () => {
    const options = (text: string): string[] => [...text.matchAll(/^\s+- (\w+=\S+)/gm)].map((m) => m[1]!);
    const ours = options(read(root, "buf.gen.yaml"));
    assert.equal(ours.length, 6);
    assert.deepEqual(options(read(dir, "buf.gen.yaml")), [...ours, "forceLong=bigint"]);
    assert.deepEqual(TS_PROTO_OPTIONS.map((o) => o.option), [...ours, "forceLong=bigint"]);
    assert.match(read(dir, "buf.gen.yaml"), /^ {2}- local: \.\/node_modules\/\.bin\/protoc-gen-ts_proto\n {4}out: src\/gen$/m);
  });

  test("buf.yaml lints with STANDARD and the comment rules, as eventwire's own does", () => {
    const lint = (text: string): string => /^lint:\n(?: {2}.*\n)+/m.exec(text)![0];
    assert.equal(lint(read(dir, "buf.yaml")), lint(read(root, "buf.yaml")));
    assert.match(read(dir, "buf.yaml"), /^modules:\n {2}- path: proto$/m);
  });

  test("the first .proto declares the package in its folder, one documented event, with a 64-bit field", () => {
    const proto = read(dir, "proto/order_service/v1/events.proto");
    assert.match(proto, /^package order_service\.v1;$/m);
    assert.match(proto, /^\/\/ Fired when a user signs up\.\nmessage UserSignedUpEvent \{$/m);
    assert.match(proto, /^ {2}int64 credit_minor = 4;$/m);
  });

  test("the registry file imports what npm run generate writes and makes the registry and its event union", () => {
    const registry = read(dir, "src/events.ts");
    assert.match(registry, /^import \{ createRegistry, type EventsOf \} from "eventwire";$/m);
    assert.match(registry, /^import \{ protoMetadata, UserSignedUpEvent \} from "\.\/gen\/order_service\/v1\/events\.js";$/m);
    assert.match(registry, /^export const registry = createRegistry\(eventTypes, \{ files: \[protoMetadata\] \}\);$/m);
    assert.match(registry, /^export type AppEvent = EventsOf<typeof eventTypes>;$/m);
  });

  test("package.json: ES modules, the scripts, and every package with the range eventwire itself uses", () => {
    const pkg = readJson(dir, "package.json");
    assert.equal(pkg["name"], "order-service");
    assert.equal(pkg["type"], "module");
    assert.deepEqual(pkg["scripts"], { generate: "buf generate", "lint:proto": "buf lint", build: "tsc" });
    assert.deepEqual(pkg["dependencies"], {
      "@bufbuild/protobuf": repoPackage.dependencies["@bufbuild/protobuf"],
      eventwire: `^${repoPackage.version}`,
      "ts-proto-descriptors": repoPackage.dependencies["ts-proto-descriptors"],
    });
    assert.deepEqual(pkg["devDependencies"], {
      "@bufbuild/buf": repoPackage.devDependencies["@bufbuild/buf"],
      "@types/node": repoPackage.devDependencies["@types/node"],
      "ts-proto": repoPackage.devDependencies["ts-proto"],
      typescript: repoPackage.devDependencies["typescript"],
    });
  });

  test("tsconfig.json compiles src/ strictly as Node's ES modules", () => {
    const { compilerOptions, include } = readJson(dir, "tsconfig.json") as unknown as { compilerOptions: Record<string, unknown>; include: string[] };
    assert.equal(compilerOptions["module"], "NodeNext");
    assert.equal(compilerOptions["moduleResolution"], "NodeNext");
    assert.equal(compilerOptions["strict"], true);
    assert.deepEqual(include, ["src"]);
  });

  test("buf lint and buf format find nothing to say about what it wrote", () => {
    const buf = join(root, "node_modules", ".bin", "buf");
    for (const args of [["lint"], ["format", "--diff", "--exit-code"]]) {
      const r = spawnSync(buf, args, { cwd: dir, encoding: "utf8" });
      assert.equal(r.status, 0, `buf ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    }
  });
});

describe("existing files", () => {
  test("one of its files is there: a usage error naming it, and nothing is written", () => {
    const dir = folder();
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "buf.yaml"), "version: v2\n# mine\n");
    writeFileSync(join(dir, "src", "events.ts"), "// mine\n");
    const error = usageErrorOf(() => scaffold({ dir, force: false }, eventwire));
    assert.match(error.message, /^buf\.yaml, src\/events\.ts are already in .*; nothing was written$/);
    assert.match(error.hint ?? "", /--force/);
    assert.equal(read(dir, "buf.yaml"), "version: v2\n# mine\n");
    assert.equal(read(dir, "src/events.ts"), "// mine\n");
    for (const path of ["buf.gen.yaml", "proto", "tsconfig.json", "package.json"]) assert.ok(!existsSync(join(dir, path)), `${path} was written`);
  });

  test("--force overwrites them and says so", () => {
    const dir = folder();
    mkdirSync(dir);
    writeFileSync(join(dir, "buf.gen.yaml"), "version: v2\nplugins: []\n");
    const report = scaffold({ dir, force: true }, eventwire);
    assert.deepEqual(report.overwritten, ["buf.gen.yaml"]);
    assert.ok(!report.written.includes("buf.gen.yaml"));
    assert.match(read(dir, "buf.gen.yaml"), /outputTypeAnnotations=static-only/);
  });

  test("running it twice: the second run refuses, the first run's files stay as they were", () => {
    const dir = folder();
    scaffold({ dir, force: false }, eventwire);
    const before = read(dir, "package.json");
    usageErrorOf(() => scaffold({ dir, force: false }, eventwire));
    assert.equal(read(dir, "package.json"), before);
  });

  test("a tsconfig.json of the project's is kept, even with --force, with a note on what the generated code needs", () => {
    const dir = folder();
    mkdirSync(dir);
    writeFileSync(join(dir, "tsconfig.json"), '{ "compilerOptions": { "module": "NodeNext" } }\n');
    for (const force of [false, true]) {
      const report = scaffold({ dir, force }, eventwire);
      assert.ok(!report.written.includes("tsconfig.json") && !report.overwritten.includes("tsconfig.json"));
      assert.ok(report.notes.some((note) => /^kept your tsconfig\.json: .*NodeNext/.test(note)), report.notes.join("\n"));
      assert.equal(read(dir, "tsconfig.json"), '{ "compilerOptions": { "module": "NodeNext" } }\n');
    }
  });
});

describe("an existing package.json is kept and merged", () => {
  test("its fields stay, in order; type becomes module; missing scripts and packages are added; declared packages are left alone", () => {
    const dir = folder();
    mkdirSync(dir);
    const mine = {
      name: "@acme/Billing-Service",
      version: "3.1.4",
      description: "bills",
      type: "commonjs",
      scripts: { test: "node --test", generate: "make proto" },
      dependencies: { eventwire: "file:../eventwire-0.1.0.tgz", zod: "^3.0.0" },
      devDependencies: { typescript: "^5.4.0", "ts-proto-descriptors": "^2.0.0" },
      license: "MIT",
    };
    writeFileSync(join(dir, "package.json"), JSON.stringify(mine, null, "\t") + "\n");
    const report = scaffold({ dir, force: false }, eventwire);
    assert.equal(report.packageJsonCreated, false);
    assert.equal(report.protoPackage, "billing_service.v1", "the .proto package comes from package.json's name");

    const text = read(dir, "package.json");
    assert.match(text, /^\{\n\t"name": "@acme\/Billing-Service",\n/, "its indentation (a tab) is kept");
    const pkg = JSON.parse(text) as typeof mine & Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(pkg), ["name", "version", "description", "type", "scripts", "dependencies", "devDependencies", "license"]);
    assert.equal(pkg.type, "module");
    assert.deepEqual(pkg.scripts, { test: "node --test", generate: "make proto", "lint:proto": "buf lint", build: "tsc" });
    assert.deepEqual(pkg.dependencies, {
      "@bufbuild/protobuf": repoPackage.dependencies["@bufbuild/protobuf"],
      eventwire: "file:../eventwire-0.1.0.tgz",
      zod: "^3.0.0",
    });
    assert.deepEqual(pkg.devDependencies, {
      "@bufbuild/buf": repoPackage.devDependencies["@bufbuild/buf"],
      "@types/node": repoPackage.devDependencies["@types/node"],
      "ts-proto": repoPackage.devDependencies["ts-proto"],
      "ts-proto-descriptors": "^2.0.0",
      typescript: "^5.4.0",
    });

    assert.deepEqual(report.packageJsonChanges, [
      `"type": "module", was "commonjs" (the generated code is ES modules; rename CommonJS .js files of yours to .cjs)`,
      "scripts lint:proto, build",
      `dependencies @bufbuild/protobuf@${repoPackage.dependencies["@bufbuild/protobuf"]}`,
      `devDependencies @bufbuild/buf@${repoPackage.devDependencies["@bufbuild/buf"]}, @types/node@${repoPackage.devDependencies["@types/node"]}, ts-proto@${repoPackage.devDependencies["ts-proto"]}`,
    ]);
    assert.deepEqual(report.notes, [
      `kept your script "generate": "make proto" (eventwire's is "buf generate"; --force replaces it)`,
      "ts-proto-descriptors is in devDependencies: the generated code loads it at run time, so it belongs in dependencies",
      `kept your typescript@^5.4.0 (eventwire is built and tested with ${repoPackage.devDependencies["typescript"]})`,
    ]);
  });

  test("--force replaces its scripts but still leaves every declared package alone", () => {
    const dir = folder();
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", type: "module", scripts: { generate: "make proto" }, dependencies: { eventwire: "^0.0.1" } }));
    const report = scaffold({ dir, force: true }, eventwire);
    const pkg = readJson(dir, "package.json");
    assert.equal(pkg["scripts"]!["generate"], "buf generate");
    assert.equal(pkg["dependencies"]!["eventwire"], "^0.0.1");
    assert.equal(report.packageJsonChanges[0], "scripts generate, lint:proto, build", "type was module already: no change to report");
  });

  test("a package.json that is not JSON, or not an object: a usage error, nothing written", () => {
    for (const text of ["{ name: 'x' }", "[1, 2]"]) {
      const dir = folder();
      mkdirSync(dir);
      writeFileSync(join(dir, "package.json"), text);
      const error = usageErrorOf(() => scaffold({ dir, force: false }, eventwire));
      assert.match(error.message, /package\.json (is not valid JSON|does not hold a JSON object)/);
      assert.equal(read(dir, "package.json"), text);
      assert.ok(!existsSync(join(dir, "buf.yaml")));
    }
  });
});

describe("the .proto package, and other errors", () => {
  test("the default comes from the project's name, as buf's lint rules want a package", () => {
    assert.equal(defaultProtoPackage("order-service"), "order_service.v1");
    assert.equal(defaultProtoPackage("@acme/Billing.API"), "billing_api.v1");
    assert.equal(defaultProtoPackage("42-things"), "things.v1");
    assert.equal(defaultProtoPackage("---"), "events.v1");
  });

  test("--package names the folder and the package; one that buf would refuse is a usage error", () => {
    const dir = folder();
    const report = scaffold({ dir, force: false, protoPackage: "acme.billing.v2beta1" }, eventwire);
    assert.ok(report.written.includes("proto/acme/billing/v2beta1/events.proto"));
    assert.match(read(dir, "src/events.ts"), /from "\.\/gen\/acme\/billing\/v2beta1\/events\.js"/);
    for (const good of ["acme.v1test", "acme.v1p1beta1", "acme.v3alpha"]) scaffold({ dir: folder(), force: false, protoPackage: good }, eventwire);
    for (const bad of ["acme", "Acme.v1", "acme.billing", "acme-billing.v1", "acme..v1", "acme.v0", "acme.v1p1", "acme.v1beta0"]) {
      const error = usageErrorOf(() => scaffold({ dir: folder(), force: false, protoPackage: bad }, eventwire));
      assert.match(error.message, /is not a versioned \.proto package/, bad);
    }
  });

  test("a file where the folder should be is a usage error", () => {
    const file = join(base, "a-file");
    writeFileSync(file, "");
    assert.match(usageErrorOf(() => scaffold({ dir: file, force: false }, eventwire)).message, /is not a folder$/);
  });

  test("an eventwire package.json without a range init needs: a failure naming the package", () => {
    const { devDependencies, ...rest } = eventwire;
    const { "ts-proto": _, ...withoutTsProto } = devDependencies;
    assert.throws(
      () => neededPackages({ ...rest, devDependencies: withoutTsProto }),
      (error: unknown) => error instanceof CliError && error.exitCode === 1 && /names no version of ts-proto/.test(error.message),
    );
  });
});

describe("the README says what init does", () => {
  const readme = read(root, "README.md");
  const section = readme.slice(readme.indexOf("### Your own events, from an empty folder"), readme.indexOf("\n## Redis\n"));

  test("the registry file it shows is the one init writes for my-service", () => {
    assert.ok(section.includes("```ts\n" + registryFile("my_service.v1") + "```\n"), "README's src/events.ts differs from what init writes");
  });

  test("it lists every option buf.gen.yaml must keep, one line each", () => {
    const listed = [...section.matchAll(/^- `([\w]+=[^`]+)` — \S/gm)].map((m) => m[1]);
    assert.deepEqual(listed, TS_PROTO_OPTIONS.map((o) => o.option));
  });
});

describe("eventwire init, the command", { concurrency: true }, () => {
  test("writes into the folder given, lists what it wrote and what to run next", async () => {
    const dir = folder("cli-project");
    const r = await cli(["init", dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^eventwire init: set up .*cli-project for eventwire events \(\.proto package cli_project\.v1\)\n/);
    for (const path of ["buf.yaml", "buf.gen.yaml", "proto/cli_project/v1/events.proto", "src/events.ts", "tsconfig.json", "package.json"]) {
      assert.match(r.stdout, new RegExp(`^ {2}wrote +${path.replace(/[./]/g, "\\$&")}$`, "m"));
    }
    assert.match(r.stdout, /\nNext:\n {2}cd .*cli-project\n {2}npm install +#.*\n {2}npm run generate +#/);

    const again = await cli(["init", dir]);
    assert.equal(again.status, 2);
    assert.equal(again.stdout, "");
    assert.match(again.stderr, /^eventwire init: buf\.yaml, buf\.gen\.yaml, proto\/cli_project\/v1\/events\.proto, src\/events\.ts are already in .*; nothing was written\nRun eventwire init --force to overwrite them/);

    const forced = await cli(["init", dir, "--force"]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /^ {2}overwrote +buf\.gen\.yaml$/m);
  });

  test("in the working directory by default: no cd in the next steps", async () => {
    const dir = folder("here");
    mkdirSync(dir);
    const r = await cli(["init"], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, "buf.gen.yaml")));
    assert.match(r.stdout, /\nNext:\n {2}npm install/);
  });

  test("--help documents the options; wrong command lines are status 2", async () => {
    const [help, extra, badPackage] = await Promise.all([
      cli(["init", "--help"]),
      cli(["init", "a", "b"]),
      cli(["init", folder(), "--package", "Orders"]),
    ]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: eventwire init \[dir\] \[options\]$/m);
    assert.match(help.stdout, /^ {2}--package NAME +the \.proto package/m);
    assert.match(help.stdout, /^ {2}--force +overwrite the files init writes/m);
    assert.match(help.stdout, /buf\.gen\.yaml +ts-proto with the options eventwire needs/);
    assert.equal(extra.status, 2);
    assert.match(extra.stderr, /^eventwire init: unexpected argument "b"\n/);
    assert.equal(badPackage.status, 2);
    assert.match(badPackage.stderr, /^eventwire init: --package "Orders" is not a versioned \.proto package\nGive lower_snake_case names/);
  });
});
