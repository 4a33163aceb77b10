"""``/healthz`` and ``/metrics`` as an operator and Prometheus see them, on the whole bot.

The bot runs against the Telegram emulator (real aiogram, real core, SQLite in a temporary
directory) and is asked over HTTP, as a container healthcheck and a Prometheus scrape would:
counters move when a citizen's appeal goes through, a failing handler is counted with its
error, the health answer turns 503 when the database is gone, and the two endpoints are where
``METRICS_PORT`` and the webhook settings put them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.domain.records import InboxDraft, NewTicket, OutboxDraft
from bot.health import HealthEndpoints
from bot.metrics import Metrics
from bot.storage.sql.tickets import TicketsSql
from bot.storage.sqlite import SqliteRepository
from tests.app_world import (
    APPEAL,
    NUMBER,
    both_channels,
    free_port,
    saratov_built_outside_the_deadline,  # noqa: F401 (autouse)
    telegram_only,
)
from tests.emulators.aio import run_async
from tests.test_app_webhooks import webhook_settings

CITIZEN = 1001
LOCAL = "127.0.0.1"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://{LOCAL}:{port}{path}") as r:
        return r.status, await r.text()


async def scrape(port: int) -> Samples:
    status, text = await get(port, "/metrics")
    assert status == 200, text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def total(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


async def scrape_until(
    port: int, ready: Callable[[Samples], bool], timeout: float = 3.0
) -> Samples:
    """Scrape until ``ready``: a send is counted when the platform answers, a moment after the
    emulator has recorded it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        samples = await scrape(port)
        if ready(samples) or asyncio.get_running_loop().time() > deadline:
            return samples
        await asyncio.sleep(0.05)


@run_async
async def test_an_appeal_moves_the_counters_and_healthz_says_ok_in_polling_mode(tmp_path: Path):
    port = free_port()
    async with telegram_only(tmp_path, metrics_port=port, webhook_host=LOCAL) as (tg, group):
        before = await scrape(port)
        assert value(before, "bot_updates_received_total", channel="tg") == 0
        assert value(before, "bot_classifications_total", decision="route") == 0

        tg.user_sends_text(CITIZEN, APPEAL)
        accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN)
        number = NUMBER.search(accepted.text).group()
        await tg.wait_for(lambda c: c.chat_id == group and number in (c.body or ""))

        def delivered(s: Samples) -> bool:
            return (value(s, "bot_sends_total", channel="tg", result="sent") or 0) >= 2 and (
                total(s, "bot_outbox_depth") == 0 and value(s, "bot_inbox_depth") == 0
            )

        after = await scrape_until(port, delivered)
        assert value(after, "bot_updates_received_total", channel="tg") == 1
        assert value(after, "bot_updates_processed_total", channel="tg") == 1
        assert total(after, "bot_updates_failed_total") == 0
        assert value(after, "bot_updates_received_total", channel="vk") == 0
        assert value(after, "bot_classifications_total", decision="route") == 1
        assert total(after, "bot_classifications_total") == 1
        # The confirmation and the card; nothing retried, refused or throttled.
        assert value(after, "bot_sends_total", channel="tg", result="sent") >= 2
        assert total(after, "bot_sends_total") == value(
            after, "bot_sends_total", channel="tg", result="sent"
        )
        assert value(after, "bot_outbox_depth", state="pending") == 0
        assert value(after, "bot_outbox_oldest_age_seconds") == 0
        assert value(after, "bot_tickets_overdue") == 0
        assert value(after, "bot_inbox_oldest_age_seconds") == 0
        assert value(after, "bot_database_up") == 1
        assert total(after, "bot_errors_logged_total") == 0
        assert value(after, "process_resident_memory_bytes") > 0

        status, body = await get(port, "/healthz")
        assert status == 200
        assert '"status": "ok"' in body and '"outbox": "running"' in body
        assert json.loads(body)["outbox_lag_seconds"] == 0  # everything delivered
        assert tg.token not in body


