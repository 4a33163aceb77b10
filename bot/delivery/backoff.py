"""How long to wait before the n-th try again: the one rule both workers use.

The outbox (a send that failed for the network) and the inbox (a handler that failed for a
moment) retry alike — ``base · 2^(n-1)`` seconds, at most ``cap`` — so a database or a platform
that is away for a while is asked less and less often, and never less than once per ``cap``.
"""

from __future__ import annotations


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before retrying after the ``attempt``-th failure (1 for the first)."""
    return min(cap, base * 2 ** (attempt - 1))
