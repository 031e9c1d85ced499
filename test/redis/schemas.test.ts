// The schema registry: each event type's schema as a FileDescriptorSet that
// other protobuf implementations read, registered by publishers once per
// type per process, new versions for compatible changes, a typed error for
// breaking ones unless forced, and tools that decode events from the
// registered schemas alone.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { Redis } from "ioredis";
import {
  breakingChanges,
  createRegistry,
  decodeDescriptorSet,
  describedMessages,
  describeMessage,
  descriptorSetFingerprint,
  encodeDescriptorSet,
  isSchemaConflictError,
  type Event,
  type EventRegistry,
} from "eventwire";
import { descriptorSetTypes, loadProtoTypes } from "eventwire/dynamic";
import { createMemoryTransport } from "eventwire/memory";
import { connectRedis, RedisStore, openRedis, schemaIndexKey, schemaKey, silentLogger, StreamTransport, type EntryStore, type SchemaMode } from "eventwire/redis";
import { shopRegistry } from "../../examples/shop/events.js";
import { EventEnvelope } from "../../gen/eventwire/envelope/v1/envelope.js";
import * as full from "../fixtures/gen-bigint/fixtures/full/v1/full.js";
import { messageOf } from "../support/all-types.js";
import { cli, jsonLines } from "../support/cli.js";
import { EVENT_ID } from "../support/codec.js";
import { anyOf } from "../vectors/full/inputs.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
let redis: Redis;
const dir = mkdtempSync(join(tmpdir(), "eventwire-schemas-"));

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** `registry.create` of a registry whose types are known only at run time. */
const create = (registry: EventRegistry<Event>, type: string, payload: object): Event => (registry.create as unknown as (t: string, p: object) => Event)(type, payload);

