"""Two ways to run the emulators in tests: in the test's own event loop, or in a thread.

`run_async` runs ``async def`` tests outside `tests/core` (which has its own hook). Every test
gets a fresh event loop and a hard deadline, so a bot that never answers fails the test instead
of hanging the run; an unclosed aiohttp session or server is a ``ResourceWarning`` turned into a
failure, because a leaked connection in a test is a leak in the code under test.
``functools.wraps`` keeps the test's signature, so pytest fixtures still reach it.

`EmulatorThread` is for tests that start the bot as a separate process (``python -m bot``): the
emulators keep answering on a loop of their own while the test waits for the process.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

DEADLINE_SECONDS = 10
SLOW = 90.0  # seconds: a bot process loads the morphology dictionaries and the classifier


def run_async(
    test: Callable[..., Coroutine[Any, Any, None]], deadline: float = DEADLINE_SECONDS
) -> Callable[..., None]:
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def guarded() -> None:
            async with asyncio.timeout(deadline):
                await test(*args, **kwargs)

        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            asyncio.run(guarded())

    return wrapper


def run_async_paced(
    test: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """`run_async` for a story that sends more than a burst into one Telegram group: the
    outbox keeps to the group's 20 messages a minute (edits included), so it takes longer."""
    return run_async(test, deadline=3 * DEADLINE_SECONDS)


class EmulatorThread:
    """Both emulators on an event loop in a background thread; `call` runs a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = SLOW) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> EmulatorThread:
        self.thread.start()

        async def start() -> tuple[TelegramEmulator, VKEmulator]:
            tg = TelegramEmulator(limits=Limits(enabled=False))
            vk = VKEmulator()
            await tg.start()
            await vk.start()
            return tg, vk

        self.tg, self.vk = self.call(start(), timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.vk.stop(), timeout=10)
        self.call(self.tg.stop(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
