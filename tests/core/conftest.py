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

from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository

_OPEN: list[SqliteRepository | PostgresRepository] = []


@pytest.fixture(autouse=True)
def _track_repositories(monkeypatch):
    """Remember every repository a test opens, so the hook can close it even after a failure
    (an open aiosqlite connection keeps a non-daemon thread, and the test run would hang)."""
    original = SqliteRepository.open

    async def open_and_track(self):
        _OPEN.append(self)
        await original(self)

    monkeypatch.setattr(SqliteRepository, "open", open_and_track)

    original_pg = PostgresRepository.open

    async def open_and_track_pg(self):
        _OPEN.append(self)
        await original_pg(self)

    monkeypatch.setattr(PostgresRepository, "open", open_and_track_pg)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {n: pyfuncitem.funcargs[n] for n in names}

    async def run():
        try:
            await pyfuncitem.obj(**kwargs)
        finally:
            while _OPEN:
                await _OPEN.pop().close()

    asyncio.run(run())
    return True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, clock) -> World:
    """Every core flow runs on both backends: SQLite in memory and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return World(":memory:", clock)
    return World(request.getfixturevalue("pg_cluster").new_database(), clock)


@pytest.fixture
def file_world(clock, tmp_path: Path) -> World:
    return World(str(tmp_path / "bot.sqlite3"), clock)
