"""JSON text in the two dialects eventwire writes: the compact one of
JavaScript's ``JSON.stringify`` (the ``.json`` golden vectors, the TypeScript
side's ``toJson``), and Python's own ``json.dumps`` with its defaults (how
LeanMQ, and so eventwire's JSON entries, store events).

Both are written from a tree of dicts, lists, strings, booleans, ``None``,
``int`` (printed as integers) and ``float`` (printed as floats), so that the
same tree gives the same text the TypeScript side writes for the same event.
"""

import decimal
import json
import math

__all__ = ["dumps_compact", "dumps_python", "js_number", "js_object_order", "loads"]


def js_number(value):
    """A float as JavaScript's ``Number.prototype.toString`` writes it (the
    shortest digits that read back, like Python's ``repr``; fixed notation
    from 1e-7 up to 1e21, integers without a decimal point)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # the shortest digits that read back (repr's), and where the point goes
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + exponent
    if 0 < point <= 21:
        if len(digits) <= point:
            return sign + digits + "0" * (point - len(digits))
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    e = point - 1
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{'+' if e > 0 else '-'}{abs(e)}"


_MAX_INDEX = 2**32 - 2


def _array_index(key):
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) <= _MAX_INDEX


def js_object_order(keys):
    """Keys in the order a JavaScript object holding them in this insertion
    order lists them: array indices ("0" to "4294967294") first, ascending,
    then the others as given."""
    keys = list(keys)
    indices = sorted((k for k in keys if _array_index(k)), key=int)
    return indices + [k for k in keys if not _array_index(k)]


def _compact_string(text):
    return json.dumps(text, ensure_ascii=False)


def _compact(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_compact_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if math.isnan(value):
            out.append('"NaN"')
        elif math.isinf(value):
            out.append('"Infinity"' if value > 0 else '"-Infinity"')
        elif value == 0 and math.copysign(1.0, value) < 0:
            out.append('"-0"')
        else:
            out.append(js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key in js_object_order(value):
            if not first:
                out.append(",")
            first = False
            out.append(_compact_string(key))
            out.append(":")
            _compact(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _compact(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def dumps_compact(value):
    """The tree as ``JSON.stringify`` writes the same value in JavaScript:
    no spaces, non-ASCII text as it is, object keys in JavaScript's order,
    whole floats without a decimal point, and -0, NaN and the infinities as
    the strings the proto3 JSON mapping uses."""
    out = []
    _compact(value, out)
    return "".join(out)


def _ordered(value):
    if isinstance(value, dict):
        return {k: _ordered(value[k]) for k in js_object_order(value)}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def dumps_python(value):
    """The tree as Python's ``json.dumps`` writes it with its defaults
    (``", "`` and ``": "``, ``ensure_ascii``, bare ``NaN``/``Infinity``), object
    keys in the order the TypeScript side writes them."""
    return json.dumps(_ordered(value))


def loads(text):
    """JSON text as ``json.loads`` reads it (bare ``NaN`` and ``Infinity`` too)."""
    return json.loads(text)
