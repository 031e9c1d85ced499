/** `eventwire ui`: serves the dashboard for the prefix's queues until Ctrl-C. */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createDashboard } from "../../ui/index.js";
import { stringOption, type Command } from "../command.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import { interruptible } from "../interrupt.js";
import { json } from "../output.js";

/** The environment variable that gives the dashboard's token. */
export const UI_TOKEN_ENV = "EVENTWIRE_UI_TOKEN";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export const ui: Command = {
  name: "ui",
  summary: "Serve the dashboard: queues, entries, dead letters, the bus, schemas.",
  args: "",
  details: `
A web dashboard of the queues under the prefix: each queue's length,
pending entries, consumers, lag and DLQ size with a live chart of the
entries added per second; a queue's entries, decoded, filtered by event type
and time, and a live tail; the dead letters with their reasons and failure
history, requeued or deleted one, some or all at a time, with progress; the
event bus's subscriptions and routers (run it with --prefix events:); the
registered schemas. Events decode with the .proto files the CLI reads and
the schemas registered in Redis.

It listens on 127.0.0.1 unless --host says otherwise. Bound to another
address it requires a token (--token, or $${UI_TOKEN_ENV}; one is made up
and printed when neither is given): open the printed address, which carries
it once and leaves it in a cookie. Actions that change data are refused
unless they come from the dashboard's own page (same origin, and its CSRF
token).

--json prints {"url", "token"} once listening.

Examples:
  eventwire ui
  eventwire ui --prefix events: --port 8090
  EVENTWIRE_UI_TOKEN=$(openssl rand -hex 16) eventwire ui --host 0.0.0.0`,
  options: {
    host: { type: "string", value: "HOST", help: "the address to listen on (default: 127.0.0.1)" },
    port: { type: "string", value: "N", help: "the port (default: 7474; 0 for any free one)" },
    token: { type: "string", value: "TOKEN", help: `the token requests must carry (default: $${UI_TOKEN_ENV}; required off loopback)` },
  },
  positionals: { min: 0, max: 0 },
  async run({ values, session, io }) {
    const host = stringOption(values, "host") ?? "127.0.0.1";
    const portText = stringOption(values, "port") ?? "7474";
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw usageError(`--port must be a port number (0 to 65535), got ${JSON.stringify(portText)}`);
    let token = stringOption(values, "token") ?? (process.env[UI_TOKEN_ENV] || undefined);
    if (token === undefined && !LOOPBACK.has(host)) token = randomBytes(18).toString("base64url");
    const transport = await session.transport();
    const dashboard = createDashboard({ transport, token, where: session.where });
    const server = createServer(dashboard);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(new CliError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, ExitCode.failure, error.code === "EADDRINUSE" ? "Choose another --port (0 for any free one)." : undefined)),
      );
      server.listen(port, host, resolve);
    });
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    const shown = host.includes(":") ? `[${host}]` : host;
    const url = `http://${shown}:${bound}/${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`;
    if (values["json"]) io.stdout.write(json({ url, token: token ?? null }));
    else io.stdout.write(`eventwire ui: the dashboard of ${session.where} (prefix ${session.prefix}) is at\n  ${url}\nCtrl-C to stop.\n`);
    const interrupt = interruptible(() => process.exit(ExitCode.ok));
    await new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve()));
    interrupt.dispose();
    await dashboard.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return ExitCode.ok;
  },
};
