// `--proto`: event types the CLI was not built with, read from .proto files
// the test writes, published, tailed, encoded and decoded like the shop's.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { cli, jsonLines } from "../support/cli.js";
import { RedisServer } from "../support/redis.js";

let server: RedisServer;
const dir = mkdtempSync(join(tmpdir(), "eventwire-cli-proto-"));

function write(relative: string, text: string): void {
  mkdirSync(join(dir, relative, ".."), { recursive: true });
  writeFileSync(join(dir, relative), text);
}

write(
  "acme/v1/common.proto",
  `syntax = "proto3";
package acme.v1;
// An amount of money.
message Money {
  int64 units = 1;
  string currency = 2;
}
`,
);
write(
  "acme/v1/accounts.proto",
  `syntax = "proto3";
package acme.v1;
import "acme/v1/common.proto";
enum Plan {
  PLAN_UNSPECIFIED = 0;
  PLAN_PRO = 1;
}
// A user signed up.
message UserSignedUp {
  string user_id = 1;
  Money credit = 2;
  repeated string tags = 3;
  map<string, int64> counters = 4;
  Plan plan = 5;
  optional string referrer = 6;
}
`,
);

before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const at = (): string[] => ["--redis", server.url];
const SIGNUP = '{"user_id": "user-1", "credit": {"units": "1500", "currency": "EUR"}, "tags": ["beta"], "counters": {"logins": 3}, "plan": "PLAN_PRO"}';

