/**
 * Running the demo (`npm run demo`) in the tests as a user does, and what
 * every finished run must satisfy whatever its seed and wherever it ran.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { validate as isUuid } from "uuid";
import { startScript, type CliOptions, type CliResult } from "./cli.js";

export const DEMO = fileURLToPath(new URL("../../examples/shop/demo.ts", import.meta.url));
export const CARRIERS = ["FedEx", "UPS", "USPS", "DHL"];
export const LINE = /^\d\d:\d\d:\d\d\.\d{3} {2}(order|payment|shipping)-service +(OrderCreatedEvent|PaymentProcessedEvent|OrderShippedEvent) +(order-[0-9a-f]{8}) {2}\S/;

export interface DemoOrder {
  order_id: string;
  user_id: string;
  items: { product_id: string; name: string; price: number; quantity: number }[];
  total: number;
  status: string;
  payment_id: string | null;
  tracking_number: string | null;
  carrier: string | null;
  trace_id: string | null;
}

export interface DemoResult {
  transport: string;
  redis: string | null;
  seed: string;
  format: string;
  events: number;
  /** The cluster's masters, or null off a cluster. */
  masters: number | null;
  /** The partitions of the bus's shared queue: each one's stream, the master serving it (on a cluster), the entries it holds. */
  partitions: { partition: number; stream: string; master: string | null; entries: number }[];
  orders: DemoOrder[];
}

export function demo(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startScript(DEMO, args, { timeoutMs: 40_000, ...options }).done;
}

/** The demo's JSON, after checking the run ended well. */
export function result(r: CliResult): DemoResult {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DemoResult;
}

/** What every finished run must satisfy, whatever the seed. */
export function checkOrders(run: DemoResult, count: number): void {
  assert.equal(run.orders.length, count);
  // each order's events share one trace, across the four services, and each order has its own
  for (const o of run.orders) assert.match(String(o.trace_id), /^[0-9a-f]{32}$/, `${o.order_id}: one trace for all its events`);
  assert.equal(new Set(run.orders.map((o) => o.trace_id)).size, count, "a trace per order");
  let events = 0;
  for (const o of run.orders) {
    assert.match(o.order_id, /^order-[0-9a-f]{8}$/);
    assert.match(o.user_id, /^user-\d{4}$/);
    assert.equal(o.items.length, 2);
    assert.notEqual(o.items[0]!.product_id, o.items[1]!.product_id);
    const total = o.items.reduce((sum, i) => sum + i.price * i.quantity, 0);
    assert.equal(o.total, Math.round(total * 100) / 100, `${o.order_id}: total is Σ price × quantity`);
    assert.ok(o.payment_id?.startsWith("payment-") && isUuid(o.payment_id.slice(8)), String(o.payment_id));
    if (o.status === "shipped") {
      assert.ok(CARRIERS.includes(o.carrier!), String(o.carrier));
      assert.match(o.tracking_number!, /^TRACK-[0-9A-F]{8}$/);
      events += 3;
    } else {
      assert.equal(o.status, "payment_failed");
      assert.equal(o.carrier, null);
      assert.equal(o.tracking_number, null);
      events += 2;
    }
  }
  assert.equal(run.events, events, "one notification per event");
}

/** The orders without their trace ids (which differ from run to run). */
export function untraced(orders: readonly DemoOrder[]): Omit<DemoOrder, "trace_id">[] {
  return orders.map(({ trace_id: _, ...rest }) => rest);
}

/** The readable event lines: one per event, each naming an order of the run. */
export function eventLines(text: string, run: DemoResult): RegExpExecArray[] {
  const lines = text
    .split("\n")
    .map((l) => LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  assert.equal(lines.length, run.events, text);
  const ids = new Set(run.orders.map((o) => o.order_id));
  for (const m of lines) assert.ok(ids.has(m[3]!), m[0]);
  return lines;
}

/** Every live descendant of a process: [pid, command line]. */
export function descendants(pid: number): [number, string][] {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,ppid=,args="], { encoding: "utf8" });
  const rows = ps.stdout
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), Number(m[2]), m[3]!] as const);
  const out: [number, string][] = [];
  const visit = (parent: number): void => {
    for (const [p, pp, args] of rows) {
      if (pp === parent) {
        out.push([p, args]);
        visit(p);
      }
    }
  };
  visit(pid);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
