#!/usr/bin/env node
// Makes sure this machine has the Debian packages that eventwire's tests and
// benchmarks use (declared in scripts/system-needs.mjs). What is present is
// used; what is missing is installed with apt-get, as root or through
// password-less sudo, one line per package saying what and why. Quiet, and
// without running apt-get, when everything is present. Runs before
// `npm test` and `npm run bench`, and in `.ci/run`. Plain Node, no npm
// dependencies: it runs before `npm ci`.
//
// Environment:
//   EVENTWIRE_NO_INSTALL=1   check only: report what is missing, install nothing
//   EVENTWIRE_SYSTEM_NEEDS   the needs module to read (default scripts/system-needs.mjs)
//   EVENTWIRE_APT_GET        the apt-get command (default apt-get)
//   EVENTWIRE_SUDO           the sudo command, used when not root (default sudo)
//
// Exit status: 0 when every need is met (after installing, if it installed);
// 1 when something is missing and was not, or could not be, installed;
// 2 when the needs module is wrong.
// @ts-check
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * One Debian package the project needs, and how to tell that it is there.
 * @typedef {object} Need
 * @property {string} package  the Debian package that provides it
 * @property {string} [command] a program on PATH (or an absolute path) that must be executable
 * @property {string} [python]  a module that Debian's /usr/bin/python3 must import
 * @property {string} [file]    an absolute path that must exist
 * @property {string} serves    what it is for, in a short phrase
 */

/**
 * A need found missing, and why.
 * @typedef {object} Missing
 * @property {Need} need
 * @property {string} reason
 */

const PREFIX = "provision:";
const PYTHON = "/usr/bin/python3";
const DEFAULT_NEEDS = fileURLToPath(new URL("./system-needs.mjs", import.meta.url));
const CHECKS = /** @type {const} */ (["command", "python", "file"]);
const KEYS = new Set(["package", "serves", ...CHECKS]);
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const INSTALL_ARGS = ["install", "-y", "--no-install-recommends"];

/** A wrong needs module: its path and what is wrong. */
class NeedsError extends Error {
  /** @param {string} path @param {string} message */
  constructor(path, message) {
    const inside = relative(process.cwd(), path);
    super(`${inside === "" || inside.startsWith("..") || isAbsolute(inside) ? path : inside}: ${message}`);
    this.name = "NeedsError";
  }
}

/** @param {string} message @returns {never} */
function stop(message, status = 1) {
  process.stderr.write(`${PREFIX} ${message}\n`);
  process.exit(status);
}

/** @param {string | undefined} value */
function isOn(value) {
  return value !== undefined && !["", "0", "false", "no"].includes(value.trim().toLowerCase());
}

/**
 * Reads and checks the needs module.
 * @param {string} path
 * @returns {Promise<Need[]>}
 */
async function loadNeeds(path) {
  if (!existsSync(path)) throw new NeedsError(path, "no such file");
  /** @type {unknown} */
  let list;
  try {
    list = (await import(pathToFileURL(path).href)).default;
  } catch (error) {
    throw new NeedsError(path, `cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(list)) throw new NeedsError(path, "its default export must be an array of needs");
  return list.map((entry, i) => {
    const where = `need ${i + 1}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new NeedsError(path, `${where} must be an object`);
    const unknown = Object.keys(entry).filter((k) => !KEYS.has(k));
    if (unknown.length > 0) throw new NeedsError(path, `${where}: unknown key ${unknown.map((k) => `"${k}"`).join(", ")} (the keys are ${[...KEYS].join(", ")})`);
    const { package: pkg, serves } = entry;
    if (typeof pkg !== "string" || !DEBIAN_PACKAGE.test(pkg)) throw new NeedsError(path, `${where}: "package" must be a Debian package name, got ${JSON.stringify(pkg)}`);
    const named = `${where} (${pkg})`;
    if (typeof serves !== "string" || serves.trim() === "") throw new NeedsError(path, `${named}: "serves" must say what the package is for`);
    const checks = CHECKS.filter((k) => k in entry);
    if (checks.length !== 1) throw new NeedsError(path, `${named}: give exactly one check, "command", "python" or "file" (got ${checks.length})`);
    const check = /** @type {typeof CHECKS[number]} */ (checks[0]);
    const value = entry[check];
    if (typeof value !== "string" || value === "") throw new NeedsError(path, `${named}: "${check}" must be a non-empty string`);
    if (check === "python" && !PYTHON_MODULE.test(value)) throw new NeedsError(path, `${named}: "python" must be a module name such as google.protobuf, got ${JSON.stringify(value)}`);
    if (check === "file" && !isAbsolute(value)) throw new NeedsError(path, `${named}: "file" must be an absolute path, got ${JSON.stringify(value)}`);
    return /** @type {Need} */ ({ package: pkg, [check]: value, serves });
  });
}

/** @param {string} path */
function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Where `command` runs from: itself when it names a path, else the first
 * executable of that name on PATH.
 * @param {string} command
 * @returns {string | undefined}
 */
