"""The transport: publishing events into eventwire's queues on Redis in
either entry format, and the consumers and dead-letter queues of those
queues. The same keys, entries and scripts as the TypeScript side's
``connectRedis``, so the two share queues entry for entry — partitioned queues too, on one Redis server (the
Redis Cluster layout is the TypeScript side's only, for now)."""

import os
import time
import uuid

import redis

from ..errors import TransportError
from .consumer import Consumer
from .dead_letters import DeadLetterQueue
from .entry import FORMATS, encode_entry
from .keys import DEFAULT_MAX_LENGTH, DEFAULT_PREFIX, queue_keys
from .metadata import expires_at, new_metadata
from .partitions import check_partition_count, partition_of
from .redis_store import RedisStore

__all__ = ["Published", "RedisTransport", "connect"]

TRIM_MODES = ("acknowledged", "length")


class Published:
    """What a publish wrote: the stream entry id (in its partition's stream),
    the message id (``_metadata.id``) and the partition it went to (0 on a
    queue without partitions)."""

    __slots__ = ("stream_id", "message_id", "partition")

    def __init__(self, stream_id, message_id, partition=0):
        self.stream_id = stream_id
        self.message_id = message_id
        self.partition = partition

    def __repr__(self):
        return f"Published(stream_id={self.stream_id!r}, message_id={self.message_id!r}, partition={self.partition})"


def connect(registry, url=None, **options):
    """A :class:`RedisTransport` on the Redis at ``url`` (default: the
    ``REDIS_URL`` environment variable, else ``redis://127.0.0.1:6379``).
    ``options``: those of :class:`RedisTransport`."""
    url = url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    timeouts = {"socket_timeout": options.pop("command_timeout", 10)}
    if not url.startswith("unix:"):
        timeouts["socket_connect_timeout"] = 5
    client = redis.Redis.from_url(url, decode_responses=False, **timeouts)
    return RedisTransport(registry, client, **options)


