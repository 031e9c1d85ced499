"""The two entry formats, LeanMQ's JSON and eventwire's binary, as
src/transport/leanmq/entry.ts writes and reads them: an event into a stream
entry's fields, an entry back into an event as far as it goes, what the
bus's router reads without decoding, and the fields of an entry moved to or
from a dead-letter queue (its ``data`` edited byte for byte as LeanMQ's
``json.loads`` + change + ``json.dumps`` would)."""

import collections
import json
import uuid

from ..errors import DecodeError
from .keys import EntryField
from .metadata import metadata_json, new_metadata, read_metadata

__all__ = ["DecodedEntry", "EntryProblem", "decode_entry", "encode_entry", "entry_routing", "moved_fields"]

FORMATS = ("json", "binary")

EntryProblem = collections.namedtuple("EntryProblem", "kind message event_type")
EntryProblem.__doc__ = "Why an entry could not be made an event: kind ``undecodable`` or ``unknown-type``."

DecodedEntry = collections.namedtuple("DecodedEntry", "format event_type metadata failures requeues event problem")
DecodedEntry.__doc__ = "An entry read as far as it goes: its format (json, binary, unknown), event type, metadata, moves so far, and the event or the problem."


def encode_entry(registry, event, entry_format, meta):
    """The field/value list of an entry holding ``event``. The JSON form is
    what LeanMQ's ``send_message(serialize_event(event))`` writes, byte for byte."""
    if entry_format == "binary":
        return [
            EntryField.event_type, event.event_type.encode("utf-8"),
            EntryField.envelope, registry.to_binary(event),
            EntryField.metadata, metadata_json(meta).encode("utf-8"),
        ]
    if entry_format != "json":
        raise ValueError(f"the entry format must be 'json' or 'binary', not {entry_format!r}")
    text = registry.to_json(event, style="python")
    return [EntryField.data, f'{text[:-1]}, "{EntryField.metadata}": {metadata_json(meta)}}}'.encode("utf-8")]


def _text(raw):
    if raw is None:
        return None
    try:
        return raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        return None


def _json_field(fields, name):
    text = _text(fields.get(name.encode()))
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _list(value):
    return value if isinstance(value, list) else []


def _failures(in_data, fields):
    found = _list(in_data) + _list(_json_field(fields, EntryField.failures))
    return sorted(found, key=lambda f: f.get("timestamp", 0) if isinstance(f, dict) and isinstance(f.get("timestamp"), (int, float)) else 0)


def _short(name):
    return name.rsplit(".", 1)[-1]


def entry_routing(fields):
    """What the router needs of an entry, read without decoding the event:
    ``(event_type as a short name, metadata)``, or a problem's text (str)."""
    data = fields.get(EntryField.data.encode())
    if data is not None:
        text = _text(data)
        if text is None:
            return "invalid-utf8: data is not valid UTF-8"
        try:
            value = json.loads(text)
        except ValueError as error:
            return f"data is not JSON: {error}"
        if not isinstance(value, dict):
            return "data is not a JSON object"
        if "event_type" in value and "eventType" in value:
            return "invalid-value: the event type is given twice, as event_type and as eventType"
        event_type = value.get("event_type", value.get("eventType"))
        meta = value.get(EntryField.metadata)
    else:
        raw = fields.get(EntryField.event_type.encode())
        event_type = _text(raw)
        if raw is not None and event_type is None:
            return "invalid-utf8: event_type is not valid UTF-8"
        meta = _json_field(fields, EntryField.metadata)
    if not isinstance(event_type, str) or event_type == "":
        return "missing-field: the entry has no event type"
    return _short(event_type), read_metadata(meta)


def decode_entry(registry, fields):
    """Decodes an entry of either format (told apart by its fields). Never raises."""
    data = fields.get(EntryField.data.encode())
    if data is not None:
        text = _text(data)
        if text is None:
            return _unreadable(fields, "invalid-utf8: data is not valid UTF-8")
        if len(data) > registry.max_bytes:
            return _unreadable(fields, f"too-large: data is {len(data)} bytes, over the limit of {registry.max_bytes}")
        try:
            value = json.loads(text)
        except ValueError as error:
            return _unreadable(fields, f"data is not JSON: {error}")
        if not isinstance(value, dict):
            return _unreadable(fields, "data is not a JSON object")
        meta = read_metadata(value.get(EntryField.metadata))
        named = value.get("event_type", value.get("eventType"))
        event_type = named if isinstance(named, str) else None
        failures, requeues = _failures(value.get(EntryField.failures), fields), _list(value.get(EntryField.requeues))
        return _finish("json", event_type, meta, failures, requeues, lambda: registry.from_dict(value))
    envelope = fields.get(EntryField.envelope.encode())
    raw_type = fields.get(EntryField.event_type.encode())
    event_type = _text(raw_type)
    meta = read_metadata(_json_field(fields, EntryField.metadata))
    failures, requeues = _failures(None, fields), _list(_json_field(fields, EntryField.requeues))
    if raw_type is not None and event_type is None:
        problem = EntryProblem("undecodable", "invalid-utf8: event_type is not valid UTF-8", None)
        return DecodedEntry("binary" if envelope is not None else "unknown", None, meta, failures, requeues, None, problem)
    if envelope is not None:
        if event_type is not None and registry.get(event_type) is None:
            message = f"event_type: no event type {json.dumps(event_type[:200])} is registered"
            return DecodedEntry("binary", event_type, meta, failures, requeues, None, EntryProblem("unknown-type", message, event_type))
        return _finish("binary", event_type, meta, failures, requeues, lambda: registry.from_binary(envelope))
    problem = EntryProblem("undecodable", "the entry has neither a data nor an envelope field", None)
    return DecodedEntry("unknown", event_type, meta, failures, requeues, None, problem)


