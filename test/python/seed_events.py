"""The seed's event system, as its documentation describes it, for the
cross-language tests (crosscheck.py and leanmq_model.py).

Events carry event_id (a UUID string, made when absent), timestamp (float
seconds, taken at creation) and event_type (the class name), plus their own
fields. to_dict() is the flat dict of all of them; from_dict() rebuilds an
event with data.get(name, default) for each field. Note: the seed's
subclasses rebuild through their constructor, which stamps a fresh time, so
the timestamp in the data is dropped (only the base class's from_dict keeps
it). The model does the same.

`clock` and `new_id` are what the events use for the time and for new ids;
a caller may replace them (to fix them in a test).
"""

import time
import uuid

clock = time.time


def new_id():
    return str(uuid.uuid4())


class Event:
    FIELDS = ()  # (name, default factory) of the event's own fields

    def __init__(self, event_id=None, **fields):
        self.event_id = event_id or new_id()
        self.timestamp = clock()
        self.event_type = type(self).__name__
        for name, default in self.FIELDS:
            setattr(self, name, fields[name] if name in fields else default())

    def to_dict(self):
        data = {"event_id": self.event_id, "timestamp": self.timestamp, "event_type": self.event_type}
        data.update({name: getattr(self, name) for name, _ in self.FIELDS})
        return data

    @classmethod
    def from_dict(cls, data):
        # The base class's version keeps the timestamp.
        event = cls(event_id=data.get("event_id"))
        event.timestamp = data.get("timestamp", clock())
        return event


class DomainEvent(Event):
    """What each of the seed's event classes does in its own from_dict."""

    @classmethod
    def from_dict(cls, data):
        # Through the constructor: the timestamp in `data` is dropped.
        fields = {name: data.get(name, default()) for name, default in cls.FIELDS}
        return cls(event_id=data.get("event_id"), **fields)


class OrderCreatedEvent(DomainEvent):
    FIELDS = (("order_id", str), ("user_id", str), ("total", float), ("items", list))


class PaymentProcessedEvent(DomainEvent):
    FIELDS = (("payment_id", str), ("order_id", str), ("amount", float), ("status", str))


class OrderShippedEvent(DomainEvent):
    FIELDS = (("order_id", str), ("tracking_number", str), ("carrier", str))


EVENT_TYPES = {cls.__name__: cls for cls in (OrderCreatedEvent, PaymentProcessedEvent, OrderShippedEvent)}


def serialize_event(event):
    return event.to_dict()


def deserialize_event(data):
    event_type = data.get("event_type")
    if not event_type or event_type not in EVENT_TYPES:
        return None
    return EVENT_TYPES[event_type].from_dict(data)
