"""One way to run ``async def`` tests outside `tests/core` (which has its own hook).

Every test gets a fresh event loop and a hard deadline, so a bot that never answers fails the
test instead of hanging the run; an unclosed aiohttp session or server is a ``ResourceWarning``
turned into a failure, because a leaked connection in a test is a leak in the code under test.
``functools.wraps`` keeps the test's signature, so pytest fixtures still reach it.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

DEADLINE_SECONDS = 10


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def guarded() -> None:
            async with asyncio.timeout(DEADLINE_SECONDS):
                await test(*args, **kwargs)

        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            asyncio.run(guarded())

    return wrapper
