/**
 * The shared partition vectors (test/python/partitions.json): which
 * partition TypeScript's `partitionOf` puts each key in for several counts,
 * and how `partitionCount` reads the metadata hash's fields. The Python
 * package's tests (python/tests/test_partitions.py) check its own against
 * the file; test/python/partitions.test.ts checks the file against
 * TypeScript. After a deliberate change, write it again:
 *
 *   node --conditions=eventwire-source --import tsx test/python/partition-vectors.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { partitionCount, partitionOf } from "../../src/transport/partitions.js";

export const VECTORS_FILE = fileURLToPath(new URL("partitions.json", import.meta.url));

/** The counts every key is placed among. */
const COUNTS = [1, 2, 3, 4, 7, 10, 16, 100, 1000, 1024];

/** Keys of every kind: empty, ASCII, event ids, non-ASCII (two, three and four UTF-8 bytes), a lone surrogate (written as U+FFFD), control characters, a long key. */
const KEYS = [
  "",
  "a",
  "b",
  "0",
  "order-1",
  "order-2",
  "order-3",
  "customer-42",
  "user-Zoë",
  "Café ☕",
  "🐙",
  "日本語のキー",
  "é",
  "\u00ff",
  "\u0080",
  "\ud800",
  "x\udc00y",
  "\u0000",
  "tab\there",
  "0b6e7f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
  "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
  "ffffffff-ffff-4fff-bfff-ffffffffffff",
  "k".repeat(1000),
  ...Array.from({ length: 24 }, (_, i) => `key-${i}`),
];

/** Metadata fields as the hash may hold them (null: absent), each read by `partitionCount`. */
const COUNT_FIELDS: [string | null, string | null][] = [
  [null, null],
  ["3", null],
  [null, "5"],
  ["3", "5"],
  ["5", "3"],
  ["1", "1"],
  ["1024", "1024"],
  ["1025", "2"],
  ["0", "4"],
  ["-2", "4"],
  ["2.5", "4"],
  ["4.0", "6.000"],
  ["2e1", "1e2"],
  ["0x10", "0b11"],
  ["0o7", "0X1f"],
  [" 8 ", "\t9\n"],
  ["\u00a08\u3000", "\ufeff9"],
  ["", "3"],
  ["abc", "3"],
  ["3abc", "3"],
  ["+3", "-3"],
  ["Infinity", "NaN"],
  ["1_0", "0x"],
  ["1.", ".5"],
  ["00012", "012"],
  ["3.0000000000000001", "2"],
];

export interface PartitionVectors {
  readonly about: string;
  readonly counts: readonly number[];
  /** Key → its partition for each of `counts`, in order. */
  readonly partitions: Readonly<Record<string, readonly number[]>>;
  readonly partition_count: readonly { readonly partitions: string | null; readonly partitions_highest: string | null; readonly count: number; readonly highest: number }[];
}

/** The vectors, computed by the TypeScript side. */
export function partitionVectors(): PartitionVectors {
  return {
    about: "Written by test/python/partition-vectors.ts from src/transport/partitions.ts: partitionOf(key, count) for each key and count, and partitionCount of metadata fields.",
    counts: COUNTS,
    partitions: Object.fromEntries(KEYS.map((key) => [key, COUNTS.map((count) => partitionOf(key, count))])),
    partition_count: COUNT_FIELDS.map(([count, highest]) => ({ partitions: count, partitions_highest: highest, ...partitionCount(count, highest) })),
  };
}

/** The vectors as the file holds them: JSON, one key or one reading per line. */
export function vectorsText(): string {
  const v = partitionVectors();
  const lines = (items: string[]): string => items.map((l) => "  " + l).join(",\n");
  return [
    "{",
    ` "about": ${JSON.stringify(v.about)},`,
    ` "counts": ${JSON.stringify(v.counts)},`,
    ` "partitions": {`,
    lines(Object.entries(v.partitions).map(([key, ps]) => `${JSON.stringify(key)}: ${JSON.stringify(ps)}`)),
    " },",
    ` "partition_count": [`,
    lines(v.partition_count.map((c) => JSON.stringify(c))),
    " ]",
    "}",
    "",
  ].join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VECTORS_FILE, vectorsText());
  console.log(`wrote ${VECTORS_FILE}`);
}
