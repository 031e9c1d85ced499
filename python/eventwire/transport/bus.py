"""The event bus, in the Python event system's layout and the TypeScript
side's (src/transport/bus.ts, router.ts): every event is published to the
shared queue ``all``; each subscribing service reads its own queue
``sub:<service>``; the subscriptions live in Redis (the hash
``<prefix>subscriptions``), and a router copies each event of ``all`` to every
subscribed queue in one atomic step with its acknowledgement (the route
script). Any number of routers — TypeScript or Python, in any processes —
share the work, and fan-out is the same whichever routes an event. When the
shared queue has partitions (set by either side's bus), a router routes
every partition it has had, and those added while it runs."""

import logging
import threading
import time

from ..errors import TransportError
from .consumer import default_consumer_name
from .entry import entry_routing, moved_fields
from .keys import BUS_QUEUE, EntryField, queue_keys, subscription_queue
from .metadata import expires_at
from .partitions import check_partition_count
from .reasons import DeadLetterKind, format_reason, reason_of

__all__ = ["EventBus", "Router", "Subscription"]

log = logging.getLogger("eventwire")


class Router:
    """Routes the bus's shared queue (every partition of it) to the
    subscription queues, as one consumer (``consumer``, default
    ``<hostname>-<pid>-<random>``) of its group."""

    def __init__(self, transport, consumer=None, batch_size=100, claim_idle_ms=30_000, claim_interval_ms=5_000):
        self.transport = transport
        self.store = transport.store
        self.keys = transport.keys(BUS_QUEUE)
        self.consumer = consumer or default_consumer_name()
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.claim_interval_ms = claim_interval_ms
        self.stats = {"routed": 0, "copies": 0, "unrouted": 0, "parked": 0, "dead_lettered": 0, "resets": 0}
        self._last_claim = 0.0
        self._started = False
        self.partitions = [self.keys]
        """The keys of the shared queue's partitions this router routes, partition 0 first."""

    def _follow(self):
        # the partitions the shared queue has had that this router does not route yet
        try:
            highest = self.store.partitions(self.keys).highest
        except TransportError as error:
            log.debug("router %s: could not read the partitions of %s: %s", self.consumer, self.keys.stream, error)
            return
        for p in range(len(self.partitions), highest):
            keys = queue_keys(self.keys.prefix, BUS_QUEUE, p)
            self.store.ensure_queue(keys)
            self.partitions.append(keys)

    def step(self, block_ms=1000):
        """One turn: a reclaim pass (and a look for new partitions) when it is
        time, then one read of new entries of every partition, routed."""
        if not self._started:
            for keys in self.partitions:
                self.store.ensure_queue(keys)
            self._started = True
        now = time.monotonic()
        if now - self._last_claim >= self.claim_interval_ms / 1000:
            self._last_claim = now
            self._follow()
            for keys in self.partitions:
                cursor = "0-0"
                while True:
                    cursor, entries, _deleted = self.store.claim_idle(keys, self.consumer, self.claim_idle_ms, cursor, self.batch_size)
                    self._route(keys, [(i, f) for i, f, _ in entries])
                    if cursor == "0-0":
                        break
        for keys, entries in self.store.read_new_many(self.partitions, self.consumer, self.batch_size, block_ms):
            self._route(keys, entries)

    def _route(self, keys, entries):
        if not entries:
            return
        batch = []
        for entry_id, fields in entries:
            routing = entry_routing(fields)
            if isinstance(routing, str):
                now = time.time()
                reason = format_reason(reason_of(DeadLetterKind.undecodable, routing))
                moved = moved_fields(fields, EntryField.failures, {"timestamp": now, "reason": reason}, now)
                if self.store.dead_letter(keys, self.consumer, entry_id, moved, self.transport.max_length, self.transport.trim):
                    self.stats["dead_lettered"] += 1
                continue
            event_type, meta = routing
            flat = []
            for name, value in fields.items():
                flat += [name, value]
            batch.append((entry_id, event_type, expires_at(meta), flat))
        results, revived = self.store.route(keys, self.consumer, batch, self.transport.max_length, self.transport.trim)
        for result in results:
            if result == -1:
                continue
            copies, parked = result
            self.stats["parked"] += parked
            if copies > 0:
                self.stats["routed"] += 1
                self.stats["copies"] += copies
            elif parked == 0:
                self.stats["unrouted"] += 1
        for stream in revived:
            self.stats["resets"] += 1
            self.store.ensure_queue(queue_keys(self.keys.prefix, stream[len(self.keys.prefix) :]))

    def close(self):
        """Leaves the shared queue's group (of every partition) when nothing is pending to this router there."""
        for keys in self.partitions:
            try:
                self.store.leave(keys, self.consumer)
            except TransportError:
                pass


class Subscription:
    """A service's subscription: its name, queue, event types and the consumer reading its queue."""

    def __init__(self, bus, service, event_types, consumer):
        self._bus = bus
        self.service = service
        self.queue = subscription_queue(service)
        self.event_types = event_types
        self.consumer = consumer

    def unsubscribe(self):
        """Removes the subscription from Redis (events are no longer copied to its queue)."""
        self._bus.transport.store.set_subscription(self._bus.transport.prefix, self.service, None)
        self._bus.subscriptions.remove(self)
        self.consumer.close()


