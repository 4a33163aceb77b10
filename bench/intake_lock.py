"""Where the full bot's intake waits: how long SQLite's write lock is held, and by whom.

    python -m bench.intake_lock                  # 2,000 appeals, one full Telegram round
    python -m bench.intake_lock --appeals 500

One round of `bench.intake_throughput` (the full bot, Telegram), with the repository's lock
(`SqliteRepository._lock`: one logical transaction at a time) replaced by one that clocks each
hold and names the core function that asked for it. Why: the intake round is not bound by the
event loop's CPU alone (its main thread idles about a fifth of the round); a transaction holds
the lock from its first statement to its commit, and between its trips to SQLite's thread it
waits for its turn on a busy event loop. Every other transaction waits meanwhile. The share of
the round during which the lock is held says how much of the intake is that queue; the
breakdown says whose transactions fill it. The CPU time of the event loop's thread (the bot's
and the emulator's, which share it) is the bound the round would meet without that queue.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from typing import Any

from bench.intake_throughput import prepare, run_round, telegram_full
from bot.storage import sqlite


def _caller(place: str) -> str | None:
    """``file:function`` of the nearest caller whose file lies in ``place``."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if place in code.co_filename:
            return f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"
        frame = frame.f_back
    return None


class ClockedLock(asyncio.Lock):
    """An asyncio lock keeping each hold: (taken, released, the core function that took it)."""

    def __init__(self, holds: list[tuple[float, float, str]]) -> None:
        super().__init__()
        self.holds = holds
        self._since = 0.0
        self._holder = ""

    async def acquire(self) -> bool:
        # The core function that opened the transaction; a group's late COMMIT runs in a task
        # of its own (`SqliteRepository._commit_later`), with only the storage on its stack.
        holder = (
            _caller("/bot/core/") or _caller("/bot/delivery/") or _caller("/bot/storage/")
            or "other"
        )
        taken = await super().acquire()
        self._since, self._holder = time.perf_counter(), holder
        return taken

    def release(self) -> None:
        self.holds.append((self._since, time.perf_counter(), self._holder))
        super().release()


async def main_async(n: int) -> None:
    prepare()
    holds: list[tuple[float, float, str]] = []
    opened = sqlite.SqliteRepository.open

    async def open_clocked(self: Any) -> None:
        self._lock = ClockedLock(holds)
        await opened(self)

    sqlite.SqliteRepository.open = open_clocked  # type: ignore[method-assign]
    try:
        wall, clocked = await run_round("tg", telegram_full, n)
    finally:
        sqlite.SqliteRepository.open = opened  # type: ignore[method-assign]
    # Only while the clock ran (not the bot's start, nor the cards sent before it stopped).
    end = max(clocked.first_reply.values())
    start = end - wall
    count: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    for taken, released, holder in holds:
        if released > start and taken < end:
            count[holder] += 1
            seconds[holder] += min(released, end) - max(taken, start)
    cpu, held = clocked.loop_cpu, sum(seconds.values())
    print(f"\n$ python -m bench.intake_lock --appeals {n}")
    print(f"full bot, Telegram: {n / wall:.0f} appeals/s ({wall / n * 1000:.2f} ms an appeal); "
          f"the event loop's thread busy {cpu / n * 1000:.2f} ms an appeal; SQLite's lock held "
          f"{held:.2f} s of {wall:.2f} s ({held / wall:.0%})\n")
    print("| transaction of | times | held, s | share of the round | mean hold, ms |")
    print("| --- | --- | --- | --- | --- |")
    for holder, spent in seconds.most_common():
        if spent >= 0.01:
            print(f"| `{holder}` | {count[holder]} | {spent:.2f} | {spent / wall:.0%} |"
                  f" {spent / count[holder] * 1000:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appeals", type=int, default=2000)
    asyncio.run(main_async(parser.parse_args().appeals))


if __name__ == "__main__":
    main()
