"""Partitioned queues on a real Redis: the partition of a key as TypeScript
computes it (the shared vectors, test/python/partitions.json), the keys of
the partitions, the count as recorded in the metadata hash, publishing by
key in order within a partition, consumers draining every partition and
noticing new ones, dead letters over all partitions, and changes of the
count that lose nothing."""

import collections
import json
import pathlib

import pytest

from eventwire import PermanentError
from eventwire.transport import TransportError, connect, partition_count, partition_of, queue_keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "test" / "python" / "partitions.json").read_text(encoding="utf-8"))


def order(registry, order_id, user_id="u-1"):
    return registry.create("OrderCreatedEvent", {"order_id": order_id, "user_id": user_id, "total": 10.0})


@pytest.fixture
def other(redis_url, shop_registry, prefix):
    """A second transport on the same prefix: another process's."""
    t = connect(shop_registry, url=redis_url, prefix=prefix)
    yield t
    t.close()


def test_partition_of_is_typescripts_on_the_shared_vectors():
    counts = VECTORS["counts"]
    assert len(VECTORS["partitions"]) >= 40 and 1024 in counts
    for key, expected in VECTORS["partitions"].items():
        assert [partition_of(key, count) for count in counts] == expected, key
        if "\ud800" not in key and "\udc00" not in key:
            assert [partition_of(key.encode("utf-8"), count) for count in counts] == expected, key
    # FNV-1a's published values: of "" its offset basis, of "a" 0xe40c292c
    assert partition_of("", 1024) == 0x811C9DC5 % 1024 and partition_of("a", 1000) == 0xE40C292C % 1000


def test_the_count_is_read_from_the_metadata_fields_as_typescript_reads_it():
    assert len(VECTORS["partition_count"]) >= 20
    for case in VECTORS["partition_count"]:
        fields = case["partitions"], case["partitions_highest"]
        expected = (case["count"], case["highest"])
        assert tuple(partition_count(*fields)) == expected, fields
        as_bytes = [None if f is None else f.encode("utf-8") for f in fields]
        assert tuple(partition_count(*as_bytes)) == expected, fields


def test_the_keys_of_a_partition_are_the_queue_pair_named_with_its_number():
    zero = queue_keys("mq:", "orders")
    assert (zero.partition, zero.stream, zero.dlq, zero.stream_metadata) == (0, "mq:orders", "mq:orders:dlq", "mq:orders:metadata")
    three = queue_keys("mq:", "orders", 3)
    assert three == queue_keys("mq:", "orders", partition=3)
    assert (three.name, three.partition, three.stream, three.dlq) == ("orders", 3, "mq:orders#3", "mq:orders#3:dlq")
    assert (three.stream_expiry, three.dlq_expiry) == ("mq:orders#3:expiry", "mq:orders#3:dlq:expiry")
    assert (three.stream_metadata, three.dlq_metadata) == ("mq:orders#3:metadata", "mq:orders#3:dlq:metadata")
    assert (three.group, three.dlq_group, three.registry) == ("orders-group", "orders-group-dlq", "mq:registry")
    for bad in (lambda: queue_keys("mq:", "orders#2"), lambda: queue_keys("mq:", "orders", 1024), lambda: queue_keys("mq:", "orders", -1),
                lambda: queue_keys("mq:", "eventwire:schemas")):
        with pytest.raises(TransportError) as error:
            bad()
        assert error.value.code == "invalid-option"
    assert queue_keys("mq:", "a#b").stream == "mq:a#b"  # only "#" and a number names a partition


