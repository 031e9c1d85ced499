// The package as npm publishes it: what the tarball holds (and nothing
// stray), the fields a registry page shows, no script that runs when a user
// installs it, require() of every entry point on the Node versions `engines`
// allows, types and exports checked by @arethetypeswrong/cli, and protobufjs
// needed only for event types read from .proto files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { root } from "../support/cli.js";
import { pack, packDryRun, type Packed } from "../support/pack.js";

const work = mkdtempSync(join(tmpdir(), "eventwire-package-"));
/** A project with the packed eventwire installed, and its dependencies (not protobufjs) linked from the repository's. */
const project = join(work, "project");
let packed: Packed;
let tarball: string;

interface PackageJson {
  name: string;
  license: string;
  engines: { node: string };
  scripts?: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
  exports: Record<string, unknown>;
}

const repoPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;

before(async () => {
  packed = await pack(work);
  tarball = join(work, packed.filename);
  const installed = join(project, "node_modules", "eventwire");
  mkdirSync(installed, { recursive: true });
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], { encoding: "utf8" });
  assert.equal(untar.status, 0, untar.stderr);
  for (const name of Object.keys(repoPackage.dependencies)) {
    const at = join(project, "node_modules", ...name.split("/"));
    mkdirSync(join(at, ".."), { recursive: true });
    symlinkSync(join(root, "node_modules", ...name.split("/")), at, "dir");
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "project", version: "1.0.0", private: true }));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function node(args: readonly string[], cwd = project): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["NODE_OPTIONS"];
  delete env["NODE_TEST_CONTEXT"];
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the tarball", () => {
  test("npm pack --dry-run lists the build, the sources its maps point to, the contract, README and LICENSE, and nothing else", async () => {
    const dry = await packDryRun();
    const paths = dry.files.map((f) => f.path).sort();
    for (const path of ["LICENSE", "README.md", "package.json", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/main.js", "dist/src/redis/lua/ack.lua", "src/index.ts", "proto/eventwire/envelope/v1/envelope.proto"]) {
      assert.ok(paths.includes(path), `the tarball lacks ${path}`);
    }
    const stray = paths.filter((p) => !/^(LICENSE|README\.md|package\.json|dist\/src\/.+\.(js|d\.ts|js\.map|d\.ts\.map|lua)|src\/.+\.(ts|lua)|proto\/.+\.proto)$/.test(p));
    assert.deepEqual(stray, [], "files that do not belong in the package");
    for (const p of paths) assert.ok(!/(^|\/)(test|tests|bench|examples|scripts|gen|node_modules)\//.test(p) && !/\.test\./.test(p), `stray: ${p}`);
    assert.deepEqual(paths, packed.files.map((f) => f.path).sort(), "npm pack packs what --dry-run lists");
  });

  test("package.json: license with its text, repository, homepage and bugs; no script runs when a user installs it", () => {
    const inside = JSON.parse(spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }).stdout) as PackageJson;
    assert.equal(inside.license, "Apache-2.0");
    const license = spawnSync("tar", ["-xzOf", tarball, "package/LICENSE"], { encoding: "utf8" }).stdout;
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(license, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
    assert.match(inside.repository?.url ?? "", /^git\+https:\/\/github\.com\/[\w-]+\/eventwire\.git$/);
    assert.equal(inside.homepage, inside.repository!.url.replace(/^git\+/, "").replace(/\.git$/, "#readme"));
    assert.equal(inside.bugs?.url, inside.repository!.url.replace(/^git\+/, "").replace(/\.git$/, "/issues"));
    const installTime = ["preinstall", "install", "postinstall", "prepare"].filter((s) => inside.scripts?.[s] !== undefined);
    assert.deepEqual(installTime, [], "scripts npm runs (or warns about) when the package is installed");
  });

  test("protobufjs is an optional peer dependency, not a dependency", () => {
    assert.equal(repoPackage.dependencies["protobufjs"], undefined);
    assert.ok(repoPackage.peerDependencies?.["protobufjs"]);
    assert.equal(repoPackage.peerDependenciesMeta?.["protobufjs"]?.optional, true);
  });
});

