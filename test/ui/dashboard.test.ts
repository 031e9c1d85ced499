// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core) on a private redis-server with events: every view loads,
// a requeue from the page moves the entry, a bulk delete shows its progress,
// the live tail shows new events; a queue of three partitions shows each
// one's counts, its entries and live tail come from all of them, and its
// dead letters are requeued to their own partition; the bus's shared queue
// shows its partitions with their routers; and its guards: cross-site
// actions, a missing token, a foreign Host are refused. With EVENTWIRE_SCREENSHOTS=1 it
// also writes the screenshots in docs/.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { Redis } from "ioredis";
import { connectRedis, EventBus, PermanentError, silentLogger, type StreamTransport } from "eventwire/redis";
import { createDashboard, type DashboardHandler } from "eventwire/ui";
import type { Event } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { root, startCli } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

/** The page's document, in the functions run in the browser (this project compiles without the DOM's types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = process.env["EVENTWIRE_SCREENSHOTS"] === "1";

let server: RedisServer;
let redis: Redis;
let transport: StreamTransport<ShopEvent>;
let busTransport: StreamTransport<ShopEvent>;
let bus: EventBus<ShopEvent>;
let browser: Browser;
let dashboard: DashboardHandler;
let busDashboard: DashboardHandler;
let http: Server;
let base: string;

function listen(handler: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void): Promise<Server> {
  const s = createServer(handler);
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port;

const order = (i: number): ShopEvent => shopRegistry.create("OrderCreatedEvent", { orderId: `order-${i}`, userId: `user-${i}`, total: 10 + i });
const shipped = (i: number): ShopEvent => shopRegistry.create("OrderShippedEvent", { orderId: `order-${i}`, trackingNumber: `TRACK-${i}`, carrier: "UPS" });
const payment = (i: number): ShopEvent => shopRegistry.create("PaymentProcessedEvent", { paymentId: `pay-${i}`, orderId: `order-${i}`, amount: i, status: "failed" });

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; npm test's provisioning does it)`);
  server = await RedisServer.start();
  redis = new Redis(server.url);
  transport = await connectRedis({ registry: shopRegistry, connection: server.url, logger: silentLogger });
  await transport.publishMany([1, 2, 3, 4].map((i) => ({ queue: "orders", event: i % 2 ? order(i) : shipped(i) })));
  await transport.publish("orders", shipped(5), { format: "binary" });
  // payments: five dead letters, each with its reason
  await transport.publishMany([1, 2, 3, 4, 5].map((i) => ({ queue: "payments", event: payment(i) })));
  const consumer = await transport.consume("payments", {
    PaymentProcessedEvent: (e) => {
      throw new PermanentError(`ledger refused ${e.payload.paymentId}`);
    },
  });
  await consumer.drain();
  await consumer.stop();

  // shipments: three partitions, seven entries over them (keys a to g: partitions 1, 1, 2, 1, 2, 0; c: 2), and in partition 2 a dead letter
  await transport.setPartitions("shipments", 3);
  await transport.publishMany(["a", "b", "c", "d", "e", "g"].map((k, i) => ({ queue: "shipments", event: shipped(200 + i), options: { partitionKey: k } })));
  await transport.publish("shipments", payment(200), { partitionKey: "c" });
  const failing = await transport.consume("shipments", { PaymentProcessedEvent: () => { throw new PermanentError("refund refused"); }, OrderShippedEvent: () => {} });
  await failing.drain();
  await failing.stop();

  busTransport = await connectRedis({ registry: shopRegistry, connection: server.url, prefix: "events:", logger: silentLogger });
  bus = new EventBus(busTransport, { partitions: 2 });
  await bus.subscribe("billing", { OrderCreatedEvent: () => {} });
  await bus.subscribe("audit", { "*": () => {} });
  await bus.publish(order(9));

  dashboard = createDashboard({ transport: transport as unknown as StreamTransport<Event>, basePath: "/ops/eventwire", where: "redis://127.0.0.1" });
  busDashboard = createDashboard({ transport: busTransport as unknown as StreamTransport<Event>, basePath: "/ops/bus" });
  // mounted in an existing server, beside its own routes
  http = await listen((req, res) => {
    if (dashboard.handles(req)) return dashboard(req, res);
    if (busDashboard.handles(req)) return busDashboard(req, res);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("the application");
  });
  base = `http://127.0.0.1:${portOf(http)}/ops/eventwire`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});
after(async () => {
  await browser?.close();
  await dashboard?.close();
  await busDashboard?.close();
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await bus?.stop();
  await busTransport?.close();
  await transport?.close();
  redis?.disconnect();
  await server?.stop();
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(base + "/" + path);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(root, "docs", `dashboard-${name}.png`) });
}

describe("every view, in a browser", () => {
  test("queues: each queue's counts, its DLQ size linked, the live chart", async () => {
    const page = await open("");
    try {
      await page.waitForSelector("#queues tr[data-queue=payments]");
      const cells = await page.locator("#queues tr[data-queue=payments] td").allTextContents();
      assert.deepEqual([cells[0], cells[1], cells[5]], ["payments", "5", "5"]);
      assert.equal(await page.locator("#queues tr[data-queue=orders] td").nth(1).textContent(), "5");
      assert.equal(await page.locator("svg[aria-label='entries per second, by queue'] polyline").count() > 0, true);
      // a second sample draws the rate
      await transport.publish("orders", order(6));
      await page.waitForFunction(() => document.querySelector("#queues tr[data-queue=orders] td:nth-child(2)")?.textContent === "6");
      if (SCREENSHOTS) {
        // (a few seconds of traffic, for the chart in the picture)
        for (const [i, n] of [8, 20, 14, 26, 18, 30].entries()) {
          await transport.publishMany([...Array(n).keys()].map((k) => ({ queue: k % 3 ? "inventory" : "emails", event: k % 3 ? order(100 * i + k) : shipped(100 * i + k) })));
          await new Promise((r) => setTimeout(r, 2100));
        }
        await shot(page, "queues");
      }
    } finally {
      await page.close();
    }
  });

  test("a queue's entries, decoded (both formats), filtered by type and time; the live tail adds new ones", async () => {
    const page = await open("#/queue/orders");
    try {
      await page.waitForSelector("#entries tbody tr");
      const all = await page.locator("#entries tbody tr").count();
      assert.ok(all >= 5, `${all} rows`);
      assert.match((await page.locator("#entries tbody").textContent()) ?? "", /TRACK-5/, "the binary entry is decoded");
      await page.fill("input[name=type]", "OrderShippedEvent");
      await page.click("form button[type=submit]");
      await page.waitForFunction(() => [...document.querySelectorAll("#entries tbody tr td:nth-child(2)")].every((td: { textContent: string }) => td.textContent.startsWith("OrderShippedEvent")));
      assert.equal(await page.locator("#entries tbody tr").count(), 3);
      await page.fill("input[name=type]", "");
      await page.fill("input[name=from]", "2099-01-01T00:00:00");
      await page.click("form button[type=submit]");
      await page.waitForFunction(() => document.querySelectorAll("#entries tbody tr").length === 0);
      await page.fill("input[name=from]", "");
      await page.click("form button[type=submit]");
      await page.waitForSelector("#entries tbody tr");

      await page.click("#live");
      await page.waitForFunction(() => document.getElementById("live")?.textContent === "Stop live tail");
      await new Promise((r) => setTimeout(r, 300));
      await transport.publish("orders", shipped(77));
      await page.waitForFunction(() => document.querySelector("#entries tbody tr")?.textContent?.includes("TRACK-77"));
      await shot(page, "entries");
    } finally {
      await page.close();
    }
  });

  test("the DLQ: reasons and history; a requeue from the page moves the entry; delete all shows its progress", async () => {
    const page = await open("#/queue/payments/dlq");
    const before = { dlq: await redis.xlen("mq:payments:dlq"), main: await redis.xlen("mq:payments") };
    page.on("dialog", (d) => void d.accept());
    try {
      await page.waitForSelector("#dlq tbody tr");
      assert.equal(await page.locator("#dlq tbody tr").count(), 5);
      assert.match((await page.locator("#dlq tbody").textContent()) ?? "", /ledger refused pay-1/);
      await shot(page, "dlq");
      const firstId = await page.locator("#dlq tbody tr").first().getAttribute("data-id");
      await page.locator("#dlq tbody tr").first().getByRole("button", { name: "Requeue" }).click();
      await page.waitForFunction(() => /requeue: 1 of 1 done/.test(document.getElementById("progress")?.textContent ?? ""));
      assert.equal(await redis.xlen("mq:payments:dlq"), before.dlq - 1);
      assert.equal(await redis.xlen("mq:payments"), before.main + 1);
      assert.deepEqual(await redis.xrange("mq:payments:dlq", firstId!, firstId!), [], "the requeued entry left the DLQ");
      const moved = (await redis.xrevrange("mq:payments", "+", "-", "COUNT", 1))[0]![1];
      assert.match(moved[1]!, /"_requeues":/);

      await page.getByRole("button", { name: "Delete all" }).click();
      await page.waitForFunction(() => /delete: 4 of 4 done/.test(document.getElementById("progress")?.textContent ?? ""));
      assert.equal(await redis.xlen("mq:payments:dlq"), 0);
      assert.equal(await page.locator("#dlq tbody tr").count(), 0);
    } finally {
      await page.close();
    }
  });

  test("the bus: subscriptions, routers and partitions; the schemas", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    try {
      await page.goto(`http://127.0.0.1:${portOf(http)}/ops/bus/#/bus`);
      await page.waitForSelector("#subscriptions");
      const text = (await page.locator("#subscriptions").textContent()) ?? "";
      assert.match(text, /audit\*sub:audit/);
      assert.match(text, /billingOrderCreatedEventsub:billing/);
      assert.match((await page.locator("main").textContent()) ?? "", /router consumer\(s\) over its 2 partitions/);
      assert.match((await page.locator("main").textContent()) ?? "", /Not a cluster/);
      // the shared queue's two partitions, each with the routers its consumer group knows (a router appears there once it has read)
      const rows = await page.locator("#partitions tbody tr").evaluateAll((trs: { children: { textContent: string }[] }[]) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      const groups = await Promise.all(["events:all", "events:all#1"].map(async (k) => (await redis.xinfo("GROUPS", k)) as unknown[][]));
      const routers = groups.map((g) => String(g[0]![3]));
      assert.deepEqual(rows.map((r) => [r[0], r[1], r[6]]), [["0", "events:all", routers[0]], ["1", "events:all#1", routers[1]]]);
      assert.ok(routers.some((n) => n === "1"), "the router of the partition the event went to");
      assert.equal(rows.reduce((n, r) => n + Number(r[2]), 0), 1, "the one event published is in one of them");
      await shot(page, "bus");
      await page.goto(`${base}/#/schemas`);
      await page.waitForSelector("#schemas");
      assert.match((await page.locator("#schemas").textContent()) ?? "", /eventwire\.shop\.v1\.PaymentProcessedEvent/);
    } finally {
      await page.close();
    }
  });
});

describe("a queue of three partitions", () => {
  test("queues: its partition count, and a row of counts for each partition under its own", async () => {
    const page = await open("");
    try {
      await page.waitForSelector("#queues tr[data-queue=shipments]");
      const cells = await page.locator("#queues tr[data-queue=shipments] td").allTextContents();
      assert.deepEqual([cells[0], cells[1], cells[5], cells[7]], ["shipments", "7", "1", "3"]);
      const lengths = await Promise.all([0, 1, 2].map(async (p) => (await transport.store.info(transport.keys("shipments", p))).length));
      const rows = await page.locator("#queues tr[data-partition-of=shipments]").evaluateAll((trs: { children: { textContent: string }[] }[]) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      assert.deepEqual(rows.map((r) => [r[0], Number(r[1]), r[5], r[7]]), [0, 1, 2].map((p) => [`partition ${p}`, lengths[p], p === 2 ? "1" : "0", p === 0 ? "mq:shipments" : `mq:shipments#${p}`]));
      assert.equal(await page.locator("#queues tr[data-partition-of=orders]").count(), 0, "a queue of one partition has no partition rows");
    } finally {
      await page.close();
    }
  });

  test("its entries come from every partition, newest first, each with its partition; the live tail reads them all", async () => {
    const page = await open("#/queue/shipments");
    try {
      await page.waitForSelector("#entries tbody tr");
      const rows = await page.locator("#entries tbody tr").evaluateAll((trs: { getAttribute(n: string): string }[]) => trs.map((tr) => [tr.getAttribute("data-id"), tr.getAttribute("data-partition")]));
      const stored = (await Promise.all([0, 1, 2].map(async (p) => (await redis.xrange(p === 0 ? "mq:shipments" : `mq:shipments#${p}`, "-", "+")).map(([id]) => [id, String(p)])))).flat();
      const byIdDesc = (a: string[], b: string[]): number => {
        const [am, as] = a[0]!.split("-").map(Number) as [number, number];
        const [bm, bs] = b[0]!.split("-").map(Number) as [number, number];
        return bm - am || bs - as || Number(b[1]) - Number(a[1]);
      };
      assert.deepEqual(rows, stored.sort(byIdDesc));
      assert.match((await page.locator("#entries tbody").textContent()) ?? "", /partition 2/);

      await page.click("#live");
      await page.waitForFunction(() => document.getElementById("live")?.textContent === "Stop live tail");
      await new Promise((r) => setTimeout(r, 300));
      const sent = await transport.publishMany(["a", "b", "c", "d", "e", "g"].map((k, i) => ({ queue: "shipments", event: shipped(300 + i), options: { partitionKey: k } })));
      assert.equal(new Set(sent.map((p) => p.partition)).size, 3);
      await page.waitForFunction(() => ["TRACK-300", "TRACK-301", "TRACK-302", "TRACK-303", "TRACK-304", "TRACK-305"].every((t) => document.querySelector("#entries tbody")?.textContent?.includes(t)));
    } finally {
      await page.close();
    }
  });

  test("its dead letters: the id of partition 2's is 2/…, and a requeue from the page moves it back to partition 2", async () => {
    const page = await open("#/queue/shipments/dlq");
    try {
      await page.waitForSelector("#dlq tbody tr");
      const id = await page.locator("#dlq tbody tr").first().getAttribute("data-id");
      assert.match(id ?? "", /^2\/\d+-\d+$/);
      const before = await redis.xlen("mq:shipments#2");
      await page.locator("#dlq tbody tr").first().getByRole("button", { name: "Requeue" }).click();
      await page.waitForFunction(() => /requeue: 1 of 1 done/.test(document.getElementById("progress")?.textContent ?? ""));
      assert.equal(await redis.xlen("mq:shipments#2:dlq"), 0);
      assert.equal(await redis.xlen("mq:shipments#2"), before + 1);
    } finally {
      await page.close();
    }
  });
});

/** A raw HTTP request to the dashboard, with the headers given. */
function call(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: import("node:http").IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    r.on("error", reject);
    r.end(body);
  });
}

