/** Measuring and reporting helpers shared by the benchmark's parts. */
import { spawn } from "node:child_process";

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The value at fraction `p` (0..1) of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A synchronous operation to time: runs it `n` times and returns something that depends on the results. */
export interface Candidate {
  readonly name: string;
  readonly run: (n: number) => number;
}

export interface TimingOptions {
  readonly warmupMs: number;
  readonly rounds: number;
  readonly roundMs: number;
}

let sink = 0;

/**
 * Times each candidate in `rounds` rounds, the candidates taking turns
 * within each round (so that they share the machine's ups and downs), after
 * a warm-up of each. Returns nanoseconds per operation, per round.
 */
export function timeCandidates(candidates: readonly Candidate[], options: TimingOptions): Map<string, number[]> {
  const iterations = new Map<string, number>();
  for (const c of candidates) {
    // warm up, and find how many runs fill a round
    let n = 64;
    const until = now() + options.warmupMs;
    let perOp = 0;
    while (now() < until) {
      const t = now();
      sink += c.run(n);
      perOp = (now() - t) / n;
      if (perOp * n < options.roundMs / 4) n *= 2;
    }
    iterations.set(c.name, Math.max(16, Math.round(options.roundMs / Math.max(perOp, 1e-6))));
  }
  const out = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (const c of candidates) {
      const n = iterations.get(c.name)!;
      const t = process.hrtime.bigint();
      sink += c.run(n);
      out.get(c.name)!.push(Number(process.hrtime.bigint() - t) / n);
    }
  }
  if (sink === 0.5) console.log(""); // keeps the results alive
  return out;
}

/**
 * Runs a script of the benchmark (TypeScript, through tsx) as a child
 * process; `eventwire` resolves to the built package (dist/), as it does for
 * users. Resolves to its stdout's last line, parsed as JSON.
 */
export function runChild<T>(script: string, args: readonly string[], nodeArgs: readonly string[] = [], env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} ${args.join(" ")} exited with ${code}`));
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as T);
      } catch (error) {
        reject(new Error(`${script} printed no result: ${String(error)}\n${out}`));
      }
    });
  });
}

/** A text table with aligned columns; numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^[-+]?[\d.,]+[×%]?(\s\S+)?$|^[≥≤]|^—$/.test(r[i] ?? "") || (r[i] ?? "") === ""));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The same table as Markdown. */
export function markdown(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [`| ${headers.map(esc).join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

/** 1234567 → "1,234,567". */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Operations per second from nanoseconds per operation. */
export function opsPerSecond(ns: number): number {
  return 1e9 / ns;
}

export function ratio(x: number): string {
  return `${x.toFixed(2)}×`;
}
