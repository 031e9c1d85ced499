#!/usr/bin/env node
// The `eventwire` command (package.json's `bin`): see `eventwire --help`.
import { run } from "./run.js";

// `eventwire tail … | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const status = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
// Exit now rather than when the last timer of a closed Redis client fires;
// standard output and error are flushed first.
process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));