class EventBus:
    """The event bus on a transport (whose prefix is, by convention, ``events:``).

    ``route`` (default True): whether :meth:`run` also routes the shared
    queue; any number of processes may. ``watch_interval_ms`` (5,000): how
    often :meth:`step` looks for this bus's subscriptions in Redis, and
    records again any that is gone (Redis restarted empty, a flush), its
    queue made first. ``partitions`` (None): when given, the shared queue's
    partition count, set as the bus starts (as the TypeScript bus's
    ``partitions`` option does); publishes spread over them by event id.
    """

    def __init__(self, transport, route=True, router_consumer=None, watch_interval_ms=5_000, partitions=None):
        if partitions is not None:
            check_partition_count(partitions)
        self.partitions = partitions
        self.transport = transport
        self.subscriptions = []
        self.router = Router(transport, consumer=router_consumer) if route else None
        self.watch_interval_ms = watch_interval_ms
        self._last_watch = time.monotonic()
        self._stop = threading.Event()
        self._started = False

    def start(self):
        """Makes the shared queue when missing."""
        if not self._started:
            self.transport.store.ensure_queue(self.transport.keys(BUS_QUEUE))
            if self.partitions is not None and self.transport.partitions(BUS_QUEUE, fresh=True).count != self.partitions:
                self.transport.set_partitions(BUS_QUEUE, self.partitions)
            self._started = True

    def publish(self, event, format=None, ttl_seconds=None):  # noqa: A002
        """Publishes an event to the shared queue."""
        self.start()
        return self.transport.publish(BUS_QUEUE, event, format=format, ttl_seconds=ttl_seconds)

    def subscribe(self, service, handlers, event_types=None, **options):
        """Subscribes ``service`` to the event types it has handlers for (every
        type with a ``"*"`` handler, or those ``event_types`` names): its queue
        and consumer group are made first, then the subscription is recorded
        in Redis, so no routed event can miss it. ``options``: the consumer's."""
        if not service:
            raise TransportError("invalid-option", "a service name must not be empty")
        self.start()
        if event_types is None:
            event_types = ["*"] if "*" in handlers else [name for name in handlers if name != "*"]
        elif event_types == "*":
            event_types = ["*"]
        event_types = list(event_types)
        if not event_types:
            raise TransportError("invalid-option", f"service {service} subscribes to no event type")
        queue = subscription_queue(service)
        consumer = self.transport.consumer(queue, handlers, **options)
        consumer.start()
        self.transport.store.set_subscription(self.transport.prefix, service, event_types)
        subscription = Subscription(self, service, event_types, consumer)
        self.subscriptions.append(subscription)
        return subscription

    def _restore_subscriptions(self):
        store, prefix = self.transport.store, self.transport.prefix
        recorded = store.subscriptions(prefix)
        for s in self.subscriptions:
            if s.service in recorded:
                continue
            store.ensure_queue(s.consumer.keys, reset=True)
            store.set_subscription(prefix, s.service, s.event_types)
            log.warning("the subscription of %s was gone from %ssubscriptions; it was recorded again", s.service, prefix)

    def step(self, block_ms=100):
        """One turn of the router (when routing) and of every subscription's
        consumer; every ``watch_interval_ms``, a look for lost subscriptions."""
        self.start()
        now = time.monotonic()
        if self.subscriptions and now - self._last_watch >= self.watch_interval_ms / 1000:
            self._last_watch = now
            self._restore_subscriptions()
        waits = 1 + len(self.subscriptions)
        if self.router is not None:
            self.router.step(block_ms=max(1, block_ms // waits))
        for subscription in list(self.subscriptions):
            subscription.consumer.step(block_ms=max(1, block_ms // waits))

    def run(self, stop=None, block_ms=100):
        """Routes and consumes until :meth:`stop` is called (or ``stop``, a ``threading.Event``, is set)."""
        failures = 0
        while not self._stop.is_set() and not (stop is not None and stop.is_set()):
            try:
                self.step(block_ms)
                failures = 0
            except TransportError as error:
                failures += 1
                if "NOGROUP" in str(error):
                    self.transport.store.forget()
                    self._started = False
                    if self.router is not None:
                        self.router._started = False
                    for s in self.subscriptions:
                        s.consumer._started = False
                        self.transport.store.ensure_queue(s.consumer.keys, reset=True)
                elif failures == 1 or failures % 20 == 0:
                    log.warning("event bus: %s; retrying (failure %d in a row)", error, failures)
                self._stop.wait(min(0.05 * 2 ** min(failures, 5), 1.0))
        self.close()

    def stop(self):
        """Asks :meth:`run` to return after the turn under way."""
        self._stop.set()

    def close(self):
        """Lets go of the groups (subscriptions stay in Redis)."""
        if self.router is not None:
            self.router.close()
        for s in self.subscriptions:
            s.consumer.close()
