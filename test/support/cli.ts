/**
 * Runs the `eventwire` command (and the demo) as a user does: a separate
 * process, from the sources (TypeScript through tsx, the package's imports
 * resolved to src/).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
// (tsx found from here, so that a test may run the CLI in another working directory)
const NODE_ARGS = ["--conditions=eventwire-source", "--import", import.meta.resolve("tsx")];

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  /** Standard output as bytes (encode's binary output). */
  readonly bytes: Buffer;
  readonly stderr: string;
}

export interface CliOptions {
  /** Standard input. */
  readonly input?: string | Uint8Array;
  /** Variables added to (or, when undefined, removed from) the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Kill it after this long, in ms. @defaultValue 20000 */
  readonly timeoutMs?: number;
  /** The working directory. @defaultValue the repository's root (whose `proto/` holds the shop's event types) */
  readonly cwd?: string;
}

function environment(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env["REDIS_URL"]; // each test says which Redis (or cluster)
  delete env["REDIS_CLUSTER_NODES"];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A running `eventwire …`: its output so far, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves with everything the stream has carried so far, once it matches `pattern`. */
  until(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited and its output is read. */
  readonly done: Promise<CliResult>;
}

/** Starts `eventwire …` and leaves it running (for --follow and Ctrl-C tests). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  return startScript(MAIN, args, options);
}

/** Starts a TypeScript program of the repository (`eventwire`, the demo) as its own process. */
export function startScript(script: string, args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...NODE_ARGS, script, ...args], { cwd: options.cwd ?? root, env: environment(options.env), stdio: ["pipe", "pipe", "pipe"] });
  child.stdin!.end(options.input ?? "");
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const waiters = new Set<() => void>();
  for (const name of ["stdout", "stderr"] as const) {
    child[name]!.on("data", (d: Buffer) => {
      chunks[name].push(d);
      for (const w of waiters) w();
    });
  }
  const timeoutMs = options.timeoutMs ?? 20_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr: ${Buffer.concat(chunks.stderr).toString()}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(chunks.stdout);
      resolve({ status, stdout: bytes.toString("utf8"), bytes, stderr: Buffer.concat(chunks.stderr).toString("utf8") });
    });
  });
  const until = (stream: "stdout" | "stderr", pattern: RegExp, waitMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const text = Buffer.concat(chunks[stream]).toString("utf8");
        if (!pattern.test(text)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(text);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${pattern} on ${stream} within ${waitMs} ms; got: ${Buffer.concat(chunks[stream]).toString()}`));
      }, waitMs);
      waiters.add(check);
      check();
    });
  return { child, until, done };
}

/** Runs `eventwire …` to the end. */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  // (a few at a time: a dozen Node processes starting at once on two cores
  // take longer each than the time a test gives one)
  while (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await startCli(args, options).done;
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Commands run by {@link cli} at once, at most. */
const MAX_RUNNING = 3;
let running = 0;
const waiting: (() => void)[] = [];

/** The JSON lines of `tail`'s output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