function which(command) {
  if (command.includes("/")) return isExecutableFile(command) ? command : undefined;
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir !== "" && isExecutableFile(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

// Imports each module named in argv and prints {module: error} for those that fail.
const IMPORT_PROBE = `
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = str(error) if isinstance(error, ModuleNotFoundError) else "%s: %s" % (type(error).__name__, error)
print(json.dumps(failed))
`;

/**
 * The needs that are not met, each with the reason, in declaration order.
 * Python imports are tried in one run of the interpreter.
 * @param {readonly Need[]} needs
 * @returns {Missing[]}
 */
function findMissing(needs) {
  /** @type {Map<string, string>} module → why it cannot be imported */
  const pythonFailures = new Map();
  const modules = [...new Set(needs.flatMap((n) => (n.python === undefined ? [] : [n.python])))];
  if (modules.length > 0) {
    if (!isExecutableFile(PYTHON)) {
      for (const m of modules) pythonFailures.set(m, `${PYTHON} is missing, so it cannot import ${m}`);
    } else {
      const run = spawnSync(PYTHON, ["-c", IMPORT_PROBE, ...modules], { encoding: "utf8" });
      /** @type {Record<string, string> | undefined} */
      let failed;
      try {
        failed = run.status === 0 ? JSON.parse(run.stdout) : undefined;
      } catch {
        failed = undefined;
      }
      if (failed === undefined) {
        const said = (run.error?.message ?? run.stderr ?? "").trim().split("\n").pop() ?? "";
        for (const m of modules) pythonFailures.set(m, `${PYTHON} could not check its modules${said ? ` (${said})` : ""}`);
      } else {
        for (const [m, error] of Object.entries(failed)) pythonFailures.set(m, `${PYTHON} cannot import ${m}: ${error}`);
      }
    }
  }
  /** @type {Missing[]} */
  const missing = [];
  for (const need of needs) {
    if (need.command !== undefined) {
      if (which(need.command) === undefined) {
        missing.push({ need, reason: need.command.includes("/") ? `${need.command} is missing or not executable` : `${need.command} is not on PATH` });
      }
    } else if (need.python !== undefined) {
      const reason = pythonFailures.get(need.python);
      if (reason !== undefined) missing.push({ need, reason });
    } else if (need.file !== undefined && !existsSync(need.file)) {
      missing.push({ need, reason: `${need.file} is missing` });
    }
  }
  return missing;
}

/** @param {readonly Missing[]} missing */
function packagesOf(missing) {
  return [...new Set(missing.map((m) => m.need.package))];
}

/** Each missing package with the reason, on one line. @param {readonly Missing[]} missing */
function listMissing(missing) {
  return missing.map((m) => `${m.need.package} (${m.reason.replace(/\s+/g, " ")})`).join(", ");
}

/**
 * The command line to show a person, with sudo when not root.
 * @param {readonly string[]} packages
 * @param {boolean} asRoot
 */
function manualCommand(packages, asRoot) {
  const sudo = asRoot ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get ${[...INSTALL_ARGS, ...packages].join(" ")}`;
}

/** The last lines of a command's output, indented, for an error message. @param {string} text */
function tail(text, lines = 15) {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).map((l) => `  ${l}`).join("\n");
}

/**
 * Runs one apt-get command, its output kept for the error message.
 * @param {readonly string[]} command program and arguments
 */
function run(command) {
  const [program, ...args] = command;
  const r = spawnSync(/** @type {string} */ (program), args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const failure = r.error !== undefined ? r.error.message : r.status !== 0 ? `exit ${r.status ?? r.signal}` : undefined;
  return { failure, output };
}

async function main() {
  const needsPath = resolve(process.env["EVENTWIRE_SYSTEM_NEEDS"] || DEFAULT_NEEDS);
  /** @type {Need[]} */
  let needs;
  try {
    needs = await loadNeeds(needsPath);
  } catch (error) {
    if (error instanceof NeedsError) stop(error.message, 2);
    throw error;
  }

  const missing = findMissing(needs);
  if (missing.length === 0) return;

  const packages = packagesOf(missing);
  const asRoot = process.getuid?.() === 0;
  const aptGet = process.env["EVENTWIRE_APT_GET"] || "apt-get";
  const sudo = process.env["EVENTWIRE_SUDO"] || "sudo";
  const what = `missing Debian packages: ${listMissing(missing)}`;

  if (isOn(process.env["EVENTWIRE_NO_INSTALL"])) {
    stop(`${what}. EVENTWIRE_NO_INSTALL is set, so nothing was installed; install them with: ${manualCommand(packages, asRoot)}`);
  }
  if (which(aptGet) === undefined) {
    stop(`${what}. ${aptGet} is not on PATH, so install these packages (Debian names) with this system's package manager, or on Debian: ${manualCommand(packages, asRoot)}`);
  }
  /** @type {string[]} */
  let viaSudo = [];
  if (!asRoot) {
    const probe = spawnSync(sudo, ["-n", "true"], { stdio: "ignore" });
    if (probe.error !== undefined || probe.status !== 0) {
      stop(`${what}. Installing them needs root or password-less sudo; run: ${manualCommand(packages, false)}`);
    }
    viaSudo = [sudo, "-n"];
  }

  for (const pkg of packages) {
    const serves = [...new Set(missing.filter((m) => m.need.package === pkg).map((m) => m.need.serves))].join("; ");
    process.stderr.write(`${PREFIX} installing ${pkg} for ${serves}\n`);
  }
  const started = Date.now();
  const update = run([...viaSudo, aptGet, "update"]);
  if (update.failure !== undefined) {
    process.stderr.write(`${PREFIX} apt-get update failed (${update.failure}); trying the install with the package lists there are:\n${tail(update.output, 5)}\n`);
  }
  // sudo drops most of the environment, so DEBIAN_FRONTEND goes through env(1).
  const install = run([...viaSudo, ...(viaSudo.length > 0 ? ["env", "DEBIAN_FRONTEND=noninteractive"] : []), aptGet, ...INSTALL_ARGS, ...packages]);
  if (install.failure !== undefined) {
    stop(`apt-get install ${packages.join(" ")} failed (${install.failure}):\n${tail(install.output)}`);
  }

  const still = findMissing(needs);
  if (still.length > 0) {
    stop(`still missing after apt-get install ${packages.join(" ")}: ${listMissing(still)}`);
  }
  process.stderr.write(`${PREFIX} installed ${packages.join(" ")} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

await main();
