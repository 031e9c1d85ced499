// The shared partition vectors (test/python/partitions.json), which the
// Python package's tests read: the file is what TypeScript's partitionOf
// and partitionCount give today, so a Python publisher that passes them
// puts each key in the partition a TypeScript publisher would.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { partitionOf } from "../../src/transport/partitions.js";
import { VECTORS_FILE, partitionVectors, vectorsText } from "./partition-vectors.js";

test("partitions.json is what TypeScript's partitionOf and partitionCount give", () => {
  assert.equal(readFileSync(VECTORS_FILE, "utf8"), vectorsText(), "run `node --conditions=eventwire-source --import tsx test/python/partition-vectors.ts` after a deliberate change");
});

test("the vectors hold FNV-1a's published values and spread keys over every count", () => {
  // FNV-1a 32 of "" is its offset basis, of "a" 0xe40c292c, of "foobar" 0xbf9cf968
  assert.equal(partitionOf("", 1024), 0x811c9dc5 % 1024);
  assert.equal(partitionOf("a", 1000), 0xe40c292c % 1000);
  assert.equal(partitionOf("foobar", 7), 0xbf9cf968 % 7);
  const v = partitionVectors();
  assert.ok(Object.keys(v.partitions).length >= 40);
  for (const [i, count] of v.counts.entries()) {
    const used = new Set(Object.values(v.partitions).map((ps) => ps[i]));
    for (const p of used) assert.ok(p !== undefined && p >= 0 && p < count);
    if (count > 1) assert.ok(used.size > 1, `the keys spread over ${count} partitions`);
  }
  assert.ok(v.partition_count.some((c) => c.count === 1 && c.partitions !== null), "unreadable counts are among them");
});
