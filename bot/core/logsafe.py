"""Logging an unexpected exception without its message.

Exception messages can quote data (a ``KeyError`` with a word of the appeal, a platform error
echoing the text sent), and logs must never carry personal data. The type and the stack frames
are enough to find the bug.
"""

from __future__ import annotations

import traceback


def describe(exc: BaseException) -> str:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{type(exc).__module__}.{type(exc).__qualname__} (message withheld)\n{frames}"
