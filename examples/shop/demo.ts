/**
 * The seed's event system, running: the order, payment, shipping and
 * notification services, each in its own process, talking only through the
 * event bus (prefix `events:`, queue `all`, one queue `sub:<service>` each)
 * on Redis. The demo creates orders for random users, prints one line per
 * event as the notification service sees it, waits until every order has
 * reached its final state, prints the orders with the trace each order's
 * events share (every service traces with OpenTelemetry), and stops
 * everything.
 *
 *   npm run demo -- [--orders N] [--fast] [--seed S] [--format json|binary] [--json] [--memory] [--python]
 *                   [--cluster [host:port,…]] [--partitions N]
 *
 * Redis is REDIS_URL when set; else a private redis-server, when one is on
 * PATH; else the four services run in this process on the in-memory
 * transport. With --cluster (or REDIS_CLUSTER_NODES), a Redis Cluster: the
 * nodes given, else a private one; the bus's shared queue is split into
 * partitions (3 by default) over its masters, each order's events in one. With
 * --python, the notification service is the Python one
 * (notification_service.py, on eventwire's Python package).
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Event } from "eventwire";
import { checkPartitionCount, connectRedis, parseClusterNodes, partitionOf, redactUrl, type EntryFormat, type StreamTransport } from "eventwire/redis";
import { BUS_QUEUE, busLayout, describePlaces, type BusLayout } from "./bus-layout.js";
import { orderPartitionKey, shopRegistry, type OrderItem } from "./events.js";
import type { Notification } from "./notification-service.js";
import type { Order } from "./order-service.js";
import { missingForCluster, startPrivateCluster } from "./private-cluster.js";
import { redisServerOnPath, startPrivateRedis } from "./private-redis.js";
import { SERVICES, type ServiceCommand, type ServiceConfig, type ServiceReport } from "./protocol.js";
import { simulation, type Simulation } from "./simulation.js";

const PREFIX = "events:";

/** Partitions of the bus's shared queue on a cluster, unless --partitions says otherwise. */
const CLUSTER_PARTITIONS = 3;

const CATALOGUE: readonly Omit<OrderItem, "quantity">[] = [
  { productId: "p-keyboard", name: "Mechanical keyboard", price: 89.99 },
  { productId: "p-mouse", name: "Wireless mouse", price: 24.5 },
  { productId: "p-monitor", name: "27-inch monitor", price: 279 },
  { productId: "p-cable", name: "USB-C cable", price: 9.99 },
  { productId: "p-headset", name: "Headset", price: 59.95 },
  { productId: "p-stand", name: "Laptop stand", price: 34.9 },
  { productId: "p-webcam", name: "Webcam", price: 49.99 },
  { productId: "p-pad", name: "Mouse pad", price: 7.49 },
];

const USAGE = `Usage: npm run demo -- [options]

The order, payment, shipping and notification services of the shop, each in
its own process, talking only through the event bus on Redis.

Options:
  --orders N        orders to create (default 3), each for a random user, with two items
  --fast            no simulated delays (payments take ~1.5 s, shipping ~2 s otherwise)
  --seed S          seed of every random choice: the same seed gives the same users, items,
                    payment outcomes and carriers (default: a random one, printed)
  --format F        entry format on the bus: json (LeanMQ's, the default) or binary
  --json            print the final orders as JSON on standard output (the rest on standard error)
  --memory          run the four services in this process on the in-memory transport
  --python          run the notification service as a Python process (Debian's python3 with
                    python3-protobuf and python3-redis), on eventwire's Python package
                    (one Redis server only: not with --cluster or partitions)
  --cluster [NODES] run on a Redis Cluster: the seed nodes given (host:port,host:port,…);
                    without them, REDIS_CLUSTER_NODES when set, else a private cluster of
                    3 masters with a replica each on free ports (stopped at the end)
  --partitions N    partitions of the bus's shared queue (default 3 on a cluster, else as
                    recorded in Redis: 1 on a new one); each order's events stay in one,
                    picked by its order id
  -h, --help        show this help

Redis: with --cluster, a Redis Cluster; else REDIS_URL when set; else REDIS_CLUSTER_NODES
(a cluster) when set; else a private redis-server on a free port when redis-server is on
PATH (stopped at the end); else the in-memory transport.
`;

