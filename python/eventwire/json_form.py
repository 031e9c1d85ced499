"""The JSON form of a payload message, both ways, as the TypeScript side
writes and reads it: fields under their ``.proto`` names in declaration
order, defaults included (fields that track presence only when set), values
per the proto3 JSON mapping, map entries and struct keys in the binary
form's order, and unknown binary fields kept as base64 under
``_unknown_fields``. The tree holds ``float`` for ``double``/``float`` values
(``float`` fields at the shortest digits that read back as the same float)
and ``int`` for the others, so that the writers of ``json_text`` print each
number as the TypeScript side does."""

import base64
import math
import struct

from google.protobuf import descriptor, json_format, symbol_database

from .errors import DecodeError

__all__ = ["UNKNOWN_FIELDS_KEY", "message_tree", "parse_message"]

UNKNOWN_FIELDS_KEY = "_unknown_fields"

_FD = descriptor.FieldDescriptor
_INT64 = {_FD.TYPE_INT64, _FD.TYPE_UINT64, _FD.TYPE_FIXED64, _FD.TYPE_SFIXED64, _FD.TYPE_SINT64}
_WRAPPERS = {
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}
_STRING_FORMS = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}


def _is_map(field):
    return field.type == _FD.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def _has_presence(field):
    if field.label == _FD.LABEL_REPEATED:
        return False
    presence = getattr(field, "has_presence", None)
    if presence is not None:
        return presence
    return field.type == _FD.TYPE_MESSAGE or field.containing_oneof is not None


def shortest_float32(value):
    """A float field's value as the shortest decimal (6 significant digits or
    more) that reads back as the same 32-bit float: ``0.1``, not ``0.10000000149011612``."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return value
    for precision in range(6, 10):
        text = "%.*g" % (precision, value)
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
            return float(text)
    return value


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _scalar(field, value):
    t = field.type
    if t == _FD.TYPE_DOUBLE:
        return float(value)
    if t == _FD.TYPE_FLOAT:
        return shortest_float32(float(value))
    if t in _INT64:
        return str(value)
    if t == _FD.TYPE_BYTES:
        return _b64(value)
    if t == _FD.TYPE_ENUM:
        if field.enum_type.full_name == "google.protobuf.NullValue":
            return None
        named = field.enum_type.values_by_number.get(value)
        return named.name if named is not None else value
    return value


def _map_key(field, key):
    if field.type == _FD.TYPE_BOOL:
        return "true" if key else "false"
    return str(key)


def _value(field, value):
    if field.type == _FD.TYPE_MESSAGE:
        return _message_value(value)
    return _scalar(field, value)


def _json_value(value):
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "number_value":
        return float(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return _struct(value.struct_value)
    return [_json_value(v) for v in value.list_value.values]


def _struct(struct_message):
    return {key: _json_value(struct_message.fields[key]) for key in sorted(struct_message.fields)}


def _any(message):
    url = message.type_url
    name = url.rsplit("/", 1)[-1]
    try:
        cls = symbol_database.Default().GetSymbol(name)
    except KeyError:
        cls = None
    if cls is None:
        return {"@type": url, "value": _b64(message.value)}
    inner = cls.FromString(message.value)
    if name.startswith("google.protobuf."):
        return {"@type": url, "value": _message_value(inner)}
    out = {"@type": url}
    out.update(message_tree(inner))
    return out


def _message_value(message):
    name = message.DESCRIPTOR.full_name
    if name.startswith("google.protobuf."):
        if name in _STRING_FORMS:
            return message.ToJsonString()
        if name in _WRAPPERS:
            return _scalar(message.DESCRIPTOR.fields_by_name["value"], message.value)
        if name == "google.protobuf.Struct":
            return _struct(message)
        if name == "google.protobuf.Value":
            return _json_value(message)
        if name == "google.protobuf.ListValue":
            return [_json_value(v) for v in message.values]
        if name == "google.protobuf.Empty":
            return {}
        if name == "google.protobuf.Any":
            return _any(message)
    return message_tree(message)


def _unknown_bytes(message):
    """The unknown fields of this message itself (not of the messages it holds), as their wire bytes."""
    try:
        if len(message.UnknownFields()) == 0:
            return b""
    except (AttributeError, NotImplementedError):
        pass
    alone = type(message)()
    alone.MergeFrom(message)
    for field in message.DESCRIPTOR.fields:
        alone.ClearField(field.name)
    return alone.SerializeToString()


def message_tree(message):
    """A message as its JSON form's tree (see the module comment)."""
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if _is_map(field):
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            out[field.name] = {_map_key(key_field, k): _value(value_field, value[k]) for k in sorted(value)}
        elif field.label == _FD.LABEL_REPEATED:
            out[field.name] = [_value(field, item) for item in value]
        elif _has_presence(field) and not message.HasField(field.name):
            continue
        else:
            out[field.name] = _value(field, value)
    unknown = _unknown_bytes(message)
    if unknown:
        out[UNKNOWN_FIELDS_KEY] = _b64(unknown)
    return out


# --- Reading ---------------------------------------------------------------------------


