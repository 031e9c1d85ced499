// Go reads the contract: the Go code generated from proto/ (go/gen, with
// Debian's protoc-gen-go) and Go's protobuf runtime (Debian's
// golang-google-protobuf-dev, under /usr/share/gocode: no module is
// fetched) decode every golden vector and encode it back byte for byte
// (go/vectors for the shop's events; test/go for the all-types fixture,
// whose Go code protoc-gen-go generates here first).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const INSTALL = "apt-get install golang-go protoc-gen-go golang-google-protobuf-dev protobuf-compiler libprotobuf-dev (npm test installs them)";
const GOCODE = "/usr/share/gocode";
const MODULE = "github.com/eventwire/eventwire";

const tmp = mkdtempSync(join(tmpdir(), "eventwire-go-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function protoFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      if (name.isDirectory()) walk(join(d, name.name));
      else if (name.name.endsWith(".proto")) out.push(relative(dir, join(d, name.name)));
    }
  };
  walk(dir);
  return out.sort();
}

test("Go decodes every golden vector and encodes it back byte for byte", () => {
  for (const tool of ["go", "protoc", "protoc-gen-go"]) {
    const found = spawnSync(tool, tool === "go" ? ["version"] : ["--version"], { encoding: "utf8" });
    assert.equal(found.status, 0, `${tool} is missing: the Go check needs it (${INSTALL})`);
  }
  assert.ok(existsSync(join(GOCODE, "src/google.golang.org/protobuf/proto")), `Go's protobuf runtime is missing from ${GOCODE} (${INSTALL})`);

  // A GOPATH holding the repository under its import path, and the fixture's Go code.
  const gopath = join(tmp, "gopath");
  mkdirSync(join(gopath, "src/github.com/eventwire"), { recursive: true });
  symlinkSync(root, join(gopath, "src", MODULE));
  const fixtures = join(root, "test/fixtures/proto");
  const files = protoFiles(fixtures).filter((f) => f.startsWith("fixtures/full/") || f.startsWith("fixtures/types/"));
  const out = join(gopath, "src/eventwire.test");
  mkdirSync(out, { recursive: true });
  const mappings = files.map((f) => `--go_opt=M${f}=eventwire.test/${f.slice(0, f.lastIndexOf("/"))}`);
  const gen = spawnSync("protoc", [`--go_out=${out}`, "--go_opt=paths=source_relative", ...mappings, `-I${fixtures}`, "-I/usr/include", ...files], { encoding: "utf8" });
  assert.equal(gen.status, 0, `protoc-gen-go failed:\n${gen.stderr}`);

  const run = spawnSync("go", ["test", "-count=1", `${MODULE}/go/vectors`, `${MODULE}/test/go`], {
    cwd: tmp,
    encoding: "utf8",
    timeout: 300_000,
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH: `${gopath}:${GOCODE}`,
      GOPROXY: "off",
      GOFLAGS: "",
      GOCACHE: process.env["GOCACHE"] ?? join(tmpdir(), "eventwire-go-cache"),
      EVENTWIRE_VECTORS: join(root, "test/vectors"),
    },
  });
  assert.equal(run.status, 0, `go test failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, new RegExp(`^ok\\s+${MODULE}/go/vectors`, "m"));
  assert.match(run.stdout, new RegExp(`^ok\\s+${MODULE}/test/go`, "m"));
});
