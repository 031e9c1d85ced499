/**
 * Runs one of the shop's services in a process of its own, on Redis (one
 * server or a cluster), as the demo starts them: `node service-process.ts <service>`, configured by the
 * EVENTWIRE_DEMO environment variable (see protocol.ts). It reports to the
 * demo over Node's IPC channel, and stops when told, on SIGINT or SIGTERM,
 * and when the demo is gone.
 */
import { connectRedis, EventBus } from "eventwire/redis";
import { orderPartitionKey, shopRegistry } from "./events.js";
import { startNotificationService } from "./notification-service.js";
import { startOrderService, type OrderService } from "./order-service.js";
import { startPaymentService } from "./payment-service.js";
import { startShippingService } from "./shipping-service.js";
import { SERVICES, type ServiceCommand, type ServiceConfig, type ServiceName, type ServiceReport } from "./protocol.js";
import { simulation } from "./simulation.js";
import { startTracing } from "./tracing.js";

function report(message: ServiceReport): void {
  if (process.connected) process.send!(message);
}

async function main(): Promise<void> {
  const service = process.argv[2] as ServiceName;
  const config = JSON.parse(process.env["EVENTWIRE_DEMO"] ?? "null") as ServiceConfig | null;
  if (!config || !SERVICES.includes(service)) throw new Error(`usage: EVENTWIRE_DEMO='{…}' node service-process.ts <${SERVICES.join("|")}>`);
  startTracing(); // before connecting: the transport finds the tracer provider
  const transport = await connectRedis({
    registry: shopRegistry,
    ...(config.cluster ? { cluster: config.cluster } : { connection: config.redisUrl! }),
    prefix: config.prefix,
    format: config.format,
    partitionKey: orderPartitionKey,
  });
  const bus = new EventBus(transport, { partitions: config.partitions });
  const sim = simulation(config.seed, config.fast);
  let orders: OrderService | undefined;
  switch (service) {
    case "order-service":
      orders = await startOrderService(bus, sim, (order) => report({ kind: "order", order }));
      break;
    case "payment-service":
      await startPaymentService(bus, sim);
      break;
    case "shipping-service":
      await startShippingService(bus, sim);
      break;
    case "notification-service":
      await startNotificationService(bus, (notification) => report({ kind: "notification", notification }));
      break;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      setTimeout(() => process.exit(1), 5000).unref(); // Redis gone with the demo, say
      await bus.stop(); // lets running handlers finish
      await transport.close();
      process.exit(0);
    })());
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("disconnect", () => void stop()); // the demo is gone
  let creating = Promise.resolve(); // one order after the other, in the order asked
  process.on("message", (command: ServiceCommand) => {
    if (command.kind === "stop") void stop();
    else if (command.kind === "create-order" && orders) {
      const service = orders;
      creating = creating
        .then(() => service.createOrder(command.userId, command.items))
        .then(
          () => undefined,
          (error: unknown) => console.error(`order-service: could not create an order: ${String(error)}`),
        );
    }
  });
  report({ kind: "ready", service });
}

main().catch((error: unknown) => {
  report({ kind: "failed", service: process.argv[2] ?? "?", message: error instanceof Error ? error.message : String(error) });
  console.error(error);
  process.exit(1);
});
