"""The package as ``pip install`` makes it: a wheel built from a copy of
python/ (the link to the Lua scripts followed) holds the generated code and
the scripts, and works with nothing of the repository on the path."""

import json
import shutil
import subprocess
import sys
import zipfile

from conftest import PYTHON_DIR, VECTORS

from eventwire.transport.scripts import SCRIPTS


def test_a_wheel_installs_a_working_package(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(PYTHON_DIR, source, symlinks=False, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q", str(source), "-w", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    wheel, = (tmp_path / "dist").glob("eventwire-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        z.extractall(site)
    for needed in ("eventwire/envelope/v1/envelope_pb2.py", "eventwire/shop/v1/events_pb2.py", "eventwire/lua/lib/streams.lua", "eventwire/lua/route.lua", "eventwire/transport/consumer.py"):
        assert needed in names, needed
    script = f"""
import json, sys
import eventwire
from eventwire import Registry
from eventwire.shop.v1 import events_pb2
from eventwire.transport import SCRIPTS
registry = Registry([events_pb2.OrderCreatedEvent, events_pb2.PaymentProcessedEvent, events_pb2.OrderShippedEvent])
data = open({str(VECTORS / 'OrderCreatedEvent.bin')!r}, "rb").read()
print(json.dumps({{"file": eventwire.__file__, "same": registry.to_binary(registry.from_binary(data)) == data,
                   "shas": {{n: s.sha1 for n, s in SCRIPTS.items()}}}}))
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["file"].startswith(str(site))
    assert out["same"] is True
    assert out["shas"] == {n: s.sha1 for n, s in SCRIPTS.items()}
