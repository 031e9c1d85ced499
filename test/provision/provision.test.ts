// The provisioning step (scripts/provision.mjs) that runs before the tests:
// it reports missing Debian packages on one line when installing is off,
// installs exactly the missing ones with apt-get (as root, or through sudo)
// and checks again, and does nothing when everything is present. apt-get and
// sudo are stand-ins here that record their calls and create what a package
// would bring, so nothing is really installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../../scripts/provision.mjs", import.meta.url));
const REAL_NEEDS = fileURLToPath(new URL("../../scripts/system-needs.mjs", import.meta.url));
const AS_ROOT = process.getuid?.() === 0;
const INSTALL = "install -y --no-install-recommends";

/** One entry of a needs module, as scripts/system-needs.mjs declares them. */
interface Need {
  readonly package: string;
  readonly command?: string;
  readonly python?: string;
  readonly file?: string;
  readonly serves: string;
}

// apt-get's stand-in: logs "DEBIAN_FRONTEND|arguments" per call; `install`
// creates, for each package P, a command P in $FAKE_BIN and a Python module
// P (dashes as underscores) in $FAKE_PYTHONPATH, unless FAKE_APT_CREATES=0;
// FAKE_APT_STATUS makes install fail with that status.
const FAKE_APT_GET = `#!/bin/sh
printf '%s|%s\\n' "\${DEBIAN_FRONTEND:-}" "$*" >> "$FAKE_LOG"
[ "$1" = install ] || exit 0
if [ -n "\${FAKE_APT_STATUS:-}" ]; then
  echo "E: Unable to locate package $4"
  exit "$FAKE_APT_STATUS"
fi
[ "\${FAKE_APT_CREATES:-1}" = 1 ] || exit 0
shift
for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *)
      printf '#!/bin/sh\\nexit 0\\n' > "$FAKE_BIN/$arg"
      chmod +x "$FAKE_BIN/$arg"
      echo "VALUE = 1" > "$FAKE_PYTHONPATH/$(echo "$arg" | tr - _).py"
      ;;
  esac
done
`;

