"""Partitions of a queue: which partition an event goes to (FNV-1a of its
key), the count as recorded in the queue's metadata, and its bounds — as
src/transport/partitions.ts computes them, so that Python and TypeScript
publishers put events of one key in the same partition."""

import collections
import re

from ..errors import TransportError
from .keys import MAX_PARTITIONS

__all__ = ["PartitionCount", "check_partition_count", "partition_count", "partition_of"]

PartitionCount = collections.namedtuple("PartitionCount", "count highest")
PartitionCount.__doc__ = "A queue's partitions: ``count``, where publishers write, and ``highest``, the most it has had (consumers read that many)."

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def check_partition_count(count):
    """Checks a partition count: an integer from 1 to :data:`MAX_PARTITIONS`."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PARTITIONS:
        raise TransportError("invalid-option", f"a queue has from 1 to {MAX_PARTITIONS} partitions, got {count!r}")


def _utf8(key):
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate, as JavaScript's TextEncoder writes it: U+FFFD
        return _LONE_SURROGATE.sub("\ufffd", key).encode("utf-8")


def partition_of(key, count):
    """The partition ``key`` goes to among ``count``: the 32-bit FNV-1a hash
    of its UTF-8 bytes (start from 2166136261; for each byte, xor it in, then
    multiply by 16777619 modulo 2^32), modulo ``count``. ``key``: text (or bytes, taken as they are)."""
    if count <= 1:
        return 0
    data = key if isinstance(key, (bytes, bytearray)) else _utf8(str(key))
    h = _FNV_OFFSET
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & 0xFFFFFFFF
    return h % count


# JavaScript's Number(text) of a string: its whitespace trimmed; empty is 0;
# a decimal literal (sign, digits, point, exponent, or Infinity), or 0x, 0o,
# 0b integers without a sign; anything else NaN.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\Z")
_JS_RADIX = re.compile(r"0(?:([xX][0-9a-fA-F]+)|([oO][0-7]+)|([bB][01]+))\Z")


def _js_number(text):
    text = text.strip(_JS_SPACE)
    if text == "":
        return 0.0
    radix = _JS_RADIX.match(text)
    if radix:
        digits = text[2:]
        return int(digits, 16 if radix.group(1) else 8 if radix.group(2) else 2)
    if _JS_DECIMAL.match(text):
        return float(text.replace("Infinity", "inf"))
    return float("nan")


def _read_count(value):
    if value is None:
        return 1
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
    n = _js_number(text)
    if isinstance(n, float) and not n.is_integer():  # NaN and the infinities too
        return 1
    n = int(n)
    return n if 1 <= n <= MAX_PARTITIONS else 1


def partition_count(count, highest):
    """The partitions as the metadata hash holds them (``partitions``,
    ``partitions_highest``: text, bytes or None), read as the TypeScript
    side reads them: 1 partition, the queue itself, when none is recorded or
    it is unreadable; ``highest`` never below ``count``."""
    c = _read_count(count)
    return PartitionCount(c, max(c, _read_count(highest)))
