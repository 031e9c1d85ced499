// The transport contract on the in-memory store.
import { createMemoryTransport, MemoryStore, type KeyLayout, type StreamTransport } from "eventwire/memory";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { describeTransportContract } from "../transport/conformance.js";

for (const layout of ["leanmq", "cluster"] as const satisfies readonly KeyLayout[]) describeTransportContract(layout === "leanmq" ? "memory" : "memory, cluster layout", async () => {
  // one store shared by the fixture's transports, as processes share one Redis
  const store = new MemoryStore({ layout });
  const opened: StreamTransport<ShopEvent>[] = [];
  return {
    async open(options = {}) {
      const t = createMemoryTransport({ registry: shopRegistry, store, ...options });
      opened.push(t);
      return t;
    },
    async close() {
      await Promise.all(opened.map((t) => t.close()));
      await store.close();
    },
  };
});
