"""The registry: the event types a service knows, by name, and the four
verbs of the codec — ``to_binary``/``from_binary`` (the protobuf
``EventEnvelope``) and ``to_json``/``from_json`` (the flat dict Python
services use) — giving the same bytes and text as the TypeScript side."""

import json
import time
import uuid

from google.protobuf import message as protobuf_message

from . import json_text
from .errors import DecodeError, EventValidationError, RegistryError
from .event import HEADERS_KEY, Event, is_uuid, short_name
from .json_form import UNKNOWN_FIELDS_KEY, message_tree, parse_message, put_back_keys
from .gen_envelope import EventEnvelope

__all__ = ["Registry", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 1 << 20
"""The largest input the decoders read, in bytes (1 MiB), as on the TypeScript side."""

_BASE_KEYS = ("event_id", "eventId", "timestamp", "event_type", "eventType")
_RESERVED = {"event_id", "eventId", "timestamp", "event_type", "eventType"}


def _utf8_key(key):
    return key.encode("utf-8")


class Registry:
    """The event types of a service: generated message classes, one per
    event type, found by their short name (``OrderCreatedEvent``, the wire
    name) or their fully qualified one.

    ``max_bytes``: the largest binary or JSON input decoded (default 1 MiB).
    """

    def __init__(self, message_classes, max_bytes=DEFAULT_MAX_BYTES):
        self._by_name = {}
        self._classes = {}
        self.max_bytes = max_bytes
        for cls in message_classes:
            desc = getattr(cls, "DESCRIPTOR", None)
            if desc is None or not hasattr(desc, "full_name"):
                raise RegistryError("invalid-event-type", f"{cls!r} is not a generated protobuf message class")
            for field in desc.fields:
                for key in (field.name, field.json_name):
                    if key in _RESERVED or key.startswith("_"):
                        raise RegistryError(
                            "invalid-event-type",
                            f"{desc.full_name}: the field name {key!r} is reserved for the envelope; rename the field",
                        )
            name = short_name(desc.full_name)
            if name in self._classes and self._classes[name] is not cls:
                other = self._classes[name].DESCRIPTOR.full_name
                raise RegistryError("duplicate-event-type", f"{desc.full_name} and {other} both claim the event type {name}")
            self._classes[name] = cls
            self._by_name[name] = cls
            self._by_name[desc.full_name] = cls

    @property
    def names(self):
        """The event types' wire names."""
        return list(self._classes)

    def get(self, name):
        """The message class of an event type (short or full name), or None."""
        return self._by_name.get(name)

    def _lookup(self, name):
        cls = self._by_name.get(name)
        if cls is None:
            raise DecodeError("unknown-event-type", f"no event type {json.dumps(name[:200], ensure_ascii=False)} is registered", "event_type")
        return cls

    # --- Making ----------------------------------------------------------------------

    def create(self, event_type, payload=None, *, event_id=None, timestamp=None, headers=None):
        """A new event of a registered type. ``payload``: a message of its
        class, or a dict of its fields (nested messages as dicts). Base fields
        left out are filled in: a new random UUID, the time now (float
        seconds). Raises :class:`EventValidationError` on a wrong value."""
        cls = self._by_name.get(event_type)
        if cls is None:
            raise EventValidationError("unknown-event-type", f"no event type {event_type!r} is registered", "event_type")
        if payload is None:
            message = cls()
        elif isinstance(payload, cls):
            message = cls()
            message.CopyFrom(payload)
        elif isinstance(payload, dict):
            try:
                message = cls(**payload)
            except (TypeError, ValueError, AttributeError) as error:
                raise EventValidationError("invalid-value", f"{short_name(cls.DESCRIPTOR.full_name)}: {error}") from None
        else:
            raise EventValidationError("invalid-value", f"the payload must be a {cls.__name__} or a dict, not {type(payload).__name__}")
        event_id = str(uuid.uuid4()) if event_id is None else event_id
        if not is_uuid(event_id):
            raise EventValidationError("invalid-event-id", f"event_id is not a UUID: {event_id!r}", "event_id")
        timestamp = time.time() if timestamp is None else timestamp
        if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp != timestamp or timestamp in (float("inf"), float("-inf")):
            raise EventValidationError("invalid-timestamp", f"timestamp is not a finite number of seconds: {timestamp!r}", "timestamp")
        headers = dict(headers or {})
        for key, value in headers.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise EventValidationError("invalid-value", f"headers are strings, not {key!r}: {value!r}", "headers")
        return Event(event_id, float(timestamp), short_name(cls.DESCRIPTOR.full_name), message, headers)

    # --- Binary ----------------------------------------------------------------------

    def to_binary(self, event):
        """The event as a protobuf ``EventEnvelope``, byte for byte what the TypeScript side writes (canonical: deterministic serialization)."""
        envelope = EventEnvelope(
            event_id=event.event_id,
            timestamp=event.timestamp,
            event_type=event.event_type,
            payload=event.payload.SerializeToString(deterministic=True),
            headers=dict(event.headers),
        )
        return envelope.SerializeToString(deterministic=True)

    def from_binary(self, data):
        """An event from its ``EventEnvelope`` bytes. Raises :class:`DecodeError`."""
        data = bytes(data)
        if len(data) > self.max_bytes:
            raise DecodeError("too-large", f"the input is {len(data)} bytes, over the limit of {self.max_bytes}")
        try:
            envelope = EventEnvelope.FromString(data)
        except protobuf_message.DecodeError as error:
            raise DecodeError("malformed-binary", f"the input is not an EventEnvelope: {error}") from None
        if not envelope.event_id:
            raise DecodeError("missing-field", "the event has no event_id", "event_id")
        if not is_uuid(envelope.event_id):
            raise DecodeError("invalid-event-id", f"event_id {envelope.event_id[:64]!r} is not a UUID", "event_id")
        if not envelope.event_type:
            raise DecodeError("missing-field", "the event has no event_type", "event_type")
        cls = self._lookup(envelope.event_type)
        try:
            payload = cls.FromString(envelope.payload)
        except protobuf_message.DecodeError as error:
            raise DecodeError("malformed-binary", f"the payload is not a {cls.DESCRIPTOR.full_name}: {error}", "payload") from None
        timestamp = envelope.timestamp
        if timestamp != timestamp or timestamp in (float("inf"), float("-inf")):
            raise DecodeError("invalid-timestamp", f"timestamp is not a finite number of seconds: {timestamp!r}", "timestamp")
        return Event(envelope.event_id, timestamp + 0.0, short_name(cls.DESCRIPTOR.full_name), payload, dict(envelope.headers))

    # --- JSON ------------------------------------------------------------------------

    def to_dict(self, event):
        """The event as the flat dict the Python event system's ``to_dict``
        makes: ``event_id``, ``timestamp``, ``event_type``, every payload field
        under its ``.proto`` name (values per the proto3 JSON mapping), keys
        kept from a newer producer, the payload's unknown fields, then
        ``_headers`` when there are any (the TypeScript side's order)."""
        out = {"event_id": event.event_id, "timestamp": float(event.timestamp), "event_type": event.event_type}
        payload = put_back_keys(message_tree(event.payload), event.nested_extra)
        unknown = payload.pop(UNKNOWN_FIELDS_KEY, None)
        out.update(payload)
        for key, value in event.extra.items():
            out.setdefault(key, value)
        if unknown is not None:
            out[UNKNOWN_FIELDS_KEY] = unknown
        if event.headers:
            out[HEADERS_KEY] = {k: event.headers[k] for k in sorted(event.headers, key=_utf8_key)}
        return out

    def to_json(self, event, style="compact"):
        """The event's flat dict as JSON text: ``style="compact"`` as the
        TypeScript side's ``toJson`` writes it (the golden vectors' ``.json``),
        ``style="python"`` exactly as ``json.dumps`` writes it (LeanMQ's entries)."""
        tree = self.to_dict(event)
        if style == "compact":
            return json_text.dumps_compact(tree)
        if style == "python":
            return json_text.dumps_python(tree)
        raise ValueError(f"style must be 'compact' or 'python', not {style!r}")

    def from_json(self, text):
        """An event from its JSON text (either style; ``str`` or UTF-8 ``bytes``). Raises :class:`DecodeError`."""
        if isinstance(text, (bytes, bytearray, memoryview)):
            raw = bytes(text)
            if len(raw) > self.max_bytes:
                raise DecodeError("too-large", f"the input is {len(raw)} bytes, over the limit of {self.max_bytes}")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DecodeError("invalid-utf8", f"the input is not valid UTF-8: {error}") from None
        elif len(text) > self.max_bytes and len(text.encode("utf-8", "surrogatepass")) > self.max_bytes:
            raise DecodeError("too-large", f"the input is over the limit of {self.max_bytes} bytes")
        try:
            value = json_text.loads(text)
        except ValueError as error:
            raise DecodeError("invalid-json", f"the input is not JSON: {error}") from None
        return self.from_dict(value)

    def from_dict(self, value):
        """An event from its flat dict (as ``json.loads`` reads the JSON form,
        or as the seed's ``serialize_event`` makes it). Keys starting with
        ``_`` other than ``_headers`` (LeanMQ's ``_metadata``, ``_failures``,
        ``_requeues``) are not payload. Raises :class:`DecodeError`."""
        if not isinstance(value, dict):
            raise DecodeError("invalid-value", f"expected a JSON object, got {type(value).__name__}")
        event_id = value.get("event_id", value.get("eventId"))
        if event_id is None:
            raise DecodeError("missing-field", "the event has no event_id", "event_id")
        if not is_uuid(event_id):
            raise DecodeError("invalid-event-id", f"event_id is not a UUID: {event_id!r}", "event_id")
        timestamp = value.get("timestamp")
        if timestamp is None:
            raise DecodeError("missing-field", "the event has no timestamp", "timestamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp != timestamp or timestamp in (float("inf"), float("-inf")):
            raise DecodeError("invalid-timestamp", f"timestamp is not a finite number of seconds: {timestamp!r}", "timestamp")
        event_type = value.get("event_type", value.get("eventType"))
        if event_type is None or event_type == "":
            raise DecodeError("missing-field", "the event has no event_type", "event_type")
        if not isinstance(event_type, str):
            raise DecodeError("invalid-value", f"event_type is not a string: {event_type!r}", "event_type")
        cls = self._lookup(event_type)
        headers = value.get(HEADERS_KEY) or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise DecodeError("invalid-value", "_headers is not an object of strings", HEADERS_KEY)
        fields = {f.name for f in cls.DESCRIPTOR.fields} | {f.json_name for f in cls.DESCRIPTOR.fields}
        payload_tree = {}
        extra = {}
        for key, item in value.items():
            if key in _BASE_KEYS or key.startswith("_") and key != UNKNOWN_FIELDS_KEY:
                continue
            if key in fields or key == UNKNOWN_FIELDS_KEY:
                payload_tree[key] = item
            else:
                extra[key] = item
        payload, kept = parse_message(payload_tree, cls)
        kept.pop((), None)
        ts = float(timestamp)
        return Event(event_id, 0.0 if ts == 0 else ts, short_name(cls.DESCRIPTOR.full_name), payload, headers, extra, kept)
