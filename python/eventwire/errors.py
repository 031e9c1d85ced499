"""The errors eventwire raises on purpose, with the same codes as the
TypeScript side: ``code`` says what went wrong (stable, machine-readable),
``path`` where (``items[2].quantity``, or ``""``)."""

__all__ = ["EventwireError", "DecodeError", "EventValidationError", "RegistryError", "TransportError", "PermanentError"]


class EventwireError(Exception):
    """The base of every error eventwire raises on purpose."""

    def __init__(self, code, message, path=""):
        super().__init__(message)
        self.code = code
        self.path = path

    def __str__(self):
        text = super().__str__()
        return f"{self.code}: {text}" + (f" (at {self.path})" if self.path else "")


class DecodeError(EventwireError):
    """Bytes or text could not be decoded into an event (codes ``too-large``,
    ``malformed-binary``, ``invalid-utf8``, ``invalid-json``, ``invalid-value``,
    ``missing-field``, ``invalid-event-id``, ``invalid-timestamp``,
    ``unknown-event-type``)."""


class EventValidationError(EventwireError):
    """An event could not be made: a payload value has the wrong type or is
    out of range (code ``invalid-value``), or its type is not registered."""


class RegistryError(EventwireError):
    """A registry could not be made (codes ``duplicate-event-type``,
    ``invalid-event-type``)."""


class TransportError(EventwireError):
    """A queue operation failed (codes ``redis-refused``, ``redis-unavailable``,
    ``invalid-option``, ``too-large``)."""


class PermanentError(Exception):
    """Raised by a handler for a failure no retry can mend: the entry goes to
    the dead-letter queue at once, with the reason ``permanent-failure``."""
