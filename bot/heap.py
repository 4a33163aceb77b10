"""Keeping the garbage collector's full passes off the objects that live as long as the process.

The routing table, the classifier with its analysed lexicon and pymorphy3's dictionaries are
hundreds of thousands of objects the collector tracks (≈ 275,000 with the national table),
loaded once and kept. CPython's full (generation 2) collection walks every one of them each
time, with the GIL held: in one round of `bench.intake_throughput` (2,000 Telegram appeals,
Saratov table, timed with ``gc.callbacks``), 5 full passes took ≈ 240 ms each, stalls of the
event loop that made up 11% of the round (177 → 207 appeals/s with the heap frozen).

`settle` moves what is alive at that moment into the collector's permanent generation, where it
is never walked again; garbage made while serving is collected as before, but less often: the
youngest generation is collected after `YOUNG_THRESHOLD` new objects instead of CPython's 700.
Serving an appeal makes thousands of short-lived objects (aiogram's and pydantic's models, the
HTTP exchange, the card's texts); at 700 the collector ran ~900 times in a burst of 2,000
appeals and took 0.35–0.41 ms an appeal, 15% of the bot's CPU time, most of it walking objects
that were still in use. At 10,000: ~45 times, 0.26–0.30 ms (bench/README.md, issue 20).

`settle` runs when the long-lived objects are in place: once the bot has started, and again
after a coordinator's table replaced the old one (which unfreezes first, so the old table's
reference cycles can be collected instead of kept for ever).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("bot")

#: New container objects after which the youngest generation is collected (CPython: 700).
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """One full collection (the cost of any of the passes it spares), then freeze what is left."""
    started = time.perf_counter()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info(
        "память: %d долгоживущих объектов выведены из сборки мусора за %.0f мс",
        gc.get_freeze_count(), (time.perf_counter() - started) * 1000,
    )
