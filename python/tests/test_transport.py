"""The transport on a real Redis: publishing in both entry formats,
consuming with acknowledgement after the handler, retries counted by Redis,
atomic moves to the DLQ with their reasons, requeues, reclaim from a
consumer that died, TTL, and the event bus with Python routers."""

import json
import time

import pytest

from eventwire import PermanentError
from eventwire.transport import EventBus, TransportError, connect, parse_reason
from eventwire.transport.entry import decode_entry
from eventwire.transport.scripts import LUA_DIR, SCRIPTS


def order(registry, order_id="o-1", total=20.0):
    return registry.create(
        "OrderCreatedEvent",
        {"order_id": order_id, "user_id": "u-1", "total": total, "items": [{"product_id": "p", "name": "Mug ☕", "price": total, "quantity": 1}]},
        headers={"correlation-id": order_id},
    )


def test_publish_writes_the_layout_in_both_formats(transport, shop_registry, prefix):
    event = order(shop_registry)
    json_entry = transport.publish("orders", event)
    binary_entry = transport.publish("orders", event, format="binary", ttl_seconds=60)
    r = transport.client
    assert r.smembers(prefix + "registry") == {f"{prefix}orders".encode(), f"{prefix}orders:dlq".encode()}
    assert r.hget(prefix + "orders:metadata", "consumer_group") == b"orders-group"
    assert r.hget(prefix + "orders:dlq:metadata", "is_dlq") == b"true"
    (first_id, first), (second_id, second) = transport.store.range(prefix + "orders")
    assert (first_id, second_id) == (json_entry.stream_id, binary_entry.stream_id)
    assert list(first) == [b"data"]
    data = json.loads(first[b"data"])
    assert data["order_id"] == "o-1" and data["_metadata"]["id"] == json_entry.message_id and data["_metadata"]["ttl"] is None
    assert first[b"data"].decode().startswith('{"event_id": "') and '"total": 20.0' in first[b"data"].decode()
    assert list(second) == [b"event_type", b"envelope", b"_metadata"]
    assert shop_registry.from_binary(second[b"envelope"]) == event
    assert json.loads(second[b"_metadata"])["ttl"] == 60
    # the TTL's expiry time is in the stream's expiry set
    (member, score), = r.zrange(prefix + "orders:expiry", 0, -1, withscores=True)
    assert member.decode() == binary_entry.stream_id and abs(score - (json.loads(second[b"_metadata"])["timestamp"] + 60)) < 1e-3


def test_consume_acknowledges_after_the_handler_in_both_formats(transport, shop_registry):
    transport.publish("orders", order(shop_registry, "o-json"))
    transport.publish("orders", order(shop_registry, "o-bin"), format="binary")
    seen = []
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda event, delivery: seen.append((event.payload.order_id, delivery.deliveries))})
    consumer.drain(timeout=10)
    assert seen == [("o-json", 1), ("o-bin", 1)]
    assert consumer.stats.handled == 2
    info = transport.info("orders")
    assert (info["length"], info["pending"], info["dlq_length"]) == (2, 0, 0)


def test_a_failing_handler_is_retried_with_deliveries_counted_by_redis(transport, shop_registry, prefix):
    transport.publish("orders", order(shop_registry))
    deliveries = []

    def flaky(event, delivery):
        deliveries.append(delivery.deliveries)
        pending = transport.client.xpending_range(prefix + "orders", "orders-group", "-", "+", 1)
        assert pending[0]["times_delivered"] == delivery.deliveries  # Redis's own counter
        if delivery.deliveries < 3:
            raise RuntimeError("ledger offline")

    consumer = transport.consumer("orders", {"OrderCreatedEvent": flaky}, retry={"max_attempts": 3, "initial_delay_ms": 5})
    consumer.drain(timeout=10)
    assert deliveries == [1, 2, 3]
    assert (consumer.stats.retried, consumer.stats.handled, consumer.stats.dead_lettered) == (2, 1, 0)
    assert transport.info("orders")["dlq_length"] == 0


def test_after_the_last_attempt_the_entry_moves_to_the_dlq_with_its_reason(transport, shop_registry, prefix):
    published = transport.publish("orders", order(shop_registry), format="binary")
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: (_ for _ in ()).throw(RuntimeError("ledger offline"))},
                                  retry={"max_attempts": 2, "initial_delay_ms": 5})
    consumer.drain(timeout=10)
    info = transport.info("orders")
    assert (info["pending"], info["dlq_length"]) == (0, 1)
    letter, = transport.dead_letters("orders").list()
    assert letter.reason == "handler-failed (attempt 2 of 2): RuntimeError: ledger offline"
    reason = parse_reason(letter.reason)
    assert (reason.kind, reason.attempt, reason.max_attempts) == ("handler-failed", 2, 2)
    assert letter.event.payload.order_id == "o-1"
    # the moved entry keeps its message id; its expiry entry went with its acknowledgement
    (_, fields), = transport.store.range(prefix + "orders:dlq")
    assert json.loads(fields[b"_metadata"])["id"] == published.message_id
    assert transport.client.zcard(prefix + "orders:expiry") == 0


