// Forward compatibility through the transport: a service whose schema is
// older than the producer's forwards an event (consumes it, publishes it
// again) and the fields it does not know reach the next, newer consumer,
// in both entry formats; requeues from the DLQ keep them too.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createRegistry, type Event, type EventRegistry } from "eventwire";
import { loadProtoTypes } from "eventwire/dynamic";
import { createMemoryTransport, MemoryStore, PermanentError } from "eventwire/memory";
import { shopRegistry } from "../../examples/shop/events.js";

const dir = mkdtempSync(join(tmpdir(), "eventwire-newer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The shop's OrderShippedEvent as a newer producer declares it: two more fields. */
mkdirSync(join(dir, "eventwire/shop/v1"), { recursive: true });
writeFileSync(
  join(dir, "eventwire/shop/v1/events.proto"),
  `syntax = "proto3";
package eventwire.shop.v1;
message OrderShippedEvent {
  string order_id = 1;
  string tracking_number = 2;
  string carrier = 3;
  int64 weight_grams = 10;
  map<string, string> labels = 11;
}
`,
);
const newerTypes = loadProtoTypes([dir]);
const newer = createRegistry(newerTypes.eventTypes, { files: newerTypes.files }) as unknown as EventRegistry<Event>;
const fields = { orderId: "o-1", carrier: "UPS", weightGrams: 2n ** 60n + 1n, labels: { fragile: "yes" } };

for (const format of ["binary", "json"] as const) {
  test(`an older service forwards a newer event (${format} entries): the fields it does not know arrive`, async () => {
    const store = new MemoryStore();
    const producer = createMemoryTransport({ registry: newer, store });
    const forwarder = createMemoryTransport({ registry: shopRegistry, store });
    const sent = (newer.create as unknown as (t: string, p: object) => Event)("OrderShippedEvent", fields);
    await producer.publish("in", sent, { format });
    const forwarding = await forwarder.consume("in", {
      OrderShippedEvent: async (event) => {
        assert.equal(event.payload.carrier, "UPS");
        await forwarder.publish("out", event, { format });
      },
    });
    await forwarding.drain();
    const got: Event[] = [];
    const receiving = await producer.consume("out", { "*": (event) => void got.push(event) });
    await receiving.drain();
    assert.equal(got.length, 1);
    assert.deepEqual(got[0], sent);
    await producer.close();
    await forwarder.close();
    await store.close();
  });
}

test("a dead letter requeued by an older service keeps the fields it does not know", async () => {
  const store = new MemoryStore();
  const producer = createMemoryTransport({ registry: newer, store });
  const older = createMemoryTransport({ registry: shopRegistry, store });
  const sent = (newer.create as unknown as (t: string, p: object) => Event)("OrderShippedEvent", fields);
  await producer.publish("q", sent, { format: "binary" });
  const refusing = await older.consume("q", {
    OrderShippedEvent: () => {
      throw new PermanentError("not now");
    },
  });
  await refusing.drain();
  await refusing.stop();
  assert.equal(await older.deadLetters("q").requeue("all"), 1);
  const got: Event[] = [];
  const receiving = await producer.consume("q", { "*": (event) => void got.push(event) });
  await receiving.drain();
  assert.deepEqual(got, [sent]);
  await producer.close();
  await older.close();
  await store.close();
});

test("a LeanMQ entry a Python producer wrote with warehouse_id = 2**60 + 1 (a bare integer) decodes exactly, not as undecodable", async () => {
  const { decodeEntry } = await import("../../src/transport/leanmq/entry.js");
  writeFileSync(
    join(dir, "eventwire/shop/v1/stock.proto"),
    'syntax = "proto3";\npackage eventwire.shop.v1;\nmessage StockMovedEvent { int64 warehouse_id = 1; uint64 units = 2; }\n',
  );
  const types = loadProtoTypes([dir]);
  const stock = createRegistry(types.eventTypes, { files: types.files }) as unknown as EventRegistry<Event>;
  // json.dumps({... "warehouse_id": 2**60 + 1 ...}), as LeanMQ stores it
  const data = `{"event_id": "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", "timestamp": 1732700000.5, "event_type": "StockMovedEvent", "warehouse_id": 1152921504606846977, "units": 18446744073709551615, "_metadata": {"id": "9b1c", "timestamp": 1732700000.5, "ttl": null}}`;
  const decoded = decodeEntry(stock, new Map([["data", Buffer.from(data)]]));
  assert.equal(decoded.problem, undefined, JSON.stringify(decoded.problem));
  assert.deepEqual((decoded.event?.payload as Record<string, unknown>)["warehouseId"], 2n ** 60n + 1n);
  assert.deepEqual((decoded.event?.payload as Record<string, unknown>)["units"], 2n ** 64n - 1n);
});