describe("guards", () => {
  test("a cross-site POST from a page of another origin is refused, and moves nothing", async () => {
    await transport.publish("refunds", payment(1));
    const c = await transport.consume("refunds", { PaymentProcessedEvent: () => { throw new PermanentError("no"); } });
    await c.drain();
    await c.stop();
    const [letter] = await redis.xrange("mq:refunds:dlq", "-", "+");
    const id = letter![0];
    let refused = 0;
    const spy = await listen((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><form id=f method=POST action="${base}/api/queues/refunds/dlq/requeue" enctype="text/plain"><input name='{"ids":["${id}"],"x":"' value='"}'></form>
<script>fetch(${JSON.stringify(base + "/api/queues/refunds/dlq/requeue")}, {method: "POST", mode: "no-cors", headers: {"content-type": "text/plain"}, body: JSON.stringify({ids: [${JSON.stringify(id)}]})}).finally(() => document.getElementById("f").submit());</script>`);
    });
    const watch = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      res.on("finish", () => {
        if (req.method === "POST" && res.statusCode === 403) refused++;
      });
    };
    http.prependListener("request", watch);
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${portOf(spy)}/`);
      await page.waitForURL(/api\/queues\/refunds/);
      await page.waitForFunction(() => document.body.textContent?.includes("cross-site request refused"));
      assert.equal(refused, 2, "both the fetch and the form were refused");
      assert.equal(await redis.xlen("mq:refunds:dlq"), 1, "nothing moved");
    } finally {
      http.off("request", watch);
      await page.close();
      spy.closeAllConnections();
      await new Promise<void>((resolve) => spy.close(() => resolve()));
    }
  });

  test("a POST without the page's CSRF token, from another Origin, or not JSON is refused; a foreign Host is refused", async () => {
    const url = `${base}/api/queues/refunds/dlq/delete`;
    const page = await call("GET", base + "/", {});
    const csrf = /name="eventwire-csrf" content="([^"]+)"/.exec(page.text)![1]!;
    const body = JSON.stringify({ all: true });
    const cases = await Promise.all([
      call("POST", url, { "content-type": "application/json" }, body),
      call("POST", url, { "content-type": "application/json", "x-eventwire-csrf": csrf, origin: "http://evil.example" }, body),
      call("POST", url, { "content-type": "application/json", "x-eventwire-csrf": csrf, "sec-fetch-site": "cross-site" }, body),
      call("POST", url, { "content-type": "text/plain", "x-eventwire-csrf": csrf }, body),
      call("GET", base + "/api/queues", { host: "evil.example" }),
    ]);
    assert.deepEqual(cases.map((c) => c.status), [403, 403, 403, 415, 403]);
    assert.equal(await redis.xlen("mq:refunds:dlq"), 1);
    const allowed = await call("POST", url, { "content-type": "application/json", "x-eventwire-csrf": csrf, origin: `http://127.0.0.1:${portOf(http)}`, "sec-fetch-site": "same-origin" }, body);
    assert.equal(allowed.status, 202, allowed.text);
  });

  test("with a token: nothing without it; ?token= sets the cookie; a bearer token works", async () => {
    const guarded = createDashboard({ transport: transport as unknown as StreamTransport<Event>, token: "s3cret-token" });
    const s = await listen(guarded);
    const at = `http://127.0.0.1:${portOf(s)}`;
    try {
      const [none, wrong, bearer] = await Promise.all([
        call("GET", at + "/api/queues", {}),
        call("GET", at + "/api/queues", { authorization: "Bearer nope" }),
        call("GET", at + "/api/queues", { authorization: "Bearer s3cret-token", host: "dashboard.example:80" }),
      ]);
      assert.deepEqual([none.status, wrong.status, bearer.status], [401, 401, 200]);
      const login = await call("GET", at + "/?token=s3cret-token", {});
      assert.equal(login.status, 303);
      assert.equal(login.headers.location, "/");
      const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
      assert.match(String(login.headers["set-cookie"]), /HttpOnly; SameSite=Strict/);
      assert.equal((await call("GET", at + "/api/queues", { cookie })).status, 200);
    } finally {
      await guarded.close();
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});

describe("eventwire ui", () => {
  test("listens on loopback and serves the page; off loopback it makes up a token and asks for it; Ctrl-C stops it", async () => {
    const local = startCli(["ui", "--port", "0", "--json", "--redis", server.url]);
    const away = startCli(["ui", "--port", "0", "--host", "127.0.0.2", "--json", "--redis", server.url]);
    try {
      const { url } = JSON.parse(await local.until("stdout", /\}\s*$/)) as { url: string; token: null };
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const pageText = (await call("GET", url, {})).text;
      assert.match(pageText, /<title>eventwire redis:\/\/127\.0\.0\.1:\d+\/?<\/title>/);
      const queues = JSON.parse((await call("GET", url + "api/queues", {})).text) as { queues: { name: string }[] };
      assert.ok(queues.queues.some((q) => q.name === "orders"));

      const printed = JSON.parse(await away.until("stdout", /\}\s*$/)) as { url: string; token: string };
      assert.ok(printed.token.length >= 16);
      assert.equal(printed.url, `http://127.0.0.2:${new URL(printed.url).port}/?token=${printed.token}`);
      const noToken = await call("GET", printed.url.replace(/\?token=.*$/, "api/queues"), {});
      assert.equal(noToken.status, 401);
      const withToken = await call("GET", printed.url.replace(/\?token=.*$/, "api/queues"), { authorization: `Bearer ${printed.token}` });
      assert.equal(withToken.status, 200);
    } finally {
      local.child.kill("SIGINT");
      away.child.kill("SIGINT");
    }
    assert.equal((await local.done).status, 0);
    assert.equal((await away.done).status, 0);
  });
});