interface DemoOptions {
  readonly orders: number;
  readonly fast: boolean;
  readonly seed: string;
  readonly format: EntryFormat;
  readonly json: boolean;
  readonly memory: boolean;
  readonly python: boolean;
  /** --cluster: its seed nodes, or true when given without them. */
  readonly cluster: readonly string[] | true | undefined;
  readonly partitions: number | undefined;
}

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseOptions(argv: readonly string[]): DemoOptions {
  // `--cluster` takes its nodes optionally: bare (last, or before another option) it is `--cluster=`.
  const args = argv.map((arg, i) => (arg === "--cluster" && (i === argv.length - 1 || argv[i + 1]!.startsWith("-")) ? "--cluster=" : arg));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        orders: { type: "string" },
        fast: { type: "boolean" },
        seed: { type: "string" },
        format: { type: "string" },
        json: { type: "boolean" },
        memory: { type: "boolean" },
        python: { type: "boolean" },
        cluster: { type: "string" },
        partitions: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail((error as Error).message.split("\n")[0]!);
  }
  if (values["help"]) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const ordersText = (values["orders"] as string | undefined) ?? "3";
  const orders = Number(ordersText);
  if (!/^\d+$/.test(ordersText) || orders < 1 || orders > 1000) fail(`--orders must be a whole number from 1 to 1000, got ${JSON.stringify(ordersText)}`);
  const format = (values["format"] as string | undefined) ?? "json";
  if (format !== "json" && format !== "binary") fail(`--format must be json or binary, got ${JSON.stringify(format)}`);
  if (values["python"] === true && values["memory"] === true) fail("--python runs a service in a process of its own, on Redis: it cannot be combined with --memory");
  const clusterText = values["cluster"] as string | undefined;
  let cluster: readonly string[] | true | undefined;
  if (clusterText !== undefined) {
    if (values["memory"] === true) fail("--cluster runs the services on a Redis Cluster: it cannot be combined with --memory");
    if (values["python"] === true) fail(PYTHON_ON_A_CLUSTER);
    try {
      cluster = clusterText === "" ? true : parseClusterNodes(clusterText);
    } catch (error) {
      fail(`--cluster: ${(error as Error).message}`);
    }
  }
  const partitionsText = values["partitions"] as string | undefined;
  let partitions: number | undefined;
  if (partitionsText !== undefined) {
    partitions = Number(partitionsText);
    try {
      if (!/^\d+$/.test(partitionsText)) throw new Error(`a whole number, not ${JSON.stringify(partitionsText)}`);
      checkPartitionCount(partitions);
    } catch (error) {
      fail(`--partitions: ${(error as Error).message}`);
    }
  }
  return {
    orders,
    fast: values["fast"] === true,
    seed: (values["seed"] as string | undefined) ?? String(randomInt(1, 1_000_000)),
    format,
    json: values["json"] === true,
    memory: values["memory"] === true,
    python: values["python"] === true,
    cluster,
    partitions,
  };
}

const PYTHON_ON_A_CLUSTER =
  "--python cannot be combined with a Redis Cluster: the Python notification service (eventwire's Python package) knows only one Redis server's key layout, not a cluster's";

/** The orders to create: a random user and two different items each. */
function planOrders(sim: Simulation, count: number): { userId: string; items: OrderItem[] }[] {
  const random = sim.random("demo/orders");
  return Array.from({ length: count }, () => {
    const first = random.pick(CATALOGUE);
    let second = random.pick(CATALOGUE);
    while (second === first) second = random.pick(CATALOGUE);
    return {
      userId: `user-${random.int(1000, 9999)}`,
      items: [first, second].map((p) => ({ ...p, quantity: random.int(1, 3) })),
    };
  });
}

const FINAL = new Set(["shipped", "payment_failed"]);

