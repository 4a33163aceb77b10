"""Connected VK pages in storage, the same on SQLite and PostgreSQL (`tests.storage.test_contract`
explains the two runs): sealed tokens kept as given, reconnecting replaces, appeals counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.pages import ConnectedPage, PageAppeal, page_chat
from tests.emulators.aio import run_async
from tests.storage.test_contract import opened

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return request.getfixturevalue("pg_cluster").new_database()


def page(group_id: int, body: str = "minzdrav", **changes) -> ConnectedPage:
    fields = dict(
        group_id=group_id, body=body, name=f"Страница {group_id}", token_sealed="gAAAA-sealed",
        confirmation="a1b2c3", secret_sealed="gAAAA-secret", connected_by="tg:7",
        connected_at=NOW,
    )
    return ConnectedPage(**{**fields, **changes})


@run_async
async def test_a_page_is_kept_replaced_on_reconnect_and_disabled(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            assert await tx.pages.save(page(229_000_002))
            assert await tx.pages.save(page(229_000_003, body="minstroy", secret_sealed=None))
        async with repo.transaction() as tx:
            assert await tx.pages.page(229_000_002) == page(229_000_002)
            again = page(229_000_002, body="mintrans", token_sealed="gAAAA-new",
                         connected_at=NOW + timedelta(days=1))
            assert not await tx.pages.save(again)
        async with repo.transaction() as tx:
            assert await tx.pages.page(229_000_002) == again
            assert [p.group_id for p in await tx.pages.pages()] == [229_000_002, 229_000_003]
            assert await tx.pages.set_enabled(229_000_003, False)
            assert not await tx.pages.set_enabled(1, False)
        async with repo.transaction() as tx:
            assert (await tx.pages.page(229_000_003)).enabled is False
            assert await tx.pages.page(1) is None


@run_async
async def test_appeals_through_pages_are_counted_with_the_misdirected_ones(url):
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            await tx.pages.add_appeal(PageAppeal(1, 229_000_002, "minzdrav", "minzdrav", NOW))
            await tx.pages.add_appeal(PageAppeal(2, 229_000_002, "minzdrav", "minstroy", NOW))
            await tx.pages.add_appeal(PageAppeal(2, 229_000_002, "minzdrav", "minstroy", NOW))
            await tx.pages.add_appeal(PageAppeal(3, 229_000_003, "minstroy", None, NOW))
        async with repo.transaction() as tx:
            assert await tx.pages.appeal_counts() == {229_000_002: (2, 1), 229_000_003: (1, 0)}
        # A page dialogue's chat id fits the tickets' BIGINT column on both databases.
        async with repo.transaction() as tx:
            chat = page_chat(229_000_002, 2_000_000_001)
            await tx.sql.run("CREATE TABLE probe (chat BIGINT)")
            await tx.sql.run("INSERT INTO probe (chat) VALUES (?)", (chat,))
            assert (await tx.sql.one("SELECT chat FROM probe"))[0] == chat
