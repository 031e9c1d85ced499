/**
 * The codec on events beyond the seed's, in a process of its own: the
 * all-types event (fixtures.full.v1.EverythingEvent at its edges: every
 * scalar, map key kind and well-known type) and a 64-bit heavy event (an
 * AllTypesEvent of 64-bit lists and maps beyond 2^53), generated with
 * forceLong=bigint, against protobufjs's static code and @bufbuild/protobuf
 * (each the whole event: the envelope around the payload).
 *
 *   node --import tsx bench/fidelity.ts <static.js> <set.binpb>
 *
 * Prints one JSON line: per event and codec, the nanoseconds per encode and
 * per decode in each round, and the bytes. EVENTWIRE_CODEC=interpreted
 * measures the interpreted codec instead of the compiled one.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createFileRegistry, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createRegistry, type Event, type EventRegistry } from "eventwire";
import { AllTypesEvent, protoMetadata as typesFile } from "../test/fixtures/gen-bigint/fixtures/types/v1/types.js";
import { edges, fullRegistry } from "../test/vectors/full/inputs.js";
import type { CodecRun } from "./codec.js";
import { timeCandidates, type Candidate } from "./support.js";

const [staticModule, setFile] = process.argv.slice(2);
if (!staticModule || !setFile) throw new Error("usage: fidelity.ts <static.js> <set.binpb>");
const quick = process.env["BENCH_QUICK"] === "1";
const timing = quick ? { warmupMs: 100, rounds: 3, roundMs: 20 } : { warmupMs: 250, rounds: 7, roundMs: 40 };

interface PbType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): Record<string, unknown>;
}
const pb = (await import(pathToFileURL(staticModule).href)) as {
  eventwire: { envelope: { v1: Record<string, PbType> } };
  fixtures: { full: { v1: Record<string, PbType> }; types: { v1: Record<string, PbType> } };
};
const Envelope = pb.eventwire.envelope.v1["EventEnvelope"]!;
const files = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(setFile)));

const big = 2n ** 60n + 1n;
const heavyRegistry = createRegistry([AllTypesEvent], { files: [typesFile] }) as unknown as EventRegistry<Event>;
const heavy = (heavyRegistry.create as unknown as (t: string, p: object, b: object) => Event)(
  "AllTypesEvent",
  {
    fInt64: big,
    fUint64: 2n ** 64n - 1n,
    fSint64: -big,
    fFixed64: big,
    fSfixed64: -big,
    rInt64: Array.from({ length: 16 }, (_, i) => big * BigInt(i % 7 + 1) * (i % 2 ? -1n : 1n)),
    rUint64: Array.from({ length: 16 }, (_, i) => 2n ** 63n + BigInt(i)),
    rSint64: Array.from({ length: 16 }, (_, i) => -big - BigInt(i)),
    rFixed64: Array.from({ length: 8 }, (_, i) => big + BigInt(i)),
    mSfixed64Uint64: new Map(Array.from({ length: 8 }, (_, i) => [big + BigInt(i), 2n ** 64n - 1n - BigInt(i)] as const)),
  },
  { eventId: "3f2c8a1e-9b7d-4e6f-a5c4-1d2e3f4a5b6c", timestamp: 1732700000.123456 },
);

const cases: { name: string; registry: EventRegistry<Event>; event: Event; pbType: PbType; desc: DescMessage }[] = [
  { name: "EverythingEvent (all types)", registry: fullRegistry, event: edges(false), pbType: pb.fixtures.full.v1["EverythingEvent"]!, desc: files.getMessage("fixtures.full.v1.EverythingEvent")! },
  { name: "AllTypesEvent (64-bit heavy)", registry: heavyRegistry, event: heavy, pbType: pb.fixtures.types.v1["AllTypesEvent"]!, desc: files.getMessage("fixtures.types.v1.AllTypesEvent")! },
];

const results: CodecRun["results"] = {};
for (const c of cases) {
  const bin = c.registry.toBinary(c.event);
  const env = Envelope.decode(bin);
  const payloadBytes = env["payload"] as Uint8Array;
  // protobufjs static: its own message objects (Longs for 64-bit values), decoded from eventwire's bytes
  const pbMessage = c.pbType.decode(payloadBytes);
  const pbEncode = (): Uint8Array =>
    Envelope.encode({ eventId: env["eventId"], timestamp: env["timestamp"], eventType: env["eventType"], payload: c.pbType.encode(pbMessage).finish(), headers: {} }).finish();
  // @bufbuild/protobuf: its messages (bigints), the envelope written and read with its wire helpers
  const esMessage = fromBinary(c.desc, payloadBytes);
  const esEncode = (): Uint8Array =>
    new BinaryWriter()
      .uint32(10).string(env["eventId"] as string)
      .uint32(17).double(env["timestamp"] as number)
      .uint32(26).string(env["eventType"] as string)
      .uint32(34).bytes(toBinary(c.desc, esMessage))
      .finish();
  const esDecode = (bytes: Uint8Array): number => {
    const r = new BinaryReader(bytes);
    let timestamp = 0;
    let payload: Uint8Array = new Uint8Array(0);
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no === 2) timestamp = r.double();
      else if (no === 4) payload = r.bytes();
      else r.skip(wt);
    }
    return timestamp + (fromBinary(c.desc, payload) === null ? 0 : 1);
  };
  const pbBytes = pbEncode();
  const esBytes = esEncode();
  const candidates: { name: string; encode: Candidate["run"]; decode: Candidate["run"]; bytes: number }[] = [
    {
      name: "eventwire binary",
      bytes: bin.length,
      encode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += c.registry.toBinary(c.event).length;
        return s;
      },
      decode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += c.registry.fromBinary(bin).timestamp;
        return s;
      },
    },
    {
      name: "protobufjs static",
      bytes: pbBytes.length,
      encode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += pbEncode().length;
        return s;
      },
      decode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const e = Envelope.decode(pbBytes);
          s += (e["timestamp"] as number) + (c.pbType.decode(e["payload"] as Uint8Array) === null ? 0 : 1);
        }
        return s;
      },
    },
    {
      name: "@bufbuild/protobuf",
      bytes: esBytes.length,
      encode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += esEncode().length;
        return s;
      },
      decode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += esDecode(esBytes);
        return s;
      },
    },
  ];
  const encode = timeCandidates(candidates.map((x) => ({ name: x.name, run: x.encode })), timing);
  const decode = timeCandidates(candidates.map((x) => ({ name: x.name, run: x.decode })), timing);
  results[c.name] = Object.fromEntries(candidates.map((x) => [x.name, { encodeNs: encode.get(x.name)!, decodeNs: decode.get(x.name)!, bytes: x.bytes }]));
}

const run: CodecRun = { mode: process.env["EVENTWIRE_CODEC"] === "interpreted" ? "interpreted" : "compiled", results };
console.log(JSON.stringify(run));
