/** Reading `.proto` files from folders or paths with protobufjs, imports resolved as `protoc -I` resolves them. */
import { existsSync, readdirSync, statSync } from "node:fs";
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

/**
 * Reads `.proto` files with protobufjs: each path is a folder (every
 * `.proto` file under it is read, and imports resolve from it, as with
 * `protoc -I`) or a single file. Returns {@link protoTypes} of them. Throws
 * {@link RegistryError} naming the file when one cannot be read or parsed.
 */
export function loadProtoTypes(paths: readonly string[], options: ProtoTypesOptions = {}): ProtoTypes {
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
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return origin ? resolve(dirname(origin), target) : resolve(target);
  };
  try {
    root.loadSync(files, { keepCase: true });
  } catch (cause) {
    const where = `imports resolve from ${includeDirs.join(", ")}, as with protoc -I`;
    throw new RegistryError("invalid-event-type", `cannot read the .proto files (${where}): ${(cause as Error).message}`, { cause });
  }
  return protoTypes(root, options);
}
