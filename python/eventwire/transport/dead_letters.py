"""A queue's dead-letter queue: its entries with why they are there, and
requeueing them (one atomic step each, the requeue script), as the
TypeScript side's ``transport.deadLetters(queue)`` does."""

import collections
import time

from .entry import decode_entry, moved_fields
from .keys import EntryField
from .reasons import parse_reason

__all__ = ["DeadLetter", "DeadLetterQueue"]

DeadLetter = collections.namedtuple("DeadLetter", "id event_type attempts reason failures event problem")
DeadLetter.__doc__ = "An entry of a DLQ: its id, event type, the attempts of its last failure, its last reason (text), every move, and the event (or the problem)."


class DeadLetterQueue:
    """The dead-letter queue of one queue."""

    def __init__(self, transport, keys):
        self._transport = transport
        self.keys = keys

    def list(self, count=100):
        """The oldest ``count`` dead letters."""
        out = []
        for entry_id, fields in self._transport.store.range(self.keys.dlq, count=count):
            decoded = decode_entry(self._transport.registry, fields)
            last = decoded.failures[-1] if decoded.failures else {}
            reason = last.get("reason", "") if isinstance(last, dict) else ""
            out.append(DeadLetter(entry_id, decoded.event_type, parse_reason(reason).attempt, reason, decoded.failures, decoded.event, decoded.problem))
        return out

    def requeue(self, ids="all"):
        """Moves dead letters (their ids, or ``"all"``) back to their queue, each whole or not at all; returns how many moved."""
        wanted = None if ids == "all" else set(ids)
        moved = 0
        for entry_id, fields in self._transport.store.range(self.keys.dlq, count=10_000):
            if wanted is not None and entry_id not in wanted:
                continue
            now = time.time()
            item = {"timestamp": now, "from_dlq": self.keys.dlq, "to_queue": self.keys.stream}
            new_fields = moved_fields(fields, EntryField.requeues, item, now)
            if self._transport.store.requeue(self.keys, entry_id, new_fields, self._transport.max_length, self._transport.trim) is not None:
                moved += 1
        return moved