/** Follows the run's orders and their notifications until every order is final and told. */
class Tracker {
  readonly orders = new Map<string, Order>();
  readonly notified = new Map<string, number>();
  /** The trace ids each order's events carried: one each, when the trace went through every service. */
  readonly traces = new Map<string, Set<string>>();
  private events = 0;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly expected: number,
    private readonly out: NodeJS.WritableStream,
  ) {}

  get eventCount(): number {
    return this.events;
  }

  order(order: Order): void {
    this.orders.set(order.orderId, order);
    this.check();
  }

  notification(n: Notification): void {
    this.events++;
    this.notified.set(n.orderId, (this.notified.get(n.orderId) ?? 0) + 1);
    const traces = this.traces.get(n.orderId) ?? new Set<string>();
    traces.add(n.traceId ?? "none");
    this.traces.set(n.orderId, traces);
    const time = new Date(n.timestamp * 1000).toTimeString().slice(0, 8) + "." + String(Math.floor((n.timestamp * 1000) % 1000)).padStart(3, "0");
    this.out.write(`${time}  ${n.source.padEnd(16)}  ${n.eventType.padEnd(21)}  ${n.orderId}  ${n.text}\n`);
    this.check();
  }

  /** The one trace of an order's events, or undefined when they were not traced, or not all in one trace. */
  traceOf(orderId: string): string | undefined {
    const traces = this.traces.get(orderId);
    return traces?.size === 1 && !traces.has("none") ? [...traces][0] : undefined;
  }

  /** Every order final, and the notification service has seen each of its events (3 when shipped, 2 when the payment failed). */
  get finished(): boolean {
    if (this.orders.size < this.expected) return false;
    for (const o of this.orders.values()) {
      if (!FINAL.has(o.status)) return false;
      if ((this.notified.get(o.orderId) ?? 0) < (o.status === "shipped" ? 3 : 2)) return false;
    }
    return true;
  }

  private check(): void {
    if (this.finished) this.waiter?.();
  }

  /** Resolves true when finished, false after `timeoutMs`. */
  until(timeoutMs: number): Promise<boolean> {
    if (this.finished) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

/** The four services, running somewhere. */
interface System {
  createOrder(userId: string, items: readonly OrderItem[]): Promise<void>;
  /** The bus's shared queue: its partitions, where they are, what they hold. */
  layout(): Promise<BusLayout>;
  stop(): Promise<void>;
}

const SERVICE_PROCESS = fileURLToPath(new URL("./service-process.ts", import.meta.url));
const PYTHON_NOTIFICATION_SERVICE = fileURLToPath(new URL("./notification_service.py", import.meta.url));
const PYTHON = "/usr/bin/python3";

/**
 * A service in a Python process: its reports come as JSON lines on its
 * standard output, its commands go as JSON lines to its standard input
 * (whose end, when the demo is gone, stops it too).
 */
function startPython(script: string, env: NodeJS.ProcessEnv, onReport: (report: ServiceReport) => void): ChildProcess {
  const child = spawn(PYTHON, [script], { env, stdio: ["pipe", "pipe", 2] });
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) if (line.trim() !== "") onReport(JSON.parse(line) as ServiceReport);
  });
  child.stdin!.on("error", () => {}); // a service already gone
  return child;
}

/**
 * Each service in a process of its own, on Redis; with `python`, the
 * notification service is the Python one. `observer` is the demo's own
 * connection, to look at the bus (closed by `stop`).
 */
