// Counting events through a fault, for the tests that prove nothing is lost:
// a ledger of what publishers saw confirmed (and when, and where), what
// each target handled, and the errors publishers retried; publishers that
// retry an event until it is confirmed; and the conservation table, printed
// as the chaos suite prints its own (test/chaos/chaos.test.ts).
import type { Published } from "eventwire/redis";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";

/** Rows of text cells as aligned columns: the first left-aligned, the others right-aligned; with `total`, a last row of column sums. */
export function formatTable(head: readonly string[], body: readonly (readonly (string | number)[])[], options: { readonly total?: boolean } = {}): string[] {
  const rows = body.map((r) => r.map(String));
  if (options.total) rows.push(["total", ...head.slice(1).map((_, i) => String(rows.reduce((n, r) => n + Number(r[i + 1]), 0)))]);
  const all = [head.map(String), ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
}

/** What a publisher learnt of one confirmed event. */
export interface Confirmation {
  /** When the publish resolved (ms since the epoch). */
  readonly at: number;
  /** The partition it went to. */
  readonly partition: number;
  /** Its event type. */
  readonly type: string;
  /** Failed attempts before it was confirmed. */
  readonly retries: number;
}

/** One row of a conservation table. */
export interface Conservation {
  readonly target: string;
  /** Events confirmed to their publisher that the target must handle. */
  readonly published: number;
  /** Of those, handled at least once. */
  readonly handled: number;
  /** Handlings beyond the first. */
  readonly duplicates: number;
  /** Confirmed, never handled. */
  readonly lost: number;
  readonly lostIds: readonly string[];
  /** Handled, though no publisher saw them confirmed (a publish given up on after it was written). */
  readonly unconfirmed: number;
}

/** The confirmations, handlings and publish errors of one run. */
export class Ledger {
  readonly confirmed = new Map<string, Confirmation>();
  /** Per target, per event id: how many times a handler ran to the end for it. */
  readonly handled = new Map<string, Map<string, number>>();
  /** Failed publish attempts (each retried), by error code. */
  readonly errors = new Map<string, number>();
  /** The messages of the failed attempts (the first thousand). */
  readonly messages: string[] = [];
  /** The first message of each error code. */
  readonly samples = new Map<string, string>();
  /** Events whose publisher gave up (never confirmed). */
  readonly gaveUp = new Set<string>();

  confirm(event: ShopEvent, published: Published, retries: number): void {
    this.confirmed.set(event.eventId, { at: Date.now(), partition: published.partition, type: event.eventType, retries });
  }

  failed(error: unknown): void {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message.slice(0, 40) : String(error));
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (this.messages.length < 1000) this.messages.push(error instanceof Error ? error.message : String(error));
    if (!this.samples.has(code)) this.samples.set(code, error instanceof Error ? error.message : String(error));
  }

  handle(target: string, eventId: string): void {
    let seen = this.handled.get(target);
    if (seen === undefined) this.handled.set(target, (seen = new Map()));
    seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
  }

  /** Failed attempts in all. */
  get errorCount(): number {
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  /** The errors as `code ×n, …`. */
  describeErrors(): string {
    return [...this.errors].map(([code, n]) => `${code} ×${n}`).join(", ") || "none";
  }

  /** Whether `target` has handled every confirmed event `wants` says it must. */
  complete(target: string, wants: (c: Confirmation) => boolean = () => true): boolean {
    const seen = this.handled.get(target);
    for (const [id, c] of this.confirmed) if (wants(c) && !seen?.has(id)) return false;
    return true;
  }

  /** The row of `target`: the confirmed events `wants` says it must handle, against what it handled. */
  row(target: string, wants: (c: Confirmation) => boolean = () => true): Conservation {
    const seen = this.handled.get(target) ?? new Map<string, number>();
    let published = 0, handled = 0, duplicates = 0;
    const lostIds: string[] = [];
    for (const [id, c] of this.confirmed) {
      if (!wants(c)) continue;
      published++;
      const n = seen.get(id) ?? 0;
      if (n > 0) {
        handled++;
        duplicates += n - 1;
      } else lostIds.push(id);
    }
    let unconfirmed = 0;
    for (const [id, n] of seen) {
      if (!this.confirmed.has(id)) {
        unconfirmed++;
        duplicates += n - 1;
      }
    }
    return { target, published, handled, duplicates, lost: lostIds.length, lostIds, unconfirmed };
  }
}

/** The columns of {@link conservationTable}. */
export const CONSERVATION_HEAD = ["", "published", "handled", "duplicates", "lost", "handled, unconfirmed"] as const;

/** A conservation table of rows, with a total, and what each column means. */
export function conservationTable(rows: readonly Conservation[], extra: { readonly head: readonly string[]; readonly cells: (row: Conservation) => readonly (string | number)[] } = { head: [], cells: () => [] }): string[] {
  return [
    ...formatTable(
      [...CONSERVATION_HEAD, ...extra.head],
      rows.map((r) => [r.target, r.published, r.handled, r.duplicates, r.lost, r.unconfirmed, ...extra.cells(r)]),
      { total: rows.length > 1 },
    ),
    "published: confirmed to the publisher (after its retries); lost: confirmed, never handled; duplicates: handlings beyond the first (at least once);",
    "handled, unconfirmed: handled though the publisher gave up on it (written all the same).",
  ];
}

/** A small event of the shop, its order id naming the publisher and sequence. */
export function shopEvent(label: string, seq: number): ShopEvent {
  const orderId = `${label}-${seq}`;
  switch (seq % 3) {
    case 0:
      return shopRegistry.create("OrderCreatedEvent", { orderId, userId: `user-${seq % 17}`, total: seq * 1.25 });
    case 1:
      return shopRegistry.create("PaymentProcessedEvent", { paymentId: `pay-${seq}`, orderId, amount: seq * 1.25, status: "succeeded" });
    default:
      return shopRegistry.create("OrderShippedEvent", { orderId, trackingNumber: `TRACK-${seq}`, carrier: "UPS" });
  }
}

/** A publisher that publishes one event after another until stopped, each tried again until confirmed. */
export class Publisher {
  private running = true;
  private seq = 0;
  readonly done: Promise<void>;

  /**
   * `publish` publishes one event; a failed attempt is counted in the
   * ledger and tried again (the same event) after `retryDelayMs`, for up
   * to `giveUpMs`, then given up on. Between events it waits `pauseMs`.
   */
  constructor(
    readonly label: string,
    private readonly ledger: Ledger,
    private readonly publish: (event: ShopEvent) => Promise<Published>,
    private readonly options: { readonly pauseMs?: number; readonly retryDelayMs?: number; readonly giveUpMs?: number } = {},
  ) {
    this.done = this.loop();
  }

  /** Events confirmed by this publisher. */
  confirmed = 0;
  /** The longest an event took from its first attempt to its confirmation, ms. */
  slowestMs = 0;
  /** The longest one attempt took, confirmed or failed, ms. */
  slowestAttemptMs = 0;

  private async loop(): Promise<void> {
    const pauseMs = this.options.pauseMs ?? 10;
    while (this.running) {
      const event = shopEvent(this.label, this.seq++);
      const first = Date.now();
      const deadline = first + (this.options.giveUpMs ?? 60_000);
      for (let retries = 0; ; retries++) {
        const attempt = Date.now();
        try {
          const published = await this.publish(event).finally(() => (this.slowestAttemptMs = Math.max(this.slowestAttemptMs, Date.now() - attempt)));
          this.ledger.confirm(event, published, retries);
          this.confirmed++;
          this.slowestMs = Math.max(this.slowestMs, Date.now() - first);
          break;
        } catch (error) {
          this.ledger.failed(error);
          if (Date.now() > deadline) {
            this.ledger.gaveUp.add(event.eventId);
            break;
          }
          await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 100));
        }
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  /** Stops after the event under way (confirmed or given up). */
  stop(): Promise<void> {
    this.running = false;
    return this.done;
  }
}