describe("--proto DIR", { concurrency: true }, () => {
  test("types lists the new event type (not the message it uses) next to the shop's, with its file", async () => {
    const [text, json] = await Promise.all([cli(["types", "--proto", dir]), cli(["types", "--proto", dir, "--json"])]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^UserSignedUp  \\(acme\\.v1\\.UserSignedUp, from ${join(dir, "acme/v1/accounts.proto").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\)$`, "m"));
    assert.match(text.stdout, /^ {2}credit\s+acme\.v1\.Money\n {4}units\s+int64\n {4}currency\s+string$/m);
    assert.match(text.stdout, /^ {2}counters\s+map<string, int64>$/m);
    assert.match(text.stdout, /^ {2}referrer\s+optional string$/m);
    const parsed = JSON.parse(json.stdout) as { event_types: { name: string; source: string; fields: Record<string, unknown>[] }[]; messages: Record<string, unknown> };
    assert.deepEqual(parsed.event_types.map((t) => t.name), ["OrderCreatedEvent", "PaymentProcessedEvent", "OrderShippedEvent", "UserSignedUp"]);
    assert.equal(parsed.event_types[0]!.source, "proto/eventwire/shop/v1/events.proto");
    const plan = parsed.event_types[3]!.fields.find((f) => f["name"] === "plan");
    assert.deepEqual(plan, { name: "plan", json_name: "plan", number: 5, type: "enum", repeated: false, optional: false, enum_type: "acme.v1.Plan", enum_values: ["PLAN_UNSPECIFIED", "PLAN_PRO"] });
    assert.deepEqual(Object.keys(parsed.messages), ["acme.v1.Money", "eventwire.shop.v1.OrderItem"]);
  });

  test("publish and tail it, in both formats; without --proto, tail reads it from the schema publish registered", async () => {
    const json = await cli(["publish", "signups", "--create", "UserSignedUp", SIGNUP, "--proto", dir, ...at()]);
    assert.equal(json.status, 0, json.stderr);
    const binary = await cli(["publish", "signups", "--create", "UserSignedUp", '{"userId": "user-2", "referrer": ""}', "--format", "binary", "--proto", dir, ...at()]);
    assert.equal(binary.status, 0, binary.stderr);
    const [withTypes, without] = await Promise.all([cli(["tail", "signups", "--proto", dir, ...at()]), cli(["tail", "signups", ...at()])]);
    const [first, second] = jsonLines(withTypes.stdout);
    assert.deepEqual(
      { ...first, _stream_id: 0, event_id: 0, timestamp: 0 },
      { _stream_id: 0, event_id: 0, timestamp: 0, event_type: "UserSignedUp", user_id: "user-1", credit: { units: "1500", currency: "EUR" }, tags: ["beta"], counters: { logins: "3" }, plan: "PLAN_PRO" },
    );
    assert.deepEqual(
      { ...second, _stream_id: 0, event_id: 0, timestamp: 0 },
      { _stream_id: 0, event_id: 0, timestamp: 0, event_type: "UserSignedUp", user_id: "user-2", tags: [], counters: {}, plan: "PLAN_UNSPECIFIED", referrer: "" },
    );
    assert.equal(without.status, 0, without.stderr);
    assert.deepEqual(jsonLines(without.stdout), jsonLines(withTypes.stdout));
  });

  test("64-bit values beyond 2^53, as Python writes them (bare) or as strings, go through publish, tail, encode and decode exactly", async () => {
    const big = '{"user_id": "user-64", "credit": {"units": 1152921504606846977, "currency": "EUR"}, "counters": {"ids": "12345678901234567", "min": -9223372036854775808}}';
    const [json, binary] = await Promise.all([
      cli(["publish", "big-ids", "--create", "UserSignedUp", big, "--proto", dir, ...at()]),
      cli(["publish", "big-ids-binary", "--create", "UserSignedUp", big, "--format", "binary", "--proto", dir, ...at()]),
    ]);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(binary.status, 0, binary.stderr);
    const tails = await Promise.all([cli(["tail", "big-ids", "--proto", dir, ...at()]), cli(["tail", "big-ids-binary", "--proto", dir, ...at()])]);
    for (const tail of tails) {
      assert.equal(tail.status, 0, tail.stderr);
      const [line] = jsonLines(tail.stdout);
      assert.equal(line!["_error"], undefined);
      assert.deepEqual(line!["credit"], { units: "1152921504606846977", currency: "EUR" });
      assert.deepEqual(line!["counters"], { ids: "12345678901234567", min: "-9223372036854775808" });
    }
    const enc = await cli(["encode", "UserSignedUp", "--proto", dir], { input: big });
    assert.equal(enc.status, 0, enc.stderr);
    const dec = await cli(["decode", "--proto", dir], { input: enc.bytes });
    assert.equal(dec.status, 0, dec.stderr);
    assert.deepEqual((JSON.parse(dec.stdout) as Record<string, unknown>)["credit"], { units: "1152921504606846977", currency: "EUR" });
    const over = await cli(["encode", "UserSignedUp", "--proto", dir], { input: '{"credit": {"units": 9223372036854775808}}' });
    assert.equal(over.status, 2);
    assert.match(over.stderr, /credit\.units: 9223372036854775808 is out of the range of a 64-bit integer/);
  });

  test("encode and decode it; values are checked against the .proto", async () => {
    const enc = await cli(["encode", "UserSignedUp", "--base64", "--proto", dir], { input: SIGNUP });
    assert.equal(enc.status, 0, enc.stderr);
    const dec = await cli(["decode", "--base64", "--proto", dir], { input: enc.stdout });
    assert.equal(dec.status, 0, dec.stderr);
    const event = JSON.parse(dec.stdout) as Record<string, unknown>;
    assert.deepEqual(event["credit"], { units: "1500", currency: "EUR" });
    assert.deepEqual(event["counters"], { logins: "3" });
    const bad = await cli(["encode", "UserSignedUp", "--base64", "--proto", dir], { input: '{"plan": "PLAN_GOLD"}' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /plan: the string "PLAN_GOLD" is not a value of the enum/);
  });

  test("the event types come from $EVENTWIRE_PROTO, else ./proto, plus --proto; with none, types says how to add some", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "eventwire-cli-cwd-"));
    try {
      const names = (r: { stdout: string }): string[] => (JSON.parse(r.stdout) as { event_types: { name: string }[] }).event_types.map((t) => t.name);
      const [none, fromEnv, envAndFlag, fromCwd] = await Promise.all([
        cli(["types", "--json"], { cwd: elsewhere }),
        cli(["types", "--json"], { cwd: elsewhere, env: { EVENTWIRE_PROTO: dir } }),
        cli(["types", "--json", "--proto", fileURLToPath(new URL("../../proto", import.meta.url))], { cwd: elsewhere, env: { EVENTWIRE_PROTO: dir } }),
        cli(["types", "--json"], { env: { EVENTWIRE_PROTO: undefined } }),
      ]);
      assert.equal(none.status, 0, none.stderr);
      assert.deepEqual(names(none), []);
      assert.match(none.stderr, /no event types: .*--proto.*EVENTWIRE_PROTO/);
      assert.deepEqual(names(fromEnv), ["UserSignedUp"]);
      assert.deepEqual(names(envAndFlag), ["UserSignedUp", "OrderCreatedEvent", "PaymentProcessedEvent", "OrderShippedEvent"]);
      assert.deepEqual(names(fromCwd), ["OrderCreatedEvent", "PaymentProcessedEvent", "OrderShippedEvent"]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test("a .proto naming something __proto__: status 2, naming the file and line, instead of a type that silently vanishes", async () => {
    const odd = mkdtempSync(join(tmpdir(), "eventwire-cli-proto-name-"));
    try {
      writeFileSync(join(odd, "odd.proto"), 'syntax = "proto3";\npackage odd.v1;\nmessage OddEvent {\n  string __proto__ = 1;\n}\n');
      const r = await cli(["types", "--proto", odd]);
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, /odd\.proto:4: the name __proto__ is not allowed/);
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
  });

  test("a .proto that does not parse: status 2, naming the file", async () => {
    const broken = mkdtempSync(join(tmpdir(), "eventwire-cli-broken-"));
    try {
      writeFileSync(join(broken, "bad.proto"), 'syntax = "proto3";\nmessage Bad { string x = ; }\n');
      const r = await cli(["types", "--proto", broken]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^eventwire types: cannot read the \.proto files .*bad\.proto/);
      assert.match(r.stderr, /Check the \.proto files given with --proto\./);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
