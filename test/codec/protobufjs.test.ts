// Interop with protobufjs, an independent protobuf implementation that reads
// proto/ itself at run time: our bytes decode there to the same values, and
// its bytes decode here to the same event.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import protobuf from "protobufjs";
import type { RegisteredType } from "eventwire";
import { shopRegistry, type ShopEvent } from "../../examples/shop/events.js";
import { bigOrder, shopEvent } from "../support/arbitraries.js";
import { sampleEvents } from "../support/codec.js";

type MessageSchema = RegisteredType["schema"];

const protoDir = fileURLToPath(new URL("../../proto/", import.meta.url));
const FILES = ["eventwire/envelope/v1/envelope.proto", "eventwire/shop/v1/events.proto"];

let root: protobuf.Root;
let Envelope: protobuf.Type;

before(async () => {
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoDir, target);
  await root.load(FILES, { keepCase: true });
  root.resolveAll();
  Envelope = root.lookupType("eventwire.envelope.v1.EventEnvelope");
});

const TO_OBJECT: protobuf.IConversionOptions = { defaults: true, arrays: true, objects: true, longs: Number };

function payloadType(eventType: string): protobuf.Type {
  return root.lookupType(`eventwire.shop.v1.${eventType}`);
}

/** A payload as protobufjs sees it with keepCase: by .proto names (snake_case), defaults included. */
function byProtoNames(schema: MessageSchema, message: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = (message as Record<string, unknown>)[field.localName];
    const sub = field.message;
    if (sub && field.repeated) out[field.name] = (value as object[]).map((v) => byProtoNames(sub, v));
    else if (sub) out[field.name] = value === undefined ? null : byProtoNames(sub, value as object);
    else out[field.name] = value;
  }
  return out;
}

function schemaOf(e: ShopEvent): MessageSchema {
  return shopRegistry.require(e.eventType).schema;
}

/** Our bytes, as protobufjs decodes them, equal the event's values. */
function checkOursDecodeThere(e: ShopEvent): void {
  const env = Envelope.toObject(Envelope.decode(shopRegistry.toBinary(e)), TO_OBJECT);
  assert.equal(env["event_id"], e.eventId);
  assert.equal(env["timestamp"], e.timestamp);
  assert.equal(env["event_type"], e.eventType);
  assert.deepEqual(env["headers"], { ...e.headers });
  const P = payloadType(e.eventType);
  const payload = P.toObject(P.decode(env["payload"] as Uint8Array), TO_OBJECT);
  assert.deepEqual(payload, byProtoNames(schemaOf(e), e.payload));
}

/** protobufjs's bytes for the event's values decode here to the same event. */
function checkTheirsDecodeHere(e: ShopEvent): void {
  const P = payloadType(e.eventType);
  const payload = P.encode(P.fromObject(byProtoNames(schemaOf(e), e.payload))).finish();
  const bytes = Envelope.encode(
    Envelope.fromObject({ event_id: e.eventId, timestamp: e.timestamp, event_type: e.eventType, payload, headers: { ...e.headers } }),
  ).finish();
  const decoded = shopRegistry.fromBinary(bytes);
  assert.deepEqual(decoded, e);
  // And re-encoded here, they are our canonical bytes for that event.
  assert.deepEqual(shopRegistry.toBinary(decoded), shopRegistry.toBinary(e));
}

describe("protobufjs, loading proto/ at run time", () => {
  test("the contract loads, with the envelope's frozen field numbers", () => {
    assert.deepEqual(
      Envelope.fieldsArray.map((f) => [f.name, f.id]),
      [["event_id", 1], ["timestamp", 2], ["event_type", 3], ["payload", 4], ["headers", 5]],
    );
    for (const name of shopRegistry.names) assert.ok(payloadType(name), name);
  });

  test("the sample events: ours decode there, theirs decode here", () => {
    for (const e of sampleEvents()) {
      checkOursDecodeThere(e);
      checkTheirsDecodeHere(e);
    }
  });

  test("an event of default values, both ways", () => {
    const e = shopRegistry.create("OrderCreatedEvent", { items: [{}, { quantity: -1 }] }, { timestamp: 0 });
    checkOursDecodeThere(e);
    checkTheirsDecodeHere(e);
  });

  test("random events of every type, both ways", () => {
    fc.assert(
      fc.property(shopEvent, (e) => {
        checkOursDecodeThere(e);
        checkTheirsDecodeHere(e);
      }),
      { numRuns: 300 },
    );
  });

  test("orders with hundreds of items, both ways", () => {
    fc.assert(
      fc.property(bigOrder, (e) => {
        checkOursDecodeThere(e);
        checkTheirsDecodeHere(e);
      }),
      { numRuns: 10 },
    );
  });
});
