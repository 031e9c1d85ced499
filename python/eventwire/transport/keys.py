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
"""

import collections
import json

__all__ = [
    "BUS_PREFIX",
    "BUS_QUEUE",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_PREFIX",
    "EntryField",
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


QueueKeys = collections.namedtuple(
    "QueueKeys",
    "name prefix stream dlq stream_expiry dlq_expiry stream_metadata dlq_metadata registry group dlq_group",
)
QueueKeys.__doc__ = "The keys and consumer group names of one queue pair."


def queue_keys(prefix, name):
    """The keys of queue pair ``name`` under ``prefix``."""
    if not name:
        raise ValueError("a queue name must not be empty")
    stream = prefix + name
    dlq = stream + ":dlq"
    return QueueKeys(
        name=name,
        prefix=prefix,
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
