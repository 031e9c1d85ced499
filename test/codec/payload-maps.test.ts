// Map fields in payloads (the fixture TaggedEvent: map<string, string> and
// map<string, Node>): keys that cannot be encoded or that would replace a
// prototype are refused on every path in.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { createRegistry, DecodeError, EventValidationError, isDecodeError } from "eventwire";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import { protoMetadata, TaggedEvent } from "../fixtures/gen/fixtures/misc/v1/misc.js";

const registry = createRegistry([TaggedEvent], { files: [protoMetadata] });
const eventId = "0b0e7d4c-5f2a-4c1e-9d3b-2a1f0e9d8c7b";

function jsonWithTags(tagsJson: string): string {
  return `{"event_id":"${eventId}","timestamp":1.5,"event_type":"TaggedEvent","tags":${tagsJson}}`;
}

/** An envelope whose TaggedEvent payload holds one tags entry, written by hand. */
function binaryWithTag(key: Uint8Array, value: string): Uint8Array {
  const payload = new BinaryWriter().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(key).uint32((2 << 3) | 2).string(value).join().finish();
  return EventEnvelope.encode({ eventId, timestamp: 1.5, eventType: "TaggedEvent", payload, headers: {} }).finish();
}

describe("payload map keys", () => {
  test("a well-formed key survives create, binary and JSON", () => {
    const event = registry.create("TaggedEvent", { tags: { "clé 🔑": "v", constructor: "c" } }, { eventId, timestamp: 2 });
    const fromBinary = registry.fromBinary(registry.toBinary(event));
    const fromJson = registry.fromJson(registry.toJson(event));
    assert.deepEqual(fromBinary.payload.tags, { "clé 🔑": "v", constructor: "c" });
    assert.deepEqual(fromJson.payload.tags, { "clé 🔑": "v", constructor: "c" });
    assert.equal(Object.getPrototypeOf(fromJson.payload.tags), Object.prototype);
  });

  test("create refuses a key with a lone surrogate (it has no UTF-8 form)", () => {
    assert.throws(
      () => registry.create("TaggedEvent", { tags: { "a\ud800": "v" } }),
      (err: unknown) => err instanceof EventValidationError && err.code === "invalid-value" && err.path === 'tags["a\\ud800"]',
    );
  });

  test("fromJson refuses a key with a lone surrogate", () => {
    assert.throws(
      () => registry.fromJson(jsonWithTags('{"a\\ud800":"v"}')),
      (err: unknown) => isDecodeError(err, "invalid-value") && err.path === 'tags["a\\ud800"]',
    );
  });

  test("fromJson refuses the key __proto__, in a map of strings and in a map of messages", () => {
    for (const text of [jsonWithTags('{"__proto__":"x"}'), jsonWithTags("{}").replace(/}$/, ',"nodes":{"__proto__":{"name":"x"}}}')]) {
      const r = registry.tryFromJson(text);
      assert.equal(r.ok, false, text);
      assert.ok(!r.ok && r.error instanceof DecodeError && r.error.code === "forbidden-key", text);
    }
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
  });

  test("fromBinary refuses the key __proto__ and a key that is not UTF-8", () => {
    const ok = registry.fromBinary(binaryWithTag(new TextEncoder().encode("__proto_"), "v"));
    assert.deepEqual(ok.payload.tags, { __proto_: "v" });
    assert.throws(
      () => registry.fromBinary(binaryWithTag(new TextEncoder().encode("__proto__"), "v")),
      (err: unknown) => isDecodeError(err, "forbidden-key") && err.path === "payload.tags",
    );
    assert.throws(() => registry.fromBinary(binaryWithTag(new Uint8Array([0x61, 0xc3]), "v")), (err: unknown) => isDecodeError(err, "invalid-utf8"));
  });
});
