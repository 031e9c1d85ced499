// The golden vectors: the codec makes exactly the committed files from the
// inputs in test/vectors/inputs.ts (the shop's events) and
// test/vectors/full/inputs.ts (the all-types fixture: every value at its
// edges, every well-known type, integers beyond 2^53), and decodes them back
// to those events.
// After a deliberate change to the encoding, `npm run vectors` rewrites them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { shopRegistry } from "../../examples/shop/events.js";
import { fullRegistry, fullVectorEvents, fullVectorFiles } from "../vectors/full/inputs.js";
import { vectorEvents, vectorFiles } from "../vectors/inputs.js";

const dir = fileURLToPath(new URL("../vectors/", import.meta.url));
const events = vectorEvents();

describe("golden vectors", () => {
  test("there is one .bin and one .json per event type, and nothing else", () => {
    const expected = shopRegistry.names.flatMap((n) => [`${n}.bin`, `${n}.json`]).concat("inputs.ts", "full", "README.md").sort();
    assert.deepEqual(readdirSync(dir).sort(), expected);
    assert.deepEqual(events.map((e) => e.eventType).sort(), [...shopRegistry.names].sort());
  });

  test("the inputs cover what the vectors are for", () => {
    for (const e of events) assert.ok(Object.keys(e.headers).length >= 2, `${e.eventType} has headers`);
    const order = events.find((e) => e.eventType === "OrderCreatedEvent");
    assert.ok(order?.eventType === "OrderCreatedEvent" && order.payload.items.length >= 2 && order.payload.items.length <= 3);
    const all = JSON.stringify(events);
    assert.ok(/[^\x00-\x7f]/.test(all), "a non-ASCII string");
    assert.ok([...all].some((c) => c.codePointAt(0)! > 0xffff), "a character outside the BMP");
    assert.ok(events.some((e) => Object.keys(e.headers).some((k) => /[^\x00-\x7f]/.test(k))), "a non-ASCII header name");
  });

  for (const e of events) {
    describe(e.eventType, () => {
      const bin = new Uint8Array(readFileSync(`${dir}${e.eventType}.bin`));
      const json = readFileSync(`${dir}${e.eventType}.json`);
      const made = vectorFiles(e);

      test(".bin is byte for byte the codec's binary encoding", () => {
        assert.ok(bin.length > 0);
        assert.deepEqual(made.bin, bin, "run `npm run vectors` after a deliberate change to the encoding");
      });

      test(".json is byte for byte the codec's JSON encoding", () => {
        assert.deepEqual(Buffer.from(made.json, "utf8"), json, "run `npm run vectors` after a deliberate change to the encoding");
      });

      test(".json is what the codec writes for the event the .bin holds (what every implementation writes)", () => {
        assert.equal(shopRegistry.toJson(shopRegistry.fromBinary(bin)), json.toString("utf8"));
      });

      test("both decode to the input event", () => {
        assert.deepEqual(shopRegistry.fromBinary(bin), e);
        assert.deepEqual(shopRegistry.fromJson(new Uint8Array(json)), e);
        assert.deepEqual(shopRegistry.fromJson(json.toString("utf8")), e);
      });
    });
  }
});

describe("golden vectors of the all-types fixture", () => {
  const cases = fullVectorEvents();

  test("there is one .bin and one .json per case, and nothing else", () => {
    const expected = Object.keys(cases).flatMap((n) => [`${n}.bin`, `${n}.json`]).concat("inputs.ts").sort();
    assert.deepEqual(readdirSync(`${dir}full`).sort(), expected);
  });

  for (const [name, e] of Object.entries(cases)) {
    test(`${name}: the codec makes the files byte for byte, and both decode to the input event`, () => {
      const bin = new Uint8Array(readFileSync(`${dir}full/${name}.bin`));
      const json = readFileSync(`${dir}full/${name}.json`, "utf8");
      const made = fullVectorFiles(e);
      assert.deepEqual(made.bin, bin, "run `npm run vectors` after a deliberate change to the encoding");
      assert.equal(made.json, json, "run `npm run vectors` after a deliberate change to the encoding");
      assert.deepEqual(fullRegistry.fromBinary(bin), e);
      assert.deepEqual(fullRegistry.toBinary(fullRegistry.fromJson(json)), bin);
      // the .json is what the codec writes for the event the .bin holds, so
      // that an implementation in any language can be checked against both
      assert.equal(fullRegistry.toJson(fullRegistry.fromBinary(bin)), json);
    });
  }
});
