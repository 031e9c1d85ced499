#!/usr/bin/python3
"""A model of what LeanMQ 0.2.0 does on Redis, and of the seed's event classes.

The tests use it to play the Python side of a shared queue: a service that
uses LeanMQ and the seed's `serialize_event` / `deserialize_event`. It is
written from the description of LeanMQ's keys, entries and Redis commands
(the layout src/transport/keys.ts sums up), not from LeanMQ's sources, and
keeps to it: the same keys, the same JSON text (`json.dumps` with its
defaults), the same commands in the same order. Where that description is
silent, the model takes the plain reading: a moved message is the entry's
JSON loaded, the history item appended, `_metadata` assigned anew (so it
stays where it stood) and dumped again.

The clock and the UUIDs can be fixed, so that entries can be compared byte
for byte:

    LEANMQ_MODEL_TIME   a number, or a JSON list of numbers: what time.time()
                        returns, one value per call, the last one repeated
    LEANMQ_MODEL_UUIDS  a JSON list of UUID strings: what uuid4() returns, one
                        per call, random ones once the list is used up

Command line (what the TypeScript tests call):

    REDIS_URL=redis://127.0.0.1:6379/0 python3 leanmq_model.py <command> '<json args>'

`<json args>` may be `-` to read them from standard input; in them,
{"__float__": "20"} stands for the float 20.0 (plain JSON would make it an
int, which json.dumps writes differently). The result is
printed as one line of JSON. Exit status 3 when the redis package is missing.
"""

import json
import os
import struct
import sys
import time
import uuid

try:
    import redis
except ImportError as missing:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "the Python redis client is missing (%s): apt-get install python3-redis\n" % missing
    )
    sys.exit(3)


# --- injectable clock and ids ------------------------------------------------


class Clock:
    """time.time(), or fixed values taken in turn (the last one kept)."""

    def __init__(self, fixed=None):
        if fixed is None:
            self._values = None
        elif isinstance(fixed, list):
            self._values = [float(v) for v in fixed]
        else:
            self._values = [float(fixed)]

    def __call__(self):
        if not self._values:
            return time.time()
        if len(self._values) > 1:
            return self._values.pop(0)
        return self._values[0]


class Ids:
    """str(uuid.uuid4()), or given ids taken in turn (random ones afterwards)."""

    def __init__(self, fixed=None):
        self._values = list(fixed or [])

    def __call__(self):
        if self._values:
            return str(self._values.pop(0))
        return str(uuid.uuid4())


def clock_from_env():
    raw = os.environ.get("LEANMQ_MODEL_TIME")
    return Clock(json.loads(raw) if raw else None)


def ids_from_env():
    raw = os.environ.get("LEANMQ_MODEL_UUIDS")
    return Ids(json.loads(raw) if raw else None)


now = clock_from_env()
new_id = ids_from_env()


# --- LeanMQ ------------------------------------------------------------------

MAX_LENGTH = 100000
DEFAULT_CONSUMER = "default-consumer"


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


class Message:
    """A received message: its stream id, its data without `_metadata`, and that metadata."""

    def __init__(self, stream_id, data, metadata, delivery_count, raw):
        self.id = stream_id
        self.data = data
        self.metadata = metadata
        self.delivery_count = delivery_count
        self.raw = raw


