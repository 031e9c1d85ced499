// `eventwire encode` and `eventwire decode`, as processes: the golden vectors
// come out byte for byte, and what one writes the other reads back.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { validate as isUuid } from "uuid";
import { cli } from "../support/cli.js";

const vectors = new URL("../vectors/", import.meta.url);
const TYPES = ["OrderCreatedEvent", "PaymentProcessedEvent", "OrderShippedEvent"];

function vector(name: string, ext: "bin" | "json"): Buffer {
  return readFileSync(new URL(`${name}.${ext}`, vectors));
}

describe("decode and encode", { concurrency: true }, () => {
  test("decode turns each golden binary vector into its golden JSON", async () => {
    const results = await Promise.all(TYPES.map((name) => cli(["decode"], { input: vector(name, "bin") })));
    for (const [i, name] of TYPES.entries()) {
      const r = results[i]!;
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(vector(name, "json").toString()), name);
      assert.ok(r.stdout.endsWith("}\n"));
    }
  });

  test("encode turns each golden JSON vector into its golden bytes (the type read from the JSON)", async () => {
    const results = await Promise.all(TYPES.map((name) => cli(["encode"], { input: vector(name, "json") })));
    for (const [i, name] of TYPES.entries()) {
      const r = results[i]!;
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.bytes, vector(name, "bin"), name);
    }
  });

  test("decode | encode keeps the payload fields this schema does not know (a newer producer's), byte for byte", async () => {
    // OrderShippedEvent with a field 10 (int64, 2^60 + 1) and a field 11 (a string) this schema does not know
    const payload = new BinaryWriter().uint32(10).string("order-9").uint32(80).int64(2n ** 60n + 1n).uint32(90).string("newer").finish();
    const bytes = new BinaryWriter().uint32(10).string("3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c").uint32(17).double(1.5).uint32(26).string("OrderShippedEvent").uint32(34).bytes(payload).finish();
    const dec = await cli(["decode"], { input: Buffer.from(bytes) });
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(typeof (JSON.parse(dec.stdout) as Record<string, unknown>)["_unknown_fields"], "string");
    const enc = await cli(["encode"], { input: dec.stdout });
    assert.equal(enc.status, 0, enc.stderr);
    assert.deepEqual(enc.bytes, Buffer.from(bytes));
  });

  test("payload fields alone: encode fills in event_id and timestamp, decode gives them back", async () => {
    const enc = await cli(["encode", "OrderShippedEvent", "--base64"], { input: '{"orderId": "order-5", "carrier": "USPS"}' });
    assert.equal(enc.status, 0, enc.stderr);
    assert.match(enc.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    const dec = await cli(["decode", "--base64"], { input: enc.stdout });
    assert.equal(dec.status, 0, dec.stderr);
    const event = JSON.parse(dec.stdout) as Record<string, unknown>;
    assert.ok(isUuid(event["event_id"] as string));
    assert.ok(Math.abs((event["timestamp"] as number) - Date.now() / 1000) < 60);
    assert.deepEqual({ ...event, event_id: 0, timestamp: 0 }, {
      event_id: 0,
      timestamp: 0,
      event_type: "OrderShippedEvent",
      order_id: "order-5",
      tracking_number: "",
      carrier: "USPS",
    });
    const again = await cli(["encode", "--base64"], { input: dec.stdout });
    assert.equal(again.stdout, enc.stdout, "decode then encode gives the same bytes");
  });
});

describe("decode and encode refuse bad input, with status 2", { concurrency: true }, () => {
  test("decode: truncated bytes, bytes that are no envelope, nothing at all", async () => {
    const [truncated, text, empty] = await Promise.all([
      cli(["decode"], { input: vector("OrderCreatedEvent", "bin").subarray(0, 40) }),
      cli(["decode"], { input: "hello" }),
      cli(["decode"], { input: "" }),
    ]);
    assert.equal(truncated.status, 2);
    assert.match(truncated.stderr, /^eventwire decode: the input is not an EventEnvelope eventwire can read \(malformed-binary\)/);
    assert.equal(text.status, 2);
    assert.match(text.stderr, /not an EventEnvelope/);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /no input/);
    assert.equal(truncated.stdout + text.stdout + empty.stdout, "");
  });

  test("encode: malformed JSON, an unknown type, a type that contradicts the JSON, no type, a wrong value", async () => {
    const cases: [string[], string, RegExp][] = [
      [["OrderShippedEvent"], '{"order_id": ', /the input is not JSON/],
      [["RefundIssuedEvent"], "{}", /no event type "RefundIssuedEvent" is registered\nKnown event types: OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent/],
      [["OrderShippedEvent"], '{"event_type": "OrderCreatedEvent"}', /says event_type "OrderCreatedEvent", but the command line says "OrderShippedEvent"/],
      [[], '{"order_id": "o"}', /has no event_type: give the event type as an argument/],
      [["OrderCreatedEvent"], '{"items": [{"quantity": 1.5}]}', /items\[0\]\.quantity: expected a 32-bit signed integer, got number 1\.5/],
    ];
    const results = await Promise.all(cases.map(([args, input]) => cli(["encode", ...args, "--base64"], { input })));
    for (const [i, [args, input, message]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.status, 2, `${args} ${input}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
    }
  });
});
