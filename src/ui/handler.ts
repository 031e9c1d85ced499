/**
 * The dashboard as a Node HTTP handler: the page, a JSON API over one
 * transport (queues and their partitions, entries, dead letters, the bus,
 * the schemas), the live tail as server-sent events, and the guards — a
 * token when one is set, the Host header when bound to loopback without
 * one, and, on every action that changes data, a same-origin check and a
 * per-dashboard CSRF token.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Event } from "../index.js";
import { BUS_QUEUE, type DeadLetter, type QueueBrowser, type QueueInfo, type StoredEntry, type StreamTransport } from "../transport/index.js";
import { page } from "./page.js";

/** How a dashboard is set up. */
export interface DashboardOptions {
  /** The transport whose queues it shows (its prefix, its registry for decoding). */
  readonly transport: StreamTransport<Event>;
  /**
   * The path it is mounted at, without a trailing slash (`/eventwire`); the
   * handler answers only requests under it.
   * @defaultValue `""` (the root)
   */
  readonly basePath?: string;
  /**
   * A secret every request must carry (as `Authorization: Bearer <token>`,
   * or the cookie the page sets after `?token=<token>`). Required whenever
   * the dashboard can be reached from another machine.
   * @defaultValue none: then only requests whose Host is a loopback name are answered
   */
  readonly token?: string | undefined;
  /** Shown in the page's title and header. @defaultValue where Redis is */
  readonly title?: string;
  /** Where Redis is, for the header (a URL with its password hidden). @defaultValue `""` */
  readonly where?: string;
}

/** A handler for `http.createServer` or an existing server's request listener; `close` ends live tails and running jobs. */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Whether `req` is one this dashboard answers (its path is under `basePath`). */
  handles(req: IncomingMessage): boolean;
  close(): Promise<void>;
}

/** A bulk requeue or delete running in the background, polled by the page. */
interface Job {
  readonly id: string;
  readonly action: "requeue" | "delete";
  readonly queue: string;
  total: number;
  done: number;
  state: "running" | "done" | "stopped" | "failed";
  missing: string[];
  error?: string;
  readonly abort: AbortController;
}

const COOKIE = "eventwire_ui_token";
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;
/** A DLQ entry id as DeadLetterQueue gives them: a stream id, after `<partition>/` on a partition after the first. */
const DLQ_ID = /^(\d+\/)?\d+-\d+$/;
const JSON_LIMIT = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > JSON_LIMIT) throw new HttpError(413, "the request body is too large");
    chunks.push(chunk as Buffer);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "the request body must be a JSON object");
  }
}

/** A stream id's time, in ms. */
const idTime = (id: string): number => Number(id.split("-")[0]);

/** Stream ids in their order: by milliseconds, then sequence. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

/** An entry and the partition it was read from. */
interface Read {
  readonly partition: number;
  readonly entry: StoredEntry<Event>;
}

/** Entries of several partitions in one order: by stream id (time), then partition. */
const byId = (a: Read, b: Read): number => compareIds(a.entry.id, b.entry.id) || a.partition - b.partition;

/** One partition's counts, as the page shows them. */
const partitionJson = (info: QueueInfo, partition: number) => ({
  partition,
  stream: info.stream,
  length: info.length,
  pending: info.pending,
  consumers: info.consumers,
  lag: info.lag,
  dlqLength: info.dlqLength,
  oldestAgeMs: info.oldestAgeMs,
});

