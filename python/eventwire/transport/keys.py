"""Every Redis key and entry field name of eventwire's layout (LeanMQ's,
version 0.2.0), in one place, as the TypeScript side builds them
(src/transport/leanmq/keys.ts):

| key | type | content |
| --- | --- | --- |
| P + N | stream | the main queue |
| P + N + ``:dlq`` | stream | its dead-letter queue |
| P + ``registry`` | set | full keys of every main queue and DLQ created |
| P + N + ``:metadata`` | hash | ``created_at``, ``dlq``, ``consumer_group`` |
| P + N + ``:dlq:metadata`` | hash | ``created_at``, ``main_queue``, ``consumer_group``, ``is_dlq`` |
| stream key + ``:expiry`` | sorted set | entry id → expiry time (float seconds) |

and P + ``subscriptions``: the event bus's hash from service name to the JSON
list of event types it subscribes to (``["*"]`` for all).

A queue with partitions keeps its count in its metadata hash (fields
``partitions``, where publishers write, and ``partitions_highest``, the most
it has had, which consumers read); partition ``i`` ≥ 1 is the queue pair
named ``N#i`` (partition 0 is the queue itself, so a queue that gains
partitions keeps what it holds). This is the layout for one Redis server;
the Redis Cluster layout (a hash tag per queue) is the TypeScript side's
only, for now.
"""

import collections
import json
import re

from ..errors import TransportError

__all__ = [
    "BUS_PREFIX",
    "BUS_QUEUE",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_PREFIX",
    "EntryField",
    "MAX_PARTITIONS",
    "PARTITION_SEPARATOR",
    "PartitionField",
    "QueueKeys",
    "queue_keys",
    "read_subscriptions",
    "subscription_queue",
    "subscriptions_key",
]

DEFAULT_PREFIX = "mq:"
"""LeanMQ's default key prefix."""

DEFAULT_MAX_LENGTH = 100_000
"""About how many entries a stream is kept to."""

BUS_QUEUE = "all"
"""The event bus's shared queue."""

BUS_PREFIX = "events:"
"""The event bus's prefix, as the Python event system uses it."""


class EntryField:
    """Entry field names."""

    data = "data"
    """LeanMQ's single field: the event's JSON with ``_metadata``."""
    event_type = "event_type"
    """Binary entries: the event type's wire name, readable without decoding."""
    envelope = "envelope"
    """Binary entries: the protobuf ``EventEnvelope``."""
    metadata = "_metadata"
    """Binary entries: the message metadata as JSON (``id``, ``timestamp``, ``ttl``)."""
    failures = "_failures"
    """The list of moves to a DLQ: ``{timestamp, reason}`` each."""
    requeues = "_requeues"
    """The list of requeues from a DLQ: ``{timestamp, from_dlq, to_queue}`` each."""


RESERVED_NAMESPACE = "eventwire:"
"""The namespace under a prefix that holds eventwire's own keys (the TypeScript side's schema registry); no queue name starts with it."""

PARTITION_SEPARATOR = "#"
"""The separator between a queue's name and the number of one of its partitions (``orders#3``)."""

MAX_PARTITIONS = 1024
"""The most partitions a queue may have."""


class PartitionField:
    """Metadata fields of a queue with partitions (in partition 0's metadata hash)."""

    count = "partitions"
    """How many partitions publishers write to."""
    highest = "partitions_highest"
    """The most partitions the queue has had: consumers read all of them."""


QueueKeys = collections.namedtuple(
    "QueueKeys",
    "name prefix partition stream dlq stream_expiry dlq_expiry stream_metadata dlq_metadata registry group dlq_group",
)
QueueKeys.__doc__ = """The keys and consumer group names of one queue pair: of the queue ``name``'s
partition ``partition`` (0 for the queue itself, and a queue without partitions).
Every partition of a queue has the same group names."""

_PARTITION_NAME = re.compile(r"#[0-9]+\Z")


def queue_keys(prefix, name, partition=0):
    """The keys of queue pair ``name`` under ``prefix``, of its partition
    ``partition`` (0, the queue itself, by default): partition ``i`` ≥ 1 is
    the queue pair named ``name#i``."""
    if not name:
        raise ValueError("a queue name must not be empty")
    if name.startswith(RESERVED_NAMESPACE):
        raise TransportError("invalid-option", f"queue names starting with {json.dumps(RESERVED_NAMESPACE)} are reserved for eventwire's own keys, got {json.dumps(name, ensure_ascii=False)}")
    if _PARTITION_NAME.search(name):
        raise TransportError("invalid-option", f'a queue name may not end in "#" and a number, which names a partition, got {json.dumps(name, ensure_ascii=False)}')
    if isinstance(partition, bool) or not isinstance(partition, int) or not 0 <= partition < MAX_PARTITIONS:
        raise TransportError("invalid-option", f"a partition is an integer from 0 to {MAX_PARTITIONS - 1}, got {partition!r}")
    stream = prefix + (name if partition == 0 else f"{name}{PARTITION_SEPARATOR}{partition}")
    dlq = stream + ":dlq"
    return QueueKeys(
        name=name,
        prefix=prefix,
        partition=partition,
        stream=stream,
        dlq=dlq,
        stream_expiry=stream + ":expiry",
        dlq_expiry=dlq + ":expiry",
        stream_metadata=stream + ":metadata",
        dlq_metadata=dlq + ":metadata",
        registry=prefix + "registry",
        group=name + "-group",
        dlq_group=name + "-group-dlq",
    )


def subscriptions_key(prefix):
    """The hash of the event bus's subscriptions under ``prefix``."""
    return prefix + "subscriptions"


def subscription_queue(service):
    """The queue name of a service's subscription queue on the bus: ``sub:<service>``."""
    return "sub:" + service


def subscriptions_value(event_types):
    """A subscription's event types as the hash holds them (``JSON.stringify``'s text)."""
    return json.dumps(list(event_types), separators=(",", ":"), ensure_ascii=False)


def read_subscriptions(fields):
    """The bus's subscriptions from its hash's fields: service → event types. A
    value that is not a JSON list subscribes to nothing (as the routing script reads it)."""
    out = {}
    for service, value in fields.items():
        service = service.decode("utf-8") if isinstance(service, bytes) else service
        try:
            parsed = json.loads(value)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(parsed, list):
            out[service] = [str(t) for t in parsed]
    return out
