/**
 * The codec measurements, in a process of their own:
 *
 *   node --import tsx bench/codec.ts <mode> <static.js>
 *
 * `plain`: nothing else loaded. `ioredis`: ioredis loaded first, eventwire
 * not at all (protobufjs and JSON only). `ioredis+eventwire`: ioredis
 * loaded first, then `eventwire/redis` (which cures what ioredis does to
 * string methods) and the codec, as in a service on Redis. Prints one JSON line: per event and codec, the
 * nanoseconds per encode and per decode in each round, and the bytes.
 */
import { pathToFileURL } from "node:url";
import { seedEvents, type SeedEvent } from "./inputs.js";
import { timeCandidates, type Candidate } from "./support.js";

export interface CodecRun {
  readonly mode: string;
  /** event type → codec → measurements. */
  readonly results: Record<string, Record<string, { encodeNs: number[]; decodeNs: number[]; bytes: number }>>;
  /** Whether protobufjs and eventwire made the same bytes for each event. */
  readonly sameBytes?: Record<string, boolean>;
}

const [mode = "plain", staticModule] = process.argv.slice(2);
if (!staticModule) throw new Error("usage: codec.ts <mode> <static.js>");
const quick = process.env["BENCH_QUICK"] === "1";
const timing = quick ? { warmupMs: 100, rounds: 3, roundMs: 20 } : { warmupMs: 250, rounds: 7, roundMs: 40 };

if (mode.startsWith("ioredis")) await import("ioredis");
if (mode === "ioredis+eventwire") await import("eventwire/redis");
const withEventwire = mode !== "ioredis";

interface PbType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): Record<string, unknown>;
}
const pb = (await import(pathToFileURL(staticModule).href)) as { eventwire: { envelope: { v1: Record<string, PbType> }; shop: { v1: Record<string, PbType> } } };
const Envelope = pb.eventwire.envelope.v1["EventEnvelope"]!;

const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");
const results: CodecRun["results"] = {};
const sameBytes: Record<string, boolean> = {};
const eventwire = withEventwire ? await import("../examples/shop/events.js") : undefined;

for (const seed of seedEvents) {
  const Payload = pb.eventwire.shop.v1[seed.eventType]!;
  const pbEncode = (s: SeedEvent): Uint8Array =>
    Envelope.encode({ eventId: s.eventId, timestamp: s.timestamp, eventType: s.eventType, payload: Payload.encode(s.payload).finish(), headers: {} }).finish();
  const pbBytes = pbEncode(seed);
  const dictText = JSON.stringify(seed.dict);
  const candidates: { name: string; encode: Candidate["run"]; decode: Candidate["run"]; bytes: number }[] = [];

  if (eventwire) {
    const { shopRegistry } = eventwire;
    const event = shopRegistry.create(seed.eventType, seed.payload as never, { eventId: seed.eventId, timestamp: seed.timestamp });
    const bin = shopRegistry.toBinary(event);
    const json = shopRegistry.toJson(event);
    sameBytes[seed.eventType] = Buffer.compare(Buffer.from(bin), Buffer.from(pbBytes)) === 0;
    candidates.push({
      name: "eventwire binary",
      bytes: bin.length,
      encode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += shopRegistry.toBinary(event).length;
        return s;
      },
      decode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += shopRegistry.fromBinary(bin).timestamp;
        return s;
      },
    });
    candidates.push({
      name: "eventwire JSON",
      bytes: utf8Length(json),
      encode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += shopRegistry.toJson(event).length;
        return s;
      },
      decode: (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += shopRegistry.fromJson(json).timestamp;
        return s;
      },
    });
  }
  candidates.push({
    name: "JSON.stringify/parse",
    bytes: utf8Length(dictText),
    encode: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += JSON.stringify(seed.dict).length;
      return s;
    },
    decode: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (JSON.parse(dictText) as { timestamp: number }).timestamp;
      return s;
    },
  });
  candidates.push({
    name: "protobufjs static",
    bytes: pbBytes.length,
    encode: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += pbEncode(seed).length;
      return s;
    },
    decode: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const env = Envelope.decode(pbBytes);
        const payload = Payload.decode(env["payload"] as Uint8Array);
        s += (env["timestamp"] as number) + (payload === null ? 0 : 1);
      }
      return s;
    },
  });

  const encode = timeCandidates(candidates.map((c) => ({ name: c.name, run: c.encode })), timing);
  const decode = timeCandidates(candidates.map((c) => ({ name: c.name, run: c.decode })), timing);
  results[seed.eventType] = Object.fromEntries(
    candidates.map((c) => [c.name, { encodeNs: encode.get(c.name)!, decodeNs: decode.get(c.name)!, bytes: c.bytes }]),
  );
}

const run: CodecRun = { mode, results, ...(withEventwire ? { sameBytes } : {}) };
console.log(JSON.stringify(run));
