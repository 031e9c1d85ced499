"""The notification service of the example shop, in Python: tells the
customer about every event of their order, as notification-service.ts does,
on eventwire's Python package (python/). ``npm run demo -- --python`` runs it
in place of the TypeScript one; it reads binary and JSON entries alike.

    EVENTWIRE_DEMO='{"redisUrl": …, "prefix": "events:"}' python3 notification_service.py

It reports to the demo one JSON line per notification on standard output,
and stops on a {"kind": "stop"} line on standard input, when standard input
closes (the demo is gone), or on SIGINT or SIGTERM.
"""

import decimal
import json
import os
import pathlib
import re
import signal
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))

from eventwire import Headers, Registry  # noqa: E402
from eventwire.shop.v1 import events_pb2  # noqa: E402
from eventwire.transport import EventBus, connect  # noqa: E402

SERVICE = "notification-service"

registry = Registry([events_pb2.OrderCreatedEvent, events_pb2.PaymentProcessedEvent, events_pb2.OrderShippedEvent])


def money(amount):
    """An amount with two decimals, rounded as JavaScript's toFixed(2) rounds it."""
    return str(decimal.Decimal(amount).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP))


def message(event):
    p = event.payload
    if event.event_type == "OrderCreatedEvent":
        return f"confirmation to {p.user_id}: {len(p.items)} items, total {money(p.total)}"
    if event.event_type == "PaymentProcessedEvent":
        return f"payment {p.status}: {money(p.amount)} ({p.payment_id})"
    return f"shipped with {p.carrier}, tracking {p.tracking_number}"


def trace_id(headers):
    """The trace an event belongs to, from its W3C ``traceparent`` header (None when it was not traced)."""
    match = re.match(r"^[0-9a-f]{2}-([0-9a-f]{32})-", headers.get("traceparent", ""))
    return match.group(1) if match else None


def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main():
    config = json.loads(os.environ.get("EVENTWIRE_DEMO") or "null")
    if not config:
        raise SystemExit("usage: EVENTWIRE_DEMO='{…}' python3 notification_service.py")
    transport = connect(registry, url=config["redisUrl"], prefix=config["prefix"])
    bus = EventBus(transport)

    def notify(event, delivery):
        report(
            kind="notification",
            notification={
                "timestamp": event.timestamp,
                "source": event.headers.get(Headers.source_service, "?"),
                "eventType": event.event_type,
                "orderId": event.payload.order_id,
                "text": message(event),
                "traceId": trace_id(event.headers),
            },
        )

    bus.subscribe(SERVICE, {"*": notify})

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() and json.loads(line).get("kind") == "stop":
                break
        bus.stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    signal.signal(signal.SIGINT, lambda *_: bus.stop())
    signal.signal(signal.SIGTERM, lambda *_: bus.stop())
    report(kind="ready", service=SERVICE)
    bus.run()
    transport.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the demo, which says why the service could not start
        report(kind="failed", service=SERVICE, message=f"{type(error).__name__}: {error}")
        raise
