"""What ``RoutingTable.responsible``'s cache costs on the national-size table.

    python -m bench.responsible_cache

Builds the generated national table (``bench.national_table``: 60 topics × 20,000
municipalities) in memory and asks ``responsible`` about every (topic, municipality) pair once:
the worst case of a bot that runs long enough to meet them all. Prints how many answers stay
cached, how much the process grew (RSS and live allocated blocks, measured after a garbage
collection), the cost of a call that misses the cache, and that of a hit (best of 5 passes over
the last 50,000 pairs asked, which are cached whatever the limit). Not a test: compare figures
from the same machine, taken back to back.
"""

from __future__ import annotations

import gc
import sys
import time

from bench.classify_speed import rss_mib
from bench.national_table import build
from routing.model import RoutingTable


def main() -> None:
    table = build()
    places = [m.id for m in table.municipalities]
    topics = [t.id for t in table.topics]
    for place in places:  # ancestries are cached apart and bounded by the table; not measured
        table.ancestry(place)
    table.responsible(topics[0], places[0])  # builds the place → bodies index
    pairs = [(topic, place) for place in places for topic in topics]
    gc.collect()
    rss, blocks = rss_mib(), sys.getallocatedblocks()

    started = time.perf_counter()
    for topic, place in pairs:
        table.responsible(topic, place)
    missed = time.perf_counter() - started
    gc.collect()
    grown, live = rss_mib() - rss, sys.getallocatedblocks() - blocks

    hot = pairs[-50_000:]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for topic, place in hot:
            table.responsible(topic, place)
        best = min(best, time.perf_counter() - started)

    print(f"limit {RoutingTable.RESPONSIBLE_LIMIT:,}; {len(pairs):,} pairs asked once, "
          f"{len(table._responsible_cache):,} cached")
    print(f"process grew by {grown:.0f} MB RSS, {live:,} live blocks")
    print(f"miss {missed / len(pairs) * 1e6:.1f} µs/call, hit {best / len(hot) * 1e9:.0f} ns/call")


if __name__ == "__main__":
    main()
