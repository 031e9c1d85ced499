"""What the Python package's tests share: the repository's paths, the
all-types fixture's generated code (protoc, into a temporary folder), the
TypeScript side's output for the same events, and a private redis-server
(or REDIS_URL) with a fresh key prefix per test.

Run from the repository with Debian's Python: ``/usr/bin/python3 -m pytest
python/tests`` (``npm test`` does, through test/python/package.test.ts).
"""

import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

PYTHON_DIR = pathlib.Path(__file__).resolve().parent.parent
ROOT = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))
sys.path.insert(0, str(ROOT / "test" / "python"))

VECTORS = ROOT / "test" / "vectors"
HOW_TO = "Debian: apt-get install protobuf-compiler libprotobuf-dev python3-protobuf python3-redis python3-pytest redis-server (npm test installs them)"


@pytest.fixture(scope="session")
def fixtures_gen():
    """The Python code protoc generates for test/fixtures/proto (the all-types fixture), importable."""
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    if not os.path.exists(protoc):
        pytest.fail(f"protoc is missing: it generates the all-types fixture's Python code ({HOW_TO})")
    if not os.path.exists("/usr/include/google/protobuf/timestamp.proto"):
        pytest.fail(f"the well-known types' .proto files are missing ({HOW_TO})")
    out = tempfile.mkdtemp(prefix="eventwire-pyfixtures-")
    proto = ROOT / "test" / "fixtures" / "proto"
    files = sorted(str(p.relative_to(proto)) for p in proto.rglob("*.proto"))
    run = subprocess.run([protoc, f"--python_out={out}", f"-I{proto}", "-I/usr/include", *files], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, out)
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def shop_registry():
    from eventwire import Registry
    from eventwire.shop.v1 import events_pb2

    return Registry([events_pb2.OrderCreatedEvent, events_pb2.PaymentProcessedEvent, events_pb2.OrderShippedEvent])


@pytest.fixture(scope="session")
def full_registry(fixtures_gen):
    from eventwire import Registry
    from fixtures.full.v1 import full_pb2

    return Registry([full_pb2.EverythingEvent, full_pb2.IntegerNamesEvent])


@pytest.fixture(scope="session")
def ts_cases():
    """What the TypeScript side writes for the same events (test/python/ts-cases.ts)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the cross-checks compare with the TypeScript side's output")
    if not (ROOT / "node_modules" / "tsx").exists():
        pytest.fail("node_modules is missing: run `npm ci` in the repository first")
    run = subprocess.run(
        [node, "--conditions=eventwire-source", "--import", "tsx", "test/python/ts-cases.ts"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    cases = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    for case in cases:
        case["bin"] = base64.b64decode(case["bin"])
    assert len(cases) > 300
    return cases


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set, else a private redis-server on a free loopback port, stopped at the end."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(f"redis-server is missing: these tests need a real Redis ({HOW_TO}), or set REDIS_URL to one they may write to")
    data = tempfile.mkdtemp(prefix="eventwire-pyredis-")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.025)
    else:
        process.kill()
        pytest.fail(f"redis-server did not start on port {port}")
    client.close()
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def prefix():
    """A key prefix of the test's own."""
    return f"py-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def transport(redis_url, shop_registry, prefix):
    from eventwire.transport import connect

    t = connect(shop_registry, url=redis_url, prefix=prefix)
    yield t
    for key in t.client.scan_iter(match=prefix + "*"):
        t.client.delete(key)
    t.close()
