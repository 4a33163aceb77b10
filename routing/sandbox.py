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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from routing.bounds import UPLOAD, Bounds, MiB
from routing.errors import Problem, TableError
from routing.model import Body, Municipality, ReplyTemplate, RoutingTable, Topic

log = logging.getLogger("routing.sandbox")

#: Wall-clock seconds for one upload: a table at the `UPLOAD` bounds took 3 s as a ZIP of CSV
#: and 20 s as XLSX here (a region's table: 0.1–0.3 s).
SECONDS = 60.0
#: Address space of the child (its peak RSS cannot exceed it): a table at the bounds peaked at
#: 190 MB (ZIP), 230 MB (XLSX), 340 MB (YAML); a region's table at 20–32 MB.
MEMORY_BYTES = 480 * MiB

#: Uploads are parsed one after another: the limits are per child, two at once would double them.
_ONE_AT_A_TIME = threading.Lock()

_PROBLEMS, _TABLE, _OUT_OF_MEMORY, _FAILED = "problems", "table", "memory", "failed"
_TOO_SLOW = ("проверка таблицы не уложилась в {seconds} с и остановлена: таблица слишком "
             "велика или сложна. Таблица маршрутизации столько не занимает — проверьте, что "
             "прислан тот файл")
_TOO_BIG = ("проверке таблицы не хватило {megabytes} МБ памяти, и она остановлена: таблица "
            "слишком велика или сложна. Таблица маршрутизации столько не занимает — проверьте, "
            "что прислан тот файл")
_BROKEN = ("таблицу не удалось проверить: проверка завершилась сбоем. Пришлите файл ещё раз; "
           "если не поможет — сохраните его в другом формате (.xlsx, .yaml или .zip с CSV)")


@dataclass(frozen=True)
class Parse:
    """One upload parsed in a child: the table or the refusal, and what it cost."""

    table: RoutingTable | None
    refusal: TableError | None
    seconds: float
    peak_bytes: int | None  # the child's own peak RSS, when it lived to tell


def parse_upload(data: bytes, filename: str, *, bounds: Bounds = UPLOAD,
                 seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES) -> RoutingTable:
    """``routing.tablefile.parse_table(data, filename, bounds)`` in a child process.

    Raises ``TableError`` (and nothing else): the table's problems, or one problem saying the
    parse was stopped for time or memory, or failed.
    """
    parse = parse_in_child(data, filename, bounds=bounds, seconds=seconds,
                           memory_bytes=memory_bytes)
    if parse.table is None:
        raise parse.refusal or _refusal(filename, _BROKEN)
    return parse.table


def parse_in_child(data: bytes, filename: str, *, bounds: Bounds = UPLOAD,
                   seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES) -> Parse:
    """`parse_upload` with its cost: for the log and ``bench/upload_guard.py``."""
    request = pickle.dumps((data, filename, bounds, seconds, memory_bytes))
    with _ONE_AT_A_TIME:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-P", "-m", "routing.sandbox"], input=request,
                capture_output=True, timeout=seconds, env=_child_environment(), check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed the child
            log.warning("table upload: parsing stopped after %.1f s", seconds)
            too_slow = _refusal(filename, _TOO_SLOW.format(seconds=_seconds(seconds)))
            return Parse(None, too_slow, time.perf_counter() - started, None)
    parse = _outcome(done.returncode, done.stdout, filename, seconds, memory_bytes,
                     time.perf_counter() - started)
    peak = f"{parse.peak_bytes / MiB:.0f} MiB" if parse.peak_bytes else "unknown"
    if parse.table is not None:
        log.info("table upload: parsed in %.1f s, peak memory %s", parse.seconds, peak)
    elif parse.refusal is not None:
        log.info("table upload: %d problem(s) found in %.1f s, peak memory %s",
                 parse.refusal.total, parse.seconds, peak)
    return parse