// sudo's stand-in: logs its call, then runs the command without -n.
const FAKE_SUDO = `#!/bin/sh
printf 'sudo|%s\\n' "$*" >> "$FAKE_LOG"
[ "$1" = -n ] && shift
exec "$@"
`;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let bin: string;
let pythonPath: string;
let log: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "eventwire-provision-"));
  bin = join(dir, "bin");
  pythonPath = join(dir, "python");
  log = join(dir, "calls.log");
  mkdirSync(bin);
  mkdirSync(pythonPath);
  for (const [name, text] of [["apt-get", FAKE_APT_GET], ["sudo", FAKE_SUDO]] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the provisioning step on `needs` (a list, or a module path), with the stand-ins. */
function provision(needs: readonly Need[] | string, env: Record<string, string> = {}): Run {
  let needsPath: string;
  if (typeof needs === "string") {
    needsPath = needs;
  } else {
    needsPath = join(dir, "needs.mjs");
    writeFileSync(needsPath, `// Needs for one test.\nexport default ${JSON.stringify(needs, null, 2)};\n`);
  }
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("EVENTWIRE_") && !k.startsWith("FAKE_")));
  const r = spawnSync(process.execPath, [SCRIPT], {
    encoding: "utf8",
    env: {
      ...base,
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      PYTHONPATH: pythonPath,
      DEBIAN_FRONTEND: "readline", // apt-get must be run with noninteractive whatever is set
      EVENTWIRE_SYSTEM_NEEDS: needsPath,
      EVENTWIRE_APT_GET: join(dir, "apt-get"),
      EVENTWIRE_SUDO: join(dir, "sudo"),
      FAKE_LOG: log,
      FAKE_BIN: bin,
      FAKE_PYTHONPATH: pythonPath,
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The stand-ins' calls, one per line; none when they were never run. */
function calls(): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [];
}

/** What the stand-ins record for an install of `packages`: sudo first when not root. */
function installCalls(packages: readonly string[]): string[] {
  const apt = join(dir, "apt-get");
  if (AS_ROOT) return ["noninteractive|update", `noninteractive|${INSTALL} ${packages.join(" ")}`];
  return [
    "sudo|-n true",
    `sudo|-n ${apt} update`,
    "noninteractive|update",
    `sudo|-n env DEBIAN_FRONTEND=noninteractive ${apt} ${INSTALL} ${packages.join(" ")}`,
    `noninteractive|${INSTALL} ${packages.join(" ")}`,
  ];
}

const SUDO = AS_ROOT ? "" : "sudo ";
const PRESENT: Need = { package: "dash", command: "sh", serves: "a shell, present everywhere" };
const TOOL_A: Need = { package: "eventwire-test-tool-a", command: "eventwire-test-tool-a", serves: "the first thing a test needs" };
const TOOL_B: Need = { package: "eventwire-test-tool-b", command: "eventwire-test-tool-b", serves: "the second thing a test needs" };

describe("provisioning the system needs", () => {
  test("installing off: a missing package gives one line naming its apt-get install, a non-zero exit, and nothing installed", () => {
    const r = provision([PRESENT, TOOL_A], { EVENTWIRE_NO_INSTALL: "1" });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.split("\n").length, 2, r.stderr); // one line and its newline
    assert.match(
      r.stderr,
      new RegExp(
        `^provision: missing Debian packages: eventwire-test-tool-a \\(eventwire-test-tool-a is not on PATH\\)\\. EVENTWIRE_NO_INSTALL is set, so nothing was installed; ` +
          `install them with: ${SUDO}apt-get update && ${SUDO}apt-get ${INSTALL} eventwire-test-tool-a\\n$`,
      ),
    );
    assert.doesNotMatch(r.stderr, /dash/);
    assert.deepEqual(calls(), []);
    assert.equal(existsSync(join(bin, "eventwire-test-tool-a")), false);
  });

  test(`${AS_ROOT ? "as root" : "through password-less sudo"}: apt-get update, then an install of exactly the missing packages, each announced with what it serves; then it succeeds`, () => {
    const r = provision([TOOL_A, PRESENT, TOOL_B]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(calls(), installCalls(["eventwire-test-tool-a", "eventwire-test-tool-b"]));
    const lines = r.stderr.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      "provision: installing eventwire-test-tool-a for the first thing a test needs",
      "provision: installing eventwire-test-tool-b for the second thing a test needs",
    ]);
    assert.match(lines[2] ?? "", /^provision: installed eventwire-test-tool-a eventwire-test-tool-b in \d+ s$/);
    assert.equal(lines.length, 3, r.stderr);
    assert.ok(existsSync(join(bin, "eventwire-test-tool-b")));
  });

  test("a package that apt-get installs without bringing what was needed: still missing, non-zero exit", () => {
    const r = provision([TOOL_A], { FAKE_APT_CREATES: "0" });
    assert.equal(r.status, 1);
    assert.deepEqual(calls(), installCalls(["eventwire-test-tool-a"]));
    assert.match(r.stderr, /^provision: still missing after apt-get install eventwire-test-tool-a: eventwire-test-tool-a \(eventwire-test-tool-a is not on PATH\)$/m);
  });

  test("a failing apt-get install: its status and the end of its output, non-zero exit", () => {
    const r = provision([TOOL_A], { FAKE_APT_STATUS: "100" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^provision: apt-get install eventwire-test-tool-a failed \(exit 100\):\n {2}E: Unable to locate package eventwire-test-tool-a\n$/m);
  });

  test("all present (a command on PATH, a command by path, a Python module, a file): nothing printed, apt-get never run, exit 0", () => {
    const r = provision([
      PRESENT,
      { package: "nodejs", command: process.execPath, serves: "Node" },
      { package: "libpython3-stdlib", python: "json", serves: "Python's json" },
      { package: "nodejs", file: process.execPath, serves: "Node's binary" },
    ]);
    assert.deepEqual(r, { status: 0, stdout: "", stderr: "" });
    assert.deepEqual(calls(), []);
  });

  test("a Python import check: a module /usr/bin/python3 cannot import is missing, one it can is not; installing it makes it importable", () => {
    const pymod: Need = { package: "eventwire-test-pymod", python: "eventwire_test_pymod", serves: "a Python module a test needs" };
    const present: Need = { package: "libpython3-stdlib", python: "json", serves: "Python's json" };
    const off = provision([present, pymod], { EVENTWIRE_NO_INSTALL: "1" });
    assert.equal(off.status, 1);
    assert.match(
      off.stderr,
      new RegExp(
        `^provision: missing Debian packages: eventwire-test-pymod \\(/usr/bin/python3 cannot import eventwire_test_pymod: No module named 'eventwire_test_pymod'\\)\\. ` +
          `.*apt-get ${INSTALL} eventwire-test-pymod\\n$`,
      ),
    );
    assert.doesNotMatch(off.stderr, /libpython3-stdlib/);

    const on = provision([present, pymod]);
    assert.equal(on.status, 0, on.stderr);
    assert.deepEqual(calls(), installCalls(["eventwire-test-pymod"]));
    assert.match(on.stderr, /^provision: installing eventwire-test-pymod for a Python module a test needs$/m);
  });

  test("a file check: a missing file is reported with its package", () => {
    const r = provision([PRESENT, { package: "eventwire-test-data", file: join(dir, "no-such-file.proto"), serves: "a file a test needs" }], { EVENTWIRE_NO_INSTALL: "1" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^provision: missing Debian packages: eventwire-test-data \\(${dir}/no-such-file\\.proto is missing\\)\\. .*apt-get ${INSTALL} eventwire-test-data\\n$`));
  });

  test("a wrong needs module: which need and what is wrong, exit 2, nothing run", () => {
    const typo = provision([PRESENT, { package: "protobuf-compiler", comand: "protoc", serves: "protoc" } as unknown as Need]);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /^provision: .*needs\.mjs: need 2: unknown key "comand" \(the keys are package, serves, command, python, file\)\n$/);
    const two = provision([{ package: "protobuf-compiler", command: "protoc", file: "/usr/bin/protoc", serves: "protoc" }]);
    assert.equal(two.status, 2);
    assert.match(two.stderr, /need 1 \(protobuf-compiler\): give exactly one check, "command", "python" or "file" \(got 2\)/);
    const why = provision([{ package: "protobuf-compiler", command: "protoc" } as unknown as Need]);
    assert.equal(why.status, 2);
    assert.match(why.stderr, /need 1 \(protobuf-compiler\): "serves" must say what the package is for/);
    const none = provision(join(dir, "absent.mjs"));
    assert.equal(none.status, 2);
    assert.match(none.stderr, /absent\.mjs: no such file\n$/);
    assert.deepEqual(calls(), []);
  });

  test("the project's own needs are declared well and met on this machine (npm test provisions them first)", () => {
    const r = provision(REAL_NEEDS, { EVENTWIRE_NO_INSTALL: "1" });
    assert.deepEqual(r, { status: 0, stdout: "", stderr: "" });
  });
});
