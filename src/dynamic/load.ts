/** Reading `.proto` files from folders or paths with protobufjs, imports resolved as `protoc -I` resolves them. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import protobuf from "protobufjs";
import { RegistryError } from "../index.js";
import { protoTypes, type ProtoTypes, type ProtoTypesOptions } from "./proto-types.js";

/** Every `.proto` file under `dir`, sorted (folders named `node_modules` or starting with `.` are skipped). */
function protoFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && !name.startsWith(".")) out.push(...protoFilesUnder(path));
    } else if (name.endsWith(".proto")) {
      out.push(path);
    }
  }
  return out;
}

/** Comments and string literals of .proto text, which may say anything. */
const COMMENTS_AND_STRINGS = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g;

/**
 * Refuses a .proto file that names anything `__proto__` (a package, a
 * message, a field, an enum): protobufjs keeps declarations in plain
 * objects, where that name would replace a prototype and the declaration
 * would silently vanish.
 */
function refuseProtoNames(file: string): void {
  const text = readFileSync(file, "utf8").replace(COMMENTS_AND_STRINGS, " ");
  const at = text.search(/(?<![A-Za-z0-9_])__proto__(?![A-Za-z0-9_])/);
  if (at >= 0) {
    const line = text.slice(0, at).split("\n").length;
    throw new RegistryError("invalid-event-type", `${file}:${line}: the name __proto__ is not allowed in eventwire's event types (it would replace a JavaScript prototype); rename it`);
  }
}

/**
 * Reads `.proto` files with protobufjs: each path is a folder (every
 * `.proto` file under it is read, and imports resolve from it, as with
 * `protoc -I`) or a single file. Returns {@link protoTypes} of them. Throws
 * {@link RegistryError} naming the file when one cannot be read or parsed.
 */
export function loadProtoTypes(paths: readonly string[], options: ProtoTypesOptions = {}): ProtoTypes {
  return protoTypes(readProtoRoot(paths), options);
}

/** The protobufjs root of the `.proto` files at `paths` (see {@link loadProtoTypes}), not yet resolved. */
export function readProtoRoot(paths: readonly string[]): protobuf.Root {
  const includeDirs: string[] = [];
  const files: string[] = [];
  for (const given of paths) {
    const path = resolve(given);
    if (!existsSync(path)) throw new RegistryError("invalid-event-type", `${given}: no such file or folder`);
    if (statSync(path).isDirectory()) {
      includeDirs.push(path);
      const found = protoFilesUnder(path);
      if (found.length === 0) throw new RegistryError("invalid-event-type", `${given}: no .proto files in this folder`);
      files.push(...found);
    } else {
      includeDirs.push(dirname(path));
      files.push(path);
    }
  }
  for (const file of files) refuseProtoNames(file);
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    let found: string;
    if (isAbsolute(target)) found = target;
    else found = includeDirs.map((dir) => join(dir, target)).find((candidate) => existsSync(candidate)) ?? (origin ? resolve(dirname(origin), target) : resolve(target));
    if (existsSync(found)) refuseProtoNames(found);
    return found;
  };
  try {
    root.loadSync(files, { keepCase: true });
  } catch (cause) {
    const where = `imports resolve from ${includeDirs.join(", ")}, as with protoc -I`;
    throw new RegistryError("invalid-event-type", `cannot read the .proto files (${where}): ${(cause as Error).message}`, { cause });
  }
  return root;
}