/** Makes the dashboard's handler; see {@link DashboardOptions}. */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  const transport = options.transport;
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const token = options.token;
  const csrf = randomBytes(24).toString("base64url");
  const jobs = new Map<string, Job>();
  const tails = new Set<() => void>();
  // the entries added to each queue since the dashboard started, counted from the last id seen
  const added = new Map<string, { last: string; count: number }>();

  const entryJson = (e: StoredEntry<Event>, partition = 0) => ({
    id: e.id,
    partition,
    time: idTime(e.id),
    format: e.format,
    eventType: e.eventType ?? null,
    event: e.event ? transport.registry.toJsonObject(e.event) : null,
    error: e.problem ?? null,
    failures: e.failures,
    requeues: e.requeues,
  });
  const letterJson = (l: DeadLetter<Event>) => ({
    id: l.id,
    partition: l.partition,
    eventType: l.eventType ?? null,
    format: l.format,
    reason: l.reason,
    attempts: l.attempts ?? null,
    requeues: l.requeues,
    failures: l.failures.map((f) => ({ timestamp: f.timestamp ?? null, reason: f.reason })),
    problem: l.problem ?? null,
    event: l.event ? transport.registry.toJsonObject(l.event) : null,
  });

  async function requireQueue(name: string): Promise<void> {
    if (!(await transport.hasQueue(name))) throw new HttpError(404, `there is no queue ${JSON.stringify(name)} under prefix ${JSON.stringify(transport.options.prefix)}`);
  }

  /** Entries added to a stream since the dashboard first looked at it. */
  async function countAdded(stream: string): Promise<number> {
    const seen = added.get(stream);
    if (seen === undefined) {
      added.set(stream, { last: (await transport.store.lastId(stream)) ?? "0-0", count: 0 });
      return 0;
    }
    const fresh = await transport.store.range(stream, "(" + seen.last, "+", 10_000);
    if (fresh.length > 0) {
      seen.last = fresh.at(-1)!.id;
      seen.count += fresh.length;
    }
    return seen.count;
  }

  async function queues(): Promise<unknown> {
    const list = await transport.queues();
    const withAdded = await Promise.all(
      list.map(async (q) => {
        const parts = q.partitions ?? [q];
        const count = await transport.partitions(q.name);
        const addedEach = await Promise.all(parts.map((p) => countAdded(p.stream)));
        return {
          ...q,
          added: addedEach.reduce((a, b) => a + b, 0),
          partitionCount: count.count,
          partitionsHighest: count.highest,
          partitions: parts.map(partitionJson),
        };
      }),
    );
    return { prefix: transport.options.prefix, where: options.where ?? "", layout: transport.store.layout, queues: withAdded };
  }

  /** A browser of each partition the queue has had, partition 0 first. */
  async function browsers(name: string, dlq = false): Promise<QueueBrowser<Event>[]> {
    const { highest } = await transport.partitions(name, { fresh: true });
    return Array.from({ length: highest }, (_, partition) => transport.browse(name, { dlq, partition }));
  }

  async function entries(name: string, params: URLSearchParams): Promise<unknown> {
    await requireQueue(name);
    const count = Math.min(500, Math.max(1, Number(params.get("count") ?? "50") || 50));
    const type = params.get("type") || undefined;
    const from = params.get("from");
    const to = params.get("to");
    const all = await browsers(name, params.get("dlq") === "1");
    // In each partition: newest first, paging back from `to` (or the newest) to `from` (or the oldest), at most 20 pages;
    // then the partitions' newest `count` together.
    const newest = async (browser: QueueBrowser<Event>, partition: number): Promise<Read[]> => {
      let end = to !== null && /^\d+$/.test(to) ? to : "+";
      const start = from !== null && /^\d+$/.test(from) ? Number(from) : 0;
      const out: Read[] = [];
      for (let pages = 0; pages < 20 && out.length < count; pages++) {
        const page = await browser.latest(count, end);
        if (page.length === 0) break;
        for (const entry of page.reverse()) {
          if (idTime(entry.id) < start) break;
          if (type === undefined || entry.eventType === type) out.push({ partition, entry });
          if (out.length >= count) break;
        }
        const oldest = page.at(-1)!;
        if (idTime(oldest.id) < start || page.length < count) break;
        end = "(" + oldest.id;
      }
      return out;
    };
    try {
      const reads = (await Promise.all(all.map(newest))).flat().sort((a, b) => byId(b, a)).slice(0, count);
      return { partitions: all.length, entries: reads.map((r) => entryJson(r.entry, r.partition)) };
    } finally {
      await Promise.all(all.map((b) => b.close()));
    }
  }

  async function dlq(name: string, params: URLSearchParams): Promise<unknown> {
    await requireQueue(name);
    const count = Math.min(1000, Math.max(1, Number(params.get("count") ?? "100") || 100));
    const after = params.get("after");
    const dl = transport.deadLetters(name);
    const letters = await dl.list({ count, ...(after && DLQ_ID.test(after) ? { after } : {}) });
    return { letters: letters.map(letterJson), total: await dl.count() };
  }

  async function startJob(name: string, action: "requeue" | "delete", body: Record<string, unknown>): Promise<Job> {
    await requireQueue(name);
    const all = body["all"] === true;
    const ids = body["ids"];
    if (!all && (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string" && DLQ_ID.test(id)))) {
      throw new HttpError(400, 'give "ids" (DLQ entry ids) or "all": true');
    }
    const dl = transport.deadLetters(name);
    const job: Job = { id: randomBytes(9).toString("base64url"), action, queue: name, total: 0, done: 0, state: "running", missing: [], abort: new AbortController() };
    let selection: readonly string[] | "all" = "all";
    if (all) job.total = await dl.count();
    else {
      const present: string[] = [];
      for (const id of new Set(ids as string[])) {
        if ((await dl.get(id)) !== undefined) present.push(id);
        else job.missing.push(id);
      }
      selection = present;
      job.total = present.length;
    }
    jobs.set(job.id, job);
    if (jobs.size > 100) jobs.delete(jobs.keys().next().value!);
    const bulk = { signal: job.abort.signal, onProgress: (n: number) => void (job.done = n) };
    void (action === "requeue" ? dl.requeue(selection, bulk) : dl.delete(selection, bulk)).then(
      (n) => {
        job.done = n;
        job.state = job.abort.signal.aborted && n < job.total ? "stopped" : "done";
      },
      (error: unknown) => {
        job.state = "failed";
        job.error = (error as Error).message;
      },
    );
    // a short job is answered finished
    await new Promise((r) => setTimeout(r, 50));
    return job;
  }

  const jobJson = (j: Job) => ({ id: j.id, action: j.action, queue: j.queue, total: j.total, done: j.done, state: j.state, missing: j.missing, error: j.error ?? null });

  async function bus(): Promise<unknown> {
    const prefix = transport.options.prefix;
    const subs = await transport.store.subscriptions(prefix);
    const shared = (await transport.hasQueue(BUS_QUEUE)) ? await transport.info(BUS_QUEUE) : null;
    const count = shared === null ? null : await transport.partitions(BUS_QUEUE);
    const subscriptions = await Promise.all(
      [...subs].sort(([a], [b]) => a.localeCompare(b)).map(async ([service, eventTypes]) => {
        const queue = `sub:${service}`;
        return { service, eventTypes, queue, info: (await transport.hasQueue(queue)) ? await transport.info(queue) : null };
      }),
    );
    // The shared queue's partitions, each read by routers of its own (its group's consumers); on a cluster, each in a slot of its own.
    const partitions = shared === null ? [] : (shared.partitions ?? [shared]).map((info, p) => ({ ...partitionJson(info, p), routers: info.consumers }));
    const routers = partitions.reduce((n, p) => n + p.routers, 0);
    return {
      prefix,
      layout: transport.store.layout,
      shared: shared && { ...shared, partitions: undefined },
      routers,
      partitionCount: count?.count ?? 0,
      partitionsHighest: count?.highest ?? 0,
      subscriptions,
      partitions,
    };
  }

  async function schemas(): Promise<unknown> {
    const list = await transport.schemas.list();
    return { schemas: list.map((s) => ({ name: s.name, fullName: s.fullName, version: s.version, versions: s.versions, fingerprint: s.fingerprint, registeredAt: s.registeredAt, forced: s.forced })) };
  }

  /** The live tail of every partition of a queue: per-partition cursors, each round's new entries merged in stream-id order. */
  function tail(name: string, req: IncomingMessage, res: ServerResponse): void {
    let open = true;
    const readers: QueueBrowser<Event>[] = [];
    const end = (): void => {
      if (!open) return;
      open = false;
      tails.delete(end);
      for (const b of readers) void b.close();
      res.end();
    };
    tails.add(end);
    req.on("close", end);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    res.write(": tailing\n\n");
    void (async () => {
      try {
        const cursors: string[] = [];
        const follow = async (initial: boolean): Promise<void> => {
          const { highest } = await transport.partitions(name, { fresh: initial });
          for (let p = readers.length; p < highest && open; p++) {
            const browser = transport.browse(name, { partition: p });
            readers.push(browser);
            // from each partition's newest entry at the start; a partition added while tailing is new: all of it is news
            cursors.push(initial ? ((await browser.newestId()) ?? "0-0") : "0-0");
          }
        };
        await follow(true);
        let checked = Date.now();
        while (open) {
          if (Date.now() - checked >= 5000) {
            checked = Date.now();
            await follow(false);
          }
          let lists = await Promise.all(readers.map((b, p) => b.range("(" + cursors[p]!, "+", 100)));
          // (with several partitions, a round waits for each of them: a shorter wait keeps the tail prompt)
          if (lists.every((l) => l.length === 0)) lists = await Promise.all(readers.map((b, p) => b.after(cursors[p]!, 100, readers.length > 1 ? 200 : 1000)));
          const fresh = lists.flatMap((l, partition) => l.map((entry) => ({ partition, entry }))).sort(byId);
          for (const r of fresh) {
            if (!open) break;
            res.write(`data: ${JSON.stringify(entryJson(r.entry, r.partition))}\n\n`);
            cursors[r.partition] = r.entry.id;
          }
          if (fresh.length === 0 && open) res.write(": idle\n\n");
        }
      } catch (error) {
        if (open) res.write(`event: failure\ndata: ${JSON.stringify({ error: (error as Error).message })}\n\n`);
      } finally {
        end();
      }
    })();
  }

  /** Whether the request carries the token (when one is set); `?token=` on a page load sets the cookie. */
  function authorized(req: IncomingMessage, url: URL, res: ServerResponse): boolean | "redirected" {
    if (token === undefined) return LOOPBACK_HOSTS.test(req.headers.host ?? "");
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (bearer !== undefined && same(bearer, token)) return true;
    const cookie = cookies(req).get(COOKIE);
    if (cookie !== undefined && same(cookie, token)) return true;
    const given = url.searchParams.get("token");
    if (given !== null && same(given, token) && req.method === "GET") {
      url.searchParams.delete("token");
      res.writeHead(303, {
        location: url.pathname + url.search,
        "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; Path=${base || "/"}; HttpOnly; SameSite=Strict`,
      });
      res.end();
      return "redirected";
    }
    return false;
  }

  /** A request that changes data must come from the dashboard's own page: same origin, the CSRF token, JSON. */
  function checkMutation(req: IncomingMessage): void {
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    if (site !== undefined && site !== "same-origin") throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site: ${String(site)})`);
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host) throw new HttpError(403, `cross-site request refused (Origin: ${origin})`);
    }
    const given = req.headers["x-eventwire-csrf"];
    if (typeof given !== "string" || !same(given, csrf)) throw new HttpError(403, "missing or wrong CSRF token");
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new HttpError(415, "the request body must be JSON (Content-Type: application/json)");
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const path = url.pathname.slice(base.length) || "/";
    const ok = authorized(req, url, res);
    if (ok === "redirected") return;
    if (!ok) {
      const status = token === undefined ? 403 : 401;
      throw new HttpError(status, token === undefined ? "this dashboard answers only on a loopback address; set a token to serve it elsewhere" : "a token is required: open the address eventwire ui printed");
    }
    const method = req.method ?? "GET";
    if (method === "GET" && (path === "/" || path === "/index.html")) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
      });
      res.end(page(base, csrf, options.title ?? `eventwire ${options.where ?? ""}`.trim()));
      return;
    }
    const q = /^\/api\/queues\/([^/]+)(\/.*)?$/.exec(path);
    if (method === "GET") {
      if (path === "/api/queues") return send(res, 200, await queues());
      if (path === "/api/bus") return send(res, 200, await bus());
      if (path === "/api/schemas") return send(res, 200, await schemas());
      const jobMatch = /^\/api\/jobs\/([\w-]+)$/.exec(path);
      if (jobMatch) {
        const job = jobs.get(jobMatch[1]!);
        if (!job) throw new HttpError(404, "no such job");
        return send(res, 200, jobJson(job));
      }
      if (q) {
        const name = decodeURIComponent(q[1]!);
        if (q[2] === "/entries") return send(res, 200, await entries(name, url.searchParams));
        if (q[2] === "/dlq") return send(res, 200, await dlq(name, url.searchParams));
        if (q[2] === "/tail") {
          await requireQueue(name);
          return tail(name, req, res);
        }
      }
    }
    if (method === "POST" && q && (q[2] === "/dlq/requeue" || q[2] === "/dlq/delete")) {
      checkMutation(req);
      const body = await readJson(req);
      const job = await startJob(decodeURIComponent(q[1]!), q[2] === "/dlq/requeue" ? "requeue" : "delete", body);
      return send(res, 202, jobJson(job));
    }
    throw new HttpError(method === "GET" || method === "POST" ? 404 : 405, `${method} ${path}: no such page or action`);
  }

  const handles = (req: IncomingMessage): boolean => {
    const path = new URL(req.url ?? "/", "http://dashboard.invalid").pathname;
    return base === "" || path === base || path.startsWith(base + "/");
  };

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (res.headersSent) res.end();
      else send(res, status, { error: error instanceof Error ? error.message : String(error) });
    });
  }) as DashboardHandler;
  handler.handles = handles;
  handler.close = async () => {
    for (const end of [...tails]) end();
    for (const job of jobs.values()) job.abort.abort();
  };
  return handler;
}
