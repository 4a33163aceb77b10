"""A throwaway PostgreSQL server for the test session: a real one, not a mock.

`PgCluster` runs ``initdb`` into a fresh temporary directory, starts ``postgres`` with
``pg_ctl`` on a free port of 127.0.0.1 (and a unix socket in that directory), trust auth, and
on exit stops it and removes the directory. Each test asks for its own empty database
(`PgCluster.new_database`), so tests never see each other's rows.

Binaries are looked up on PATH, then in ``/usr/lib/postgresql/*/bin`` (Debian's layout).
When none are there the tests fail with a message saying how to get them — never skip: CI
installs the ``postgresql`` package through ``python3 dev.py test``.

Debian's ``postgres`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user (or ``nobody``) and every server command runs through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

NOT_FOUND = (
    "Не найден PostgreSQL (initdb/pg_ctl): тесты хранилища нужен настоящий сервер. "
    "Запустите тесты через «python3 dev.py test» — он установит пакет postgresql — "
    "или установите его сами: apt-get install postgresql"
)


def find_binaries() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``createdb``."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "createdb")):
            return directory
    raise RuntimeError(NOT_FOUND)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unprivileged_user() -> str | None:
    """Who runs the server when we are root; ``None`` when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("тесты запущены от root, а пользователя postgres или nobody нет")


class PgCluster:
    """``durable``: with ``fsync`` and synchronous commits on, as in production (benchmarks);
    the tests run without, since a test never survives a power cut."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        self.bin = find_binaries()
        self.user = _unprivileged_user()
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="obr-pg-"))
        self.data = self.dir / "data"
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", self.user, "--"] if self.user else []), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} завершился с кодом {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )

    def start(self) -> PgCluster:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.dir / "server.log"),
            "-o", options,
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """An empty database of its own for one test; returns its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._run(
            str(self.bin / "createdb"),
            "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", name,
        )
        return self.url(name)


@contextlib.contextmanager
def running_cluster(durable: bool = False) -> Iterator[PgCluster]:
    cluster = PgCluster(durable)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