class Queue:
    """One stream of a queue pair: the main queue or its DLQ."""

    def __init__(self, client, key, group, is_dlq, partner_key):
        self.client = client
        self.key = key
        self.group = group
        self.is_dlq = is_dlq
        # the DLQ of a main queue, or the main queue of a DLQ
        self.partner_key = partner_key

    @property
    def expiry_key(self):
        return self.key + ":expiry"

    def _partner(self):
        if self.is_dlq:
            name_group = self.group[: -len("-dlq")]
            return Queue(self.client, self.partner_key, name_group, False, self.key)
        return Queue(self.client, self.partner_key, self.group + "-dlq", True, self.key)

    def send_message(self, data, message_id=None, ttl=None):
        """Appends `data` plus `_metadata` as the one field `data`; records the expiry of a TTL."""
        stamp = now()
        message = dict(data)
        # assigning keeps the key where it stands when the message already has one
        message["_metadata"] = {
            "id": message_id if message_id is not None else new_id(),
            "timestamp": stamp,
            "ttl": ttl,
        }
        stream_id = self.client.xadd(
            self.key, {"data": json.dumps(message)}, maxlen=MAX_LENGTH, approximate=True
        )
        if ttl is not None:
            self.client.zadd(self.expiry_key, {stream_id: stamp + ttl})
        return _text(stream_id)

    def get_messages(self, count=1, block=None, consumer=DEFAULT_CONSUMER):
        """New messages for the group; entries whose `data` does not parse are acknowledged and dropped."""
        reply = self.client.xreadgroup(
            self.group, consumer, {self.key: ">"}, count=count, block=block
        )
        out = []
        for _stream, entries in reply or []:
            for stream_id, fields in entries:
                stream_id = _text(stream_id)
                raw = fields.get(b"data")
                try:
                    data = json.loads(raw.decode("utf-8"))
                    if not isinstance(data, dict):
                        raise ValueError("not an object")
                except Exception:
                    self.client.xack(self.key, self.group, stream_id)
                    continue
                metadata = data.pop("_metadata", {})
                pending = self.client.xpending_range(
                    self.key, self.group, min=stream_id, max=stream_id, count=1
                )
                delivered = pending[0]["times_delivered"] if pending else 1
                out.append(Message(stream_id, data, metadata, delivered, raw.decode("utf-8")))
        return out

    def acknowledge(self, ids):
        return self.client.xack(self.key, self.group, *ids) if ids else 0

    def delete_messages(self, ids):
        if not ids:
            return 0
        self.client.xack(self.key, self.group, *ids)
        deleted = self.client.xdel(self.key, *ids)
        self.client.zrem(self.expiry_key, *ids)
        return deleted

    def _entry(self, stream_id):
        found = self.client.xrange(self.key, min=stream_id, max=stream_id, count=1)
        if not found:
            return None
        return json.loads(found[0][1][b"data"].decode("utf-8"))

    def move_to_dlq(self, ids, reason):
        """Copies each entry to the DLQ with a `_failures` item (same message id, no TTL), then acknowledges it."""
        dlq = self._partner()
        moved = []
        for stream_id in ids:
            message = self._entry(stream_id)
            if message is None:
                continue
            message_id = message.get("_metadata", {}).get("id")
            message.setdefault("_failures", []).append({"timestamp": now(), "reason": reason})
            moved.append(dlq.send_message(message, message_id=message_id))
            self.client.xack(self.key, self.group, stream_id)
        return moved

    def requeue_messages(self, ids):
        """From a DLQ: copies each entry to the main queue with a `_requeues` item, then deletes it here."""
        main = self._partner()
        moved = []
        for stream_id in ids:
            message = self._entry(stream_id)
            if message is None:
                continue
            message_id = message.get("_metadata", {}).get("id")
            message.setdefault("_requeues", []).append(
                {"timestamp": now(), "from_dlq": self.key, "to_queue": main.key}
            )
            moved.append(main.send_message(message, message_id=message_id))
            self.client.xdel(self.key, stream_id)
            self.client.zrem(self.expiry_key, stream_id)
        return moved


class LeanMQ:
    def __init__(self, client, prefix="mq:"):
        self.client = client
        self.prefix = prefix

    def _create_group(self, key, group):
        try:
            self.client.xgroup_create(key, group, id="$", mkstream=True)
        except redis.exceptions.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def create_queue_pair(self, name):
        main_key = self.prefix + name
        dlq_key = main_key + ":dlq"
        group = name + "-group"
        self._create_group(main_key, group)
        self._create_group(dlq_key, group + "-dlq")
        self.client.sadd(self.prefix + "registry", main_key, dlq_key)
        self.client.hset(
            main_key + ":metadata",
            mapping={"created_at": now(), "dlq": dlq_key, "consumer_group": group},
        )
        self.client.hset(
            dlq_key + ":metadata",
            mapping={
                "created_at": now(),
                "main_queue": main_key,
                "consumer_group": group + "-dlq",
                "is_dlq": "true",
            },
        )
        return self.queue(name), self.queue(name, dlq=True)

    def queue(self, name, dlq=False):
        main_key = self.prefix + name
        if dlq:
            return Queue(self.client, main_key + ":dlq", name + "-group-dlq", True, main_key)
        return Queue(self.client, main_key, name + "-group", False, main_key + ":dlq")


# --- the seed's events ---------------------------------------------------------


class Event:
    """Base fields: a UUID, a float timestamp taken at creation, the class name as type."""

    fields = ()

    def __init__(self, event_id=None, **values):
        self.event_id = event_id or str(uuid.UUID(new_id()))
        self.timestamp = now()
        self.event_type = type(self).__name__
        for name in self.fields:
            setattr(self, name, values[name])

    def to_dict(self):
        out = {"event_id": self.event_id, "timestamp": self.timestamp, "event_type": self.event_type}
        for name in self.fields:
            out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data):
        # As in the seed, the subclasses rebuild through their constructor:
        # the timestamp the dict carries is not kept, a fresh one is taken.
        values = {name: data.get(name, default) for name, default in cls.defaults.items()}
        return cls(event_id=data.get("event_id"), **values)