def test_a_permanent_error_goes_to_the_dlq_at_once_and_a_requeue_brings_it_back(transport, shop_registry):
    transport.publish("orders", order(shop_registry))
    failing = [True]

    def handler(event, delivery):
        if failing[0]:
            raise PermanentError("no such customer")

    consumer = transport.consumer("orders", {"OrderCreatedEvent": handler})
    consumer.drain(timeout=10)
    letter, = transport.dead_letters("orders").list()
    assert letter.reason == "permanent-failure (attempt 1 of 3): PermanentError: no such customer"
    failing[0] = False
    assert transport.dead_letters("orders").requeue("all") == 1
    consumer.drain(timeout=10)
    assert consumer.stats.handled == 1
    info = transport.info("orders")
    assert (info["length"], info["pending"], info["dlq_length"]) == (2, 0, 0)
    last = transport.store.range(transport.keys("orders").stream)[-1][1]
    data = json.loads(last[b"data"])
    assert [f["reason"] for f in data["_failures"]] == [letter.reason]
    assert data["_requeues"][0]["to_queue"] == transport.keys("orders").stream


def test_undecodable_unknown_and_unhandled_entries(transport, shop_registry, prefix):
    keys = transport.keys("orders")
    transport.store.ensure_queue(keys)
    r = transport.client
    r.xadd(keys.stream, {"data": "not json"})
    r.xadd(keys.stream, {"data": json.dumps({"event_id": "5d1e3c7a-2b4f-4a8e-9c6d-0f1e2d3c4b5a", "timestamp": 1.5, "event_type": "RefundIssuedEvent"})})
    transport.publish("orders", shop_registry.create("OrderShippedEvent", {"order_id": "o-1"}))
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: None})
    consumer.drain(timeout=10)
    reasons = sorted(parse_reason(letter.reason).kind for letter in transport.dead_letters("orders").list())
    assert reasons == ["no-handler", "undecodable", "unknown-event-type"]
    assert consumer.stats.dead_lettered == 3


def test_entries_past_their_ttl_are_not_handled(transport, shop_registry):
    transport.publish("orders", order(shop_registry, "stale"), ttl_seconds=0.01)
    transport.publish("orders", order(shop_registry, "fresh"), ttl_seconds=600)
    time.sleep(0.05)
    seen = []
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen.append(e.payload.order_id)})
    consumer.drain(timeout=10)
    assert seen == ["fresh"] and consumer.stats.expired == 1
    assert transport.info("orders")["dlq_length"] == 0
    transport.publish("orders", order(shop_registry, "stale-too"), ttl_seconds=0.01, format="binary")
    time.sleep(0.05)
    strict = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen.append(e.payload.order_id)}, expired="dead-letter")
    strict.drain(timeout=10)
    letter, = transport.dead_letters("orders").list()
    assert letter.reason.startswith("expired: the message's TTL of 0.01 s ran out")


def test_entries_a_dead_consumer_left_pending_are_reclaimed(transport, shop_registry):
    transport.publish("orders", order(shop_registry, "o-orphan"))
    keys = transport.keys("orders")
    # a consumer that read the entry and died before its handler finished
    transport.store.read_new(keys, "dead-consumer", 10, 10)
    assert transport.info("orders")["pending"] == 1
    seen = []
    consumer = transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: seen.append((e.payload.order_id, d.deliveries))},
                                  claim_idle_ms=20, claim_interval_ms=10)
    time.sleep(0.05)
    consumer.drain(timeout=10)
    assert seen == [("o-orphan", 2)]
    assert consumer.stats.reclaimed == 1


def test_bad_options_are_typed_errors(transport, shop_registry):
    with pytest.raises(TransportError) as error:
        transport.consumer("orders", {"OrderCreatedEvent": print}, batch_size=0)
    assert error.value.code == "invalid-option"
    with pytest.raises(TransportError):
        transport.consumer("orders", {"RefundIssuedEvent": print})
    with pytest.raises(TransportError):
        transport.publish("orders", order(shop_registry), format="xml")
    with pytest.raises(TransportError):
        transport.publish("orders", order(shop_registry), ttl_seconds=0)


