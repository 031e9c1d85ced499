// Connecting: URLs with user, password and db number, TLS, REDIS_URL, and a
// clear error when Redis cannot be reached.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { connectRedis, isEventwireError, silentLogger } from "eventwire/redis";
import { shopRegistry } from "../../examples/shop/events.js";
import { freePort, RedisServer } from "../support/redis.js";

const event = () => shopRegistry.create("OrderShippedEvent", { orderId: "o-1", trackingNumber: "TRACK-00000001", carrier: "DHL" });

describe("connections", () => {
  test("an unreachable Redis fails fast with a typed error naming the address and what to do", async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      connectRedis({ registry: shopRegistry, connection: `redis://127.0.0.1:${port}`, connectTimeoutMs: 1000, logger: silentLogger }),
      (error: unknown) => {
        assert.ok(isEventwireError(error, "redis-unavailable"), String(error));
        assert.match((error as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match((error as Error).message, /REDIS_URL/);
        assert.match((error as Error).message, /ECONNREFUSED/, "the message does not give the socket error");
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });

  describe("a server with a user, a password and several databases", () => {
    let server: RedisServer;
    before(async () => {
      server = await RedisServer.start({ args: ["--user", "default", "off", "--user", "alice", "on", ">s3cret", "~*", "&*", "+@all"] });
    });
    after(() => server.stop());

    test("a URL with user, password and db number is honoured", async () => {
      const url = `redis://alice:s3cret@127.0.0.1:${server.port}/3`;
      const t = await connectRedis({ registry: shopRegistry, connection: url, logger: silentLogger });
      try {
        const published = await t.publish("orders", event());
        const raw = new Redis(url);
        assert.equal(await raw.xlen("mq:orders"), 1);
        await raw.select(0);
        assert.equal(await raw.exists("mq:orders"), 0, "the entry went to db 0, not db 3");
        raw.disconnect();
        assert.match(published.streamId, /^\d+-\d+$/);
      } finally {
        await t.close();
      }
    });

    test("a wrong password fails with the password hidden", async () => {
      await assert.rejects(
        connectRedis({ registry: shopRegistry, connection: `redis://alice:wrong@127.0.0.1:${server.port}/0`, connectTimeoutMs: 2000, logger: silentLogger }),
        (error: unknown) => {
          assert.ok(isEventwireError(error, "redis-unavailable"));
          assert.doesNotMatch((error as Error).message, /wrong/);
          assert.match((error as Error).message, /\*\*\*/);
          return true;
        },
      );
    });

    test("REDIS_URL is used when no connection is given", async () => {
      const saved = process.env["REDIS_URL"];
      process.env["REDIS_URL"] = `redis://alice:s3cret@127.0.0.1:${server.port}/5`;
      try {
        const t = await connectRedis({ registry: shopRegistry, logger: silentLogger });
        await t.publish("from-env", event());
        await t.close();
        const raw = new Redis(`redis://alice:s3cret@127.0.0.1:${server.port}/5`);
        assert.equal(await raw.xlen("mq:from-env"), 1);
        raw.disconnect();
      } finally {
        if (saved === undefined) delete process.env["REDIS_URL"];
        else process.env["REDIS_URL"] = saved;
      }
    });
  });

  describe("TLS", () => {
    let server: RedisServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "eventwire-tls-"));
      execFileSync("openssl", [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      ], { stdio: "ignore" });
      server = await RedisServer.start({ tls: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") } });
    });
    after(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("rediss:// connects over TLS, checking the server's certificate", async () => {
      const url = `rediss://127.0.0.1:${server.port}`;
      const ca = readFileSync(join(dir, "cert.pem"));
      const t = await connectRedis({ registry: shopRegistry, connection: url, redisOptions: { tls: { ca } }, logger: silentLogger });
      try {
        await t.publish("secure", event());
        assert.equal((await t.info("secure")).length, 1);
      } finally {
        await t.close();
      }
      // without the CA the certificate is refused
      await assert.rejects(
        connectRedis({ registry: shopRegistry, connection: url, connectTimeoutMs: 2000, logger: silentLogger }),
        (error: unknown) => isEventwireError(error, "redis-unavailable"),
      );
    });
  });
});

describe("cluster connections", () => {
  test("an unreachable cluster fails fast with a typed error naming its seeds (never a password) and what to do", async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      connectRedis({ registry: shopRegistry, cluster: [`redis://app:s3cret@127.0.0.1:${port}`], connectTimeoutMs: 1000, logger: silentLogger }),
      (error: unknown) => {
        assert.ok(isEventwireError(error, "redis-unavailable"), String(error));
        assert.match((error as Error).message, new RegExp(`Redis Cluster at redis://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
        assert.match((error as Error).message, /REDIS_CLUSTER_NODES/);
        assert.doesNotMatch(JSON.stringify(error) + String((error as Error).cause) + (error as Error).message, /s3cret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });

  test("seed lists are checked: host:port or redis:// URLs, at least one; connection and cluster not both", async () => {
    for (const bad of ["", " , ", "localhost", "127.0.0.1:0", "127.0.0.1:70000", "http://127.0.0.1:7000", "127.0.0.1:7000,nope"]) {
      await assert.rejects(connectRedis({ registry: shopRegistry, cluster: bad, logger: silentLogger }), (e: unknown) => isEventwireError(e, "invalid-option"), JSON.stringify(bad));
    }
    await assert.rejects(
      connectRedis({ registry: shopRegistry, connection: "redis://127.0.0.1:1", cluster: "127.0.0.1:2", logger: silentLogger }),
      (e: unknown) => isEventwireError(e, "invalid-option") && /not both/.test((e as Error).message),
    );
  });
});