class OrderCreatedEvent(Event):
    fields = ("order_id", "user_id", "total", "items")
    defaults = {"order_id": "", "user_id": "", "total": 0.0, "items": []}


class PaymentProcessedEvent(Event):
    fields = ("payment_id", "order_id", "amount", "status")
    defaults = {"payment_id": "", "order_id": "", "amount": 0.0, "status": ""}


class OrderShippedEvent(Event):
    fields = ("order_id", "tracking_number", "carrier")
    defaults = {"order_id": "", "tracking_number": "", "carrier": ""}


EVENT_TYPES = {cls.__name__: cls for cls in (OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent)}


def serialize_event(event):
    return event.to_dict()


def deserialize_event(data):
    event_type = data.get("event_type")
    if not event_type or event_type not in EVENT_TYPES:
        return None
    return EVENT_TYPES[event_type].from_dict(data)


# --- command line ----------------------------------------------------------------


def _floats(obj):
    """JSON object hook: {"__float__": "20"} is the float 20.0 (JSON alone would give an int)."""
    if len(obj) == 1 and "__float__" in obj:
        return float(obj["__float__"])
    return obj


def make_event(spec):
    """An event from {"event_type", "event_id"?, "timestamp"?, fields…}."""
    cls = EVENT_TYPES[spec["event_type"]]
    values = {name: spec[name] for name in cls.fields}
    event = cls(event_id=spec.get("event_id"), **values)
    if "timestamp" in spec:
        event.timestamp = float(spec["timestamp"])
    return event


def describe_event(event):
    if event is None:
        return None
    d = event.to_dict()
    return {
        "class": type(event).__name__,
        "fields": d,
        "types": {k: type(v).__name__ for k, v in d.items()},
        "item_types": [{k: type(v).__name__ for k, v in item.items()} for item in d.get("items", [])],
    }


def describe_message(message, deserialize):
    out = {
        "id": message.id,
        "data": message.data,
        "metadata": message.metadata,
        "delivery_count": message.delivery_count,
        "raw": message.raw,
    }
    if deserialize:
        out["event"] = describe_event(deserialize_event(message.data))
    return out


def run(command, args):
    if command == "check":
        return {"redis": redis.__version__, "python": sys.version.split()[0]}
    if command == "dumps":
        floats = [struct.unpack(">d", bytes.fromhex(h))[0] for h in args.get("floats_hex", [])]
        return {
            "repr": [repr(f) for f in floats],
            "json": [json.dumps(f) for f in floats],
            "strings": [json.dumps(s) for s in args.get("strings", [])],
        }
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    mq = LeanMQ(client, prefix=args.get("prefix", "mq:"))
    if command == "register_subscription":
        # How a Python service joins eventwire's event bus: one HSET (its queue pair made first).
        client.hset(mq.prefix + "subscriptions", args["service"], json.dumps(args["event_types"]))
        return {}
    name = args["queue"]
    if command == "create_queue_pair":
        main, dlq = mq.create_queue_pair(name)
        return {"main": main.key, "dlq": dlq.key}
    queue = mq.queue(name, dlq=args.get("dlq", False))
    if command == "send_message":
        return {"id": queue.send_message(args["data"], message_id=args.get("message_id"), ttl=args.get("ttl"))}
    if command == "send_events":
        ids = []
        message_ids = args.get("message_ids", [])
        for i, spec in enumerate(args["events"]):
            event = make_event(spec)
            message_id = message_ids[i] if i < len(message_ids) else None
            ids.append(queue.send_message(serialize_event(event), message_id=message_id, ttl=args.get("ttl")))
        return {"ids": ids}
    if command == "get_messages":
        messages = queue.get_messages(
            count=args.get("count", 1),
            block=args.get("block"),
            consumer=args.get("consumer", DEFAULT_CONSUMER),
        )
        return [describe_message(m, args.get("deserialize", False)) for m in messages]
    if command == "acknowledge":
        return {"acknowledged": queue.acknowledge(args["ids"])}
    if command == "delete_messages":
        return {"deleted": queue.delete_messages(args["ids"])}
    if command == "move_to_dlq":
        return {"ids": queue.move_to_dlq(args["ids"], args["reason"])}
    if command == "requeue_messages":
        return {"ids": queue.requeue_messages(args["ids"])}
    raise SystemExit("unknown command %r" % command)


def main(argv):
    if len(argv) < 2:
        raise SystemExit("usage: leanmq_model.py <command> [<json args> | -]")
    raw = argv[2] if len(argv) > 2 else "{}"
    if raw == "-":
        raw = sys.stdin.read()
    result = run(argv[1], json.loads(raw, object_hook=_floats))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv)
