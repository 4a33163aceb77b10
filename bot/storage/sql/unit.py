"""A unit of work: one use case's transaction as a function of the transaction.

Why a function and not only ``async with repo.transaction()``: a backend may then run the whole
of it where the data is, with no return to the event loop between its statements — SQLite on
its connection's own thread (`bot.storage.sqlite.SqliteRepository.atomically`), where each
return to a busy loop kept the write lock held for a turn of it (bench/README.md, issue 20). The
unit's statements go through the same facets; only the driver under them differs.

The rule a unit keeps: it awaits nothing but its own statements. It may compute, render texts
and decide, but not sleep, call a platform or another service, start tasks, or open a second
transaction. `finish` enforces it where a unit runs off the loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

R = TypeVar("R")

#: What ``repo.atomically`` takes: the transaction in, the use case's answer out.
Unit = Callable[[Any], Awaitable[R]]


class UnitSuspended(RuntimeError):
    """A unit of work awaited something other than its statements (a bug in the unit)."""


def finish(coroutine: Coroutine[Any, Any, R]) -> R:
    """Run a coroutine that never suspends to its end, here and now, and return its value."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise UnitSuspended(
        "a unit of work may await only its own statements (no sleep, network or other task)"
    )
