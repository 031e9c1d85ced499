"""eventwire for Python: typed protobuf events between services, the same
envelope, registry, binary and JSON forms as eventwire's TypeScript package,
and a transport over Redis Streams that shares queues, scripts and the event
bus with it (``eventwire.transport``).

The code generated from the contract's ``.proto`` files (``npm run generate``,
into ``python/gen/``) is part of this package: ``eventwire.envelope.v1`` and
``eventwire.shop.v1``.
"""

import os as _os

# In the repository, the generated modules live in python/gen/eventwire/;
# an installed package holds them in place (see pyproject.toml).
_generated = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "gen", "eventwire")
if _os.path.isdir(_generated):
    __path__.append(_generated)

from .errors import DecodeError, EventValidationError, EventwireError, PermanentError, RegistryError, TransportError  # noqa: E402
from .event import HEADERS_KEY, Event, Headers, is_uuid, short_name  # noqa: E402
from .registry import DEFAULT_MAX_BYTES, Registry  # noqa: E402

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DecodeError",
    "Event",
    "EventValidationError",
    "EventwireError",
    "HEADERS_KEY",
    "Headers",
    "PermanentError",
    "Registry",
    "RegistryError",
    "TransportError",
    "is_uuid",
    "short_name",
]