def test_set_partitions_makes_the_queue_pairs_then_records_the_count(transport, prefix):
    r = transport.client
    assert tuple(transport.partitions("orders")) == (1, 1)
    assert tuple(transport.set_partitions("orders", 4)) == (4, 4)
    assert r.hmget(prefix + "orders:metadata", "partitions", "partitions_highest") == [b"4", b"4"]
    for p in (1, 2, 3):
        assert r.sismember(prefix + "registry", f"{prefix}orders#{p}") and r.sismember(prefix + "registry", f"{prefix}orders#{p}:dlq")
        assert [g["name"] for g in r.xinfo_groups(f"{prefix}orders#{p}")] == [b"orders-group"]
        assert r.hget(f"{prefix}orders#{p}:dlq:metadata", "main_queue") == f"{prefix}orders#{p}".encode()
    assert not r.exists(prefix + "orders#4")
    # lowering the count keeps the most the queue has had, which consumers read
    assert tuple(transport.set_partitions("orders", 2)) == (2, 4)
    assert tuple(transport.partitions("orders", fresh=True)) == (2, 4)
    assert [k.stream for k in transport.partition_keys("orders")] == [prefix + "orders", *(f"{prefix}orders#{p}" for p in (1, 2, 3))]
    for bad in (0, 1025, 2.0, True):
        with pytest.raises(TransportError) as error:
            transport.set_partitions("orders", bad)
        assert error.value.code == "invalid-option"
    # a count the hash holds unreadably is one partition
    r.hset(prefix + "odd:metadata", mapping={"partitions": "many", "partitions_highest": "3"})
    assert tuple(transport.partitions("odd")) == (1, 3)


def test_publish_by_key_keeps_each_keys_events_in_one_partition_in_order(transport, shop_registry, prefix):
    transport.set_partitions("orders", 4)
    keys = [f"customer-{i}" for i in range(8)]
    published = collections.defaultdict(list)
    for n in range(5):
        for key in keys:
            event = order(shop_registry, f"{key}/{n}")
            p = transport.publish("orders", event, partition_key=key, format="binary" if n % 2 else "json")
            assert p.partition == partition_of(key, 4)
            published[key].append((p.partition, p.stream_id, event.event_id))
    assert len({partition_of(k, 4) for k in keys}) > 1, "the keys spread over the partitions"
    # each partition's stream holds its keys' events in the order published
    for key, items in published.items():
        stream = prefix + "orders" + ("" if items[0][0] == 0 else f"#{items[0][0]}")
        ids = [i for i, _ in transport.store.range(stream, count=1000)]
        assert [s for _, s, _ in items] == [i for i in ids if i in {s for _, s, _ in items}]
        assert [s for _, s, _ in items] == sorted((s for _, s, _ in items), key=lambda s: tuple(map(int, s.split("-"))))
    seen = collections.defaultdict(list)
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen[e.payload.order_id.split("/")[0]].append((d.partition, e.event_id))}, batch_size=3)
    consumer.drain(timeout=20)
    assert consumer.partition_count == 4
    for key, items in published.items():
        assert seen[key] == [(p, e) for p, _, e in items], key
    info = transport.info("orders")
    assert (info["length"], info["pending"], info["lag"], len(info["partitions"])) == (40, 0, 0, 4)
    assert sum(i["length"] for i in info["partitions"]) == 40 and all(i["length"] > 0 for i in info["partitions"])


def test_the_partition_key_defaults_to_the_event_id_or_the_transports_function(redis_url, shop_registry, prefix, transport):
    transport.set_partitions("orders", 7)
    for i in range(10):
        event = order(shop_registry, f"o-{i}")
        assert transport.publish("orders", event).partition == partition_of(event.event_id, 7)
    by_user = connect(shop_registry, url=redis_url, prefix=prefix, partition_key=lambda event, queue: f"{queue}:{event.payload.user_id}")
    try:
        for user in ("ann", "bob", "cyd", "dee"):
            p = by_user.publish("orders", order(shop_registry, "o", user))
            assert p.partition == partition_of(f"orders:{user}", 7)
            # the publish's own key comes first
            assert by_user.publish("orders", order(shop_registry, "o", user), partition_key=user).partition == partition_of(user, 7)
        no_key = connect(shop_registry, url=redis_url, prefix=prefix, partition_key=lambda event, queue: None)
        event = order(shop_registry, "o")
        assert no_key.publish("orders", event).partition == partition_of(event.event_id, 7)
        no_key.close()
        many = by_user.publish_many([("orders", order(shop_registry, "m1", "ann")), ("orders", order(shop_registry, "m2", "bob"), "k")])
        assert [p.partition for p in many] == [partition_of("orders:ann", 7), partition_of("k", 7)]
        with pytest.raises(TransportError):
            connect(shop_registry, url=redis_url, prefix=prefix, partition_key="user_id")
    finally:
        by_user.close()


