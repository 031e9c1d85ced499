"""The Lua scripts that make the multi-step operations atomic: the very
files of the TypeScript side (src/redis/lua/, which ``eventwire/lua`` links
to and an installed package carries), assembled as src/redis/scripts.ts
assembles them — the libraries a script's ``-- Uses:`` header names, then
the script, each ending in a newline — so that both sides run the same
bytes, under the same SHA1."""

import hashlib
import os
import re

__all__ = ["LUA_DIR", "RedisScript", "SCRIPTS", "load_script"]

LUA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lua")

_HEADER = re.compile(r"^-- eventwire script: ([a-z-]+), version (\d+)\n")
_KEYS_LINE = re.compile(r"^-- KEYS \((\d+|variable)\): ", re.M)
_USES_LINE = re.compile(r"^-- Uses: (.+)$", re.M)
_LIBRARY_HEADER = re.compile(r"^-- eventwire library: ([a-z-]+), version (\d+)\n")


class RedisScript:
    """One script, as its file declares it: ``name``, ``version``, ``keys``
    (a count, or ``"variable"``), ``uses``, ``lua`` (what Redis runs) and its ``sha1``."""

    def __init__(self, name, version, keys, uses, lua):
        self.name = name
        self.version = version
        self.keys = keys
        self.uses = uses
        self.lua = lua
        self.sha1 = hashlib.sha1(lua.encode("utf-8")).hexdigest()

    def __repr__(self):
        return f"RedisScript({self.name!r}, version {self.version}, sha1 {self.sha1})"


def _read(path):
    with open(os.path.join(LUA_DIR, path + ".lua"), encoding="utf-8", newline="") as f:
        return f.read()


def load_script(name):
    """Reads and checks ``lua/<name>.lua`` and the libraries it uses."""
    source = _read(name)
    header = _HEADER.match(source)
    keys = _KEYS_LINE.search(source)
    if not header or header.group(1) != name or not keys:
        raise ValueError(f'{name}.lua must open with "-- eventwire script: {name}, version N" and declare "-- KEYS (n): …"')
    uses_line = _USES_LINE.search(source)
    uses = [u.strip() for u in uses_line.group(1).split(",")] if uses_line else []
    texts = []
    for lib in uses:
        text = _read(lib)
        found = _LIBRARY_HEADER.match(text)
        if not lib.startswith("lib/") or not found or found.group(1) != lib[4:]:
            raise ValueError(f"{name}.lua uses {lib}, which is not a library (lib/<name>.lua)")
        texts.append(text)
    texts.append(source)
    lua = "".join(t if t.endswith("\n") else t + "\n" for t in texts)
    count = keys.group(1)
    return RedisScript(name, int(header.group(2)), "variable" if count == "variable" else int(count), uses, lua)


SCRIPTS = {
    name[: -len(".lua")]: load_script(name[: -len(".lua")])
    for name in sorted(os.listdir(LUA_DIR))
    if name.endswith(".lua")
}
"""Every script in the folder (the libraries under ``lib/`` apart), by its file's name."""
