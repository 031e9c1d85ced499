/**
 * Readers blocked on a stream key, as Redis keeps clients blocked in XREAD
 * and XREADGROUP: each waits until there is something for it, its timeout
 * runs out, or it is released. When entries are appended to a key, its
 * readers are served oldest first, once the operation that appended has
 * finished (as Redis serves blocked clients after the command that woke
 * them, so that a reader never sees half of an operation). What a read gets
 * is up to the keyspace; this only keeps the readers and their timers.
 */
import type { StreamEntry } from "../transport/index.js";

interface Waiter<R> {
  readonly stream: string;
  readonly read: R;
  readonly resolve: (entries: StreamEntry[]) => void;
  timer: NodeJS.Timeout | undefined;
}

/** The blocked readers of a keyspace; `R` says what a reader waits for. */
export class BlockedReads<R> {
  private readonly waiters: Waiter<R>[] = [];
  /** Keys whose readers are to be served after the current operation. */
  private readonly scheduled = new Set<string>();

  /** `serve`: what `read` gets from `stream` now (and takes, for a group read); nothing to wait on. */
  constructor(private readonly serve: (stream: string, read: R) => StreamEntry[]) {}

  /**
   * Blocks a reader of `stream` until {@link appended} serves it something,
   * `blockMs` milliseconds pass (0: for ever, as `BLOCK 0`) or it is
   * {@link release}d; then it gets no entries.
   */
  wait(stream: string, read: R, blockMs: number): Promise<StreamEntry[]> {
    return new Promise((resolve) => {
      const waiter: Waiter<R> = { stream, read, resolve, timer: undefined };
      if (blockMs > 0) waiter.timer = setTimeout(() => this.finish(waiter, []), blockMs);
      this.waiters.push(waiter);
    });
  }

  /** Entries were appended to `stream`: serves its readers once the running operation has finished. */
  appended(stream: string): void {
    if (this.scheduled.has(stream) || !this.waiters.some((w) => w.stream === stream)) return;
    this.scheduled.add(stream);
    queueMicrotask(() => {
      this.scheduled.delete(stream);
      this.serveReaders(stream);
    });
  }

  /** Makes the readers `which` picks return at once, with no entries. */
  release(which: (read: R) => boolean): void {
    for (const w of [...this.waiters]) if (which(w.read)) this.finish(w, []);
  }

  /** Serves the readers blocked on `stream`, oldest first, while there is something for them. */
  private serveReaders(stream: string): void {
    for (const w of [...this.waiters]) {
      if (w.stream !== stream) continue;
      const got = this.serve(stream, w.read);
      if (got.length > 0) this.finish(w, got);
    }
  }

  private finish(w: Waiter<R>, entries: StreamEntry[]): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.resolve(entries);
  }
}
