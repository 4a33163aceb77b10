"""A real Redis for the tests: ``redis-server`` on 127.0.0.1, a free port, nothing on disk.

Shared state between bot processes is the point of these tests, so they run against the engine
itself, not an imitation. ``python3 dev.py test`` (and CI) install the ``redis-server`` Debian
package when missing; where the binary still is not on PATH the tests are skipped with a reason.
One server per test module; each test gets a fresh database (``FLUSHDB``) and its own URL.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server_process(binary: str) -> Iterator[str]:
    """``redis://127.0.0.1:<port>`` of a ``redis-server`` started here and stopped on exit
    (also used by ``bench.delivery_shared``)."""
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[str]:
    """``redis://127.0.0.1:<port>`` of a server started for this module and stopped after."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server не установлен (python3 dev.py test ставит пакет redis-server)")
    with redis_server_process(binary) as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A clean database on the module's server for one test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushdb()
    return f"{redis_server}/0"