@run_async
async def test_a_handler_that_fails_is_counted_with_its_error_and_its_log_record(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The issue's reproduction: the first ticket insert finds the database locked. The failure
    is counted with its error's class; the inbox then tries the stored update again (logged as a
    warning: nothing is lost yet), and the second attempt is counted as processed."""
    original = TicketsSql.insert
    failures = [sqlite3.OperationalError("database is locked")]

    async def locked_once(self: TicketsSql, *args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(TicketsSql, "insert", locked_once)
    port = free_port()
    async with telegram_only(tmp_path, metrics_port=port, webhook_host=LOCAL) as (tg, _):
        tg.user_sends_text(CITIZEN, APPEAL)

        def failed(s: Samples) -> bool:
            return value(s, "bot_updates_failed_total", channel="tg", error="OperationalError") == 1

        samples = await scrape_until(port, failed)
        assert failed(samples), samples

        def retried(s: Samples) -> bool:
            return value(s, "bot_updates_processed_total", channel="tg") == 1

        samples = await scrape_until(port, retried)
        assert retried(samples), samples
        assert failed(samples) and value(samples, "bot_classifications_total", decision="route")


class At:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@contextlib.asynccontextmanager
async def serving(health: HealthEndpoints) -> AsyncIterator[int]:
    """``/healthz`` and ``/metrics`` on a port of their own for the block; the port."""
    app = web.Application()
    health.register(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, LOCAL, port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


@run_async
async def test_healthz_turns_503_when_the_database_is_closed_or_the_outbox_stops(tmp_path: Path):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    async with repo.transaction() as tx:  # an overdue ticket, and its message not yet sent
        pothole = NewTicket("tg", 5, 5, 1, "Яма")
        ticket = await tx.tickets.insert("26-000001", pothole, "routed", now)
        await tx.tickets.update(ticket, None, now, body="city", due_at=now - timedelta(days=1))
        draft = OutboxDraft("k1", "tg", 5, {"text": "Принято"}, "citizen", ticket)
        await tx.outbox.enqueue(draft, now - timedelta(seconds=90))
        update = InboxDraft("tg:1:77", "tg", 6, '{"update_id": 77}')  # stored, not yet handled
        await tx.inbox.add([update], now - timedelta(seconds=30), now - timedelta(seconds=30))
    outbox_runs = True
    health = HealthEndpoints(Metrics(), repo, At(now), lambda: outbox_runs)
    try:
        async with serving(health) as port:
            status, body = await get(port, "/healthz")
            assert status == 200
            # The database is reachable, and delivery lags by the oldest unsent message's wait.
            assert json.loads(body) | {"uptime_seconds": 0} == {
                "status": "ok", "database": "ok", "outbox": "running", "outbox_lag_seconds": 90,
                "uptime_seconds": 0,
            }
            samples = await scrape(port)
            assert value(samples, "bot_tickets_overdue") == 1
            assert value(samples, "bot_outbox_depth", state="pending") == 1
            assert value(samples, "bot_outbox_oldest_age_seconds") == 90
            assert value(samples, "bot_inbox_depth") == 1
            assert value(samples, "bot_inbox_oldest_age_seconds") == 30
            assert value(samples, "bot_database_up") == 1

            outbox_runs = False
            status, body = await get(port, "/healthz")
            assert status == 503 and '"outbox": "stopped"' in body

            outbox_runs = True
            await repo.close()
            status, body = await get(port, "/healthz")
            assert status == 503 and '"database": "unavailable"' in body
            assert json.loads(body)["outbox_lag_seconds"] is None  # unknown, not stale
            samples = await scrape(port)
            assert value(samples, "bot_database_up") == 0
            # Not shown stale while the database is away.
            assert value(samples, "bot_outbox_depth", state="pending") is None
    finally:
        await repo.close()


@run_async
async def test_healthz_with_a_lag_limit_turns_503_when_delivery_lags_beyond_it(tmp_path: Path):
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    clock = At(now)
    health = HealthEndpoints(Metrics(), repo, clock, lambda: True, lag_limit=300)
    try:
        async with serving(health) as port:
            async with repo.transaction() as tx:
                await tx.outbox.enqueue(OutboxDraft("k1", "tg", 5, {"text": "…"}, "citizen"), now)
            clock.at = now + timedelta(seconds=300)
            status, body = await get(port, "/healthz")
            assert status == 200 and json.loads(body)["outbox_lag_seconds"] == 300
            clock.at = now + timedelta(seconds=301)
            status, body = await get(port, "/healthz")
            assert status == 503
            assert json.loads(body)["outbox"] == "lagging" and json.loads(body)["status"] == "fail"
            assert json.loads(body)["outbox_lag_seconds"] == 301
    finally:
        await repo.close()


@run_async
async def test_with_webhooks_and_no_metrics_port_both_answer_on_the_webhook_port(tmp_path: Path):
    port = free_port()
    async with both_channels(tmp_path, **webhook_settings(port)):
        assert (await get(port, "/healthz"))[0] == 200
        assert value(await scrape(port), "bot_database_up") == 1


@run_async
async def test_a_metrics_port_of_its_own_keeps_them_off_the_public_webhook_port(tmp_path: Path):
    port, metrics_port = free_port(), free_port()
    async with both_channels(tmp_path, **webhook_settings(port), metrics_port=metrics_port):
        assert (await get(port, "/healthz"))[0] == 404
        assert (await get(port, "/metrics"))[0] == 404
        assert (await get(metrics_port, "/healthz"))[0] == 200
        assert value(await scrape(metrics_port), "bot_database_up") == 1
