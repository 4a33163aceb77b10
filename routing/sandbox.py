"""Parsing a coordinator's upload in a child process with a memory and a time limit.

An upload is read with the `routing.bounds.UPLOAD` bounds, which refuse a file too large to be a
routing table before unpacking it. What those counts cannot foresee (a parser's own blow-up, a
pathological YAML, a bug) must still not take the bot with it, nor stall its event loop: the
parse runs in a fresh interpreter (``python -P -m routing.sandbox``) whose address space and CPU
time are capped with ``setrlimit``, and which the parent kills when the wall-clock limit is up.
Whatever happens there — a table, a list of problems, ``MemoryError``, a timeout, a crash —
comes back as a ``RoutingTable`` or as a ``TableError`` with one Russian message.

A fresh interpreter, not a fork: a fork of the bot would inherit its threads' locks and its
memory (counted against the limit). The child gets what it needs on stdin and an environment
without the bot's settings (no tokens in a process that reads hostile files), and answers with
a pickle that the parent reads with an unpickler accepting only the table's own classes.

Blocking: the bot calls `parse_upload` in a thread (``asyncio.to_thread``); that thread only
waits on a pipe, so the event loop keeps its pace while a hostile file is parsed
(``bench/upload_guard.py`` measures it).
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

from routing.bounds import UPLOAD, Bounds, MiB
from routing.errors import Problem, TableError
from routing.model import RoutingTable

log = logging.getLogger("routing.sandbox")

#: Wall-clock seconds for one upload: the largest table within `UPLOAD` parses in ~15 s here.
SECONDS = 60.0
#: Address space of the child. A bounded table needs ~250 MB; the interpreter itself ~40 MB.
MEMORY_BYTES = 480 * MiB

_PROBLEMS, _TABLE, _OUT_OF_MEMORY, _FAILED = "problems", "table", "memory", "failed"
_TOO_SLOW = ("проверка таблицы не уложилась в {seconds} с и остановлена: таблица слишком "
             "велика или сложна. Таблица маршрутизации столько не занимает — проверьте, что "
             "прислан тот файл")
_TOO_BIG = ("проверке таблицы не хватило {megabytes} МБ памяти, и она остановлена: таблица "
            "слишком велика или сложна. Таблица маршрутизации столько не занимает — проверьте, "
            "что прислан тот файл")
_BROKEN = ("таблицу не удалось проверить: проверка завершилась сбоем. Пришлите файл ещё раз; "
           "если не поможет — сохраните его в другом формате (.xlsx, .yaml или .zip с CSV)")


def parse_upload(data: bytes, filename: str, *, bounds: Bounds = UPLOAD,
                 seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES) -> RoutingTable:
    """``routing.tablefile.parse_table(data, filename, bounds)`` in a child process.

    Raises ``TableError`` (and nothing else): the table's problems, or one problem saying the
    parse was stopped for time or memory, or failed.
    """
    request = pickle.dumps((data, filename, bounds, seconds, memory_bytes))
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-P", "-m", "routing.sandbox"], input=request, capture_output=True,
            timeout=seconds, env=_child_environment(), check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        log.warning("table upload: parsing stopped after %.1f s", seconds)
        raise _refusal(filename, _TOO_SLOW.format(seconds=_seconds(seconds))) from None
    return _table_or_refusal(done.returncode, done.stdout, filename, seconds, memory_bytes,
                             time.perf_counter() - started)


def _table_or_refusal(returncode: int, output: bytes, filename: str, seconds: float,
                      memory_bytes: int, elapsed: float) -> RoutingTable:
    """What the child's exit and answer mean: the table, or the ``TableError`` to raise."""
    answer = _answer(output) if returncode == 0 else None
    if answer is None:
        if returncode == -signal.SIGXCPU:
            log.warning("table upload: parsing used up its CPU time (%.1f s)", elapsed)
            raise _refusal(filename, _TOO_SLOW.format(seconds=_seconds(seconds)))
        log.warning("table upload: the parsing process failed (exit code %s) after %.1f s",
                    returncode, elapsed)
        raise _refusal(filename, _BROKEN)
    kind, *rest = answer
    if kind == _TABLE and isinstance(rest[0], RoutingTable):
        log.info("table upload: parsed in %.1f s", elapsed)
        return rest[0]
    if kind == _PROBLEMS:
        raise TableError(rest[0], rest[1])
    if kind == _OUT_OF_MEMORY:
        log.warning("table upload: parsing ran out of memory (%d MiB) after %.1f s",
                    memory_bytes // MiB, elapsed)
        raise _refusal(filename, _TOO_BIG.format(megabytes=memory_bytes // MiB))
    log.warning("table upload: the parse failed (%s) after %.1f s", rest[:1], elapsed)
    raise _refusal(filename, _BROKEN)


def _seconds(seconds: float) -> str:
    return f"{seconds:g}".replace(".", ",")


def _refusal(filename: str, message: str) -> TableError:
    return TableError([Problem(message, filename)])


def _child_environment() -> dict[str, str]:
    """Enough to start Python and import this package, and nothing of the bot's settings."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": path, "LC_ALL": "C.UTF-8"}


class _TableUnpickler(pickle.Unpickler):
    """Builds only the classes a parse can answer with: the table's and its problems'."""

    ALLOWED = frozenset({
        ("routing.model", "RoutingTable"), ("routing.model", "Municipality"),
        ("routing.model", "Topic"), ("routing.model", "Body"), ("routing.model", "Deadline"),
        ("routing.model", "DeadlineUnit"), ("routing.model", "Level"),
        ("routing.errors", "Problem"),
    })

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parse's answer")
        return super().find_class(module, name)


def _answer(output: bytes) -> tuple | None:
    try:
        answer = _TableUnpickler(io.BytesIO(output)).load()
    except Exception:  # anything the child wrote that is not a well-formed answer
        return None
    return answer if isinstance(answer, tuple) and answer else None


# -- the child -------------------------------------------------------------------------------------
def _limit(seconds: float, memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(seconds) + 1  # the parent's wall clock comes first; this outlives a dead parent
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _parse(data: bytes, filename: str, bounds: Bounds) -> tuple:
    # openpyxl imports numpy when it is installed, only to write numpy numbers; with OpenBLAS
    # that is ~100 MB of the address space and a thread per core. Reading needs none of it.
    sys.modules["numpy"] = None  # type: ignore[assignment]  # "import numpy" then fails
    try:
        from routing.tablefile import parse_table

        return (_TABLE, parse_table(data, filename, bounds))
    except TableError as error:
        return (_PROBLEMS, error.problems, error.total)
    except MemoryError:
        return (_OUT_OF_MEMORY,)
    except Exception as error:  # a bug: reported by its kind only, the text may hold cell data
        return (_FAILED, type(error).__name__)


def _child() -> int:
    data, filename, bounds, seconds, memory_bytes = pickle.loads(sys.stdin.buffer.read())
    _limit(seconds, memory_bytes)
    answer = _parse(data, filename, bounds)
    del data
    try:
        output = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        output = pickle.dumps((_OUT_OF_MEMORY,))
    sys.stdout.buffer.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