def test_the_count_is_cached_for_the_refresh_interval(redis_url, shop_registry, prefix, other):
    slow = connect(shop_registry, url=redis_url, prefix=prefix, partition_refresh_ms=60_000)
    quick = connect(shop_registry, url=redis_url, prefix=prefix, partition_refresh_ms=0)
    try:
        assert slow.publish("orders", order(shop_registry, "before")).partition == 0
        other.set_partitions("orders", 4)
        key = next(k for k in (f"k{i}" for i in range(100)) if partition_of(k, 4) != 0)
        assert slow.publish("orders", order(shop_registry, "cached"), partition_key=key).partition == 0
        assert quick.publish("orders", order(shop_registry, "fresh"), partition_key=key).partition == partition_of(key, 4)
        assert slow.partitions("orders", fresh=True).count == 4
        assert slow.publish("orders", order(shop_registry, "after"), partition_key=key).partition == partition_of(key, 4)
        assert slow.partition_refresh_ms == 60_000 and connect(shop_registry, url=redis_url, prefix=prefix).partition_refresh_ms == 5_000
    finally:
        slow.close()
        quick.close()


def test_a_running_consumer_notices_partitions_added_meanwhile(transport, shop_registry, other):
    seen = []
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen.append((e.payload.order_id, d.partition))}, claim_interval_ms=50)
    consumer.step(block_ms=10)
    assert consumer.partition_count == 1
    other.set_partitions("orders", 5)
    sent = {}
    for i in range(25):
        p = other.publish("orders", order(shop_registry, f"o-{i}"), partition_key=f"k-{i}")
        sent[f"o-{i}"] = p.partition
    assert len(set(sent.values())) > 2
    consumer.drain(timeout=20)
    assert consumer.partition_count == 5
    assert sorted(seen) == sorted(sent.items())
    assert consumer.stats.handled == 25


def test_changes_of_the_count_lose_nothing(transport, shop_registry, other, prefix):
    seen = collections.Counter()
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen.update([e.payload.order_id])}, claim_interval_ms=50, batch_size=4)
    sent = []
    for round_, count in enumerate((4, 2, 8, 1, 3)):
        other.set_partitions("orders", count)
        for i in range(20):
            oid = f"r{round_}-{i}"
            p = other.publish("orders", order(shop_registry, oid), partition_key=oid, format="binary" if i % 3 == 0 else "json")
            assert p.partition < count
            sent.append(oid)
        consumer.step(block_ms=5)  # handles some while the count changes
    consumer.drain(timeout=30)
    assert consumer.partition_count == 8
    assert seen == collections.Counter(sent), "every event handled exactly once"
    assert consumer.stats.handled == 100
    info = transport.info("orders")
    assert (info["length"], info["pending"], info["lag"], info["dlq_length"]) == (100, 0, 0, 0)
    assert tuple(other.partitions("orders", fresh=True)) == (3, 8)
    assert len(info["partitions"]) == 8 and sum(1 for i in info["partitions"] if i["length"] > 0) == 8


