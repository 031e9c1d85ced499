// The transport contract on the in-memory store.
import { createMemoryTransport, MemoryStore, type StreamTransport } from "eventwire/memory";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { describeTransportContract } from "../transport/conformance.js";

describeTransportContract("memory", async () => {
  // one store shared by the fixture's transports, as processes share one Redis
  const store = new MemoryStore();
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
