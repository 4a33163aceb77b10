"""Editing one row of a shipped routing table from the console, and browsing it: how long the
server spends (`routing.edit.edited`: the whole table re-validated; `bot.core.table_browse`).

    python -m bench.table_edit [routing/tables/saratov.yaml ...]

Each edit renames the middle body (always valid) and is timed 20 times; the browse is a
search for «администрация», page 2. Not a test: run it by hand, compare figures from the same
machine. The edit runs in a thread in the bot (``asyncio.to_thread``), so the event loop is
not held for this long.
"""

from __future__ import annotations

import statistics
import sys
import time

from bot.core.table_browse import browse
from routing.edit import RowChange, edited
from routing.tablefile import load_table

RUNS = 20


def _timed(call) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main(paths: list[str]) -> None:
    for path in paths or ["routing/tables/saratov.yaml", "routing/tables/kursk.yaml"]:
        table = load_table(path)
        body = table.bodies[len(table.bodies) // 2]
        change = RowChange("bodies", body.id, {"name": body.name + " (изм.)"})
        edit = _timed(lambda: edited(table, change))  # noqa: B023 (used at once)
        look = _timed(lambda: browse(table, "bodies", "администрация", page=2))  # noqa: B023
        print(
            f"{path}: {len(table.bodies)} bodies, {len(table.municipalities)} municipalities; "
            f"edit + validate median {statistics.median(edit):.1f} ms (max {max(edit):.1f}); "
            f"browse median {statistics.median(look):.1f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
