"""A moment's database failure in each way an appeal comes in loses nothing, and an update that
can never be handled ends set aside with a notice to the coordinators.

The whole bot (`bot.serve.serve`) runs against the emulators; the core's first attempt at the
appeal fails with ``sqlite3.OperationalError('database is locked')``, as SQLite says when
another writer holds the file too long. Before the durable inbox, Telegram's polling logged the
error and confirmed the update, the webhook and VK's Callback API answered as if all was well,
and the citizen never heard back. Now each path must end with exactly one confirmation.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.appeals import AppealCore
from bot.domain.messages import IncomingMessage
from bot.storage.base import Tx
from bot.storage.sql.inbox import InboxSql
from bot.storage.sqlite import SqliteRepository
from tests.app_world import (
    APPEAL,
    NUMBER,
    both_channels,
    free_port,
    saratov_built_outside_the_deadline,  # noqa: F401
    telegram_only,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import TelegramEmulator

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
COORDINATOR = 3003
POISON = "Ядовитое сообщение 7f3a"
PUBLIC_URL = "https://bot.example.ru/telegram/webhook"
FAST_RETRIES = {"inbox_backoff_seconds": 0.1, "inbox_backoff_cap_seconds": 0.2}


class LockedOnce:
    """`AppealCore.handle` whose first ``failures`` calls fail as a locked database does, and
    which fails for ever on a message saying `POISON`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, failures: int = 1) -> None:
        self.original = AppealCore.handle
        self.left = failures
        self.calls: Counter[str] = Counter()
        monkeypatch.setattr(AppealCore, "handle", self)  # bound to each core by `__get__`

    async def handle(self, core: AppealCore, message: IncomingMessage):
        self.calls[message.text] += 1
        if message.text == POISON:
            raise KeyError(message.text)  # a bug that quotes the text: kept out of the logs
        if self.left:
            self.left -= 1
            raise sqlite3.OperationalError("database is locked")
        return await self.original(core, message)

    def __get__(self, core: AppealCore, owner: type):
        return lambda message: self.handle(core, message)


def store_refused_once(monkeypatch: pytest.MonkeyPatch, channel: str) -> None:
    """The inbox's first attempt to store an update of ``channel`` fails as a locked database
    does: nothing is stored, so the platform must not hear "received"."""
    refusals = [1]
    add = InboxSql.add

    async def locked_add(self, drafts, now, held_until):
        if refusals[0] and drafts[0].channel == channel:
            refusals[0] -= 1
            raise sqlite3.OperationalError("database is locked")
        return await add(self, drafts, now, held_until)

    monkeypatch.setattr(InboxSql, "add", locked_add)


def confirmations(texts: list[str]) -> list[str]:
    return [t for t in texts if "принято" in t.lower() and NUMBER.search(t)]


@contextlib.asynccontextmanager
async def database(path: Path) -> AsyncIterator[Tx]:
    """A look into the stopped bot's database."""
    repo = SqliteRepository(str(path / "bot.sqlite3"))
    await repo.open()
    try:
        async with repo.transaction() as tx:
            yield tx
    finally:
        await repo.close()


async def card_and_confirmation(tg: TelegramEmulator, group: int) -> str:
    """The citizen's confirmation, once the card with its number reached the body's group."""
    accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
    number = NUMBER.search(accepted.text).group()
    await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))
    return accepted.text


async def confirmed_once(
    locked: LockedOnce, path: Path, channel: str, citizen: int, got: list[str], accepted: str
) -> None:
    """The first handling failed, the second made one ticket and one confirmation."""
    assert locked.calls[APPEAL] == 2
    assert confirmations(got) == [accepted]
    async with database(path) as tx:
        assert len(await tx.tickets.of_citizen(channel, citizen)) == 1


@run_async
async def test_telegram_polling_an_appeal_whose_first_handling_fails_is_confirmed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = LockedOnce(monkeypatch)
    async with telegram_only(tmp_path, **FAST_RETRIES) as (tg, group):
        tg.user_sends_text(TG_CITIZEN, APPEAL)
        accepted = await card_and_confirmation(tg, group)
        assert tg.unconfirmed_updates == 0
    got = [c.body or "" for c in tg.sent_to(TG_CITIZEN)]
    await confirmed_once(locked, tmp_path, "tg", TG_CITIZEN, got, accepted)


