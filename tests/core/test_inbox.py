"""The durable inbox (`bot.delivery.inbox`) on a SQLite file: a failed update is tried again and
handled once, a chat's updates keep their order, a poison update is set aside with a notice, a
restart takes up what was stored and not handled, and the database's answer decides whether
the platform may be told "received"."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from core_world import FakeClock

from bot.delivery import inbox as inbox_module
from bot.delivery.inbox import Inbox, InboxEntry, Settle
from bot.domain.records import InboxDraft, InboxRow
from bot.domain.states import InboxState
from bot.storage.sql.inbox import InboxSql
from bot.storage.sqlite import SqliteRepository

START = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def update(key: str, chat: int = 1) -> InboxDraft:
    return InboxDraft(key, "tg", chat, f'{{"text": "сообщение {key}"}}')


class Handler:
    """A processor that records what it handled; ``failing[key]`` attempts of a key fail
    as a locked database would, ``poison`` keys fail always, ``stuck`` keys never return."""

    def __init__(self, failing: dict[str, int] | None = None, poison: set[str] | None = None,
                 stuck: set[str] | None = None) -> None:
        self.failing = failing or {}
        self.poison = poison or set()
        self.stuck = stuck or set()
        self.tries: Counter[str] = Counter()
        self.handled: list[str] = []

    async def __call__(self, entry: InboxEntry) -> None:
        key = entry.row.key
        self.tries[key] += 1
        if key in self.stuck:
            await asyncio.Event().wait()
        if key in self.poison or self.tries[key] <= self.failing.get(key, 0):
            raise sqlite3.OperationalError("database is locked")
        self.handled.append(key)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def stored(repo: SqliteRepository, key: str) -> InboxRow:
    async with repo.transaction() as tx:
        row = await tx.sql.one("SELECT id FROM inbox WHERE update_key = ?", (key,))
        found = await tx.inbox.row(row[0])
    assert found is not None
    return found


async def opened(tmp_path) -> SqliteRepository:
    """A repository on a file; the test hook of this folder closes it after the test."""
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    return repo


def inbox_of(repo, handler, clock=None, **options) -> Inbox:
    options = {"backoff_base": 0.01, "backoff_cap": 0.05, "exclusive": True} | options
    return Inbox(repo, clock or FakeClock(START), {"tg": handler}, **options)


async def test_an_update_whose_first_attempt_fails_is_handled_once_and_keeps_no_text(tmp_path):
    repo = await opened(tmp_path)
    handler = Handler(failing={"tg:1:10": 1})
    async with inbox_of(repo, handler) as inbox:
        assert await inbox.accept([update("tg:1:10")]) == 1
        await until(lambda: handler.handled == ["tg:1:10"])
    row = await stored(repo, "tg:1:10")
    assert (row.state, row.payload, handler.tries["tg:1:10"]) == (InboxState.DONE, None, 2)
    assert inbox.counts.failed == 1 and inbox.counts.handled == 1


async def test_a_chat_waits_behind_its_failing_update_and_other_chats_do_not(tmp_path):
    repo = await opened(tmp_path)
    handler = Handler(failing={"a": 3})
    async with inbox_of(repo, handler, backoff_base=0.05) as inbox:
        await inbox.accept([update("a", chat=1), update("b", chat=1), update("c", chat=2)])
        await until(lambda: len(handler.handled) == 3)
    assert handler.handled == ["c", "a", "b"]


async def test_a_redelivered_update_is_not_handled_again(tmp_path):
    repo = await opened(tmp_path)
    handler = Handler()
    async with inbox_of(repo, handler) as inbox:
        assert await inbox.accept([update("a")]) == 1
        await until(lambda: handler.handled == ["a"])
        assert await inbox.accept([update("a"), update("a")]) == 0
        await asyncio.sleep(0.05)
    assert handler.handled == ["a"] and inbox.counts.duplicates == 2


async def test_a_poison_update_is_set_aside_the_coordinators_told_and_the_chat_goes_on(tmp_path):
    repo = await opened(tmp_path)
    handler = Handler(poison={"bad"})
    told: list[InboxRow] = []

    async def tell(row: InboxRow) -> None:
        told.append(row)

    async with inbox_of(repo, handler, max_attempts=3, on_dead=tell) as inbox:
        await inbox.accept([update("bad"), update("next")])
        await until(lambda: handler.handled == ["next"])
    assert handler.tries["bad"] == 3
    assert [(r.key, r.attempts, r.last_error) for r in told] == [("bad", 3, "OperationalError")]
    dead = await stored(repo, "bad")
    # Kept whole for whoever looks into it.
    assert (dead.state, dead.attempts) == (InboxState.DEAD, 3)
    assert dead.payload == '{"text": "сообщение bad"}'


async def test_a_restart_takes_up_what_was_stored_and_not_handled(tmp_path, monkeypatch):
    repo = await opened(tmp_path)
    monkeypatch.setattr(inbox_module, "STOP_TIMEOUT", 0.05)
    stuck = Handler(stuck={"a"})
    async with inbox_of(repo, stuck) as inbox:
        await inbox.accept([update("a"), update("b", chat=2)])
        await until(lambda: stuck.handled == ["b"] and stuck.tries["a"] == 1)
    # "a" was in hand when the process stopped: stored, not handled.
    assert (await stored(repo, "a")).state == InboxState.PENDING
    again = Handler()
    async with inbox_of(repo, again):
        await until(lambda: again.handled == ["a"])
    assert (await stored(repo, "a")).state == InboxState.DONE


async def test_an_update_that_kills_the_process_every_time_ends_set_aside(tmp_path, monkeypatch):
    repo = await opened(tmp_path)
    """Each start takes the row up and dies with it in hand (here: stops while it hangs);
    taking counts the attempt, so the crash loop ends after ``max_attempts`` starts."""
    monkeypatch.setattr(inbox_module, "STOP_TIMEOUT", 0.05)
    told: list[InboxRow] = []

    async def tell(row: InboxRow) -> None:
        told.append(row)

    async with repo.transaction() as tx:
        await tx.inbox.add([update("killer")], START, START)
    deadly = Handler(stuck={"killer"})
    for start in range(1, 4):
        async with inbox_of(repo, deadly, max_attempts=3, on_dead=tell):
            await until(lambda n=start: deadly.tries["killer"] == n)
    assert told == [] and (await stored(repo, "killer")).attempts == 3
    async with inbox_of(repo, deadly, max_attempts=3, on_dead=tell):
        await until(lambda: bool(told))
    assert deadly.tries["killer"] == 3  # not handed to the processor a fourth time
    assert (await stored(repo, "killer")).state == InboxState.DEAD


async def test_a_sibling_process_takes_only_rows_whose_hold_ran_out(tmp_path):
    repo = await opened(tmp_path)
    clock = FakeClock(START)
    async with repo.transaction() as tx:  # stored by a process that is gone, or still working
        await tx.inbox.add([update("a")], START, START + timedelta(seconds=30))
    handler = Handler()
    async with inbox_of(repo, handler, clock, exclusive=False, sweep_seconds=0.01):
        await asyncio.sleep(0.1)
        assert handler.handled == []
        clock.advance(seconds=31)
        await until(lambda: handler.handled == ["a"])
    assert (await stored(repo, "a")).attempts == 1


async def test_a_deferred_update_stays_pending_until_settled_and_its_chat_goes_on(tmp_path):
    repo = await opened(tmp_path)
    settles: list[Settle] = []
    handled: list[str] = []

    async def album_part(entry: InboxEntry) -> None:
        if entry.row.key.startswith("part"):
            settles.append(entry.defer())
        else:
            handled.append(entry.row.key)

    inbox = Inbox(repo, FakeClock(START), {"tg": album_part}, backoff_base=0.01, exclusive=True)
    async with inbox:
        await inbox.accept([update("part1"), update("text")])
        await until(lambda: handled == ["text"] and len(settles) == 1)
        assert (await stored(repo, "part1")).state == InboxState.PENDING
        settles[0].failed(sqlite3.OperationalError("database is locked"))  # tried again
        await until(lambda: len(settles) == 2)
        settles[1].done()
        settles[0].done()  # a stale word changes nothing
        await until(lambda: inbox.counts.handled == 2)
    assert (await stored(repo, "part1")).state == InboxState.DONE


async def test_nothing_is_acknowledged_while_the_database_refuses_the_update(tmp_path, monkeypatch):
    repo = await opened(tmp_path)
    refusals = 2
    original = InboxSql.add

    async def locked(self, drafts, now, held_until):
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise sqlite3.OperationalError("database is locked")
        return await original(self, drafts, now, held_until)

    monkeypatch.setattr(InboxSql, "add", locked)
    handler = Handler()
    async with inbox_of(repo, handler) as inbox:
        with pytest.raises(sqlite3.OperationalError):  # a webhook answers 503: sent again
            await inbox.accept([update("a")])
        assert await inbox.accept_patiently([update("a")]) == 1  # a poll loop waits
        await until(lambda: handler.handled == ["a"])


async def test_a_full_backlog_slows_the_platform_down(tmp_path):
    repo = await opened(tmp_path)
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(entry: InboxEntry) -> None:
        await release.wait()
        handled.append(entry.row.key)

    inbox = Inbox(repo, FakeClock(START), {"tg": slow}, backlog=2, exclusive=True)
    async with inbox:
        await inbox.accept([update("a", chat=1), update("b", chat=2)])
        third = asyncio.create_task(inbox.accept([update("c", chat=3)]))
        await asyncio.sleep(0.05)
        assert not third.done() and inbox.in_memory == 2
        release.set()
        assert await third == 1
        await until(lambda: sorted(handled) == ["a", "b", "c"])
