/**
 * Where the event bus's shared queue lives, for the demo to show: each
 * partition of `all` with its stream key, the entries it holds and, on a
 * Redis Cluster, the master serving its slot (asked of the cluster itself:
 * CLUSTER KEYSLOT, CLUSTER SLOTS).
 */
import type { Event } from "eventwire";
import { RedisStore, type RedisClient, type StreamTransport } from "eventwire/redis";

/** The bus's shared queue. */
export const BUS_QUEUE = "all";

/** One partition of the shared queue. */
export interface PartitionPlace {
  readonly partition: number;
  readonly stream: string;
  /** "host:port" of the master serving the stream's slot; null off a cluster. */
  readonly master: string | null;
  /** Entries in the stream. */
  readonly entries: number;
}

export interface BusLayout {
  readonly partitions: readonly PartitionPlace[];
  /** The cluster's masters; null off a cluster. */
  readonly masters: number | null;
}

/** CLUSTER SLOTS as ranges, each with its master's "host:port". */
async function slotRanges(client: RedisClient): Promise<{ from: number; to: number; master: string }[]> {
  const reply = (await client.call("CLUSTER", "SLOTS")) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  return reply.map(([from, to, [host, port]]) => ({ from, to, master: `${host || "127.0.0.1"}:${port}` }));
}

/** The shared queue's partitions (it exists once a bus has started), as `transport` sees them. */
export async function busLayout(transport: StreamTransport<Event>): Promise<BusLayout> {
  const info = await transport.info(BUS_QUEUE);
  const parts = info.partitions ?? [info];
  const store = transport.store;
  if (!(store instanceof RedisStore) || store.layout !== "cluster") {
    return { partitions: parts.map((p, partition) => ({ partition, stream: p.stream, master: null, entries: p.length })), masters: null };
  }
  const ranges = await slotRanges(store.redis);
  const partitions = await Promise.all(
    parts.map(async (p, partition) => {
      const slot = Number(await store.redis.call("CLUSTER", "KEYSLOT", p.stream));
      const master = ranges.find((r) => r.from <= slot && slot <= r.to)?.master ?? null;
      return { partition, stream: p.stream, master, entries: p.length };
    }),
  );
  return { partitions, masters: new Set(ranges.map((r) => r.master)).size };
}

/** "events:{all} on 127.0.0.1:7001, events:{all#1} on …" (off a cluster: the keys alone). */
export function describePlaces(layout: BusLayout): string {
  return layout.partitions.map((p) => (p.master ? `${p.stream} on ${p.master}` : p.stream)).join(", ");
}
