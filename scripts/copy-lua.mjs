#!/usr/bin/env node
// Part of `npm run build`: copies the Redis scripts and their libraries (src/redis/lua/**/*.lua)
// beside the compiled module that reads them (dist/src/redis/lua/).
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const from = join(root, "src", "redis", "lua");
const to = join(root, "dist", "src", "redis", "lua");
for (const dir of ["", "lib"]) {
  mkdirSync(join(to, dir), { recursive: true });
  for (const name of readdirSync(join(from, dir))) if (name.endsWith(".lua")) copyFileSync(join(from, dir, name), join(to, dir, name));
}
