"""The queue operations on Redis (redis-py), each one command or one of the
shared Lua scripts (see scripts.py), with the same arguments and replies as
src/redis/redis-store.ts."""

import time

import redis

from ..errors import TransportError
from .keys import PartitionField, read_subscriptions, subscriptions_key, subscriptions_value
from .partitions import PartitionCount, check_partition_count, partition_count
from .scripts import SCRIPTS

__all__ = ["RedisStore", "python_float"]


def python_float(value):
    """A number as Python's ``repr(float)`` writes it (how the scripts' ARGV carry times)."""
    return repr(float(value))


def _entries(raw):
    out = []
    for item in raw or []:
        if item is None:
            continue
        entry_id, fields = item
        if isinstance(fields, list):
            fields = {fields[i]: fields[i + 1] for i in range(0, len(fields) - 1, 2)}
        out.append((entry_id.decode(), dict(fields or {})))
    return out


def _failure(error, what):
    if isinstance(error, redis.ResponseError):
        return TransportError("redis-refused", f"{what}: Redis refused: {error}")
    return TransportError("redis-unavailable", f"{what}: Redis is unavailable: {error}")


class RedisStore:
    """The entry store on one Redis server, through a redis-py client
    (made with ``decode_responses=False``: entries are bytes). Every failure
    is a :class:`TransportError`: ``redis-refused`` with Redis's message, or
    ``redis-unavailable``."""

    def __init__(self, client):
        self.client = client
        self._scripts = {name: client.register_script(script.lua) for name, script in SCRIPTS.items()}
        self._ensured = set()

    def _run(self, what, op):
        try:
            return op()
        except redis.RedisError as error:
            self._ensured.clear()
            raise _failure(error, what) from error

    def script(self, name, keys, args):
        """Runs a shared script (EVALSHA; loaded on NOSCRIPT)."""
        declared = SCRIPTS[name].keys
        if declared != "variable" and len(keys) != declared:
            raise ValueError(f"the script {name} takes {declared} keys, got {len(keys)}")
        return self._scripts[name](keys=list(keys), args=list(args))

    def ensure_queue(self, keys, reset=False):
        """Makes the queue pair when missing, as LeanMQ's ``create_queue_pair``
        does (consumer groups at the start of their stream, the registry set,
        the metadata hashes). Returns True when it made the main stream's group."""
        if keys.stream in self._ensured and not reset:
            return False

        def make():
            now = python_float(time.time())
            made = False
            for stream, group in ((keys.stream, keys.group), (keys.dlq, keys.dlq_group)):
                try:
                    self.client.xgroup_create(stream, group, id="0", mkstream=True)
                    if stream == keys.stream:
                        made = True
                except redis.ResponseError as error:
                    if "BUSYGROUP" not in str(error):
                        raise
            pipe = self.client.pipeline(transaction=True)
            pipe.sadd(keys.registry, keys.stream, keys.dlq)
            pipe.hsetnx(keys.stream_metadata, "created_at", now)
            pipe.hset(keys.stream_metadata, mapping={"dlq": keys.dlq, "consumer_group": keys.group})
            pipe.hsetnx(keys.dlq_metadata, "created_at", now)
            pipe.hset(keys.dlq_metadata, mapping={"main_queue": keys.stream, "consumer_group": keys.dlq_group, "is_dlq": "true"})
            if made and reset:
                pipe.hincrby(keys.stream_metadata, "resets", 1)
            pipe.execute()
            self._ensured.add(keys.stream)
            return made

        return self._run(f"creating the queue {keys.stream}", make)

    def append(self, entries, max_length, trim):
        """Appends entries — (keys, fields, expire_at or None) each — all or none (the append script). Returns their ids."""
        script_keys = []
        args = [max_length, trim]
        for keys, fields, expire_at in entries:
            script_keys += [keys.stream, keys.stream_expiry, keys.stream_metadata]
            args += [keys.group, len(fields), *fields, "" if expire_at is None else python_float(expire_at)]

        def run():
            ids, revived, _unread = self.script("append", script_keys, args)
            for stream in revived:
                self._ensured.discard(stream.decode())
            return [i.decode() for i in ids]

        return self._run(f"publishing to {entries[0][0].stream}", run)

    def read_new(self, keys, consumer, count, block_ms):
        """New entries for this consumer of the queue's group (XREADGROUP ``>``): (id, fields) each."""
        reply = self._run(
            f"reading {keys.stream}",
            lambda: self.client.xreadgroup(keys.group, consumer, {keys.stream: ">"}, count=count, block=max(1, int(block_ms))),
        )
        if not reply:
            return []
        return _entries(reply[0][1])

    def read_new_many(self, all_keys, consumer, count, block_ms):
        """New entries for this consumer of several queue pairs' groups (the
        partitions of one queue), in one XREADGROUP: (keys, [(id, fields)])
        for each that had some; ``count`` holds per stream."""
        by_stream = {keys.stream: keys for keys in all_keys}
        reply = self._run(
            f"reading {', '.join(by_stream)}",
            lambda: self.client.xreadgroup(all_keys[0].group, consumer, {stream: ">" for stream in by_stream}, count=count, block=max(1, int(block_ms))),
        )
        out = []
        for stream, raw in reply or []:
            keys = by_stream.get(stream.decode() if isinstance(stream, bytes) else stream)
            if keys is not None:
                out.append((keys, _entries(raw)))
        return out

    def partitions(self, keys):
        """The queue's partitions as its metadata hash (of partition 0) records them: a :class:`PartitionCount`."""
        count, highest = self._run(
            f"reading the partitions of {keys.stream}", lambda: self.client.hmget(keys.stream_metadata, PartitionField.count, PartitionField.highest)
        )
        return partition_count(count, highest)

    def set_partitions(self, keys, count):
        """Records how many partitions publishers write to, raising the most the queue has had when it is below (the set-partitions script)."""
        check_partition_count(count)

        def run():
            c, h = self.script("set-partitions", [keys.stream_metadata], [count])
            return PartitionCount(int(c), int(h))

        return self._run(f"recording the partitions of {keys.stream}", run)

    def claim_idle(self, keys, consumer, min_idle_ms, cursor, count):
        """Reclaims entries idle at least ``min_idle_ms``: (next cursor, [(id, fields, deliveries)], ids found deleted)."""

        def run():
            next_cursor, raw, counts, deleted = self.script("claim-idle", [keys.stream], [keys.group, consumer, max(0, int(min_idle_ms)), cursor, count])
            entries = _entries(raw)
            return next_cursor.decode(), [(i, f, int(counts[n]) if n < len(counts) else 1) for n, (i, f) in enumerate(entries)], [d.decode() for d in deleted or []]

        return self._run(f"reclaiming entries of {keys.stream}", run)

    def claim_one(self, keys, consumer, entry_id):
        """Claims an entry still pending to this consumer again, for a retry:
        ``("claimed", (id, fields, deliveries))``, ``("deleted", None)`` or ``("gone", None)``."""

        def run():
            reply = self.script("claim-one", [keys.stream], [keys.group, consumer, 0, entry_id])
            status = int(reply[0])
            if status == 1:
                return "deleted", None
            if status != 2:
                return "gone", None
            (claimed_id, fields), = _entries([reply[1]])
            return "claimed", (claimed_id, fields, int(reply[2]))

        return self._run(f"claiming entry {entry_id} of {keys.stream}", run)

    def touch(self, keys, consumer, ids):
        """Resets the idle time of entries still pending to this consumer."""
        if ids:
            self._run(f"keeping entries of {keys.stream}", lambda: self.script("touch", [keys.stream], [keys.group, consumer, *ids]))

    def ack(self, keys, ids):
        """Acknowledges entries and drops them from the expiry set; returns how many were pending."""
        if not ids:
            return 0
        return int(self._run(f"acknowledging entries of {keys.stream}", lambda: self.script("ack", [keys.stream, keys.stream_expiry], [keys.group, *ids])))

    def dead_letter(self, keys, consumer, entry_id, fields, max_length, trim):
        """Moves an entry to the DLQ with its acknowledgement, in one step, if it is still this consumer's; the DLQ entry's id, or None."""
        reply = self._run(
            f"moving entry {entry_id} of {keys.stream} to {keys.dlq}",
            lambda: self.script("dead-letter", [keys.stream, keys.dlq, keys.stream_expiry, keys.dlq_metadata], [keys.group, consumer, entry_id, max_length, trim, *fields]),
        )
        return reply.decode() if reply else None

    def requeue(self, keys, entry_id, fields, max_length, trim):
        """Moves an entry from the DLQ back to its queue, in one step; the new id, or None when it was gone."""
        reply = self._run(
            f"requeueing entry {entry_id} of {keys.dlq}",
            lambda: self.script("requeue", [keys.dlq, keys.stream, keys.dlq_expiry, keys.stream_metadata], [entry_id, max_length, trim, keys.group, *fields]),
        )
        return reply[0].decode() if reply else None

    def route(self, keys, consumer, entries, max_length, trim):
        """Routes entries of the bus's shared queue — (id, event type, expire_at, fields) each — to the subscription queues (the route script)."""
        if not entries:
            return [], []
        args = [keys.group, consumer, keys.prefix, max_length, trim, python_float(time.time())]
        for entry_id, event_type, expire_at, fields in entries:
            args += [entry_id, event_type, "" if expire_at is None else python_float(expire_at), len(fields), *fields]

        def run():
            out, revived = self.script("route", [keys.stream, subscriptions_key(keys.prefix), keys.stream_expiry, keys.dlq], args)
            return [(int(r[0]), int(r[1])) if isinstance(r, list) else -1 for r in out], [s.decode() for s in revived]

        return self._run(f"routing entries of {keys.stream}", run)

    def prune(self, keys, min_idle_ms, keep):
        """Removes consumers of the group long idle with nothing pending, except ``keep``."""
        return int(self._run(f"pruning the consumers of {keys.stream}", lambda: self.script("prune", [keys.stream], [keys.group, int(min_idle_ms), keep])))

    def leave(self, keys, consumer):
        """Removes this consumer from the group when nothing is pending to it."""
        return int(self._run(f"leaving the group of {keys.stream}", lambda: self.script("leave", [keys.stream], [keys.group, consumer]))) == 1

    def range(self, stream, start="-", end="+", count=100):
        """Entries of a stream, oldest first: (id, fields) each."""
        return _entries(self._run(f"reading {stream}", lambda: self.client.xrange(stream, start, end, count=count)))

    def info(self, keys):
        """The queue's counts: length, pending, consumers, lag, dlq_length."""

        def run():
            try:
                length = self.client.xlen(keys.stream)
                groups = self.client.xinfo_groups(keys.stream)
            except redis.ResponseError as error:
                if "no such key" not in str(error):
                    raise
                length, groups = 0, []
            group = next((g for g in groups if g.get("name") in (keys.group, keys.group.encode())), {})
            lag = group.get("lag")
            return {
                "length": int(length),
                "pending": int(group.get("pending", 0)),
                "consumers": int(group.get("consumers", 0)),
                "lag": None if lag is None else int(lag),
                "dlq_length": int(self.client.xlen(keys.dlq)),
            }

        return self._run(f"reading the counts of {keys.stream}", run)

    def set_subscription(self, prefix, service, event_types):
        """Records (or, with None, removes) a service's subscription on the bus."""
        key = subscriptions_key(prefix)
        if event_types is None:
            self._run(f"removing the subscription of {service}", lambda: self.client.hdel(key, service))
        else:
            self._run(f"recording the subscription of {service}", lambda: self.client.hset(key, service, subscriptions_value(event_types)))

    def subscriptions(self, prefix):
        """The bus's subscriptions: service → event types."""
        return read_subscriptions(self._run(f"reading the subscriptions of {prefix}", lambda: self.client.hgetall(subscriptions_key(prefix))))

    def forget(self):
        """Forgets which queues were made (after Redis lost its data), so they are made again."""
        self._ensured.clear()

