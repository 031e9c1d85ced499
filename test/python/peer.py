"""A Python service on eventwire's Python package, for the mixed tests
(test/python/interop.test.ts): it shares queues, scripts and the event bus
with TypeScript services. It writes one JSON line per thing it does.

    python3 peer.py shas
    python3 peer.py publish URL PREFIX QUEUE FORMAT COUNT
    python3 peer.py partitions URL PREFIX QUEUE N
    python3 peer.py publish-keyed URL PREFIX QUEUE COUNT --keys K1,K2,...
    python3 peer.py consume URL PREFIX QUEUE --expect N [--fail-until D] [--max-attempts M]
    python3 peer.py bus URL PREFIX SERVICE --expect N [--pay]
    python3 peer.py requeue URL PREFIX QUEUE
"""

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))

from eventwire import Registry  # noqa: E402
from eventwire.shop.v1 import events_pb2  # noqa: E402
from eventwire.transport import SCRIPTS, EventBus, connect  # noqa: E402

registry = Registry([events_pb2.OrderCreatedEvent, events_pb2.PaymentProcessedEvent, events_pb2.OrderShippedEvent])


def say(**fields):
    print(json.dumps(fields), flush=True)


def seen(event, delivery, **more):
    say(kind="handled", event_type=event.event_type, event_id=event.event_id, order_id=event.payload.order_id,
        deliveries=delivery.deliveries, partition=delivery.partition, stream_id=delivery.stream_id, headers=dict(event.headers),
        json=registry.to_json(event), **more)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("args", nargs="*")
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--fail-until", type=int, default=0)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--pay", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--keys", default="")
    a = parser.parse_args()
    if a.command == "shas":
        say(kind="shas", shas={name: script.sha1 for name, script in SCRIPTS.items()})
        return
    url, prefix = a.args[0], a.args[1]
    transport = connect(registry, url=url, prefix=prefix)
    deadline = time.monotonic() + a.timeout
    if a.command == "publish":
        queue, entry_format, count = a.args[2], a.args[3], int(a.args[4])
        for i in range(count):
            event = registry.create(
                "OrderCreatedEvent",
                {"order_id": f"py-{i}", "user_id": "user-Zoë", "total": 12.5 * (i + 1), "items": [{"product_id": "p", "name": "Tasse ☕", "price": 12.5, "quantity": i + 1}]},
                headers={"source-service": "python-peer"},
            )
            published = transport.publish(queue, event, format=entry_format)
            say(kind="published", stream_id=published.stream_id, event_id=event.event_id, json=registry.to_json(event))
        return
    if a.command == "partitions":
        count = transport.set_partitions(a.args[2], int(a.args[3]))
        say(kind="partitions", count=count.count, highest=count.highest)
        return
    if a.command == "publish-keyed":
        # each key's events in turn: order ids KEY/0, KEY/1, …, binary and JSON entries alternating
        queue, count = a.args[2], int(a.args[3])
        for n in range(count):
            for key in a.keys.split(","):
                event = registry.create("OrderCreatedEvent", {"order_id": f"{key}/{n}", "user_id": key, "total": 1.0 + n})
                published = transport.publish(queue, event, partition_key=key, format="binary" if n % 2 else "json")
                say(kind="published", key=key, partition=published.partition, stream_id=published.stream_id, event_id=event.event_id, order_id=event.payload.order_id)
        return
    if a.command == "consume":
        queue = a.args[2]
        handled = []

        def handler(event, delivery):
            if delivery.deliveries <= a.fail_until:
                say(kind="failed", order_id=event.payload.order_id, deliveries=delivery.deliveries)
                raise RuntimeError(f"ledger offline at delivery {delivery.deliveries}")
            handled.append(event)
            seen(event, delivery)

        consumer = transport.consumer(queue, {"*": handler}, retry={"max_attempts": a.max_attempts, "initial_delay_ms": 10}, consumer="python-peer")
        consumer.drain(timeout=a.timeout)
        say(kind="done", stats=consumer.stats.__dict__)
        consumer.close()
        return
    if a.command == "requeue":
        dlq = transport.dead_letters(a.args[2])
        for letter in dlq.list():
            say(kind="dead-letter", id=letter.id, reason=letter.reason, attempts=letter.attempts, event_id=letter.event.event_id if letter.event else None)
        say(kind="requeued", count=dlq.requeue("all"))
        return
    if a.command == "bus":
        service = a.args[2]
        bus = EventBus(transport, router_consumer=f"router-{service}")
        count = [0]

        def handler(event, delivery):
            count[0] += 1
            seen(event, delivery)
            if a.pay and event.event_type == "OrderCreatedEvent":
                payment = registry.create(
                    "PaymentProcessedEvent",
                    {"payment_id": f"pay-{event.payload.order_id}", "order_id": event.payload.order_id, "amount": event.payload.total, "status": "succeeded"},
                    headers={"causation-id": event.event_id, "source-service": service},
                )
                bus.publish(payment, format="binary")

        # the paying service subscribes to orders only; the others to every event type
        bus.subscribe(service, {"OrderCreatedEvent": handler} if a.pay else {"*": handler})
        say(kind="subscribed", service=service)
        while count[0] < a.expect and time.monotonic() < deadline:
            bus.step(block_ms=50)
        say(kind="done", handled=count[0], router=bus.router.stats)
        bus.close()
        return
    raise SystemExit(f"unknown command {a.command}")


if __name__ == "__main__":
    main()
