"""LeanMQ's ``_metadata``, which travels with every message (``id``,
``timestamp``, ``ttl``), and the TTL rule read from it: one home for both,
as src/transport/leanmq/metadata.ts is on the TypeScript side."""

import collections
import json
import math
import time

__all__ = ["EntryMetadata", "expires_at", "is_expired", "metadata_json", "new_metadata", "read_metadata"]

EntryMetadata = collections.namedtuple("EntryMetadata", "id timestamp ttl")
EntryMetadata.__doc__ = "A message's metadata: a UUID kept across moves, when it was written (float seconds), its TTL in seconds or None."


def new_metadata(ttl, message_id, now=None):
    """Fresh metadata for an entry being written."""
    return EntryMetadata(message_id, time.time() if now is None else now, ttl)


def _number(value):
    # as the TypeScript side writes a JavaScript number: whole values as integers
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def metadata_json(meta):
    """The metadata as JSON text, exactly as LeanMQ's ``json.dumps`` writes it."""
    return json.dumps({"id": meta.id, "timestamp": float(meta.timestamp), "ttl": None if meta.ttl is None else _number(meta.ttl)})


def read_metadata(value):
    """The metadata in a parsed JSON value, or None when it is absent or malformed."""
    if not isinstance(value, dict):
        return None
    message_id = value.get("id")
    timestamp = value.get("timestamp")
    ttl = value.get("ttl")
    if not isinstance(message_id, str) or isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl):
        ttl = None
    return EntryMetadata(message_id, timestamp, ttl)


def expires_at(meta):
    """When a message expires, in float seconds since the epoch, or None when it has no TTL."""
    if meta is None or meta.ttl is None:
        return None
    return meta.timestamp + meta.ttl


def is_expired(meta, now=None):
    """The TTL rule: a message is expired once ``now`` is past its timestamp plus its TTL."""
    at = expires_at(meta)
    return at is not None and (time.time() if now is None else now) > at
