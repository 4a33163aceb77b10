"""What the metrics cost: the counts on the hot path, and a scrape's read of the database.

    python -m bench.metrics_cost
    python -m bench.metrics_cost --rows 100000

Counting: a routed appeal makes five reports (`bot.core.ports.Observer`): received, the
classifier's decision, two sends (the citizen's confirmation and the body's card), processed.
They are timed on `bot.metrics.Metrics` (prometheus-client counters) and on `UNOBSERVED`
(nothing), best of 5 passes of 100,000 appeals, to set against the event loop's CPU time per
appeal that `bench.intake_throughput` prints (about 1.6 ms).

Scraping: `Metrics.read_database` — the transaction ``/metrics`` and ``/healthz`` run — on a
SQLite file holding ``--rows`` tickets (half of them overdue) and as many outbox rows (half
unsent), best and median of 20 reads: the time that transaction holds the repository's lock,
which every appeal queues for. Not a test: compare figures from one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import timeit
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.ports import UNOBSERVED, Observer
from bot.domain.records import NewTicket, OutboxDraft
from bot.metrics import Metrics
from bot.storage.sqlite import SqliteRepository

APPEALS = 100_000
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def one_appeal(observer: Observer) -> None:
    observer.update_received("tg")
    observer.classified("route")
    observer.send_ended("tg", "sent")
    observer.send_ended("tg", "sent")
    observer.update_processed("tg")


def counting() -> None:
    print("| observer | µs per appeal (5 reports) |")
    print("| --- | --- |")
    for name, observer in (("Metrics", Metrics()), ("UNOBSERVED", UNOBSERVED)):
        best = min(timeit.repeat(lambda o=observer: one_appeal(o), number=APPEALS, repeat=5))
        print(f"| {name} | {best / APPEALS * 1e6:.2f} |")


async def scraping(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = SqliteRepository(Path(folder) / "bot.sqlite3")
        await repo.open()
        async with repo.transaction() as tx:
            for i in range(rows):
                draft = NewTicket("tg", i, i, 1, "Яма во дворе")
                ticket = await tx.tickets.insert(f"26-{i:06d}", draft, "routed", NOW)
                due = NOW + timedelta(days=1 if i % 2 else -1)
                await tx.tickets.update(ticket, None, NOW, body="city", due_at=due)
                note = OutboxDraft(f"k{i}", "tg", i, {"text": "Принято"}, "citizen", ticket)
                row = await tx.outbox.enqueue(note, NOW)
                if i % 2:
                    await tx.outbox.set_state(row, "sent", sent_at=NOW)
        metrics = Metrics()
        seconds = []
        for _ in range(20):
            started = time.perf_counter()
            assert await metrics.read_database(repo, NOW)
            seconds.append(time.perf_counter() - started)
        await repo.close()
    best, median = min(seconds) * 1000, statistics.median(seconds) * 1000
    print("\n| tickets and outbox rows | read, best | read, median |")
    print("| --- | --- | --- |")
    print(f"| {rows:,} each | {best:.2f} ms | {median:.2f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    extra = f" --rows {args.rows}" if args.rows != 10_000 else ""
    print(f"$ python -m bench.metrics_cost{extra}\n")
    counting()
    asyncio.run(scraping(args.rows))


if __name__ == "__main__":
    main()