async function startProcesses(config: ServiceConfig, tracker: Tracker, children: Set<ChildProcess>, python: boolean, observer: StreamTransport<Event>): Promise<System> {
  const procs = new Map<string, ChildProcess>();
  await Promise.all(
    SERVICES.map(
      (service) =>
        new Promise<void>((resolve, reject) => {
          const onReport = (report: ServiceReport): void => {
            if (report.kind === "ready") resolve();
            else if (report.kind === "failed") reject(new Error(`${report.service} could not start: ${report.message}`));
            else if (report.kind === "order") tracker.order(report.order);
            else tracker.notification(report.notification);
          };
          const env = { ...process.env, EVENTWIRE_DEMO: JSON.stringify(config) };
          // Service output (warnings) goes to standard error, keeping standard output for the results.
          const child =
            python && service === "notification-service"
              ? startPython(PYTHON_NOTIFICATION_SERVICE, env, onReport)
              : fork(SERVICE_PROCESS, [service], { env, stdio: ["ignore", 2, 2, "ipc"] });
          children.add(child);
          procs.set(service, child);
          child.on("exit", () => children.delete(child));
          child.once("error", (error) => reject(new Error(`${service} could not be started: ${error.message}`)));
          child.once("exit", (code) => reject(new Error(`${service} exited with status ${code} before it was ready`)));
          child.on("message", onReport);
        }),
    ),
  );
  const send = (child: ChildProcess, command: ServiceCommand): void => {
    if (child.stdin) {
      if (child.stdin.writable) child.stdin.write(JSON.stringify(command) + "\n");
    } else if (child.connected) child.send(command);
  };
  return {
    async createOrder(userId, items) {
      send(procs.get("order-service")!, { kind: "create-order", userId, items });
    },
    layout: () => busLayout(observer),
    async stop() {
      await observer.close();
      await Promise.all(
        [...procs.values()].map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once("exit", r));
          send(child, { kind: "stop" });
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

/** All four services in this process, each on its own transport over one in-memory store. */
async function startInMemory(options: DemoOptions, sim: Simulation, tracker: Tracker): Promise<System> {
  const { createMemoryTransport, EventBus, MemoryStore } = await import("eventwire/memory");
  const { startOrderService } = await import("./order-service.js");
  const { startPaymentService } = await import("./payment-service.js");
  const { startShippingService } = await import("./shipping-service.js");
  const { startNotificationService } = await import("./notification-service.js");
  const { startTracing } = await import("./tracing.js");
  startTracing(); // before the transports are made: they find the tracer provider
  const store = new MemoryStore();
  const buses = SERVICES.map(
    () =>
      new EventBus(createMemoryTransport({ registry: shopRegistry, store, prefix: PREFIX, format: options.format, partitionKey: orderPartitionKey }), {
        partitions: options.partitions,
      }),
  );
  const [orderBus, paymentBus, shippingBus, notificationBus] = buses as [(typeof buses)[number], (typeof buses)[number], (typeof buses)[number], (typeof buses)[number]];
  const orders = await startOrderService(orderBus, sim, (order) => tracker.order(order));
  await startPaymentService(paymentBus, sim);
  await startShippingService(shippingBus, sim);
  await startNotificationService(notificationBus, (n) => tracker.notification(n));
  return {
    async createOrder(userId, items) {
      await orders.createOrder(userId, items);
    },
    layout: () => busLayout(orderBus.transport as StreamTransport<Event>),
    async stop() {
      await Promise.all(buses.map(async (bus) => {
        await bus.stop();
        await bus.transport.close();
      }));
    },
  };
}

/** The orders, a line each; with partitions, the one each order's events went through. */
function finalTable(orders: readonly Order[], tracker: Tracker, partitions: number): string {
  const rows = orders.map((o) => [
    o.orderId, o.userId, o.total.toFixed(2), o.status, o.paymentId ?? "-", o.carrier ?? "-", o.trackingNumber ?? "-", tracker.traceOf(o.orderId) ?? "-",
    ...(partitions > 1 ? [String(partitionOf(o.orderId, partitions))] : []),
  ]);
  const headers = ["ORDER", "USER", "TOTAL", "STATUS", "PAYMENT", "CARRIER", "TRACKING", "TRACE", ...(partitions > 1 ? ["PARTITION"] : [])];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

function orderJson(o: Order, tracker: Tracker): Record<string, unknown> {
  return {
    order_id: o.orderId,
    user_id: o.userId,
    items: o.items.map((i) => ({ product_id: i.productId, name: i.name, price: i.price, quantity: i.quantity })),
    total: o.total,
    status: o.status,
    payment_id: o.paymentId ?? null,
    tracking_number: o.trackingNumber ?? null,
    carrier: o.carrier ?? null,
    trace_id: tracker.traceOf(o.orderId) ?? null,
  };
}

/** Where the run's Redis is: how it was chosen, and what the services connect to. */
type Where = "REDIS_URL" | "private" | "memory" | "cluster" | "REDIS_CLUSTER_NODES" | "private cluster";

/** A private Redis the demo started, and stops. */
interface PrivateServer {
  /** "the private redis-server", "the private Redis Cluster". */
  readonly name: string;
  stop(): Promise<void>;
}

/** "s" for a count other than one. */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const out = options.json ? process.stderr : process.stdout;
  const sim = simulation(options.seed, options.fast);
  const tracker = new Tracker(options.orders, out);
  const children = new Set<ChildProcess>();
  let server: PrivateServer | undefined;
  let system: System | undefined;

  // Nothing outlives the demo: on Ctrl-C (or SIGTERM) the services stop, then Redis; a second one kills.
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) {
      for (const child of children) child.kill("SIGKILL");
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write("\ndemo: interrupted; stopping the services\n");
    void (async () => {
      await system?.stop();
      for (const child of children) child.kill("SIGKILL"); // any not yet ready
      await server?.stop();
      process.stderr.write(`demo: stopped the four services${server ? ` and ${server.name}` : ""}\n`);
      process.exit(130);
    })();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });

  let where: Where;
  let clusterNodes: readonly string[] | undefined;
  let redisUrl: string | undefined;
  const envUrl = process.env["REDIS_URL"];
  const envCluster = process.env["REDIS_CLUSTER_NODES"];
  const fromEnvironment = (): readonly string[] => {
    try {
      return parseClusterNodes(envCluster!);
    } catch (error) {
      return fail(`REDIS_CLUSTER_NODES: ${(error as Error).message}`);
    }
  };
  if (options.memory) {
    where = "memory";
    out.write("In memory (--memory): the four services run in this process, on the in-memory transport (eventwire/memory).\n");
  } else if (Array.isArray(options.cluster)) {
    where = "cluster";
    clusterNodes = options.cluster;
    out.write(`Redis Cluster: ${clusterNodes.map(redactUrl).join(",")} (--cluster).\n`);
  } else if ((options.cluster === true || !envUrl) && envCluster) {
    where = "REDIS_CLUSTER_NODES";
    if (options.python) fail(`${PYTHON_ON_A_CLUSTER} (REDIS_CLUSTER_NODES is set)`);
    clusterNodes = fromEnvironment();
    out.write(`Redis Cluster: ${clusterNodes.map(redactUrl).join(",")} (REDIS_CLUSTER_NODES).\n`);
  } else if (options.cluster === true) {
    where = "private cluster";
    const missing = missingForCluster();
    if (missing) fail(`--cluster without nodes starts a private Redis Cluster, which needs ${missing} on PATH; or give the nodes of a running one (--cluster host:port,…, or REDIS_CLUSTER_NODES)`);
    const cluster = await startPrivateCluster();
    server = { name: "the private Redis Cluster", stop: () => cluster.stop() };
    clusterNodes = cluster.nodes;
    out.write(
      `Redis Cluster: a private one of ${plural(cluster.masters, "master")} with ${cluster.replicasPerMaster === 1 ? "a replica" : plural(cluster.replicasPerMaster, "replica")} each, ` +
        `on ${cluster.nodes.join(", ")}, stopped at the end (REDIS_CLUSTER_NODES is not set).\n`,
    );
  } else if (envUrl) {
    where = "REDIS_URL";
    redisUrl = envUrl;
    out.write(`Redis: ${envUrl.replace(/\/\/[^@/]*@/, "//***@")} (REDIS_URL).\n`);
  } else if (redisServerOnPath()) {
    where = "private";
    const redis = await startPrivateRedis();
    server = { name: "the private redis-server", stop: () => redis.stop() };
    redisUrl = redis.url;
    out.write(`Redis: a private redis-server on 127.0.0.1:${redis.port}, stopped at the end (REDIS_URL is not set).\n`);
  } else {
    where = "memory";
    out.write("No Redis: REDIS_URL is not set and redis-server is not on PATH, so the four services run in this process, on the in-memory transport (eventwire/memory).\n");
  }
  const partitions = options.partitions ?? (clusterNodes ? CLUSTER_PARTITIONS : undefined);
  out.write(
    `${options.orders} order${options.orders === 1 ? "" : "s"}, seed ${options.seed} (--seed ${options.seed} repeats this run), ${options.format} entries, ` +
      `${options.fast ? "no simulated delays" : "payments ~1.5 s, shipping ~2 s"}.\n`,
  );
  if (where === "memory") {
    system = await startInMemory({ ...options, partitions }, sim, tracker);
  } else {
    const target = clusterNodes ? { cluster: clusterNodes } : { connection: redisUrl! };
    // The demo's own connection, to look at the bus; opened first, so that a Redis out of reach is told at once.
    const observer = await connectRedis({ registry: shopRegistry, ...target, prefix: PREFIX });
    const config: ServiceConfig = {
      ...(clusterNodes ? { cluster: clusterNodes } : { redisUrl: redisUrl! }),
      ...(partitions === undefined ? {} : { partitions }),
      prefix: PREFIX,
      format: options.format,
      seed: options.seed,
      fast: options.fast,
    };
    const names = SERVICES.map((s) => (options.python && s === "notification-service" ? `${s} (Python)` : s));
    out.write(`Starting ${names.join(", ")}: one process each, talking only through the event bus (${PREFIX}${BUS_QUEUE}, ${PREFIX}sub:<service>).\n`);
    system = await startProcesses(config, tracker, children, options.python, observer as StreamTransport<Event>);
  }
  const layout = await system.layout();
  const count = layout.partitions.length;
  if (count > 1 || layout.masters !== null) {
    const over = layout.masters === null ? "" : ` over ${new Set(layout.partitions.map((p) => p.master)).size} of the cluster's ${plural(layout.masters, "master")}`;
    out.write(
      `Bus: ${PREFIX}${BUS_QUEUE} in ${plural(count, "partition")}${over}, each order's events in one, picked by its order id (partition key): ${describePlaces(layout)}.\n`,
    );
  }
  out.write("\n");

  for (const order of planOrders(sim, options.orders)) await system.createOrder(order.userId, order.items);
  const finished = await tracker.until((options.fast ? 20_000 : 30_000) + options.orders * 500);
  if (interrupted) return;

  const orders = [...tracker.orders.values()];
  const after = await system.layout();
  const counts = (status: string): number => orders.filter((o) => o.status === status).length;
  if (options.json) {
    process.stdout.write(
      JSON.stringify(
        {
          transport: where === "memory" ? "memory" : "redis",
          redis: where === "memory" ? null : where,
          seed: options.seed,
          format: options.format,
          fast: options.fast,
          events: tracker.eventCount,
          masters: after.masters,
          partitions: after.partitions,
          orders: orders.map((o) => orderJson(o, tracker)),
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    process.stdout.write("\n" + finalTable(orders, tracker, after.partitions.length) + "\n");
  }
  out.write(
    finished
      ? `${orders.length} orders: ${counts("shipped")} shipped, ${counts("payment_failed")} with a failed payment; ${tracker.eventCount} events.\n`
      : `demo: not every order reached its final state in time (${orders.filter((o) => !FINAL.has(o.status)).length} still open).\n`,
  );
  if (after.partitions.length > 1 || after.masters !== null) {
    out.write(`Entries per partition of ${PREFIX}${BUS_QUEUE}: ${after.partitions.map((p) => `${p.stream} ${p.entries}`).join(", ")}.\n`);
  }
  await system.stop();
  await server?.stop();
  out.write(`Stopped the four services${server ? ` and ${server.name}` : ""}.\n`);
  process.exit(finished ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1); // the exit handler stops the service processes; the watchdog, the private redis-server
});
