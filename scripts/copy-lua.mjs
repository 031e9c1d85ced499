#!/usr/bin/env node
// Part of `npm run build`: copies the Redis scripts (src/redis/lua/*.lua)
// beside the compiled module that reads them (dist/src/redis/lua/).
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const from = join(root, "src", "redis", "lua");
const to = join(root, "dist", "src", "redis", "lua");
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (name.endsWith(".lua")) copyFileSync(join(from, name), join(to, name));
