/**
 * The dashboard's one page: HTML, CSS and a small script without
 * dependencies that draws every view from the JSON API (handler.ts) and
 * builds the DOM with text nodes only, so that nothing an event holds can
 * run as markup.
 */

/** The page, for a dashboard mounted at `base` (no trailing slash), with the token mutating requests must carry. */
export function page(base: string, csrf: string, title: string): string {
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="eventwire-base" content="${esc(base)}">
<meta name="eventwire-csrf" content="${esc(csrf)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><a href="#/" class="brand">eventwire</a><nav><a href="#/">Queues</a><a href="#/bus">Bus</a><a href="#/schemas">Schemas</a></nav><span id="where"></span></header>
<main id="view" aria-live="polite"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { --fg: #1d2433; --muted: #667085; --line: #e4e7ec; --bg: #f8f9fb; --accent: #2e5bff; --bad: #c62828; --ok: #1b7f3b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #101828; color: #fff; }
header a { color: #d0d5dd; text-decoration: none; margin-right: 16px; }
header a.brand { color: #fff; font-weight: 700; font-size: 16px; }
#where { margin-left: auto; color: #98a2b3; font-family: ui-monospace, monospace; font-size: 12px; }
main { padding: 20px 24px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0 12px; }
button { font: inherit; padding: 4px 10px; border: 1px solid #98a2b3; background: #fff; border-radius: 4px; cursor: pointer; }
button.danger { border-color: var(--bad); color: var(--bad); }
button.primary { border-color: var(--accent); color: var(--accent); }
input, select { font: inherit; padding: 3px 6px; }
.chart { background: #fff; border: 1px solid var(--line); padding: 8px; margin-bottom: 12px; }
.note { background: #fff; border-left: 3px solid var(--accent); padding: 8px 12px; margin: 12px 0; }
.progress { font-family: ui-monospace, monospace; }
tr.partition td { background: var(--bg); font-size: 12px; padding-top: 3px; padding-bottom: 3px; }
tr.partition td:first-child { padding-left: 26px; }
`;

// The browser's script: plain ES2020, no build step.
const SCRIPT = String.raw`
"use strict";
const base = document.querySelector('meta[name="eventwire-base"]').content;
const csrf = document.querySelector('meta[name="eventwire-csrf"]').content;
const view = document.getElementById("view");
let stop = [];

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
async function api(path, options) {
  const r = await fetch(base + path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function post(path, body) {
  return api(path, { method: "POST", headers: { "content-type": "application/json", "x-eventwire-csrf": csrf }, body: JSON.stringify(body) });
}
const q = (name) => encodeURIComponent(name);
function age(ms) {
  if (ms === null || ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d";
}
function time(ms) { return new Date(ms).toISOString().replace("T", " ").replace("Z", ""); }
function every(ms, fn) { fn(); const t = setInterval(fn, ms); stop.push(() => clearInterval(t)); }
function fail(e) { view.replaceChildren(h("p", { class: "bad", role: "alert" }, String(e.message || e))); }

// ---- queues, with a live rate chart ----
const history = new Map();
function chart(series) {
  const w = 900, hgt = 120, n = 60;
  const max = Math.max(1, ...series.flatMap((s) => s.points));
  const colors = ["#2e5bff", "#c62828", "#1b7f3b", "#b54708", "#6941c6", "#0e7090"];
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 " + w + " " + (hgt + 20));
  svg.setAttribute("width", "100%");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "entries per second, by queue");
  series.forEach((s, i) => {
    const pts = s.points.map((v, j) => ((j + n - s.points.length) * w) / (n - 1) + "," + (hgt - (v / max) * hgt)).join(" ");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", pts);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", colors[i % colors.length]);
    line.setAttribute("stroke-width", "2");
    svg.append(line);
    const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
    label.setAttribute("x", String(6 + i * 150));
    label.setAttribute("y", String(hgt + 16));
    label.setAttribute("fill", colors[i % colors.length]);
    label.setAttribute("font-size", "12");
    label.textContent = s.name + " " + (s.points.at(-1) || 0).toFixed(1) + "/s";
    svg.append(label);
  });
  return h("div", { class: "chart" }, h("div", { class: "muted" }, "entries added per second (max " + max.toFixed(1) + "/s)"), svg);
}
async function queuesView() {
  const holder = h("div");
  view.replaceChildren(h("h1", {}, "Queues"), holder);
  every(2000, async () => {
    let data;
    try { data = await api("/api/queues"); } catch (e) { return fail(e); }
    document.getElementById("where").textContent = data.where + " · prefix " + data.prefix;
    const now = Date.now();
    for (const x of data.queues) {
      const hst = history.get(x.name) || { last: null, points: [] };
      if (hst.last) hst.points.push(Math.max(0, (x.added - hst.last.added) / ((now - hst.last.at) / 1000)));
      if (hst.points.length > 60) hst.points.shift();
      hst.last = { added: x.added, at: now };
      history.set(x.name, hst);
    }
    // a queue's row (its counts summed over its partitions), then, when it has several, a row for each partition
    const rows = data.queues.flatMap((x) => [
      h("tr", { "data-queue": x.name },
        h("td", {}, h("a", { href: "#/queue/" + q(x.name) }, x.name)),
        h("td", { class: "num" }, x.length), h("td", { class: "num" }, x.pending), h("td", { class: "num" }, x.consumers),
        h("td", { class: "num" }, x.lag === null ? "-" : x.lag),
        h("td", { class: "num" + (x.dlqLength > 0 ? " bad" : "") }, x.dlqLength > 0 ? h("a", { href: "#/queue/" + q(x.name) + "/dlq" }, x.dlqLength) : 0),
        h("td", { class: "num" }, age(x.oldestAgeMs)),
        h("td", { class: "num", title: "partitions written" + (x.partitionsHighest > x.partitionCount ? "; of those it has had, read" : "") },
          x.partitionsHighest > x.partitionCount ? x.partitionCount + " of " + x.partitionsHighest : x.partitionCount)),
      ...(x.partitions.length > 1 ? x.partitions.map((p) =>
        h("tr", { class: "partition", "data-partition-of": x.name, "data-partition": p.partition },
          h("td", { class: "muted mono" }, "partition " + p.partition + (p.partition >= x.partitionCount ? " (not written)" : "")),
          h("td", { class: "num" }, p.length), h("td", { class: "num" }, p.pending), h("td", { class: "num" }, p.consumers),
          h("td", { class: "num" }, p.lag === null ? "-" : p.lag),
          h("td", { class: "num" + (p.dlqLength > 0 ? " bad" : "") }, p.dlqLength),
          h("td", { class: "num" }, age(p.oldestAgeMs)), h("td", { class: "muted mono" }, p.stream))) : []),
    ]);
    holder.replaceChildren(
      chart(data.queues.slice(0, 6).map((x) => ({ name: x.name, points: history.get(x.name).points }))),
      data.queues.length === 0 ? h("p", { class: "muted" }, "No queues under this prefix.") :
      h("table", { id: "queues" }, h("thead", {}, h("tr", {}, ["Queue", "Length", "Pending", "Consumers", "Lag", "DLQ", "Oldest", "Partitions"].map((t, i) => h("th", { class: i ? "num" : "" }, t)))), h("tbody", {}, rows)));
  });
}

// ---- a queue's entries, filtered, with a live tail ----
function entryRow(e, partitioned) {
  const body = e.event ? JSON.stringify(e.event, null, 1) : e.error;
  return h("tr", { "data-id": e.id, "data-partition": e.partition },
    h("td", { class: "mono" }, e.id, h("div", { class: "muted" }, time(e.time)), partitioned ? h("div", { class: "muted" }, "partition " + e.partition) : null),
    h("td", {}, e.eventType || "?", h("div", { class: "muted" }, e.format)),
    h("td", {}, h("pre", { class: e.event ? "" : "bad" }, body)));
}
async function queueView(name) {
  const type = h("input", { name: "type", placeholder: "event type", size: 18 });
  const from = h("input", { name: "from", type: "datetime-local", step: 1 });
  const to = h("input", { name: "to", type: "datetime-local", step: 1 });
  const rows = h("tbody");
  const live = h("button", { class: "primary", id: "live" }, "Live tail");
  let source = null;
  let partitioned = false;
  async function load() {
    const params = new URLSearchParams({ count: "50" });
    if (type.value) params.set("type", type.value);
    if (from.value) params.set("from", String(new Date(from.value + "Z").getTime()));
    if (to.value) params.set("to", String(new Date(to.value + "Z").getTime()));
    try {
      const data = await api("/api/queues/" + q(name) + "/entries?" + params);
      partitioned = data.partitions > 1;
      rows.replaceChildren(...data.entries.map((e) => entryRow(e, partitioned)));
    } catch (e) { fail(e); }
  }
  live.addEventListener("click", () => {
    if (source) { source.close(); source = null; live.textContent = "Live tail"; return; }
    source = new EventSource(base + "/api/queues/" + q(name) + "/tail");
    source.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (type.value && e.eventType !== type.value) return;
      rows.prepend(entryRow(e, partitioned || e.partition > 0));
    };
    live.textContent = "Stop live tail";
    stop.push(() => source && source.close());
  });
  view.replaceChildren(
    h("h1", {}, "Queue ", h("span", { class: "mono" }, name)),
    h("div", { class: "bar" }, h("a", { href: "#/queue/" + q(name) + "/dlq" }, "Dead letters →")),
    h("form", { class: "bar", onsubmit: (ev) => { ev.preventDefault(); load(); } }, "Type", type, "from", from, "to (UTC)", to, h("button", { type: "submit" }, "Filter"), live),
    h("table", { id: "entries" }, h("thead", {}, h("tr", {}, h("th", {}, "Stream id"), h("th", {}, "Type"), h("th", {}, "Event"))), rows));
  await load();
}

// ---- the DLQ: reasons, history, requeue and delete with progress ----
async function dlqView(name) {
  const rows = h("tbody");
  const status = h("span", { class: "progress", id: "progress" });
  const selected = () => [...rows.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
  async function load() {
    try {
      const data = await api("/api/queues/" + q(name) + "/dlq?count=200");
      rows.replaceChildren(...data.letters.map((l) =>
        h("tr", { "data-id": l.id },
          h("td", {}, h("input", { type: "checkbox", value: l.id, "aria-label": "select " + l.id })),
          h("td", { class: "mono" }, l.id),
          h("td", {}, l.eventType || "?"),
          h("td", { class: "num" }, l.attempts === null ? "-" : l.attempts),
          h("td", { class: "num" }, l.requeues),
          h("td", {}, h("span", { class: "bad" }, l.reason || l.problem || ""),
            h("div", { class: "muted" }, l.failures.map((f) => (f.timestamp ? time(f.timestamp * 1000) + " " : "") + f.reason).join(" · "))),
          h("td", {}, h("button", { class: "primary", onclick: () => act("requeue", { ids: [l.id] }) }, "Requeue"), " ",
            h("button", { class: "danger", onclick: () => act("delete", { ids: [l.id] }) }, "Delete")))));
      status.textContent = data.letters.length + " shown of " + data.total;
    } catch (e) { fail(e); }
  }
  async function act(action, body) {
    if (body.all && !confirm(action + " every dead letter of " + name + "?")) return;
    try {
      let job = await post("/api/queues/" + q(name) + "/dlq/" + action, body);
      while (job.state === "running") {
        status.textContent = action + ": " + job.done + " of " + job.total;
        await new Promise((r) => setTimeout(r, 200));
        job = await api("/api/jobs/" + job.id);
      }
      const message = action + ": " + job.done + " of " + job.total + " " + job.state + (job.missing && job.missing.length ? " (not found: " + job.missing.join(", ") + ")" : "");
      await load();
      status.textContent = message;
    } catch (e) { status.textContent = "failed: " + e.message; }
  }
  view.replaceChildren(
    h("h1", {}, "Dead letters of ", h("span", { class: "mono" }, name)),
    h("div", { class: "bar" },
      h("button", { class: "primary", onclick: () => act("requeue", { ids: selected() }) }, "Requeue selected"),
      h("button", { class: "danger", onclick: () => act("delete", { ids: selected() }) }, "Delete selected"),
      h("button", { class: "primary", onclick: () => act("requeue", { all: true }) }, "Requeue all"),
      h("button", { class: "danger", onclick: () => act("delete", { all: true }) }, "Delete all"), status),
    h("table", { id: "dlq" }, h("thead", {}, h("tr", {}, ["", "DLQ id", "Type", "Attempts", "Requeues", "Reason and history", ""].map((t) => h("th", {}, t)))), rows));
  await load();
}

// ---- the bus: subscriptions and routers; the shared queue's partitions, routers per partition ----
async function busView() {
  try {
    const data = await api("/api/bus");
    const partitioned = data.partitions.length > 1;
    view.replaceChildren(
      h("h1", {}, "Event bus ", h("span", { class: "muted mono" }, data.prefix)),
      h("h2", {}, "Routers"),
      data.shared ? h("p", {}, "The shared queue ", h("a", { href: "#/queue/" + q(data.shared.name) }, data.shared.name), " has ", data.routers, " router consumer(s)",
        partitioned ? " over its " + data.partitions.length + " partitions" : "", ", ",
        data.shared.length, " entries, ", data.shared.pending, " pending.") : h("p", { class: "muted" }, "No shared queue under this prefix (run the dashboard with the bus's prefix, events: by default)."),
      h("h2", {}, "Subscriptions"),
      data.subscriptions.length === 0 ? h("p", { class: "muted" }, "No subscriptions.") :
      h("table", { id: "subscriptions" }, h("thead", {}, h("tr", {}, ["Service", "Event types", "Queue", "Length", "Pending", "Consumers", "DLQ"].map((t) => h("th", {}, t)))),
        h("tbody", {}, data.subscriptions.map((s) => h("tr", {},
          h("td", {}, s.service), h("td", {}, s.eventTypes.join(", ")),
          h("td", {}, h("a", { href: "#/queue/" + q(s.queue) }, s.queue)),
          h("td", { class: "num" }, s.info ? s.info.length : "-"), h("td", { class: "num" }, s.info ? s.info.pending : "-"),
          h("td", { class: "num" }, s.info ? s.info.consumers : "-"), h("td", { class: "num" }, s.info ? s.info.dlqLength : "-"))))),
      h("h2", {}, "Partitions"),
      h("div", { class: "note" }, data.layout === "cluster" ? "Redis Cluster: each partition of a queue is in a slot of its own, so one queue spreads over the masters." : "Not a cluster: one Redis server holds every queue."),
      !data.shared ? null : !partitioned ? h("p", { class: "muted" }, "The shared queue has one partition: one router group reads it.") :
      h("table", { id: "partitions" }, h("thead", {}, h("tr", {}, ["Partition", "Stream", "Length", "Pending", "Lag", "DLQ", "Routers"].map((t, i) => h("th", { class: i > 1 ? "num" : "" }, t)))),
        h("tbody", {}, data.partitions.map((p) => h("tr", { "data-partition": p.partition },
          h("td", {}, p.partition + (p.partition >= data.partitionCount ? " (not written)" : "")), h("td", { class: "mono" }, p.stream),
          h("td", { class: "num" }, p.length), h("td", { class: "num" }, p.pending), h("td", { class: "num" }, p.lag === null ? "-" : p.lag),
          h("td", { class: "num" + (p.dlqLength > 0 ? " bad" : "") }, p.dlqLength), h("td", { class: "num" }, p.routers))))));
  } catch (e) { fail(e); }
}

async function schemasView() {
  try {
    const data = await api("/api/schemas");
    view.replaceChildren(h("h1", {}, "Registered schemas"),
      data.schemas.length === 0 ? h("p", { class: "muted" }, "No schemas are registered under this prefix.") :
      h("table", { id: "schemas" }, h("thead", {}, h("tr", {}, ["Event type", "Full name", "Version", "Versions", "Fingerprint", "Registered", "Forced"].map((t) => h("th", {}, t)))),
        h("tbody", {}, data.schemas.map((s) => h("tr", {}, h("td", {}, s.name), h("td", { class: "mono" }, s.fullName), h("td", { class: "num" }, s.version), h("td", { class: "num" }, s.versions),
          h("td", { class: "mono" }, s.fingerprint.slice(7, 19)), h("td", {}, time(s.registeredAt * 1000)), h("td", {}, s.forced ? "yes" : ""))))));
  } catch (e) { fail(e); }
}

function route() {
  for (const s of stop) s();
  stop = [];
  const path = location.hash.replace(/^#/, "") || "/";
  const m = /^\/queue\/([^/]+)(\/dlq)?$/.exec(path);
  if (m) return m[2] ? dlqView(decodeURIComponent(m[1])) : queueView(decodeURIComponent(m[1]));
  if (path === "/bus") return busView();
  if (path === "/schemas") return schemasView();
  return queuesView();
}
addEventListener("hashchange", route);
route();
`;