@run_async
async def test_telegram_webhook_a_failed_handling_and_a_refused_store_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    locked = LockedOnce(monkeypatch)
    store_refused_once(monkeypatch, "tg")
    webhook = {"telegram_webhook_url": PUBLIC_URL, "webhook_host": "127.0.0.1",
               "webhook_port": port, **FAST_RETRIES}
    async with telegram_only(tmp_path, **webhook) as (tg, group):
        tg.user_sends_text(TG_CITIZEN, APPEAL)
        via = f"http://127.0.0.1:{port}"
        # Not stored: not 200, and Telegram keeps the update to send it again.
        assert await tg.deliver_to_webhook(via) == [503]
        assert await tg.deliver_to_webhook(via) == [200]
        accepted = await card_and_confirmation(tg, group)
    got = [c.body or "" for c in tg.sent_to(TG_CITIZEN)]
    await confirmed_once(locked, tmp_path, "tg", TG_CITIZEN, got, accepted)


@run_async
async def test_an_album_whose_handing_over_fails_becomes_one_appeal_with_every_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = LockedOnce(monkeypatch)
    async with telegram_only(tmp_path, **FAST_RETRIES) as (tg, group):
        tg.user_sends_album(TG_CITIZEN, photos=3, caption=APPEAL)
        accepted = await card_and_confirmation(tg, group)
    got = [c.body or "" for c in tg.sent_to(TG_CITIZEN)]
    await confirmed_once(locked, tmp_path, "tg", TG_CITIZEN, got, accepted)
    async with database(tmp_path) as tx:
        (ticket,) = await tx.tickets.of_citizen("tg", TG_CITIZEN)
        assert ticket.text == APPEAL and len(ticket.attachments) == 3
        assert await tx.inbox.depth_and_age() == (0, None)  # every part finished


@run_async
async def test_vk_long_poll_an_appeal_whose_first_handling_fails_is_confirmed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = LockedOnce(monkeypatch)
    async with both_channels(tmp_path, **FAST_RETRIES) as w:
        await w.vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await w.tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
    got = [m.text for m in w.vk.sent_to(VK_CITIZEN)]
    await confirmed_once(locked, tmp_path, "vk", VK_CITIZEN, got, accepted.text)


@run_async
async def test_vk_callback_a_failed_handling_and_a_refused_store_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    locked = LockedOnce(monkeypatch)
    store_refused_once(monkeypatch, "vk")
    callback = {"vk_callback_confirmation": "c0nf1rm", "vk_callback_secret": "s3cret",
                "webhook_host": "127.0.0.1", "webhook_port": port, **FAST_RETRIES}
    async with both_channels(tmp_path, **callback) as w:
        server = w.vk.callback_server(f"http://127.0.0.1:{port}/vk/callback", "s3cret")
        await w.vk.user_sends_text(VK_CITIZEN, APPEAL)
        (refused,) = await server.deliver()
        assert refused[0] == 503  # not "ok": VK sends it again
        assert await server.deliver() == [(200, "ok")]
        accepted = await w.vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await w.tg.wait_for(lambda c: c.chat_id == w.group and number in (c.body or ""))
        assert await server.resend_last() == (200, "ok")  # stored already: dropped
    got = [m.text for m in w.vk.sent_to(VK_CITIZEN)]
    await confirmed_once(locked, tmp_path, "vk", VK_CITIZEN, got, accepted.text)


@run_async
async def test_a_poison_update_is_set_aside_and_the_coordinators_told_without_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    locked = LockedOnce(monkeypatch, failures=0)
    options = {**FAST_RETRIES, "inbox_max_attempts": 3, "coordinators": f"tg:{COORDINATOR}"}
    async with telegram_only(tmp_path, **options) as (tg, _group):
        tg.add_user(COORDINATOR)
        tg.user_sends_text(TG_CITIZEN, POISON)
        notice = await tg.wait_for(lambda c: c.chat_id == COORDINATOR)
        # The chat is not blocked by it: the citizen's next message is an appeal as usual.
        tg.user_sends_text(TG_CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN)
    assert locked.calls[POISON] == 3
    assert f"Telegram, чат {TG_CITIZEN}" in notice.text and "3 попыток" in notice.text
    assert POISON not in notice.text and POISON not in caplog.text
    assert confirmations([accepted.text]) == [accepted.text]
    async with database(tmp_path) as tx:
        (dead,) = await tx.inbox.in_state("dead")
    assert (dead.chat_id, dead.attempts, dead.last_error) == (TG_CITIZEN, 3, "KeyError")
    assert POISON in (dead.payload or "")  # kept whole, for whoever looks into it
    assert f"запись {dead.id}" in notice.text
