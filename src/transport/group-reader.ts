/**
 * Reading one stream in its consumer group, the loop the Consumer and the
 * bus's Router share: new entries as they come; entries left pending past
 * `claimIdleMs` (by a consumer that died, say) reclaimed; consumers long
 * gone pruned from the group; failed reads recovered from.
 */
import type { QueueKeys } from "./leanmq/keys.js";
import { sleep } from "./sleep.js";
import type { DeliveredEntry, EntryStore, StreamEntry } from "./store.js";

/** How a group reader reads. */
export interface GroupReaderOptions {
  /** The consumer name in the group. */
  readonly consumer: string;
  /** Entries read or reclaimed per round trip, at most. */
  readonly batchSize: number;
  /** How long one read waits for new entries, in ms. */
  readonly blockMs: number;
  /** Entries pending to anyone this long, in ms, are reclaimed. */
  readonly claimIdleMs: number;
  /** How often to look for them, in ms. */
  readonly claimIntervalMs: number;
  /** Consumers with nothing pending that have been idle this long, in ms, are removed from the group. */
  readonly pruneIdleMs: number;
}

/** What a group reader hands its entries to. */
export interface GroupReaderTarget {
  /** How many more entries may be taken on now (0 or less: none). */
  room(): number;
  /** Resolves when {@link room} is above 0, or reading stops. */
  waitForRoom(): Promise<void>;
  /**
   * Takes new entries (`reclaimed` false, one delivery each) or reclaimed
   * ones. The reader waits for a returned promise before it reads on; an
   * error it rejects with counts as a failed read.
   */
  take(entries: readonly DeliveredEntry[], reclaimed: boolean): void | Promise<void>;
  /** Whether an entry is being handled here already (a reclaim pass finds its own entries when they sit long). */
  holds(id: string): boolean;
  /** Pending entries found gone from the stream (trimmed or deleted), which have been dropped from the pending list. */
  trimmed(ids: readonly string[]): void;
  /** Reports a failed read or reclaim (the first of a run, and every 20th). */
  warn(message: string): void;
  /** The queue's group was found gone and made again at the start of the stream. */
  reset?(): void;
  /** Every failed read or reclaim, with the number of failures in a row. */
  failed?(error: unknown, failures: number): void;
}

/** Reads one stream in its consumer group; see the module comment. */
export class GroupReader {
  private reader: EntryStore | undefined;
  private running = false;
  private readonly stopping = new AbortController();
  private loops: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EntryStore,
    private readonly keys: QueueKeys,
    private readonly options: GroupReaderOptions,
    private readonly target: GroupReaderTarget,
  ) {}

  /** Whether it is reading. */
  get active(): boolean {
    return this.running;
  }

  /** Aborted once {@link halt} is called. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Opens a connection for blocking reads and starts both loops. */
  async start(): Promise<void> {
    this.reader = await this.store.forBlockingReads();
    this.running = true;
    this.loops = Promise.all([this.readLoop(), this.reclaimLoop()]).then(() => undefined);
  }

  /** Stops reading: a read waiting for entries returns at once, and no loop goes round again. */
  halt(): void {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    void this.reader?.wake?.(this.options.consumer);
  }

  /** Resolves when both loops have ended (after {@link halt}). */
  get finished(): Promise<void> {
    return this.loops;
  }

  /**
   * Lets go of the blocking connection, and of the consumer's name in the
   * group when nothing is pending to it (else the name stays, for its
   * entries to be reclaimed). Call after {@link halt}.
   */
  async release(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    if (reader && reader !== this.store) await reader.close();
    await this.store.leaveGroup(this.keys, this.options.consumer).catch(() => false);
  }

  /**
   * Reads new entries and hands them over. Each read is sent as soon as the
   * previous one returned (as far as there is room for its entries), so
   * that Redis reads the next batch while this one is handled: one round
   * trip less per batch. A read under way when reading stops is still
   * handed over.
   */
  private async readLoop(): Promise<void> {
    let failures = 0;
    let next: Promise<StreamEntry[]> | undefined;
    while (this.running || next !== undefined) {
      let entries: StreamEntry[];
      try {
        if (next === undefined) {
          await this.target.waitForRoom();
          if (!this.running) break;
          next = this.read(this.target.room());
        }
        const reading = next;
        next = undefined;
        entries = await reading;
        failures = 0;
      } catch (error) {
        await this.recover(error, ++failures);
        continue;
      }
      if (entries.length === 0) continue;
      if (this.running) {
        const room = this.target.room() - entries.length;
        if (room > 0) next = this.read(room);
      }
      try {
        await this.target.take(
          entries.map((entry) => ({ id: entry.id, fields: entry.fields, deliveries: 1 })),
          false,
        );
      } catch (error) {
        await this.recover(error, ++failures);
      }
    }
  }

  /** One read of new entries, at most `room` of them (and a batch). */
  private read(room: number): Promise<StreamEntry[]> {
    const reading = this.reader!.readNew(this.keys, this.options.consumer, Math.min(this.options.batchSize, room), this.options.blockMs);
    reading.catch(() => {}); // (the loop takes the failure when it waits for this read)
    return reading;
  }

  private async reclaimLoop(): Promise<void> {
    let failures = 0;
    let lastPrune = 0;
    while (this.running) {
      try {
        await this.reclaim();
        if (Date.now() - lastPrune > this.options.pruneIdleMs / 4) {
          lastPrune = Date.now();
          await this.store.pruneConsumers(this.keys, this.options.pruneIdleMs, this.options.consumer);
        }
        failures = 0;
      } catch (error) {
        await this.recover(error, ++failures);
        continue;
      }
      await sleep(this.options.claimIntervalMs, this.stopping.signal);
    }
  }

  /** One pass over the pending list, claiming what has sat idle too long, as far as there is room. */
  private async reclaim(): Promise<void> {
    let cursor = "0-0";
    do {
      const room = this.target.room();
      if (room <= 0 || !this.running) return;
      const result = await this.store.claimIdle(this.keys, this.options.consumer, this.options.claimIdleMs, cursor, Math.min(room, this.options.batchSize));
      if (result.deleted.length > 0) this.target.trimmed(result.deleted);
      const entries = result.entries.filter((entry) => !this.target.holds(entry.id));
      if (entries.length > 0) await this.target.take(entries, true);
      cursor = result.next;
    } while (cursor !== "0-0");
  }

  /**
   * After a failed read or reclaim (Redis down or restarting, the group
   * gone): when the group is gone (Redis restarted empty, a flush, a deleted
   * key or group), makes the queue again with its group at the start of the
   * stream, so that nothing written since is skipped, and reports and counts
   * the reset; reports the first failure of a run and every 20th; and waits,
   * longer after each failure in a row (50 ms doubling, at most 1 s), or
   * until reading stops.
   */
  private async recover(error: unknown, failures: number): Promise<void> {
    if (!this.running) return;
    this.target.failed?.(error, failures);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (message.includes("NOGROUP")) {
      this.store.forgetQueues?.();
      try {
        await this.store.ensureQueue(this.keys, { reset: true });
        this.target.reset?.();
        this.target.warn(`the consumer group of ${this.keys.stream} was gone (Redis restarted empty, flushed, or the key or group deleted); it was made again at the start of the stream`);
        return;
      } catch {
        // a failure here shows on the next read
      }
    }
    if (failures === 1 || failures % 20 === 0) this.target.warn(`${message}; retrying (failure ${failures} in a row)`);
    await sleep(Math.min(50 * 2 ** Math.min(failures, 5), 1000), this.stopping.signal);
  }
}
