"""Fixtures for the core tests; the world they build is in `core_world`.

``async def`` tests are run with ``asyncio.run`` by the hook below: no pytest plugin needed, and
every test gets a fresh event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from core_world import START, FakeClock, World


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
        return True
    return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def world(clock) -> World:
    return World(":memory:", clock)


@pytest.fixture
def file_world(clock, tmp_path: Path) -> World:
    return World(str(tmp_path / "bot.sqlite3"), clock)
