"""The console's text search on PostgreSQL (migration 20): a trigram index where pg_trgm can
read Russian, and a clear word to the operator at start where it cannot — the search works
either way, with the same answers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import asyncpg

from bot.domain import texts
from bot.domain.reports import QueueView, TicketFilter, fold
from tests.emulators.aio import run_async
from tests.storage.test_contract import opened
from tests.storage.test_reports_contract import ticket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOON = NOW + timedelta(hours=24)
SEARCH = "SELECT number FROM tickets WHERE search_text LIKE ? ESCAPE '\\' ORDER BY number"


async def _database(cluster, name: str, owner: str = "postgres", locale: str = "C") -> str:
    admin = await asyncpg.connect(cluster.url())
    try:
        await admin.execute(
            f"CREATE DATABASE {name} OWNER {owner} TEMPLATE template0 ENCODING 'UTF8'"
            f" LOCALE '{locale}'"
        )
    finally:
        await admin.close()
    return cluster.url(name).replace("postgres@", f"{owner}@")


async def _searched(url: str) -> tuple[list[str], str]:
    """Numbers found for «ЗАЛИТО» among three tickets, and the plan of that search with the
    sequential scan ruled out (so an index that can serve it shows)."""
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            for n, text in ((1, "Подъезд ЗАЛИТО водой"), (2, "Яма во дворе"),
                            (3, "всё залито, ёлки")):
                await ticket(tx, n, NOW - timedelta(hours=n), state="routed", text=text)
        async with repo.transaction() as tx:
            found = await tx.reports.queue(
                QueueView.ALL, TicketFilter(text=fold("Залито")), NOW, SOON, 10, 0
            )
            conn = tx.sql.conn
            await conn.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in await conn.fetch(
                "EXPLAIN " + SEARCH.replace("?", "$1"), "%залито%"
            ))
    return sorted(r.number for r in found), plan


@run_async
async def test_a_utf8_database_gets_the_trigram_index_and_no_warning(pg_cluster, caplog):
    url = await _database(pg_cluster, "search_utf8", locale="C.UTF-8")
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        found, plan = await _searched(url)
    assert found == ["26-000001", "26-000003"]
    assert "tickets_search_trgm" in plan
    assert not [r for r in caplog.records if "pg_trgm" in r.getMessage()]


@run_async
async def test_a_c_locale_database_searches_without_it_and_says_how_to_fix(pg_cluster, caplog):
    url = await _database(pg_cluster, "search_c")
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        found, plan = await _searched(url)
    assert found == ["26-000001", "26-000003"]
    assert "tickets_search_trgm" not in plan
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert texts.SEARCH_INDEX_C_LOCALE.format(ctype="C") in said


@run_async
async def test_without_the_right_to_create_the_extension_the_bot_still_starts(pg_cluster, caplog):
    """A user who may create tables in the schema but not extensions in the database."""
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        await admin.execute("CREATE ROLE plain LOGIN")
    finally:
        await admin.close()
    url = await _database(pg_cluster, "search_plain", locale="C.UTF-8")
    admin = await asyncpg.connect(pg_cluster.url("search_plain"))
    try:
        await admin.execute("GRANT CREATE, USAGE ON SCHEMA public TO plain")
    finally:
        await admin.close()
    url = url.replace("postgres@", "plain@")
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        found, plan = await _searched(url)
    assert found == ["26-000001", "26-000003"]
    assert "tickets_search_trgm" not in plan
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert texts.SEARCH_INDEX_NO_EXTENSION in said
