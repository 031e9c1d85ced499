"""Why an entry was moved to a dead-letter queue, as a structured value, and
its text as stored in LeanMQ's ``_failures[].reason``, in the format of
src/transport/dead-letter-reason.ts: ``<kind>: <detail>``, or
``<kind> (attempt N of M): <detail>`` after a handler's failure, e.g.
``handler-failed (attempt 3 of 3): RuntimeError: card declined``."""

import collections

__all__ = ["DeadLetterKind", "DeadLetterReason", "format_reason", "parse_reason", "reason_of"]


class DeadLetterKind:
    """The kinds of moves to a DLQ."""

    handler_failed = "handler-failed"
    permanent_failure = "permanent-failure"
    undecodable = "undecodable"
    unknown_type = "unknown-event-type"
    no_handler = "no-handler"
    expired = "expired"


_KINDS = {v for k, v in vars(DeadLetterKind).items() if not k.startswith("_")}

DeadLetterReason = collections.namedtuple("DeadLetterReason", "kind attempt max_attempts detail")
DeadLetterReason.__doc__ = "A move's reason: its kind (None for a text another system wrote), the attempt and attempts allowed after a handler's failure, and the detail."


def reason_of(kind, detail):
    """A reason of the given kind, without an attempt."""
    return DeadLetterReason(kind, None, None, detail)


def format_reason(reason):
    """The reason as the text stored in ``_failures[].reason``."""
    if reason.kind is None:
        return reason.detail
    attempt = ""
    if reason.attempt is not None:
        attempt = f" (attempt {reason.attempt} of {reason.max_attempts if reason.max_attempts is not None else reason.attempt})"
    return f"{reason.kind}{attempt}: {reason.detail}"


def _whole(text):
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else None


def parse_reason(text):
    """A stored reason's text as the structured value; a foreign text is all ``detail``."""
    foreign = DeadLetterReason(None, None, None, text)
    head, sep, detail = text.partition(": ")
    if not sep:
        return foreign
    kind, space, rest = head.partition(" ")
    if kind not in _KINDS:
        return foreign
    if not space:
        return DeadLetterReason(kind, None, None, detail)
    words = rest.split(" ")
    if len(words) != 4 or words[0] != "(attempt" or words[2] != "of" or not words[3].endswith(")"):
        return foreign
    attempt, max_attempts = _whole(words[1]), _whole(words[3][:-1])
    if attempt is None or max_attempts is None:
        return foreign
    return DeadLetterReason(kind, attempt, max_attempts, detail)