def _outcome(returncode: int, output: bytes, filename: str, seconds: float, memory_bytes: int,
             elapsed: float) -> Parse:
    """What the child's exit and answer mean: the table, or the refusal to give."""
    answer = _answer(output) if returncode == 0 else None
    if answer is None or len(answer) < 2:
        if returncode == -signal.SIGXCPU:
            log.warning("table upload: parsing used up its CPU time (%.1f s)", elapsed)
            return Parse(None, _refusal(filename, _TOO_SLOW.format(seconds=_seconds(seconds))),
                         elapsed, None)
        log.warning("table upload: the parsing process failed (exit code %s) after %.1f s",
                    returncode, elapsed)
        return Parse(None, _refusal(filename, _BROKEN), elapsed, None)
    kind, peak, *rest = answer
    peak = peak if isinstance(peak, int) else None
    if kind == _TABLE:
        table = _assembled(*rest)
        if table is not None:
            return Parse(table, None, elapsed, peak)
    elif kind == _PROBLEMS and len(rest) == 2:
        return Parse(None, TableError(rest[0], rest[1]), elapsed, peak)
    elif kind == _OUT_OF_MEMORY:
        log.warning("table upload: parsing ran out of memory (%d MiB) after %.1f s",
                    memory_bytes // MiB, elapsed)
        return Parse(None, _refusal(filename, _TOO_BIG.format(megabytes=memory_bytes // MiB)),
                     elapsed, peak)
    log.warning("table upload: the parse failed (%s) after %.1f s", rest[:1], elapsed)
    return Parse(None, _refusal(filename, _BROKEN), elapsed, peak)


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
        ("routing.model", "Municipality"), ("routing.model", "Topic"), ("routing.model", "Body"),
        ("routing.model", "Deadline"), ("routing.model", "DeadlineUnit"),
        ("routing.model", "Level"), ("routing.model", "ReplyTemplate"),
        ("routing.errors", "Problem"),
    })

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parse's answer")
        return super().find_class(module, name)


#: Entries per pickled piece of a table: each piece is unpickled by one C call that holds the
#: GIL, so the event loop waits for at most one piece (~2 ms) instead of the whole table.
_PIECE = 2_000


def _in_pieces(table: RoutingTable) -> tuple:
    """The parsed table as the child answers it: its region, then each section as pickled
    pieces (the peak memory is put in second place by `_child`)."""
    return (_TABLE, table.region, *(
        [pickle.dumps(entries[i:i + _PIECE], protocol=pickle.HIGHEST_PROTOCOL)
         for i in range(0, len(entries), _PIECE)]
        for entries in (table.municipalities, table.topics, table.bodies, table.templates)))


def _assembled(region: object, *sections: list) -> RoutingTable | None:
    """The table from `_in_pieces`' answer; ``None`` if it is not one."""
    if not isinstance(region, str) or len(sections) != len(_ENTRY_TYPES):
        return None
    parts: list[tuple] = []
    for pieces, kind in zip(sections, _ENTRY_TYPES, strict=True):
        entries: list = []
        for piece in pieces:
            part = _answer(piece)
            if part is None or not all(isinstance(entry, kind) for entry in part):
                return None
            entries.extend(part)
        parts.append(tuple(entries))
    return RoutingTable(region, *parts)


_ENTRY_TYPES = (Municipality, Topic, Body, ReplyTemplate)


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

        return _in_pieces(parse_table(data, filename, bounds))
    except TableError as error:
        return (_PROBLEMS, error.problems, error.total)
    except MemoryError:
        return (_OUT_OF_MEMORY,)
    except Exception as error:  # a bug: reported by its kind only, the text may hold cell data
        return (_FAILED, type(error).__name__)


def _peak_bytes() -> int | None:
    """This process's peak RSS since it was started (Linux; ``None`` elsewhere). A fresh
    interpreter's own: unlike ``RUSAGE_CHILDREN``, which counts the parent's pages at spawn."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _child() -> int:
    data, filename, bounds, seconds, memory_bytes = pickle.loads(sys.stdin.buffer.read())
    _limit(seconds, memory_bytes)
    kind, *rest = _parse(data, filename, bounds)
    del data
    answer = (kind, _peak_bytes(), *rest)
    try:
        output = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        output = pickle.dumps((_OUT_OF_MEMORY, None))
    sys.stdout.buffer.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
