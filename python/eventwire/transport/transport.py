"""The transport: publishing events into eventwire's queues on Redis in
either entry format, and the consumers and dead-letter queues of those
queues. The same keys, entries and scripts as the TypeScript side's
``connectRedis``, so the two share queues entry for entry."""

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
from .redis_store import RedisStore

__all__ = ["Published", "RedisTransport", "connect"]

TRIM_MODES = ("acknowledged", "length")


class Published:
    """What a publish wrote: the stream entry id and the message id (``_metadata.id``)."""

    __slots__ = ("stream_id", "message_id")

    def __init__(self, stream_id, message_id):
        self.stream_id = stream_id
        self.message_id = message_id

    def __repr__(self):
        return f"Published(stream_id={self.stream_id!r}, message_id={self.message_id!r})"


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
      was read (as LeanMQ does).
    """

    def __init__(self, registry, client, prefix=DEFAULT_PREFIX, format="json", max_length=DEFAULT_MAX_LENGTH, trim="acknowledged"):  # noqa: A002
        if format not in FORMATS:
            raise TransportError("invalid-option", f"format must be one of {FORMATS}, not {format!r}")
        if trim not in TRIM_MODES:
            raise TransportError("invalid-option", f"trim must be one of {TRIM_MODES}, not {trim!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
            raise TransportError("invalid-option", f"max_length must be a whole number >= 0, not {max_length!r}")
        self.registry = registry
        self.client = client
        self.store = RedisStore(client)
        self.prefix = prefix
        self.format = format
        self.max_length = max_length
        self.trim = trim

    def keys(self, queue):
        """The keys of a queue under this transport's prefix."""
        return queue_keys(self.prefix, queue)

    def publish(self, queue, event, format=None, ttl_seconds=None):  # noqa: A002
        """Publishes an event to a queue (made when missing), in one atomic
        step with its expiry entry. ``format``: this publish's entry format
        (default: the transport's). ``ttl_seconds``: after this long
        unhandled, consumers skip it. Returns :class:`Published`."""
        return self.publish_many([(queue, event)], format=format, ttl_seconds=ttl_seconds)[0]

    def publish_many(self, items, format=None, ttl_seconds=None):  # noqa: A002
        """Publishes ``(queue, event)`` pairs in one atomic step: all or none."""
        entry_format = format or self.format
        if entry_format not in FORMATS:
            raise TransportError("invalid-option", f"format must be one of {FORMATS}, not {entry_format!r}")
        if ttl_seconds is not None and (isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, (int, float)) or not ttl_seconds > 0):
            raise TransportError("invalid-option", f"ttl_seconds must be a number above 0, not {ttl_seconds!r}")
        entries = []
        ids = []
        now = time.time()
        for queue, event in items:
            keys = self.keys(queue)
            self.store.ensure_queue(keys)
            meta = new_metadata(ttl_seconds, str(uuid.uuid4()), now)
            fields = encode_entry(self.registry, event, entry_format, meta)
            size = len(fields[1]) if entry_format == "json" else len(fields[3])
            if size > self.registry.max_bytes:
                raise TransportError("too-large", f"the event is {size} bytes as an entry, over the registry's max_bytes of {self.registry.max_bytes}")
            entries.append((keys, fields, expires_at(meta)))
            ids.append(meta.id)
        stream_ids = self.store.append(entries, self.max_length, self.trim)
        return [Published(s, m) for s, m in zip(stream_ids, ids)]

    def consumer(self, queue, handlers, **options):
        """A :class:`Consumer` of a queue: ``handlers`` maps event types (or
        ``"*"``) to functions ``handler(event, delivery)``; ``options`` are
        those of :class:`ConsumerOptions`. Call its ``run()`` or ``drain()``."""
        return Consumer(self, self.keys(queue), handlers, **options)

    def dead_letters(self, queue):
        """The dead-letter queue of a queue."""
        return DeadLetterQueue(self, self.keys(queue))

    def info(self, queue):
        """A queue's counts: ``length``, ``pending``, ``consumers``, ``lag``, ``dlq_length``."""
        return self.store.info(self.keys(queue))

    def close(self):
        """Closes the connection."""
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