def test_retries_and_dead_letters_per_partition(transport, shop_registry, prefix):
    transport.set_partitions("orders", 3)
    by_partition = {}
    for i in range(60):
        by_partition.setdefault(partition_of(f"k{i}", 3), f"k{i}")
        if len(by_partition) == 3:
            break
    attempts = collections.Counter()

    def handler(event, delivery):
        attempts[event.payload.order_id] += 1
        assert delivery.partition == partition_of(event.payload.user_id, 3)
        if event.payload.order_id.startswith("bad"):
            raise PermanentError("never")
        if event.payload.order_id.startswith("flaky") and delivery.deliveries < 2:
            raise RuntimeError("once")

    published = {}
    for p, key in sorted(by_partition.items()):
        for kind in ("bad", "flaky", "good"):
            oid = f"{kind}-{p}"
            published[oid] = transport.publish("orders", order(shop_registry, oid, key), partition_key=key)
            assert published[oid].partition == p
    consumer = transport.consumer("orders", {"OrderCreatedEvent": handler}, retry={"max_attempts": 3, "initial_delay_ms": 5})
    consumer.drain(timeout=20)
    assert {k: v for k, v in attempts.items()} == {f"{kind}-{p}": n for p in range(3) for kind, n in (("bad", 1), ("flaky", 2), ("good", 1))}
    assert (consumer.stats.handled, consumer.stats.retried, consumer.stats.dead_lettered) == (6, 3, 3)
    dlq = transport.dead_letters("orders")
    letters = dlq.list()
    assert dlq.count() == 3 and len(letters) == 3
    assert sorted(d.partition for d in letters) == [0, 1, 2]
    for letter in letters:
        entry_id = letter.id.split("/")[-1]
        assert letter.id == (entry_id if letter.partition == 0 else f"{letter.partition}/{entry_id}")
        assert letter.event.payload.order_id == f"bad-{letter.partition}" and letter.reason.startswith("permanent-failure")
        stream = prefix + "orders" + ("" if letter.partition == 0 else f"#{letter.partition}")
        assert [i for i, _ in transport.store.range(stream + ":dlq")] == [entry_id]
    assert [d.id.split("/")[-1] for d in letters] == sorted((d.id.split("/")[-1] for d in letters), key=lambda s: tuple(map(int, s.split("-"))))
    # requeued by id, each to its own partition's queue
    two = next(d for d in letters if d.partition == 2)
    assert dlq.requeue([two.id, "9/1-0", "not-an-id", "x/1-0"]) == 1
    assert transport.client.xlen(prefix + "orders#2:dlq") == 0 and transport.client.xlen(prefix + "orders#2") == 4
    assert dlq.requeue("all") == 2
    assert dlq.count() == 0 and transport.info("orders")["dlq_length"] == 0


def test_the_bus_routes_every_partition_of_its_shared_queue(redis_url, shop_registry, prefix):
    from eventwire.transport import EventBus

    t = connect(shop_registry, url=redis_url, prefix=prefix + "events:")
    late = connect(shop_registry, url=redis_url, prefix=prefix + "events:")
    try:
        bus = EventBus(t, partitions=3, router_consumer="router-a")
        seen = []
        bus.subscribe("audit", {"*": lambda e, d: seen.append(e.payload.order_id)}, claim_interval_ms=50)
        assert tuple(t.partitions("all", fresh=True)) == (3, 3)
        sent = [bus.publish(order(shop_registry, f"o-{i}")) for i in range(15)]
        assert {p.partition for p in sent} == {0, 1, 2}
        bus.router.claim_interval_ms = 50
        # partitions added while the router runs are routed too
        late.set_partitions("all", 5)
        more = [late.publish("all", order(shop_registry, f"late-{i}"), partition_key=f"k{i}") for i in range(10)]
        assert {p.partition for p in more} - {0, 1, 2}, "some go to the new partitions"
        for _ in range(400):
            if len(seen) == 25:
                break
            bus.step(block_ms=10)
        assert sorted(seen) == sorted([f"o-{i}" for i in range(15)] + [f"late-{i}" for i in range(10)])
        assert len(bus.router.partitions) == 5 and bus.router.stats["copies"] == 25
        assert all(i["pending"] == 0 and i["lag"] == 0 for i in t.info("all")["partitions"])
        bus.close()
        with pytest.raises(TransportError):
            EventBus(t, partitions=0)
    finally:
        for key in t.client.scan_iter(match=prefix + "*"):
            t.client.delete(key)
        t.close()
        late.close()
