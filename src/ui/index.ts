/**
 * `eventwire/ui`: the dashboard as a Node HTTP handler, to serve alone
 * (`eventwire ui`) or to mount in an existing server:
 *
 * ```ts
 * import { createServer } from "node:http";
 * import { connectRedis } from "eventwire/redis";
 * import { createDashboard } from "eventwire/ui";
 *
 * const transport = await connectRedis({ registry });
 * const dashboard = createDashboard({ transport, basePath: "/eventwire", token: process.env.DASHBOARD_TOKEN });
 * createServer((req, res) => (dashboard.handles(req) ? dashboard(req, res) : app(req, res))).listen(8080);
 * ```
 */
export { createDashboard } from "./handler.js";
export type { DashboardHandler, DashboardOptions } from "./handler.js";
