/** Text output: aligned tables, ages, JSON. */

/** How a column is aligned. */
export type Align = "left" | "right";

/**
 * Rows as a table: a header line, then one line per row, columns separated
 * by two spaces; the last column is not padded (long reasons stay whole).
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = [], headerStyle: (text: string) => string = (t) => t): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1 && align[i] !== "right") return cell;
        return align[i] === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return [headerStyle(line(headers)), ...rows.map(line)].join("\n") + "\n";
}

/** A duration as a short age: `850ms`, `42s`, `3m05s`, `2h14m`, `3d04h`. */
export function age(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const two = (n: number): string => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h`;
}

/** Pretty JSON with a final newline (the `--json` output of the commands that print one document). */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * Progress of a long operation, on standard error: rewritten in place on a
 * terminal, one line at a time (at most every `everyMs`) otherwise. Silent
 * for operations of `quietBelow` items or fewer.
 */
export class Progress {
  private lastAt = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly verb: string,
    private readonly total: number,
    private readonly options: { readonly quietBelow?: number; readonly everyMs?: number } = {},
  ) {}

  update(done: number): void {
    if (this.total <= (this.options.quietBelow ?? 100)) return;
    const now = Date.now();
    const every = this.options.everyMs ?? (this.stream.isTTY ? 100 : 1000);
    if (this.shown && now - this.lastAt < every && done < this.total) return;
    this.lastAt = now;
    this.shown = true;
    const text = `${this.verb} ${done} of ${this.total}`;
    this.stream.write(this.stream.isTTY ? `\r${text}\u001b[K` : `${text}\n`);
  }

  /** Ends the in-place line, if one was drawn. */
  end(): void {
    if (this.shown && this.stream.isTTY) this.stream.write("\n");
  }
}