def test_a_refusal_by_redis_is_a_typed_error(transport, shop_registry):
    transport.client.set(transport.keys("orders").stream + ":metadata", "not a hash")
    with pytest.raises(TransportError) as error:
        transport.publish("orders", order(shop_registry))
    assert error.value.code == "redis-refused"


def test_the_scripts_redis_runs_are_the_shared_files(transport, shop_registry):
    import hashlib

    transport.publish("orders", order(shop_registry))
    transport.consumer("orders", {"OrderCreatedEvent": lambda e, d: None}).drain(timeout=10)
    for name in ("append", "ack"):
        script = SCRIPTS[name]
        assert script.sha1 == hashlib.sha1(script.lua.encode()).hexdigest()
        assert transport.client.script_exists(script.sha1) == [True], name
    route = SCRIPTS["route"]
    with open(f"{LUA_DIR}/route.lua", encoding="utf-8") as f:
        assert route.lua.endswith(f.read())
    assert route.lua.startswith("-- eventwire library: streams") and route.uses == ["lib/streams"] and route.keys == 4


def test_the_bus_routes_to_every_subscribed_service_with_two_routers(redis_url, shop_registry, prefix):
    bus_prefix = prefix + "events:"
    a = connect(shop_registry, url=redis_url, prefix=bus_prefix)
    b = connect(shop_registry, url=redis_url, prefix=bus_prefix)
    bus_a, bus_b = EventBus(a, router_consumer="router-a"), EventBus(b, router_consumer="router-b")
    got = {"notification-service": [], "payment-service": []}
    bus_a.subscribe("notification-service", {"*": lambda e, d: got["notification-service"].append(e.event_type)})
    bus_b.subscribe("payment-service", {"OrderCreatedEvent": lambda e, d: got["payment-service"].append(e.payload.order_id)})
    assert b.store.subscriptions(bus_prefix) == {"notification-service": ["*"], "payment-service": ["OrderCreatedEvent"]}
    for i in range(10):
        bus_a.publish(order(shop_registry, f"o-{i}"), format="binary" if i % 2 else None)
    bus_b.publish(shop_registry.create("OrderShippedEvent", {"order_id": "o-0"}))
    deadline = time.monotonic() + 10
    while (len(got["notification-service"]) < 11 or len(got["payment-service"]) < 10) and time.monotonic() < deadline:
        bus_a.step(block_ms=20)
        bus_b.step(block_ms=20)
    assert sorted(got["payment-service"]) == sorted(f"o-{i}" for i in range(10))
    assert sorted(got["notification-service"]) == ["OrderCreatedEvent"] * 10 + ["OrderShippedEvent"]
    assert bus_a.router.stats["copies"] + bus_b.router.stats["copies"] == 21
    assert a.info("all")["pending"] == 0
    for s in list(bus_b.subscriptions):
        s.unsubscribe()
    assert "payment-service" not in a.store.subscriptions(bus_prefix)
    for key in a.client.scan_iter(match=bus_prefix + "*"):
        a.client.delete(key)
    a.close()
    b.close()


def test_a_lost_subscription_is_recorded_again(redis_url, shop_registry, prefix):
    t = connect(shop_registry, url=redis_url, prefix=prefix + "events:")
    bus = EventBus(t, watch_interval_ms=10)
    got = []
    bus.subscribe("notification-service", {"*": lambda e, d: got.append(e.payload.order_id)})
    t.client.delete(prefix + "events:subscriptions")
    time.sleep(0.02)
    bus.step(block_ms=10)
    assert t.store.subscriptions(prefix + "events:") == {"notification-service": ["*"]}
    bus.publish(order(shop_registry, "after"))
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        bus.step(block_ms=20)
    assert got == ["after"]
    for key in t.client.scan_iter(match=prefix + "*"):
        t.client.delete(key)
    t.close()


def test_the_router_dead_letters_an_entry_it_cannot_route(redis_url, shop_registry, prefix):
    t = connect(shop_registry, url=redis_url, prefix=prefix + "events:")
    bus = EventBus(t, watch_interval_ms=60_000)
    bus.start()
    all_keys = t.keys("all")
    t.client.xadd(all_keys.stream, {"data": '{"event_id": "x", "no": "type"}'})
    bus.step(block_ms=20)
    letter, = t.dead_letters("all").list()
    assert letter.reason == "undecodable: missing-field: the entry has no event type"
    assert bus.router.stats["dead_lettered"] == 1
    assert t.info("all")["pending"] == 0
    for key in t.client.scan_iter(match=prefix + "*"):
        t.client.delete(key)
    t.close()
