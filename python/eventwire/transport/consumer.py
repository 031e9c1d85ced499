"""The consumer: reads one queue in its consumer group, hands each event to
its handler, and acknowledges, retries or dead-letters it — with the
contract of the TypeScript side's ``Consumer`` (src/transport/consumer.ts):

- an entry is acknowledged only after its handler returned; a consumer that
  dies leaves its entries pending, and after ``claim_idle_ms`` another
  consumer of the group reclaims them: delivery is at least once;
- a handler that raises is retried: the entry stays pending and is claimed
  again after the retry policy's delay, so Redis's own delivery counter
  counts the attempts; after ``retry.max_attempts`` deliveries, or at once on
  a :class:`PermanentError`, the entry goes to the DLQ with its reason;
- entries that cannot be decoded go to the DLQ; entries of an unknown type
  or without a handler go to the DLQ or are acknowledged, as configured;
  entries past their TTL are acknowledged (or dead-lettered) unhandled;
- every move to the DLQ is one atomic step with the acknowledgement (the
  dead-letter script), made only while the entry is still this consumer's.

It runs in the calling thread, one handler at a time: ``run()`` until
stopped, ``drain()`` until the queue is empty, or ``step()`` for one turn.

On a queue with partitions it reads every partition the queue has had
(``partitions_highest``), and those added while it runs (looked for every
``claim_interval_ms``), each as the queue alone is read — acknowledgements,
retries, reclaims and moves to the DLQ per partition — with one blocking
read over all of them; ``batch_size`` holds per partition, the stats count
them all.
"""

import dataclasses
import heapq
import logging
import os
import secrets
import socket
import threading
import time

from ..errors import PermanentError, TransportError
from .entry import decode_entry, moved_fields
from .keys import EntryField, queue_keys
from .metadata import is_expired
from .reasons import DeadLetterKind, DeadLetterReason, format_reason, reason_of

__all__ = ["Consumer", "ConsumerOptions", "ConsumerStats", "Delivery", "RetryPolicy", "default_consumer_name"]

log = logging.getLogger("eventwire")

SKIP_POLICIES = ("dead-letter", "acknowledge")


def default_consumer_name():
    """A consumer name unique to this process: ``<hostname>-<pid>-<random>``."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Retries of a failed handler, as redeliveries of its entry."""

    max_attempts: int = 3
    """Deliveries at most, the first included, counted by Redis's delivery counter."""
    initial_delay_ms: float = 200
    """The wait before the second delivery."""
    multiplier: float = 2
    """Each further wait is the previous one times this."""
    max_delay_ms: float = 30_000
    """No wait is longer than this."""

    def delay_ms(self, deliveries):
        """The wait before delivery ``deliveries + 1``, after delivery ``deliveries`` failed."""
        return min(self.max_delay_ms, self.initial_delay_ms * self.multiplier ** max(0, deliveries - 1))


