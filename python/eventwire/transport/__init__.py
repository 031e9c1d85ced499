"""eventwire's transport over Redis Streams, for Python: publishing in
LeanMQ's JSON entries or eventwire's binary ones, consumers with
acknowledgement after the handler, retries counted by Redis, atomic moves to
dead-letter queues with their reasons, reclaim and TTL, and the event bus —
on the same keys and running the same Lua scripts as the TypeScript side,
partitioned queues included (on one Redis server).
"""

from ..errors import PermanentError, TransportError
from .bus import EventBus, Router, Subscription
from .consumer import Consumer, ConsumerOptions, ConsumerStats, Delivery, RetryPolicy
from .dead_letters import DeadLetter, DeadLetterQueue
from .keys import BUS_PREFIX, BUS_QUEUE, DEFAULT_PREFIX, MAX_PARTITIONS, EntryField, QueueKeys, queue_keys
from .metadata import EntryMetadata, is_expired
from .partitions import PartitionCount, partition_count, partition_of
from .reasons import DeadLetterKind, DeadLetterReason, format_reason, parse_reason
from .scripts import SCRIPTS
from .transport import Published, RedisTransport, connect

__all__ = [
    "BUS_PREFIX",
    "BUS_QUEUE",
    "Consumer",
    "ConsumerOptions",
    "ConsumerStats",
    "DEFAULT_PREFIX",
    "DeadLetter",
    "DeadLetterKind",
    "DeadLetterQueue",
    "DeadLetterReason",
    "Delivery",
    "EntryField",
    "EntryMetadata",
    "EventBus",
    "MAX_PARTITIONS",
    "PartitionCount",
    "PermanentError",
    "Published",
    "QueueKeys",
    "RedisTransport",
    "RetryPolicy",
    "Router",
    "SCRIPTS",
    "Subscription",
    "TransportError",
    "connect",
    "format_reason",
    "is_expired",
    "parse_reason",
    "partition_count",
    "partition_of",
    "queue_keys",
]