describe("CommonJS and ES modules, on the Node versions engines allows", () => {
  test("engines names only Node versions where require() loads ES modules without a flag, and this Node is one", () => {
    assert.equal(repoPackage.engines.node, "^20.19.0 || >=22.12.0");
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    assert.ok((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22, `Node ${process.versions.node} is outside engines`);
  });

  test("require() and import of every entry point but eventwire/dynamic work without protobufjs", () => {
    const entries = Object.keys(repoPackage.exports).filter((k) => k !== "./package.json").map((k) => (k === "." ? "eventwire" : `eventwire/${k.slice(2)}`));
    const plain = entries.filter((e) => e !== "eventwire/dynamic");
    const cjs = node(["-e", `for (const e of ${JSON.stringify(plain)}) { const m = require(e); if (Object.keys(m).length === 0) throw new Error(e + " exports nothing"); } console.log(typeof require("eventwire").createRegistry, typeof require("eventwire/redis").connectRedis)`]);
    assert.equal(cjs.status, 0, cjs.stderr);
    assert.equal(cjs.stdout.trim(), "function function");
    const esm = node(["--input-type=module", "-e", `for (const e of ${JSON.stringify(plain)}) await import(e); const { createRegistry } = await import("eventwire"); console.log(typeof createRegistry)`]);
    assert.equal(esm.status, 0, esm.stderr);
    assert.equal(esm.stdout.trim(), "function");
    const dynamic = node(["-e", 'require("eventwire/dynamic")']);
    assert.notEqual(dynamic.status, 0);
    assert.match(dynamic.stderr, /protobufjs/);
  });

  test("@arethetypeswrong/cli finds no problem with the types and exports for Node 16+ resolution and bundlers (CommonJS loads the ES modules through require(esm))", () => {
    const attw = spawnSync(
      process.execPath,
      [join(root, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js"), tarball, "--profile", "node16", "--ignore-rules", "cjs-resolves-to-esm", "--format", "json"],
      { cwd: work, encoding: "utf8", timeout: 120_000 },
    );
    const report = JSON.parse(attw.stdout) as { analysis: { problems: { kind: string; entrypoint?: string; resolutionKind?: string }[] } };
    // node10 (TypeScript's moduleResolution "node") reads no exports map: only the main entry resolves there, through "types"
    const problems = report.analysis.problems.filter((p) => p.kind !== "CJSResolvesToESM" && p.resolutionKind !== "node10");
    assert.deepEqual(problems, []);
    assert.equal(attw.status, 0, attw.stderr);
    const requireEsm = report.analysis.problems.filter((p) => p.kind === "CJSResolvesToESM").map((p) => p.entrypoint);
    assert.ok(requireEsm.includes("."), "require() of eventwire loads its ES module (checked above to work on this Node)");
  });
});

describe("the eventwire command, installed without protobufjs", () => {
  test("works without .proto files, and says to install protobufjs when given some", () => {
    const main = join(project, "node_modules", "eventwire", "dist", "src", "cli", "main.js");
    const types = node([main, "types", "--json"]);
    assert.equal(types.status, 0, types.stderr);
    assert.deepEqual((JSON.parse(types.stdout) as { event_types: unknown[] }).event_types, []);
    const withProto = node([main, "types", "--proto", join(root, "proto")]);
    assert.equal(withProto.status, 1);
    assert.match(withProto.stderr, /^eventwire types: reading event types from \.proto files \(.*\) needs protobufjs, which is not installed\nInstall it next to eventwire: npm install protobufjs\n$/);

    symlinkSync(join(root, "node_modules", "protobufjs"), join(project, "node_modules", "protobufjs"), "dir");
    try {
      const listed = node([main, "types", "--json", "--proto", join(root, "proto")]);
      assert.equal(listed.status, 0, listed.stderr);
      assert.ok((JSON.parse(listed.stdout) as { event_types: { name: string }[] }).event_types.some((t) => t.name === "OrderCreatedEvent"));
    } finally {
      rmSync(join(project, "node_modules", "protobufjs"));
    }
  });
});
