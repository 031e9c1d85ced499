// The registry: short and fully qualified names, duplicate short names,
// field names the envelope reserves. The clashing types are generated from
// test/fixtures/proto/ (npm run generate:fixtures).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRegistry, DecodeError, RegistryError } from "eventwire";
import { shopRegistry } from "../../examples/shop/events.js";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import * as shop from "../../gen/eventwire/shop/v1/events.js";
import * as billing from "../fixtures/gen/fixtures/billing/v1/events.js";
import * as misc from "../fixtures/gen/fixtures/misc/v1/misc.js";
import { EVENT_ID, isError, TIMESTAMP } from "../support/codec.js";

const SHOP_NAMES = ["OrderCreatedEvent", "PaymentProcessedEvent", "OrderShippedEvent"];

describe("name resolution", () => {
  test("the wire names are the messages' short names, in registration order", () => {
    assert.deepEqual(shopRegistry.names, SHOP_NAMES);
  });

  test("get resolves the short and the fully qualified name to the same type, and nothing else", () => {
    for (const name of SHOP_NAMES) {
      const full = `eventwire.shop.v1.${name}`;
      const byShort = shopRegistry.get(name);
      assert.ok(byShort, name);
      assert.equal(shopRegistry.get(full), byShort);
      assert.equal(byShort.name, name);
      assert.equal(byShort.fullName, full);
    }
    for (const other of ["shop.v1.OrderCreatedEvent", "orderCreatedEvent", ".eventwire.shop.v1.OrderCreatedEvent", "OrderItem", ""]) {
      assert.equal(shopRegistry.get(other), undefined, other);
    }
    assert.throws(() => shopRegistry.require("OrderItem"), isError(DecodeError, "unknown-event-type", "event_type"));
  });

  test("a fully qualified event_type decodes, and the event carries the short name", () => {
    const full = "eventwire.shop.v1.OrderShippedEvent";
    const created = shopRegistry.create(full as "OrderShippedEvent", { orderId: "o" }, { eventId: EVENT_ID, timestamp: TIMESTAMP });
    assert.equal(created.eventType, "OrderShippedEvent");
    const payload = shop.OrderShippedEvent.encode(created.payload).finish();
    const bytes = EventEnvelope.encode({ eventId: EVENT_ID, timestamp: TIMESTAMP, eventType: full, payload, headers: {} }).finish();
    assert.deepEqual(shopRegistry.fromBinary(bytes), created);
    const json = JSON.stringify({ event_id: EVENT_ID, timestamp: TIMESTAMP, event_type: full, order_id: "o" });
    assert.deepEqual(shopRegistry.fromJson(json), created);
  });
});

describe("registration", () => {
  test("two packages' messages with the same short name raise duplicate-event-type naming both", () => {
    for (const types of [
      [shop.OrderCreatedEvent, billing.OrderCreatedEvent],
      [billing.OrderCreatedEvent, shop.PaymentProcessedEvent, shop.OrderCreatedEvent],
    ] as const) {
      assert.throws(
        () => createRegistry(types, { files: [shop.protoMetadata, billing.protoMetadata] }),
        (err: unknown) => {
          isError(RegistryError, "duplicate-event-type")(err);
          const message = (err as Error).message;
          assert.ok(message.includes("eventwire.shop.v1.OrderCreatedEvent"), message);
          assert.ok(message.includes("fixtures.billing.v1.OrderCreatedEvent"), message);
          return true;
        },
      );
    }
  });

  test("either of the clashing types registers on its own, and the same type twice is one type", () => {
    const b = createRegistry([billing.OrderCreatedEvent], { files: [billing.protoMetadata] });
    assert.equal(b.get("OrderCreatedEvent")?.fullName, "fixtures.billing.v1.OrderCreatedEvent");
    const twice = createRegistry([shop.OrderCreatedEvent, shop.OrderCreatedEvent], { files: [shop.protoMetadata] });
    assert.deepEqual(twice.names, ["OrderCreatedEvent"]);
  });

  test("payload fields named like the envelope's keys are refused with invalid-event-type", () => {
    const cases = [
      [misc.WithEventId, "event_id"],
      [misc.WithTimestamp, "timestamp"],
      [misc.WithEventType, "event_type"],
      [misc.WithUnderscore, "_headers"],
      [misc.WithJsonName, "eventId"],
    ] as const;
    for (const [type, field] of cases) {
      assert.throws(
        () => createRegistry([type], { files: [misc.protoMetadata] }),
        (err: unknown) => {
          isError(RegistryError, "invalid-event-type")(err);
          assert.ok((err as Error).message.includes(JSON.stringify(field)), (err as Error).message);
          return true;
        },
        type.$type,
      );
    }
    // The same file's other event types are fine: the refusal is about the field.
    assert.deepEqual(createRegistry([misc.TaggedEvent], { files: [misc.protoMetadata] }).names, ["TaggedEvent"]);
  });

  test("a type whose file is not among `files` is refused", () => {
    assert.throws(() => createRegistry([billing.OrderCreatedEvent], { files: [shop.protoMetadata] }), isError(RegistryError, "invalid-event-type"));
  });
});