def _finish(entry_format, event_type, meta, failures, requeues, decode):
    try:
        event = decode()
    except DecodeError as error:
        if error.code == "unknown-event-type":
            problem = EntryProblem("unknown-type", str(error.args[0]), event_type or "")
        else:
            problem = EntryProblem("undecodable", f"{error.code}: {error.args[0]}", None)
        return DecodedEntry(entry_format, event_type, meta, failures, requeues, None, problem)
    return DecodedEntry(entry_format, event.event_type, meta, failures, requeues, event, None)


def _unreadable(fields, message):
    meta = read_metadata(_json_field(fields, EntryField.metadata))
    return DecodedEntry(
        "json", None, meta, _failures(None, fields), _list(_json_field(fields, EntryField.requeues)), None, EntryProblem("undecodable", message, None)
    )


# --- Moves ---------------------------------------------------------------------------

_decoder = json.JSONDecoder()
_SPACE = " \t\n\r"


def _skip(text, i):
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _members(text):
    """The top-level members of a JSON object text — (key, value start, value end) — and the index of its ``}``; None when it is not one."""
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        return None
    members = []
    i = _skip(text, i + 1)
    if i < len(text) and text[i] == "}":
        return (members, i) if _skip(text, i + 1) == len(text) else None
    try:
        while True:
            if i >= len(text) or text[i] != '"':
                return None
            key, end = json.decoder.scanstring(text, i + 1)
            i = _skip(text, end)
            if i >= len(text) or text[i] != ":":
                return None
            start = _skip(text, i + 1)
            _, stop = _decoder.raw_decode(text, start)
            members.append((key, start, stop))
            i = _skip(text, stop)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
                continue
            if i < len(text) and text[i] == "}":
                return (members, i) if _skip(text, i + 1) == len(text) else None
            return None
    except ValueError:
        return None


def _last(members, key):
    for member in reversed(members):
        if member[0] == key:
            return member
    return None


def _record_move(text, list_key, item, meta):
    shape = _members(text)
    if shape is None:
        return None
    members, close = shape
    edits = []
    appended = []
    found = _last(members, list_key)
    if found is not None and text[found[1]] == "[":
        inner = text[found[1] + 1 : found[2] - 1].strip()
        if inner == "":
            edits.append((found[1], found[2], f"[{item}]"))
        else:
            edits.append((found[2] - 1, found[2] - 1, f", {item}"))
    elif found is not None:
        edits.append((found[1], found[2], f"[{item}]"))
    else:
        appended.append(f"{json.dumps(list_key)}: [{item}]")
    old = _last(members, EntryField.metadata)
    if old is not None:
        edits.append((old[1], old[2], meta))
    else:
        appended.append(f'"{EntryField.metadata}": {meta}')
    if appended:
        edits.append((close, close, (", " if members else "") + ", ".join(appended)))
    for start, end, new in sorted(edits, key=lambda e: -e[0]):
        text = text[:start] + new + text[end:]
    return text


def _old_metadata(fields, text):
    if text is not None:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return read_metadata(value.get(EntryField.metadata))
        return None
    return read_metadata(_json_field(fields, EntryField.metadata))


def moved_fields(fields, list_key, item, now):
    """The fields of an entry being moved (to a DLQ, or back from one): the
    same fields with ``item`` appended to the list under ``list_key`` and
    fresh ``_metadata`` (same id, new timestamp, no TTL), as LeanMQ writes a
    move. Nothing of the original is dropped: an entry whose ``data`` is not
    a JSON object keeps it as it is, with the list in a field of its own."""
    item_json = json.dumps(item)
    data = fields.get(EntryField.data.encode())
    text = _text(data)
    old = _old_metadata(fields, text)
    meta = metadata_json(new_metadata(None, old.id if old is not None else str(uuid.uuid4()), now))
    if text is not None:
        edited = _record_move(text, list_key, item_json, meta)
        if edited is not None:
            out = [EntryField.data, edited.encode("utf-8")]
            for name, value in fields.items():
                if name != EntryField.data.encode():
                    out += [name, value]
            return out
    out = []
    for name, value in fields.items():
        if name in (list_key.encode(), EntryField.metadata.encode()):
            continue
        out += [name, value]
    previous = _list(_json_field(fields, list_key))
    out += [EntryField.metadata, meta.encode("utf-8"), list_key, ("[" + ", ".join([json.dumps(p) for p in previous] + [item_json]) + "]").encode("utf-8")]
    return out