def _take_unknown(tree, descriptor_, path, found, steps=(), kept=None):
    """A copy of ``tree`` for ``json_format.ParseDict``: without its
    ``_unknown_fields`` keys (recorded in ``found`` as (steps to the message,
    bytes)), without keys the schema does not know (recorded in ``kept``, by
    the steps to their message), and with bare non-finite numbers in float
    fields quoted."""
    if not isinstance(tree, dict):
        return tree
    out = {}
    for key, value in tree.items():
        if key == UNKNOWN_FIELDS_KEY:
            if not isinstance(value, str):
                raise DecodeError("invalid-value", f"expected the unknown fields as base64 text, got {type(value).__name__}", _join(path, key))
            try:
                found.append((steps, base64.b64decode(value, validate=True)))
            except ValueError as error:
                raise DecodeError("invalid-value", f"the unknown fields are not base64: {error}", _join(path, key)) from None
            continue
        field = descriptor_.fields_by_name.get(key) or _by_json_name(descriptor_, key)
        if field is None:
            if kept is not None:
                kept.setdefault(steps, {})[key] = value
            continue
        if _holds_floats(field):
            value = _quote_non_finite(value)
        if field.type == _FD.TYPE_MESSAGE and not field.message_type.full_name.startswith("google.protobuf."):
            if _is_map(field):
                value_field = field.message_type.fields_by_name["value"]
                if value_field.type == _FD.TYPE_MESSAGE and not value_field.message_type.full_name.startswith("google.protobuf.") and isinstance(value, dict):
                    value = {k: _take_unknown(v, value_field.message_type, _join(path, field.name, k), found, steps + ((field.name, k),), kept) for k, v in value.items()}
            elif field.label == _FD.LABEL_REPEATED and isinstance(value, list):
                value = [_take_unknown(v, field.message_type, _join(path, field.name, i), found, steps + ((field.name, i),), kept) for i, v in enumerate(value)]
            else:
                value = _take_unknown(value, field.message_type, _join(path, field.name), found, steps + ((field.name, None),), kept)
        out[key] = value
    return out


_FLOAT_WRAPPERS = {"google.protobuf.DoubleValue", "google.protobuf.FloatValue"}


def _holds_floats(field):
    if field.type in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        return True
    if field.type != _FD.TYPE_MESSAGE:
        return False
    if _is_map(field):
        return _holds_floats(field.message_type.fields_by_name["value"])
    return field.message_type.full_name in _FLOAT_WRAPPERS


def _quote_non_finite(value):
    """Python's bare NaN and Infinity (as ``json.loads`` reads them) as the strings the proto3 mapping has for them, in float fields only."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [_quote_non_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _quote_non_finite(v) for k, v in value.items()}
    return value


def _by_json_name(descriptor_, key):
    for field in descriptor_.fields:
        if field.json_name == key:
            return field
    return None


def _join(path, key, index=None):
    at = f"{path}.{key}" if path else str(key)
    if index is None:
        return at
    return f"{at}[{index}]" if isinstance(index, int) else f'{at}["{index}"]'


def _message_at(message, steps):
    """The message inside ``message`` at the steps ``_take_unknown`` recorded: (field, index or map key or None) each."""
    current = message
    for name, index in steps:
        value = getattr(current, name)
        if index is None:
            current = value
        elif isinstance(index, int):
            current = value[index]
        else:
            key_field = current.DESCRIPTOR.fields_by_name[name].message_type.fields_by_name["key"]
            current = value[_parse_key(key_field, index)]
    return current


def _parse_key(field, text):
    if field.type == _FD.TYPE_BOOL:
        return text == "true"
    if field.type == _FD.TYPE_STRING:
        return text
    return int(text)


def parse_message(tree, cls):
    """A message of ``cls`` from its JSON form's tree (either the proto or
    the JSON names of fields; 64-bit integers as strings or numbers; the
    unknown fields under ``_unknown_fields`` kept), and the keys the schema
    does not know, by the steps to the message they were in (field name, and
    index, map key or None, each), for :func:`put_back_keys`. Raises
    :class:`DecodeError` (``invalid-value``)."""
    found = []
    kept = {}
    stripped = _take_unknown(tree, cls.DESCRIPTOR, "", found, (), kept)
    message = cls()
    try:
        json_format.ParseDict(stripped, message)
        for steps, data in found:
            _message_at(message, steps).MergeFromString(data)
    except DecodeError:
        raise
    except (json_format.ParseError, ValueError, TypeError, KeyError) as error:
        raise DecodeError("invalid-value", str(error)) from None
    return message, kept


def put_back_keys(tree, kept):
    """Puts the keys :func:`parse_message` kept back into a message's tree,
    where the TypeScript side writes them: after the fields, before
    ``_unknown_fields``. Keys whose message is no longer there are dropped."""
    for steps, keys in kept.items():
        node = tree
        for name, index in steps:
            node = node.get(name) if isinstance(node, dict) else None
            if index is not None:
                if isinstance(node, list) and isinstance(index, int) and index < len(node):
                    node = node[index]
                elif isinstance(node, dict) and isinstance(index, str):
                    node = node.get(index)
                else:
                    node = None
            if node is None:
                break
        if not isinstance(node, dict):
            continue
        unknown = node.pop(UNKNOWN_FIELDS_KEY, None)
        for key, value in keys.items():
            node.setdefault(key, value)
        if unknown is not None:
            node[UNKNOWN_FIELDS_KEY] = unknown
    return tree
