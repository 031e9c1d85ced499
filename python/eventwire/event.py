"""The event: the base fields every event carries (``event_id``,
``timestamp``, ``event_type``), its string headers, and its payload, a
message of the generated type ``event_type`` names."""

import dataclasses
import re
import types
import typing

__all__ = ["Event", "Headers", "HEADERS_KEY", "is_uuid", "short_name"]

HEADERS_KEY = "_headers"
"""The JSON key under which non-empty headers travel (LeanMQ reserves ``_``-prefixed keys)."""


class Headers:
    """Header names eventwire's components set and read."""

    correlation_id = "correlation-id"
    causation_id = "causation-id"
    traceparent = "traceparent"
    source_service = "source-service"


# 8-4-4-4-12 hexadecimal digits, version 1 to 8 and variant 10xx, or the nil or max UUID
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}")
_NIL_OR_MAX = ("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff")


def is_uuid(text):
    """Whether ``text`` is a UUID as eventwire accepts one (the rule of the TypeScript side's ``uuid.validate``)."""
    return isinstance(text, str) and (_UUID.fullmatch(text) is not None or text.lower() in _NIL_OR_MAX)


def short_name(full_name):
    """The last dot-separated part of a fully qualified name: ``a.b.C`` gives ``C``."""
    return full_name.rsplit(".", 1)[-1]


@dataclasses.dataclass(frozen=True)
class Event:
    """One event. Frozen: to change one, make another (``dataclasses.replace``).

    ``payload`` is a message of the generated class; treat it as read-only.
    ``extra`` holds the top-level JSON keys a newer producer wrote that the
    schema does not know, and ``nested_extra`` those inside the payload's
    messages, by the steps to their message (field name, and index, map key
    or None, each): ``to_json`` writes both back where they were.
    """

    event_id: str
    timestamp: float
    event_type: str
    payload: typing.Any
    headers: typing.Mapping[str, str] = dataclasses.field(default_factory=lambda: types.MappingProxyType({}))
    extra: typing.Mapping[str, typing.Any] = dataclasses.field(default_factory=lambda: types.MappingProxyType({}), compare=False)
    nested_extra: typing.Mapping[tuple, typing.Mapping[str, typing.Any]] = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}), compare=False
    )

    def __post_init__(self):
        object.__setattr__(self, "headers", types.MappingProxyType(dict(self.headers)))
        object.__setattr__(self, "extra", types.MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "nested_extra", types.MappingProxyType({k: types.MappingProxyType(dict(v)) for k, v in self.nested_extra.items()}))
