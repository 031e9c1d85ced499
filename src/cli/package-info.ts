/** eventwire's own package.json, found from this module: the version the CLI reports and the dependency ranges `init` copies. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The parts of eventwire's package.json the CLI reads. */
export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

let cached: PackageInfo | undefined;

/**
 * eventwire's package.json: the first one named `eventwire` above this
 * module (`src/cli/` when run from the sources, `dist/src/cli/` when
 * installed). Undefined when there is none (a bundled copy, say).
 */
export function eventwirePackage(): PackageInfo | undefined {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const path = join(dir, "package.json");
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, "utf8")) as Partial<PackageInfo>;
      if (pkg.name === "eventwire") {
        cached = {
          name: pkg.name,
          version: pkg.version ?? "unknown",
          dependencies: pkg.dependencies ?? {},
          devDependencies: pkg.devDependencies ?? {},
        };
        return cached;
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}