class RedisTransport:
    """Publishes events to eventwire's queues on one Redis server and makes
    consumers for them.

    Options, with their defaults (the TypeScript side's ``connectRedis``):

    - ``prefix`` (``"mq:"``): the key prefix, LeanMQ's by default;
    - ``format`` (``"json"``): the entry format of publishes, ``"json"``
      (LeanMQ's, byte for byte) or ``"binary"`` (the protobuf envelope);
    - ``max_length`` (100,000): about how many entries a stream is kept to;
    - ``trim`` (``"acknowledged"``): trim only entries every consumer group
      has read and acknowledged, or ``"length"``, to ``max_length`` whatever
      was read (as LeanMQ does);
    - ``partition_key`` (None): on a queue with partitions, a function
      ``partition_key(event, queue)`` giving the key that picks an event's
      partition, when the publish gives none (else, or when it gives None,
      the event id);
    - ``partition_refresh_ms`` (5,000): how long a queue's partition count,
      once read, is used before it is read again.
    """

    def __init__(
        self,
        registry,
        client,
        prefix=DEFAULT_PREFIX,
        format="json",  # noqa: A002
        max_length=DEFAULT_MAX_LENGTH,
        trim="acknowledged",
        partition_key=None,
        partition_refresh_ms=5_000,
    ):
        if format not in FORMATS:
            raise TransportError("invalid-option", f"format must be one of {FORMATS}, not {format!r}")
        if trim not in TRIM_MODES:
            raise TransportError("invalid-option", f"trim must be one of {TRIM_MODES}, not {trim!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
            raise TransportError("invalid-option", f"max_length must be a whole number >= 0, not {max_length!r}")
        if partition_key is not None and not callable(partition_key):
            raise TransportError("invalid-option", f"partition_key must be a function of the event and the queue, not {partition_key!r}")
        if isinstance(partition_refresh_ms, bool) or not isinstance(partition_refresh_ms, (int, float)) or partition_refresh_ms < 0:
            raise TransportError("invalid-option", f"partition_refresh_ms must be a number >= 0, not {partition_refresh_ms!r}")
        self.registry = registry
        self.client = client
        self.store = RedisStore(client)
        self.prefix = prefix
        self.format = format
        self.max_length = max_length
        self.trim = trim
        self.partition_key = partition_key
        self.partition_refresh_ms = partition_refresh_ms
        self._partition_cache = {}  # queue -> (PartitionCount, when read)

    def keys(self, queue, partition=0):
        """The keys of a queue (of its partition ``partition``) under this transport's prefix."""
        return queue_keys(self.prefix, queue, partition)

    def partitions(self, queue, fresh=False):
        """The partitions of ``queue`` as recorded with it: a
        :class:`PartitionCount` of ``count``, where publishers write, and
        ``highest``, the most it has had. Read at most every
        ``partition_refresh_ms`` (``fresh``: now)."""
        cached = self._partition_cache.get(queue)
        if cached is not None and not fresh and (time.monotonic() - cached[1]) * 1000 < self.partition_refresh_ms:
            return cached[0]
        count = self.store.partitions(self.keys(queue))
        if len(self._partition_cache) >= 1000:
            self._partition_cache.clear()
        self._partition_cache[queue] = (count, time.monotonic())
        return count

    def set_partitions(self, queue, count):
        """Gives ``queue`` ``count`` partitions (1 to 1,024), each its own
        queue pair: the partitions' queue pairs are made first, then the
        count recorded (the set-partitions script), which publishers of every
        process, TypeScript's too, follow within their refresh interval.
        Nothing is lost either way: consumers read every partition the queue
        has had, so after lowering the count the partitions no longer
        written are drained. Ordering by key holds within a partition: while
        the count changes, events of one key published before and after the
        change may be in different partitions and be handled out of order.
        Returns the :class:`PartitionCount` recorded."""
        check_partition_count(count)
        for p in range(count):
            self.store.ensure_queue(self.keys(queue, p))
        result = self.store.set_partitions(self.keys(queue), count)
        self._partition_cache[queue] = (result, time.monotonic())
        return result

    def partition_keys(self, queue, fresh=False):
        """The keys of every partition the queue has had, partition 0 first."""
        return [self.keys(queue, p) for p in range(self.partitions(queue, fresh=fresh).highest)]

    def publish(self, queue, event, format=None, ttl_seconds=None, partition_key=None):  # noqa: A002
        """Publishes an event to a queue (made when missing), in one atomic
        step with its expiry entry. ``format``: this publish's entry format
        (default: the transport's). ``ttl_seconds``: after this long
        unhandled, consumers skip it. ``partition_key``: on a queue with
        partitions, the key that picks the partition (default: the
        transport's ``partition_key`` function's, else the event id); events
        of one key go to one partition, in order. Returns :class:`Published`."""
        return self.publish_many([(queue, event, partition_key)], format=format, ttl_seconds=ttl_seconds)[0]

    def _partition_key_of(self, queue, event, given):
        if given is not None:
            return given
        key = self.partition_key(event, queue) if self.partition_key is not None else None
        return event.event_id if key is None else key

    def publish_many(self, items, format=None, ttl_seconds=None):  # noqa: A002
        """Publishes ``(queue, event)`` pairs — or ``(queue, event,
        partition_key)`` triples — in one atomic step: all or none."""
        entry_format = format or self.format
        if entry_format not in FORMATS:
            raise TransportError("invalid-option", f"format must be one of {FORMATS}, not {entry_format!r}")
        if ttl_seconds is not None and (isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, (int, float)) or not ttl_seconds > 0):
            raise TransportError("invalid-option", f"ttl_seconds must be a number above 0, not {ttl_seconds!r}")
        entries = []
        ids = []
        now = time.time()
        partitions = []
        for item in items:
            queue, event = item[0], item[1]
            count = self.partitions(queue).count
            partition = 0 if count == 1 else partition_of(self._partition_key_of(queue, event, item[2] if len(item) > 2 else None), count)
            keys = self.keys(queue, partition)
            self.store.ensure_queue(keys)
            partitions.append(partition)
            meta = new_metadata(ttl_seconds, str(uuid.uuid4()), now)
            fields = encode_entry(self.registry, event, entry_format, meta)
            size = len(fields[1]) if entry_format == "json" else len(fields[3])
            if size > self.registry.max_bytes:
                raise TransportError("too-large", f"the event is {size} bytes as an entry, over the registry's max_bytes of {self.registry.max_bytes}")
            entries.append((keys, fields, expires_at(meta)))
            ids.append(meta.id)
        stream_ids = self.store.append(entries, self.max_length, self.trim)
        return [Published(s, m, p) for s, m, p in zip(stream_ids, ids, partitions)]

    def consumer(self, queue, handlers, **options):
        """A :class:`Consumer` of a queue: ``handlers`` maps event types (or
        ``"*"``) to functions ``handler(event, delivery)``; ``options`` are
        those of :class:`ConsumerOptions`. Call its ``run()`` or ``drain()``."""
        return Consumer(self, self.keys(queue), handlers, **options)

    def dead_letters(self, queue):
        """The dead-letter queue of a queue (of all its partitions)."""
        return DeadLetterQueue(self, self.keys(queue), lambda: self.partition_keys(queue))

    def info(self, queue):
        """A queue's counts: ``length``, ``pending``, ``consumers``, ``lag``,
        ``dlq_length``; on a queue with partitions, over all of them (each
        partition's in ``partitions``), as the TypeScript side sums them."""
        infos = [self.store.info(keys) for keys in self.partition_keys(queue, fresh=True)]
        if len(infos) == 1:
            return infos[0]
        return {
            "length": sum(i["length"] for i in infos),
            "pending": sum(i["pending"] for i in infos),
            "consumers": max(i["consumers"] for i in infos),
            "lag": None if any(i["lag"] is None for i in infos) else sum(i["lag"] for i in infos),
            "dlq_length": sum(i["dlq_length"] for i in infos),
            "partitions": infos,
        }

    def close(self):
        """Closes the connection."""
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
