"""Keeping the garbage collector's full passes off the objects that live as long as the process.

The routing table, the classifier with its analysed lexicon and pymorphy3's dictionaries are
hundreds of thousands of objects the collector tracks (≈ 275,000 with the national table),
loaded once and kept. CPython's full (generation 2) collection walks every one of them each
time, with the GIL held: in one round of `bench.intake_throughput` (2,000 Telegram appeals,
Saratov table, timed with ``gc.callbacks``), 5 full passes took ≈ 240 ms each, stalls of the
event loop that made up 11% of the round (177 → 207 appeals/s with the heap frozen).

`settle` moves what is alive at that moment into the collector's permanent generation, where it
is never walked again; garbage made while serving is collected as before. It runs when the
long-lived objects are in place: once the bot has started, and again after a coordinator's table
replaced the old one (which unfreezes first, so the old table's reference cycles can be
collected instead of kept for ever).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("bot")


def settle() -> None:
    """One full collection (the cost of any of the passes it spares), then freeze what is left."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info(
        "память: %d долгоживущих объектов выведены из сборки мусора за %.0f мс",
        gc.get_freeze_count(), (time.perf_counter() - started) * 1000,
    )
