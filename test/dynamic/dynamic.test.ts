// Event types read from .proto files at run time (eventwire/dynamic) behave
// as ts-proto's generated types for the same files do: same shapes, same
// bytes, same JSON, same refusals.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { createRegistry, isDecodeError, RegistryError, type Event, type EventBase, type EventRegistry } from "eventwire";
import { loadProtoTypes } from "eventwire/dynamic";
import { protoMetadata, TaggedEvent } from "../fixtures/gen/fixtures/misc/v1/misc.js";

const fixtures = fileURLToPath(new URL("../fixtures/proto/", import.meta.url));
const eventId = "0b0e7d4c-5f2a-4c1e-9d3b-2a1f0e9d8c7b";
const base = { eventId, timestamp: 1732700000.5, headers: { "correlation-id": "c-9" } };

const generated = createRegistry([TaggedEvent], { files: [protoMetadata] });
const misc = loadProtoTypes([join(fixtures, "fixtures/misc/v1/misc.proto")]);
const dynamicTagged = misc.messages.get("fixtures.misc.v1.TaggedEvent")!;
const dynamic = createRegistry([dynamicTagged], { files: misc.files }) as unknown as EventRegistry<Event>;

/** `create` on a registry of run-time types, whose event types the compiler cannot know. */
function make(registry: EventRegistry<Event>, eventType: string, payload: object, given: EventBase = base): Event {
  return (registry.create as unknown as (t: string, p: object, b: EventBase) => Event)(eventType, payload, given);
}

const temp = mkdtempSync(join(tmpdir(), "eventwire-dynamic-"));
after(() => rmSync(temp, { recursive: true, force: true }));