@dataclasses.dataclass(frozen=True)
class ConsumerOptions:
    """How a consumer reads and handles its queue (the TypeScript side's defaults)."""

    consumer: str = dataclasses.field(default_factory=default_consumer_name)
    """The consumer's name in the queue's group; replicas need different names."""
    batch_size: int = 10
    """Entries read per round trip, at most."""
    block_ms: int = 1000
    """How long one read waits for new entries."""
    retry: RetryPolicy = RetryPolicy()
    claim_idle_ms: int = 30_000
    """Entries pending to any consumer this long are reclaimed and handled here."""
    claim_interval_ms: int = 5_000
    """How often to look for them."""
    unknown_type: str = "dead-letter"
    """Entries of an event type the registry does not know: ``dead-letter`` or ``acknowledge``."""
    unhandled_type: str = "dead-letter"
    """Events of a known type without a handler (and no ``"*"`` handler)."""
    expired: str = "acknowledge"
    """Entries past their TTL: acknowledged unhandled, or dead-lettered."""

    def __post_init__(self):
        for name in ("batch_size", "block_ms", "claim_idle_ms", "claim_interval_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise TransportError("invalid-option", f"{name} must be a number above 0, not {value!r}")
        if not isinstance(self.retry.max_attempts, int) or self.retry.max_attempts < 1:
            raise TransportError("invalid-option", f"retry.max_attempts must be a whole number above 0, not {self.retry.max_attempts!r}")
        for name in ("unknown_type", "unhandled_type", "expired"):
            if getattr(self, name) not in SKIP_POLICIES:
                raise TransportError("invalid-option", f"{name} must be one of {SKIP_POLICIES}, not {getattr(self, name)!r}")
        if not self.consumer:
            raise TransportError("invalid-option", "the consumer name must not be empty")


@dataclasses.dataclass
class ConsumerStats:
    """What a consumer has done so far."""

    delivered: int = 0
    handled: int = 0
    retried: int = 0
    dead_lettered: int = 0
    expired: int = 0
    skipped: int = 0
    trimmed: int = 0
    reclaimed: int = 0


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What a handler is told besides the event."""

    queue: str
    stream_id: str
    deliveries: int
    """This delivery's number, counted by Redis (1 for the first)."""
    max_attempts: int
    message_id: str | None
    partition: int = 0
    """The partition of the queue the entry is in (0 on a queue without partitions)."""


def _describe(error):
    return f"{type(error).__name__}: {error}"


class Consumer:
    """Reads one queue in its consumer group (every partition of it); see the module comment."""

    def __init__(self, transport, keys, handlers, _parent=None, **options):
        self.transport = transport
        self.store = transport.store
        self.registry = transport.registry
        self.keys = keys
        self.queue = keys.name
        self.partition = keys.partition
        """The partition this one reads itself (the others are read by the partition readers of partition 0's consumer)."""
        if _parent is not None:
            self.options = _parent.options
            self.handlers = _parent.handlers
            self.stats = _parent.stats
        else:
            if "retry" in options and isinstance(options["retry"], dict):
                options["retry"] = RetryPolicy(**options["retry"])
            self.options = ConsumerOptions(**options)
            self.handlers = dict(handlers)
            for name in self.handlers:
                if name != "*" and self.registry.get(name) is None:
                    raise TransportError("invalid-option", f"a handler for {name!r}, which the registry does not know")
            self.stats = ConsumerStats()
        self._readers = [self]  # every partition's reader, this one first (on partition 0's consumer)
        self._last_follow = 0.0
        self._retries = []  # heap of (due, id)
        self._waiting = set()
        self._last_claim = 0.0
        self._last_touch = time.monotonic()
        self._started = False
        self._stop = threading.Event()

    @property
    def name(self):
        """The consumer's name in the group."""
        return self.options.consumer

    @property
    def partition_count(self):
        """The partitions this consumer reads (1 on a queue without partitions)."""
        return len(self._readers)

    def start(self):
        """Makes the queue pair when missing, and starts reading the
        partitions the queue has had. Called by the first step."""
        if not self._started:
            self.store.ensure_queue(self.keys)
            self._started = True
            if self.partition == 0:
                self._last_follow = time.monotonic()
                self._follow()

    def _follow(self):
        # readers for the partitions the queue has had that none reads yet;
        # a failure to look is tried again at the next look
        try:
            highest = self.store.partitions(self.keys).highest
        except TransportError as error:
            log.debug("consumer %s on %s: could not read the partitions: %s", self.name, self.queue, error)
            return
        for p in range(len(self._readers), highest):
            reader = Consumer(self.transport, queue_keys(self.keys.prefix, self.queue, p), self.handlers, _parent=self)
            self.store.ensure_queue(reader.keys)
            reader._started = True
            self._readers.append(reader)

    def stop(self):
        """Asks :meth:`run` to return after the entry it is handling; entries waiting for a retry stay pending, to be reclaimed."""
        self._stop.set()

    def close(self):
        """Leaves the group (of every partition) when nothing is pending to this consumer there (else the name stays, for its entries to be reclaimed)."""
        for reader in self._readers:
            try:
                self.store.leave(reader.keys, self.name)
            except TransportError:
                pass

    def run(self, stop=None):
        """Reads and handles until :meth:`stop` is called (or ``stop``, a
        ``threading.Event``, is set); failed reads are retried."""
        stop = stop or self._stop
        failures = 0
        while not stop.is_set() and not self._stop.is_set():
            try:
                self.step()
                failures = 0
            except TransportError as error:
                failures += 1
                self._recover(error, failures)
        self.close()

    def drain(self, timeout=60.0):
        """Handles until the queue's group has nothing left to read, nothing
        pending and no retry waiting, in every partition (for scripts and
        tests; a service runs). Raises TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.step(block_ms=min(self.options.block_ms, 50))
            if self._drained():
                # (and no partition was added that this consumer does not read yet)
                readers = len(self._readers)
                self._follow()
                if len(self._readers) == readers:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the queue {self.keys.stream} was not drained within {timeout} s")

    def _drained(self):
        for reader in self._readers:
            if reader._waiting:
                return False
            info = self.store.info(reader.keys)
            if info["pending"] != 0 or (info["lag"] or 0) != 0:
                return False
        return True

    def step(self, block_ms=None):
        """One turn: retries that are due, a reclaim pass when it is time,
        and one read of new entries (of every partition); every
        ``claim_interval_ms``, a look for partitions added to the queue."""
        self.start()
        now = time.monotonic()
        if now - self._last_follow >= self.options.claim_interval_ms / 1000:
            self._last_follow = now
            self._follow()
        for reader in self._readers:
            reader._chores(now)
        block = self.options.block_ms if block_ms is None else block_ms
        due = [r._retries[0][0] for r in self._readers if r._retries]
        if due:
            block = min(block, max(1, (min(due) - time.monotonic()) * 1000))
        readers = {r.keys.stream: r for r in self._readers}
        for keys, entries in self.store.read_new_many([r.keys for r in self._readers], self.name, self.options.batch_size, block):
            reader = readers[keys.stream]
            for entry_id, fields in entries:
                reader._handle(entry_id, fields, 1)

    def _chores(self, now):
        # this partition's retries that are due, keeping its waiting entries, and a reclaim pass when it is time
        while self._retries and self._retries[0][0] <= now:
            _, entry_id = heapq.heappop(self._retries)
            self._waiting.discard(entry_id)
            self._retry(entry_id)
        if now - self._last_touch > self.options.claim_idle_ms / 3000:
            self._last_touch = now
            self.store.touch(self.keys, self.name, sorted(self._waiting))
        if now - self._last_claim >= self.options.claim_interval_ms / 1000:
            self._last_claim = now
            self._reclaim()

    def _recover(self, error, failures):
        if "NOGROUP" in str(error):
            self.store.forget()
            try:
                for reader in self._readers:
                    if self.store.ensure_queue(reader.keys, reset=True):
                        log.warning("consumer %s on %s: the consumer group of %s was gone; it was made again at the start of the stream", self.name, self.queue, reader.keys.stream)
                return
            except TransportError:
                pass
        if failures == 1 or failures % 20 == 0:
            log.warning("consumer %s on %s: %s; retrying (failure %d in a row)", self.name, self.queue, error, failures)
        self._stop.wait(min(0.05 * 2 ** min(failures, 5), 1.0))

    def _reclaim(self):
        cursor = "0-0"
        while True:
            cursor, entries, deleted = self.store.claim_idle(self.keys, self.name, self.options.claim_idle_ms, cursor, self.options.batch_size)
            self.stats.trimmed += len(deleted)
            for entry_id, fields, deliveries in entries:
                if entry_id in self._waiting:
                    continue
                self.stats.reclaimed += 1
                self._handle(entry_id, fields, deliveries)
            if cursor == "0-0":
                return

    def _retry(self, entry_id):
        status, claimed = self.store.claim_one(self.keys, self.name, entry_id)
        if status == "claimed":
            self._handle(*claimed)
        elif status == "deleted":
            self.stats.trimmed += 1

    def _handle(self, entry_id, fields, deliveries):
        self.stats.delivered += 1
        decoded = decode_entry(self.registry, fields)
        if is_expired(decoded.metadata):
            ttl = decoded.metadata.ttl
            reason = reason_of(DeadLetterKind.expired, f"the message's TTL of {_js(ttl)} s ran out before it was handled")
            self._skip(entry_id, fields, self.options.expired, reason, "expired")
            return
        if decoded.problem is not None:
            if decoded.problem.kind == "unknown-type":
                self._skip(entry_id, fields, self.options.unknown_type, reason_of(DeadLetterKind.unknown_type, decoded.problem.message), "skipped")
            else:
                self._dead_letter(entry_id, fields, reason_of(DeadLetterKind.undecodable, decoded.problem.message))
            return
        event = decoded.event
        handler = self.handlers.get(event.event_type) or self.handlers.get("*")
        if handler is None:
            reason = reason_of(DeadLetterKind.no_handler, f"consumer {self.name} has no handler for {event.event_type}")
            self._skip(entry_id, fields, self.options.unhandled_type, reason, "skipped")
            return
        delivery = Delivery(self.queue, entry_id, deliveries, self.options.retry.max_attempts, decoded.metadata.id if decoded.metadata else None, self.partition)
        try:
            handler(event, delivery)
        except Exception as error:  # a handler's failure, whatever it is, is the entry's
            self._failed(entry_id, fields, deliveries, error)
            return
        self.stats.handled += self.store.ack(self.keys, [entry_id])

    def _failed(self, entry_id, fields, deliveries, error):
        max_attempts = self.options.retry.max_attempts
        if isinstance(error, PermanentError):
            self._dead_letter(entry_id, fields, DeadLetterReason(DeadLetterKind.permanent_failure, deliveries, max_attempts, _describe(error)))
            return
        if deliveries >= max_attempts:
            self._dead_letter(entry_id, fields, DeadLetterReason(DeadLetterKind.handler_failed, deliveries, max_attempts, _describe(error)))
            return
        delay = self.options.retry.delay_ms(deliveries)
        self.stats.retried += 1
        log.debug("handler failed (attempt %d of %d); retrying %s in %s ms", deliveries, max_attempts, entry_id, delay)
        heapq.heappush(self._retries, (time.monotonic() + delay / 1000, entry_id))
        self._waiting.add(entry_id)

    def _skip(self, entry_id, fields, policy, reason, counter):
        if policy == "dead-letter":
            if self._move(entry_id, fields, reason):
                if counter == "expired":
                    self.stats.expired += 1
                else:
                    self.stats.dead_lettered += 1
            return
        if self.store.ack(self.keys, [entry_id]) > 0:
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)

    def _dead_letter(self, entry_id, fields, reason):
        if self._move(entry_id, fields, reason):
            self.stats.dead_lettered += 1

    def _move(self, entry_id, fields, why):
        now = time.time()
        reason = format_reason(why)
        new_fields = moved_fields(fields, EntryField.failures, {"timestamp": now, "reason": reason}, now)
        moved = self.store.dead_letter(self.keys, self.name, entry_id, new_fields, self.transport.max_length, self.transport.trim)
        if moved is None:
            return False
        log.info("moved entry %s of %s to the DLQ as %s: %s", entry_id, self.queue, moved, reason)
        return True


def _js(number):
    # a TTL as the TypeScript side prints a number in its reasons
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)
