"""`bot.heap`: the long-lived heap is kept out of full collections, and a table replaced by a
coordinator is still freed (its reference cycles included) at the next settle."""

from __future__ import annotations

import gc
import weakref

from bot import heap


class _Table:
    """Stands for a routing table: objects that refer to each other in cycles."""


def test_settled_objects_survive_full_collections_until_the_next_settle_frees_them():
    table = _Table()
    table.parent = table  # a cycle: only the cyclic collector can free it
    alive = weakref.ref(table)

    heap.settle()
    del table
    gc.collect()
    assert alive() is not None  # frozen: a full collection does not even look at it

    heap.settle()  # as after a table swap: unfrozen, collected, the rest frozen again
    assert alive() is None
    assert gc.get_freeze_count() > 0
