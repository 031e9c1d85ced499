"""A queue's dead-letter queue: its entries with why they are there, and
requeueing them (one atomic step each, the requeue script), as the
TypeScript side's ``transport.deadLetters(queue)`` does — over every
partition of a queue that has them: the ids of entries in the DLQ of a
partition ``p`` ≥ 1 are ``"<p>/<stream id>"``."""

import collections
import re
import time

from .entry import decode_entry, moved_fields
from .keys import EntryField
from .reasons import parse_reason

__all__ = ["DeadLetter", "DeadLetterQueue"]

DeadLetter = collections.namedtuple("DeadLetter", "id event_type attempts reason failures event problem partition")
DeadLetter.__doc__ = """An entry of a DLQ: its id (``"<p>/<stream id>"`` in the DLQ of a partition
``p`` ≥ 1), event type, the attempts of its last failure, its last reason
(text), every move, the event (or the problem), and the partition whose DLQ holds it."""

_STREAM_ID = re.compile(r"[0-9]+-[0-9]+\Z")


def _split_id(dead_letter_id):
    # an id this DLQ gave: its partition (0 without "p/") and the stream id
    partition, slash, stream_id = dead_letter_id.partition("/")
    if not slash:
        return 0, dead_letter_id
    return (int(partition), stream_id) if partition.isdigit() and partition.isascii() else (-1, dead_letter_id)


def _id_order(stream_id):
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


class DeadLetterQueue:
    """The dead-letter queue of one queue, over all its partitions
    (``partitions``: a function giving their keys, partition 0 first;
    default: ``keys`` alone)."""

    def __init__(self, transport, keys, partitions=None):
        self._transport = transport
        self.keys = keys
        self._partitions = partitions or (lambda: [keys])

    def _describe(self, entry_id, fields, partition):
        decoded = decode_entry(self._transport.registry, fields)
        last = decoded.failures[-1] if decoded.failures else {}
        reason = last.get("reason", "") if isinstance(last, dict) else ""
        shown = entry_id if partition == 0 else f"{partition}/{entry_id}"
        return DeadLetter(shown, decoded.event_type, parse_reason(reason).attempt, reason, decoded.failures, decoded.event, decoded.problem, partition)

    def list(self, count=100):
        """The oldest ``count`` dead letters; on a queue with partitions, the
        DLQs of all of them merged in the order of their ids (their times)."""
        out = []
        for keys in self._partitions():
            out += [self._describe(i, f, keys.partition) for i, f in self._transport.store.range(keys.dlq, count=count)]
        out.sort(key=lambda d: (_id_order(_split_id(d.id)[1]), d.partition))
        return out[:count]

    def count(self):
        """How many entries the DLQs of the queue's partitions hold."""
        return sum(self._transport.store.info(keys)["dlq_length"] for keys in self._partitions())

    def requeue(self, ids="all"):
        """Moves dead letters (their ids as :meth:`list` gives them, or
        ``"all"``) back to their queue (their partition's), each whole or not
        at all; returns how many moved."""
        wanted = None
        if ids != "all":
            wanted = {}
            for given in ids:
                partition, stream_id = _split_id(given)
                if partition >= 0 and _STREAM_ID.match(stream_id):
                    wanted.setdefault(partition, set()).add(stream_id)
        moved = 0
        for keys in self._partitions():
            if wanted is not None and keys.partition not in wanted:
                continue
            for entry_id, fields in self._transport.store.range(keys.dlq, count=10_000):
                if wanted is not None and entry_id not in wanted[keys.partition]:
                    continue
                now = time.time()
                item = {"timestamp": now, "from_dlq": keys.dlq, "to_queue": keys.stream}
                new_fields = moved_fields(fields, EntryField.requeues, item, now)
                if self._transport.store.requeue(keys, entry_id, new_fields, self._transport.max_length, self._transport.trim) is not None:
                    moved += 1
        return moved