/** A registry of `UserSignedUp` from this .proto body (in package acme.v<n>, new for each call unless `pkg` is given). */
function version(body: string, pkg = `acme.t${++n}`): EventRegistry<Event> {
  const folder = join(dir, `v${++n}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "signup.proto"), `syntax = "proto3";\npackage ${pkg};\n${body}\n`);
  const types = loadProtoTypes([folder]);
  return createRegistry(types.eventTypes, { files: types.files }) as unknown as EventRegistry<Event>;
}

async function transportWith(registry: EventRegistry<Event>, prefix: string, schemas: SchemaMode = "register"): Promise<StreamTransport<Event>> {
  return connectRedis({ registry, connection: server.url, prefix, logger: silentLogger, schemas });
}

const everything = createRegistry([full.EverythingEvent], { files: [full.protoMetadata] }) as unknown as EventRegistry<Event>;

describe("the descriptor set", () => {
  test("other implementations read it: @bufbuild/protobuf decodes every all-types payload with it, knowing every field, and writes the same event back", () => {
    const type = everything.require("EverythingEvent");
    const bytes = encodeDescriptorSet(describeMessage(type.schema));
    const files = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
    const desc = files.getMessage("fixtures.full.v1.EverythingEvent");
    assert.ok(desc, "the set describes EverythingEvent");
    const payloads = fc.sample(messageOf(type.schema, 1, fc.constantFrom(anyOf("", new Uint8Array(0)))), { numRuns: 40, seed: 15 });
    for (const payload of payloads) {
      const event = (everything.create as unknown as (t: string, p: object, b: object) => Event)("EverythingEvent", payload, { eventId: EVENT_ID, timestamp: 1.5 });
      const envelopeBytes = everything.toBinary(event);
      const decodedHere = everything.fromBinary(envelopeBytes);
      // the payload bytes, as eventwire writes them
      const payloadBytes = payloadOf(envelopeBytes);
      const message: ReturnType<typeof fromBinary> = fromBinary(desc, payloadBytes);
      assert.equal((message as { $unknown?: unknown[] }).$unknown, undefined, "every field is described");
      // what it writes back is the same event, read by eventwire
      const rewritten = EventEnvelope.encode({ eventId: EVENT_ID, timestamp: 1.5, eventType: "EverythingEvent", payload: toBinary(desc, message), headers: {} }).finish();
      assert.deepEqual(everything.toJsonObject(everything.fromBinary(rewritten)), everything.toJsonObject(decodedHere));
    }
  });

  test("it reads back as written, its fingerprint is stable, and the types built from it alone write the same set", () => {
    for (const registry of [shopRegistry as unknown as EventRegistry<Event>, everything]) {
      for (const type of registry.types) {
        const described = describeMessage(type.schema);
        const bytes = encodeDescriptorSet(described);
        assert.deepEqual(decodeDescriptorSet(bytes), described);
        assert.equal(descriptorSetFingerprint(encodeDescriptorSet(describeMessage(type.schema))), descriptorSetFingerprint(bytes));
        const rebuilt = descriptorSetTypes([{ fullName: type.fullName, descriptorSet: bytes }]);
        const again = createRegistry(rebuilt.eventTypes, { files: rebuilt.files }) as unknown as EventRegistry<Event>;
        const same = again.require(type.name);
        assert.equal(descriptorSetFingerprint(encodeDescriptorSet(describeMessage(same.schema))), descriptorSetFingerprint(bytes), type.fullName);
      }
    }
  });

  test("breakingChanges: added fields are fine; removed, renumbered, renamed and retyped fields and removed enum values are not", () => {
    const base = "enum Plan { PLAN_UNSPECIFIED = 0; PLAN_PRO = 1; }\nmessage Money { int64 units = 1; }\nmessage UserSignedUp { string user_id = 1; int32 age = 2; Money credit = 3; Plan plan = 4; }";
    const set = (body: string) => describeMessage(version(body, "acme.v1").require("UserSignedUp").schema);
    const before = set(base);
    assert.deepEqual(breakingChanges(before, set(base.replace("Plan plan = 4;", "Plan plan = 4; string email = 5;")), "acme.v1.UserSignedUp"), []);
    assert.deepEqual(breakingChanges(before, set(base.replace("int32 age = 2;", "")), "acme.v1.UserSignedUp"), ["acme.v1.UserSignedUp.age (field 2) was removed"]);
    assert.deepEqual(breakingChanges(before, set(base.replace("int32 age = 2;", "string age = 2;")), "acme.v1.UserSignedUp"), ["acme.v1.UserSignedUp.age (field 2) changed type from int32 to string"]);
    assert.deepEqual(breakingChanges(before, set(base.replace("int32 age = 2;", "int32 age = 6;")), "acme.v1.UserSignedUp"), ["acme.v1.UserSignedUp.age (field 2) was removed"]);
    assert.deepEqual(breakingChanges(before, set(base.replace("int32 age = 2;", "int32 years = 2;")), "acme.v1.UserSignedUp"), ["acme.v1.UserSignedUp.age (field 2) was renamed to years"]);
    assert.deepEqual(breakingChanges(before, set(base.replace("int64 units = 1;", "int32 units = 1;")), "acme.v1.UserSignedUp"), ["acme.v1.Money.units (field 1) changed type from int64 to int32"]);
    assert.deepEqual(breakingChanges(before, set(base.replace("int32 age = 2;", "repeated int32 age = 2;")), "acme.v1.UserSignedUp"), [
      "acme.v1.UserSignedUp.age (field 2) changed type from int32 to repeated int32",
    ]);
    assert.deepEqual(breakingChanges(before, set(base.replace(" PLAN_PRO = 1;", "")), "acme.v1.UserSignedUp"), ["the value PLAN_PRO (1) of enum acme.v1.Plan was removed"]);
  });
});

/** The envelope's payload field (4), as eventwire wrote it. */
function payloadOf(envelope: Uint8Array): Uint8Array {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = envelope[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (p < envelope.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (tag >>> 3 === 4) return envelope.subarray(p, p + len);
      p += len;
    } else if (wire === 1) p += 8;
    else if (wire === 0) varint();
    else p += 4;
  }
  return new Uint8Array(0);
}

describe("publishers register", { concurrency: true }, () => {
  test("once per type per process: the first publish of each type registers it, the others do not read the registry again", async () => {
    const prefix = "once:";
    const client = await openRedis(server.url);
    const store = new RedisStore(client, "quit");
    let reads = 0;
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "schemaVersions") reads++;
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as EntryStore;
    const transport = new StreamTransport(counting, shopRegistry, { prefix, logger: silentLogger });
    try {
      const shipped = (i: number) => shopRegistry.create("OrderShippedEvent", { orderId: `o-${i}`, trackingNumber: "T", carrier: "UPS" });
      await Promise.all([1, 2, 3].map((i) => transport.publish("orders", shipped(i))));
      await transport.publishMany([4, 5].map((i) => ({ queue: "orders", event: shipped(i) })));
      await transport.publish("orders", shopRegistry.create("OrderCreatedEvent", { orderId: "o-1", userId: "u", total: 1 }));
      assert.equal(reads, 2, "one read per event type");
      assert.deepEqual((await redis.smembers(schemaIndexKey(prefix))).sort(), ["eventwire.shop.v1.OrderCreatedEvent", "eventwire.shop.v1.OrderShippedEvent"]);
      const hash = await redis.hgetallBuffer(schemaKey(prefix, "eventwire.shop.v1.OrderShippedEvent"));
      assert.equal(hash["latest"]!.toString(), "1");
      assert.equal(hash["1:fingerprint"]!.toString(), descriptorSetFingerprint(hash["1:set"]!));
      assert.equal(hash["1:forced"]!.toString(), "0");
    } finally {
      await transport.close();
    }
  });

  test("a compatible change is a new version; a breaking one is a SchemaConflictError and publishes nothing, unless forced", async () => {
    const prefix = "versions:";
    const pkg = "acme.versions.v1";
    const v1 = version("message UserSignedUp { string user_id = 1; int32 age = 2; }", pkg);
    const v2 = version("message UserSignedUp { string user_id = 1; int32 age = 2; string email = 3; }", pkg);
    const broken = version("message UserSignedUp { string user_id = 1; string age = 2; string email = 3; }", pkg);
    const publish = async (registry: EventRegistry<Event>, mode: SchemaMode = "register") => {
      const t = await transportWith(registry, prefix, mode);
      try {
        return await t.publish("signups", create(registry, "UserSignedUp", {}));
      } finally {
        await t.close();
      }
    };
    await publish(v1);
    await publish(v1); // another process, the same schema: no new version
    await publish(v2);
    await publish(v1); // an older publisher, still running: it only lacks a field, so it publishes and registers nothing
    const dropsAndAdds = version("message UserSignedUp { string user_id = 1; string email = 3; string phone = 4; }", pkg);
    const dropped = await publish(dropsAndAdds).then(
      () => assert.fail("a schema that removes a field and adds another was accepted"),
      (e: unknown) => e,
    );
    assert.ok(isSchemaConflictError(dropped), String(dropped));
    assert.deepEqual(dropped.changes, [`${pkg}.UserSignedUp.age (field 2) was removed`]);
    const error = await publish(broken).then(
      () => assert.fail("a breaking schema was accepted"),
      (e: unknown) => e,
    );
    assert.ok(isSchemaConflictError(error), String(error));
    assert.equal(error.code, "incompatible-schema");
    assert.equal(error.registeredVersion, 2);
    assert.deepEqual(error.changes, [`${pkg}.UserSignedUp.age (field 2) changed type from int32 to string`]);
    assert.equal(await redis.xlen(`${prefix}signups`), 4, "the refused events were not published");

    await publish(broken, "force");
    const reader = await transportWith(v1, prefix);
    try {
      const versions = await reader.schemas.versions(`${pkg}.UserSignedUp`);
      assert.deepEqual(versions.map((v) => [v.version, v.forced]), [[1, false], [2, false], [3, true]]);
    } finally {
      await reader.close();
    }
  });

  test("publishers racing: every distinct compatible schema gets its own version, none lost", async () => {
    const prefix = "race:";
    const pkg = "acme.race.v1";
    const registries = [1, 2, 3, 4].map((extra) =>
      version(`message UserSignedUp { string user_id = 1; ${[...Array(extra).keys()].map((i) => `string f${i} = ${i + 2};`).join(" ")} }`, pkg),
    );
    const transports = await Promise.all(registries.map((r) => transportWith(r, prefix)));
    try {
      // each is an addition to the ones with fewer fields, or an older shape of those with more: none is refused
      const results = await Promise.all(transports.map((t) => t.schemas.register("UserSignedUp")));
      const versions = await transports[0]!.schemas.versions(`${pkg}.UserSignedUp`);
      assert.equal(versions.length, results.filter((r) => r.added).length, "one version per registration that added one");
      assert.deepEqual(versions.map((v) => v.version), [...versions.keys()].map((i) => i + 1));
      assert.deepEqual(
        versions.map((v) => v.fingerprint),
        results.filter((r) => r.added).sort((a, b) => a.version - b.version).map((r) => r.fingerprint),
      );
      // the newest is the widest (five fields), whichever order they ran in
      assert.equal(describedMessages(decodeDescriptorSet(versions.at(-1)!.descriptorSet)).get(`${pkg}.UserSignedUp`)!.field.length, 5);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
    }
  });

  test("the in-memory store keeps schemas the same way", async () => {
    const transport = createMemoryTransport({ registry: shopRegistry, logger: silentLogger });
    try {
      await transport.publish("orders", shopRegistry.create("OrderShippedEvent", { orderId: "o-1" }));
      const list = await transport.schemas.list();
      assert.deepEqual(list.map((s) => [s.fullName, s.version, s.versions]), [["eventwire.shop.v1.OrderShippedEvent", 1, 1]]);
      assert.deepEqual(decodeDescriptorSet(list[0]!.descriptorSet), describeMessage(shopRegistry.require("OrderShippedEvent").schema));
    } finally {
      await transport.close();
    }
  });

  test("queue names in eventwire's own namespace are refused; schemas: off registers nothing", async () => {
    const transport = await transportWith(shopRegistry as unknown as EventRegistry<Event>, "off:", "off");
    try {
      await assert.rejects(transport.publish("eventwire:schemas", shopRegistry.create("OrderShippedEvent", {})), /queue names starting with "eventwire:" are reserved/);
      await transport.publish("orders", shopRegistry.create("OrderShippedEvent", {}));
      assert.equal(await redis.exists(schemaIndexKey("off:")), 0);
    } finally {
      await transport.close();
    }
  });
});

describe("tools read the registered schemas", { concurrency: true }, () => {
  test("eventwire tail decodes a binary event with no .proto file at hand; eventwire schemas lists the types and their versions", async () => {
    const prefix = "tools:";
    const pkg = "acme.tools.v1";
    const registry = version("enum Plan { PLAN_UNSPECIFIED = 0; PLAN_PRO = 1; }\nmessage UserSignedUp { string user_id = 1; map<string, int64> counters = 2; Plan plan = 3; optional string referrer = 4; }", pkg);
    const transport = await transportWith(registry, prefix);
    try {
      await transport.publish("signups", create(registry, "UserSignedUp", { userId: "user-1", counters: { logins: 2n ** 60n }, plan: 1 }), { format: "binary" });
    } finally {
      await transport.close();
    }
    const empty = join(dir, "nowhere");
    mkdirSync(empty, { recursive: true });
    const env = { REDIS_URL: server.url, EVENTWIRE_PREFIX: prefix, EVENTWIRE_PROTO: undefined };
    const [tailed, listed, one] = await Promise.all([
      cli(["tail", "signups"], { cwd: empty, env }),
      cli(["schemas", "--json"], { cwd: empty, env }),
      cli(["schemas", "UserSignedUp", "--json"], { cwd: empty, env }),
    ]);
    assert.equal(tailed.status, 0, tailed.stderr);
    const [line] = jsonLines(tailed.stdout);
    assert.equal(line!["event_type"], "UserSignedUp");
    assert.equal(line!["user_id"], "user-1");
    assert.deepEqual(line!["counters"], { logins: String(2n ** 60n) });
    assert.equal(line!["plan"], "PLAN_PRO");
    assert.equal("referrer" in line!, false, "an unset optional field stays unset");

    assert.equal(listed.status, 0, listed.stderr);
    const list = JSON.parse(listed.stdout) as { name: string; full_name: string; version: number; fingerprint: string }[];
    assert.deepEqual(list.map((s) => [s.name, s.full_name, s.version]), [["UserSignedUp", `${pkg}.UserSignedUp`, 1]]);
    const versions = JSON.parse(one.stdout) as { descriptor_set: string; fingerprint: string }[];
    assert.equal(descriptorSetFingerprint(Buffer.from(versions[0]!.descriptor_set, "base64")), list[0]!.fingerprint);

    const text = await cli(["schemas"], { cwd: empty, env });
    assert.match(text.stdout, /^EVENT TYPE\s+FULL NAME\s+VERSION\s+VERSIONS\s+FINGERPRINT\s+AGE\s+FORCED\nUserSignedUp\s+acme\.tools\.v1\.UserSignedUp\s+1\s+1\s+[0-9a-f]{12}\s/);
  });

  test("eventwire schemas --check: each .proto event type against the registered versions, status 1 when one breaks, nothing written", async () => {
    const prefix = "check:";
    const pkg = "acme.check.v1";
    const v1 = "message UserSignedUp { string user_id = 1; int32 age = 2; }";
    const registered = version(v1, pkg);
    const t = await transportWith(registered, prefix);
    try {
      await t.publish("signups", create(registered, "UserSignedUp", {}));
    } finally {
      await t.close();
    }
    const folder = (body: string): string => {
      const f = join(dir, `check-${++n}`);
      mkdirSync(f, { recursive: true });
      writeFileSync(join(f, "signup.proto"), `syntax = "proto3";\npackage ${pkg};\n${body}\n`);
      return f;
    };
    const env = { REDIS_URL: server.url, EVENTWIRE_PREFIX: prefix, EVENTWIRE_PROTO: undefined };
    const run = (body: string) => cli(["schemas", "--check", "--json", "--proto", folder(body)], { cwd: dir, env });
    const [same, compatible, older, breaking, fresh] = await Promise.all([
      run(v1),
      run("message UserSignedUp { string user_id = 1; int32 age = 2; string email = 3; }"),
      run("message UserSignedUp { string user_id = 1; }"),
      run("message UserSignedUp { string user_id = 1; string age = 2; }"),
      run("message InvoicePaid { string invoice_id = 1; }"),
    ]);
    const status = (r: { stdout: string }) => (JSON.parse(r.stdout) as { status: string; changes: string[] }[]).map((x) => [x.status, x.changes]);
    assert.deepEqual([same.status, compatible.status, older.status, fresh.status], [0, 0, 0, 0], same.stderr + compatible.stderr + older.stderr + fresh.stderr);
    assert.deepEqual(status(same), [["same", []]]);
    assert.deepEqual(status(compatible), [["compatible", []]]);
    assert.deepEqual(status(older), [["older", []]]);
    assert.deepEqual(status(fresh), [["new", []]]);
    assert.equal(breaking.status, 1);
    assert.deepEqual(status(breaking), [["breaking", [`${pkg}.UserSignedUp.age (field 2) changed type from int32 to string`]]]);
    const versions = await redis.hget(schemaKey(prefix, `${pkg}.UserSignedUp`), "latest");
    assert.equal(versions, "1", "checking registered nothing");
    assert.equal(await redis.sismember(schemaIndexKey(prefix), `${pkg}.InvoicePaid`), 0);
  });
});