function writeProto(relative: string, text: string): string {
  const path = join(temp, relative);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("a .proto read at run time, next to ts-proto's code for it", () => {
  const payload = {
    tags: { env: "prod", "clé 🔑": "v" },
    root: { name: "a", child: { name: "b" } },
    nodes: { x: { name: "x1", child: { name: "x2" } } },
  };

  test("defaults have ts-proto's shape: maps empty, unset messages undefined", () => {
    assert.deepEqual(dynamicTagged.fromPartial({} as never), TaggedEvent.fromPartial({}));
    assert.deepEqual(make(dynamic, "TaggedEvent", {}).payload, generated.create("TaggedEvent", {}, base).payload);
  });

  test("the same event gives the same bytes and the same JSON", () => {
    const ours = make(dynamic, "TaggedEvent", payload);
    const theirs = generated.create("TaggedEvent", payload, base);
    assert.deepEqual(ours.payload, theirs.payload);
    assert.deepEqual(dynamic.toBinary(ours), generated.toBinary(theirs));
    assert.equal(dynamic.toJson(ours), generated.toJson(theirs));
  });

  test("each decodes the other's bytes and JSON to the same event", () => {
    const theirs = generated.create("TaggedEvent", payload, base);
    assert.deepEqual(dynamic.fromBinary(generated.toBinary(theirs)), theirs);
    assert.deepEqual(dynamic.fromJson(generated.toJson(theirs)), theirs);
    const ours = make(dynamic, "TaggedEvent", payload);
    assert.deepEqual(generated.fromBinary(dynamic.toBinary(ours)), ours);
  });

  test("the registry's checks apply: reserved field names are refused", () => {
    const reserved = misc.messages.get("fixtures.misc.v1.WithEventId")!;
    assert.throws(() => createRegistry([reserved], { files: misc.files }), (err: unknown) => err instanceof RegistryError && /reserved/.test(err.message));
  });

  test("by default the top-level messages nothing else uses are event types; Node (a field type) is not", () => {
    const names = misc.eventTypes.map((t) => t.$type).sort();
    assert.ok(names.includes("fixtures.misc.v1.TaggedEvent"));
    assert.ok(!names.includes("fixtures.misc.v1.Node"));
  });
});

describe("field kinds ts-proto maps specially", () => {
  const dir = join(temp, "kinds");
  writeProto(
    "kinds/acme/v1/common.proto",
    `syntax = "proto3";
package acme.v1;
message Money { int64 units = 1; string currency = 2; }
`,
  );
  writeProto(
    "kinds/acme/v1/things.proto",
    `syntax = "proto3";
package acme.v1;
import "acme/v1/common.proto";
enum Level { LEVEL_UNSPECIFIED = 0; LEVEL_HIGH = 1; }
message ThingCountedEvent {
  string user_id = 1;
  optional int32 limit = 2;
  oneof choice { string label = 3; Money price = 4; }
  map<int64, string> by_id = 5;
  int64 big = 6;
  uint64 count = 7;
  bytes blob = 8;
  Level level = 9;
  repeated double samples = 10;
  Money total = 11;
  bool flag = 12;
}
`,
  );
  const types = loadProtoTypes([dir]);
  const registry = createRegistry(types.eventTypes, { files: types.files }) as unknown as EventRegistry<Event>;

  test("imports resolve from the folder; event types are picked by name and use", () => {
    assert.deepEqual(registry.names, ["ThingCountedEvent"]);
    assert.equal(types.sources.get("acme.v1.ThingCountedEvent"), join(dir, "acme/v1/things.proto"));
  });

  test("defaults: camelCase keys, zeros, empty bytes, optional and oneof members and messages undefined", () => {
    const e = make(registry, "ThingCountedEvent", {});
    assert.deepEqual(e.payload, {
      userId: "",
      limit: undefined,
      label: undefined,
      price: undefined,
      byId: new Map(),
      big: 0n,
      count: 0n,
      blob: new Uint8Array(0),
      level: 0,
      samples: [],
      total: undefined,
      flag: false,
    });
    assert.equal(registry.toBinary(e).length, registry.toBinary(registry.fromBinary(registry.toBinary(e))).length);
  });

  test("every kind survives binary and JSON; presence survives a set zero", () => {
    const e = make(
      registry,
      "ThingCountedEvent",
      {
        userId: "u-1",
        limit: 0,
        price: { units: 5n, currency: "EUR" },
        byId: new Map([[9007199254740993n, "past 2^53"], [-3n, "neg"]]),
        big: -(2n ** 63n),
        count: 2n ** 64n - 1n,
        blob: new Uint8Array([0, 1, 255]),
        level: 1,
        samples: [1.5, -0.25],
        total: { units: 12n, currency: "" },
        flag: true,
      },
    );
    for (const back of [registry.fromBinary(registry.toBinary(e)), registry.fromJson(registry.toJson(e))]) {
      assert.deepEqual(back, e);
    }
    const json = registry.toJsonObject(e);
    assert.equal(json["limit"], 0);
    assert.equal(json["big"], "-9223372036854775808");
    assert.equal(json["count"], "18446744073709551615");
    assert.deepEqual(json["by_id"], { "-3": "neg", "9007199254740993": "past 2^53" });
    assert.equal(json["level"], "LEVEL_HIGH");
    assert.equal(json["label"], undefined);
  });

  test("JSON with camelCase keys and enum names decodes; unknown enum names are refused", () => {
    const e = registry.fromJsonObject({ event_id: eventId, timestamp: 1, event_type: "ThingCountedEvent", userId: "u", level: "LEVEL_HIGH" }) as Event<string, { userId: string; level: number }>;
    assert.equal(e.payload.userId, "u");
    assert.equal(e.payload.level, 1);
    assert.throws(
      () => registry.fromJsonObject({ event_id: eventId, timestamp: 1, event_type: "ThingCountedEvent", level: "LEVEL_LOW" }),
      (err: unknown) => isDecodeError(err, "invalid-value") && err.path === "level",
    );
  });

  /** An envelope around a hand-written ThingCountedEvent payload. */
  function envelope(payload: Uint8Array): Uint8Array {
    return new BinaryWriter().uint32(10).string(eventId).uint32(17).double(1).uint32(26).string("ThingCountedEvent").uint32(34).bytes(payload).finish();
  }

  test("a string that is not UTF-8 is refused as the generated decoders refuse it", () => {
    const bytes = envelope(new BinaryWriter().uint32(10).bytes(new Uint8Array([0x61, 0xc3])).finish());
    assert.throws(() => registry.fromBinary(bytes), (err: unknown) => isDecodeError(err, "invalid-utf8"));
  });

  test("a 64-bit value past the safe integers is read exactly, as a bigint, in binary and in JSON", () => {
    const bytes = envelope(new BinaryWriter().uint32(48).int64("9007199254740993").finish());
    const e = registry.fromBinary(bytes) as Event<string, { big: bigint }>;
    assert.equal(e.payload.big, 9007199254740993n);
    assert.deepEqual(registry.toBinary(e), bytes);
    const fromPython = registry.fromJson(`{"event_id": "${eventId}", "timestamp": 1.0, "event_type": "ThingCountedEvent", "big": 1152921504606846977}`) as Event<string, { big: bigint }>;
    assert.equal(fromPython.payload.big, 2n ** 60n + 1n);
  });

  test("a map with bool keys is a Map through create, binary and JSON", () => {
    const types = loadProtoTypes([writeProto("flags/f.proto", 'syntax = "proto3";\nmessage FlagsEvent { map<bool, string> by_flag = 1; }\n')]);
    const flags = createRegistry(types.eventTypes, { files: types.files }) as unknown as EventRegistry<Event>;
    const e = make(flags, "FlagsEvent", { byFlag: new Map([[true, "yes"], [false, "no"]]) });
    assert.deepEqual((e.payload as { byFlag: Map<boolean, string> }).byFlag, new Map([[false, "no"], [true, "yes"]]));
    for (const back of [flags.fromBinary(flags.toBinary(e)), flags.fromJson(flags.toJson(e))]) assert.deepEqual(back, e);
    assert.deepEqual(flags.toJsonObject(e)["by_flag"], { false: "no", true: "yes" });
  });
});

describe("well-known types in .proto files read at run time", () => {
  test("are held as their messages and written in their canonical JSON forms, both ways", () => {
    const file = writeProto(
      "wkt/x/w.proto",
      `syntax = "proto3";
package x;
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
message WktEvent {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Struct meta = 2;
  google.protobuf.Int64Value big = 3;
  google.protobuf.Duration took = 4;
  google.protobuf.Value v = 5;
  repeated google.protobuf.ListValue lists = 6;
  google.protobuf.FieldMask mask = 7;
}
`,
    );
    const types = loadProtoTypes([file]);
    const registry = createRegistry(types.eventTypes, { files: types.files }) as unknown as EventRegistry<Event>;
    const fields = { at: "2026-11-27T10:00:00.125Z", meta: { a: [1, "x", null], b: { c: false } }, big: "1152921504606846977", took: "-1.500s", v: { k: true }, lists: [[1, "two"], []], mask: "userId,a.bC" };
    const e = registry.fromJsonObject({ event_id: eventId, timestamp: 1, event_type: "WktEvent", ...fields });
    const { event_id: _i, timestamp: _t, event_type: _e, ...written } = registry.toJsonObject(e);
    assert.deepEqual(written, fields);
    assert.deepEqual(registry.fromBinary(registry.toBinary(e)), e);
    assert.deepEqual(registry.fromJson(registry.toJson(e)), e);
  });
});

describe("loading errors name the file", () => {
  test("a package, message or field named __proto__ is refused, naming the file and line, instead of vanishing", () => {
    for (const [name, text] of [
      ["package", 'syntax = "proto3";\npackage __proto__;\nmessage AEvent { string a = 1; }\n'],
      ["message", 'syntax = "proto3";\nmessage AEvent { string a = 1; }\nmessage __proto__ { string b = 1; }\n'],
      ["field", 'syntax = "proto3";\nmessage AEvent {\n  string a = 1;\n  string __proto__ = 2;\n}\n'],
    ] as const) {
      const path = writeProto(`proto-names/${name}/p.proto`, text);
      assert.throws(
        () => loadProtoTypes([join(temp, "proto-names", name)]),
        (err: unknown) => err instanceof RegistryError && err.code === "invalid-event-type" && err.message.includes(path) && /__proto__/.test(err.message),
        name,
      );
    }
    // in a comment or a string it is only text
    const fine = writeProto("proto-names/comment/p.proto", 'syntax = "proto3";\n// __proto__\nmessage AEvent { string a = 1 [json_name = "__proto__x"]; }\n');
    assert.deepEqual(loadProtoTypes([fine]).eventTypes.map((t) => t.$type), ["AEvent"]);
  });

  test("a syntax error", () => {
    const path = writeProto("broken/bad.proto", 'syntax = "proto3";\nmessage Bad { string x = ; }\n');
    assert.throws(() => loadProtoTypes([join(temp, "broken")]), (err: unknown) => err instanceof RegistryError && err.message.includes(path));
  });

  test("a missing folder, and a folder without .proto files", () => {
    assert.throws(() => loadProtoTypes([join(temp, "nowhere")]), (err: unknown) => err instanceof RegistryError && /no such file or folder/.test(err.message));
    mkdirSync(join(temp, "empty"));
    assert.throws(() => loadProtoTypes([join(temp, "empty")]), (err: unknown) => err instanceof RegistryError && /no \.proto files/.test(err.message));
  });
});
