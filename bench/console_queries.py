"""The web console's queries over a large region's history: every read a console page makes,
timed on 1,000,000 tickets in PostgreSQL and 100,000 in SQLite (target: p95 ≤ 300 ms each).

    python -m bench.console_queries                                  # both backends
    python -m bench.console_queries --backend sqlite --tickets 100000
    python -m bench.console_queries --backend postgresql --tickets 1000000 --explain

PostgreSQL is a server of its own started as the tests start it (`tests.servers_pg`: the
Debian binaries, a temporary directory, fsync off — loading only; the reads are what is
timed) with a database in a UTF-8 locale, as a deployment has it; SQLite is a file in a
temporary directory. The schema is the bot's own (the repository's migrations, so the indexes
and columns of migrations 19–21 are there), and the rows are
loaded in bulk (PostgreSQL: COPY; SQLite: executemany in one transaction) — about what two
years of a large region look like: 24 months, 375 bodies (a few much busier), 364
municipalities, 40 topics, four or five audit-log events per ticket (created, classified,
sometimes a question, routed — by a coordinator for one in twenty —, taken, answered, closed),
coordinates on a third, most old tickets closed and rated, a few thousand open, with the
coordinators or overdue.

Each case is the use case a page calls (`bot.core.console_reports`, `bot.core.report_export`)
with the filter parsed from a query string, run ``--runs`` times with varying values (a random
body, topic, page); the time is the server's: from the call to the records in hand. With
``--explain`` the statements of one run of each case are shown with their plans (PostgreSQL:
``EXPLAIN ANALYZE``, the scan lines and the execution time; SQLite: ``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core import report_export
from bot.core.console_filters import Catalogue, parse_queue, parse_report
from bot.core.console_reports import dashboard, map_data, queue_page
from bot.domain.reports import Viewer, fold
from bot.storage.postgres import PostgresDriver, PostgresRepository, numbered
from bot.storage.sqlite import SqliteDriver, SqliteRepository
from routing.model import Body, Level, Municipality, RoutingTable, Topic

ZONE = ZoneInfo("Europe/Saratov")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
BODIES = [f"b{n:03d}" for n in range(375)]
TOPICS = [f"t{n:02d}" for n in range(40)]
PLACES = [f"63{n:06d}" for n in range(364)]
WORDS = (
    "яма во дворе дорога асфальт мусор контейнер не вывозят снег наледь тротуар освещение "
    "фонарь не горит подъезд отопление холодно вода нет горячей протечка крыша остановка "
    "автобус опаздывает маршрут поликлиника запись врач очередь школа детский сад парк лавочка "
    "собаки бездомные шум ночью стройка разрытие газон парковка машины светофор пешеходный "
    "переход лифт сломан управляющая компания двор детская площадка"
).split()
SEARCHED = [w for w in WORDS[:30] if len(w) >= 3]
COORDINATOR = Viewer(coordinator=True)


# -- the data -------------------------------------------------------------------------------
def table() -> RoutingTable:
    rng = random.Random(7)
    return RoutingTable(
        region="Бенчмарк",
        municipalities=tuple(
            Municipality(p, f"Муниципалитет {p}", "муниципальный район",
                         lat=51 + rng.random() * 2, lon=44 + rng.random() * 4)
            for p in PLACES
        ),
        topics=tuple(Topic(t, f"Тема {t}") for t in TOPICS),
        bodies=tuple(
            Body(b, f"Орган {b}", Level.MUNICIPAL, tuple(TOPICS), tuple(PLACES)) for b in BODIES
        ),
    )


def stamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def generate(count: int, seed: int = 19) -> Iterator[tuple[list, list]]:
    """Ticket rows and event rows (tuples in the tables' column order below), in id order, in
    chunks of `CHUNK` tickets."""
    rng = random.Random(seed)
    start = NOW - SPAN
    step = SPAN / count
    body_weights = [1 / (1 + k) ** 0.8 for k in range(len(BODIES))]
    bodies = rng.choices(BODIES, body_weights, k=count)
    topics = rng.choices(TOPICS, [1 / (1 + k) for k in range(len(TOPICS))], k=count)
    places = rng.choices(PLACES, [1 / (1 + k) ** 0.7 for k in range(len(PLACES))], k=count)
    tickets, events = [], []
    event_id = 0
    for i in range(count):
        tid = i + 1
        created = start + step * i
        age = NOW - created
        due = created + timedelta(days=rng.choice((3, 10, 14, 30)))
        roll = rng.random()
        asked = rng.random() < 0.2
        by_coordinator = rng.random() < 0.05
        routed = roll > 0.004  # a few never routed: with the coordinators
        if not routed:
            state = "with_coordinator"
        elif age < timedelta(days=30) and roll < 0.35:
            state = rng.choice(("routed", "in_work", "in_work", "reopened"))
        elif roll < 0.006:
            state = "redirected"
        elif roll < 0.02:
            state = "rejected"
        elif roll < 0.15:
            state = "answered"
        else:
            state = "closed"
        answered = state in ("answered", "closed")
        answer_at = created + timedelta(hours=rng.expovariate(1 / 60)) if answered else None
        solved = (rng.random() < 0.7) if state == "closed" else None
        rating = rng.randint(1, 5) if solved and rng.random() < 0.6 else None
        located = rng.random() < 0.33
        text = " ".join(rng.choices(WORDS, k=rng.randint(6, 25)))
        body = bodies[i] if routed else None
        tickets.append((
            tid, f"{created.year % 100:02d}-{tid:06d}", "tg" if rng.random() < 0.6 else "vk",
            1_000_000 + i, 1_000_000 + i, i + 1, text, "[]",
            51 + rng.random() * 2 if located else None, 44 + rng.random() * 4 if located else None,
            state, topics[i], places[i], body, "[]", "[]", 1 if routed else 0,
            stamp(created), stamp(answer_at or created), stamp(created) if routed else None,
            stamp(due) if routed else None, solved if solved is None else int(solved), rating,
            None if not routed else "coordinator" if by_coordinator
            else "after_question" if asked else "automatic",
            stamp(answer_at) if answer_at else None, fold(text),
            round((answer_at - created).total_seconds()) if answer_at else None,
        ))
        at = created
        log = [("created", None, "system"), ("classified", None, "system")]
        if not routed:
            log.append(("to_coordinator", "with_coordinator", "system"))
        else:
            if asked:
                log += [("asked_topic", "collecting", "system"), ("answered", None, "citizen")]
            if by_coordinator:
                log += [("to_coordinator", "with_coordinator", "system"),
                        ("redirected", "routed", "coordinator:tg:42")]
            else:
                log.append(("routed", "routed", "system"))
            if state in ("in_work", "answered", "closed") and rng.random() < 0.5:
                log.append(("taken", "in_work", f"body:{body}:tg:7"))
            if state == "redirected":
                log.append(("to_coordinator", "redirected", f"body:{body}:tg:7"))
            if state == "rejected":
                log.append(("rejected", "rejected", f"body:{body}:tg:7"))
        for kind, to_state, actor in log:
            event_id += 1
            at += timedelta(seconds=rng.randint(1, 90))
            events.append((event_id, tid, stamp(at), kind, None, to_state, "{}", actor))
        if answered:
            event_id += 1
            events.append((event_id, tid, stamp(answer_at), "answered", "in_work", "answered",
                           "{}", f"body:{body}:tg:7"))
        if state == "closed":
            event_id += 1
            events.append((event_id, tid, stamp(answer_at + timedelta(hours=5)), "closed",
                           "answered", "closed", "{}", "citizen"))
        if tid % CHUNK == 0 or tid == count:
            yield tickets, events
            tickets, events = [], []


TICKET_COLUMNS = (
    "id", "number", "channel", "chat_id", "user_id", "source_message_id", "text", "attachments",
    "lat", "lon", "state", "topic", "municipality", "body", "candidates", "tried_bodies",
    "route_round", "created_at", "updated_at", "routed_at", "due_at", "solved", "rating",
    "routed_how", "first_answer_at", "search_text", "first_answer_seconds",
)
EVENT_COLUMNS = ("id", "ticket_id", "at", "kind", "from_state", "to_state", "detail", "actor")
CHUNK = 100_000
#: The newest tickets whose pages are left not all-visible after the load (see `load_postgres`).
CHURNED = timedelta(days=3)


async def load_postgres(url: str, count: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for tickets, events in generate(count):
            await conn.copy_records_to_table("tickets", records=tickets, columns=TICKET_COLUMNS)
            await conn.copy_records_to_table(
                "ticket_events", records=events, columns=EVENT_COLUMNS
            )
        await conn.execute("VACUUM ANALYZE tickets")
        await conn.execute("VACUUM ANALYZE ticket_events")
        # What autovacuum leaves behind in a live region (migration 21 has it come after 1 %
        # of the table changed, about a day of work): the pages of the last days' tickets,
        # still being answered and closed, are not all-visible, so an index-only scan reads
        # the table for them.
        await conn.execute(
            "UPDATE tickets SET updated_at = updated_at WHERE created_at >= $1",
            stamp(NOW - CHURNED),
        )
    finally:
        await conn.close()


def load_sqlite(path: Path, count: int) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            for tickets, events in generate(count):
                marks = ", ".join("?" * len(TICKET_COLUMNS))
                db.executemany(
                    f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({marks})", tickets
                )
                marks = ", ".join("?" * len(EVENT_COLUMNS))
                db.executemany(
                    f"INSERT INTO ticket_events ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})",
                    events,
                )
    finally:
        db.close()


# -- the cases ------------------------------------------------------------------------------
def cases(repo, catalogue: Catalogue, region: RoutingTable, rng: random.Random):
    """(name, a call that runs the case once with fresh random values)."""
    now = NOW

    def admin() -> Viewer:
        return Viewer(coordinator=False, bodies=frozenset({rng.choice(BODIES[:50])}))

    def queue(raw_of: Callable[[], dict], viewer_of=lambda: COORDINATOR):
        async def run():
            viewer = viewer_of()
            query = parse_queue(raw_of(), viewer, catalogue, now, ZONE)
            return await queue_page(repo, viewer, query, now)
        return run

    def report(call, raw_of=lambda: {}, viewer_of=lambda: COORDINATOR):
        async def run():
            viewer = viewer_of()
            return await call(viewer, parse_report(raw_of(), viewer, catalogue, now, ZONE))
        return run

    async def export(viewer, flt):
        size = 0
        async for chunk in report_export.export_csv(repo, viewer, flt, region, ZONE):
            size += len(chunk)
        return size

    async def first_chunk(viewer, flt):
        """What a page waits for before the download starts (the size check, the first batch)."""
        chunks = report_export.export_csv(repo, viewer, flt, region, ZONE)
        await anext(chunks)
        await anext(chunks)
        await chunks.aclose()

    month = {"from": "2026-10-01", "to": "2026-10-31"}
    return [
        ("queue: all, page 1", queue(lambda: {})),
        ("queue: all, page 20", queue(lambda: {"page": "20"})),
        ("queue: with coordinators", queue(lambda: {"view": "unrouted"})),
        ("queue: redirected", queue(lambda: {"view": "redirected"})),
        ("queue: overdue", queue(lambda: {"view": "overdue"})),
        ("queue: due soon", queue(lambda: {"view": "due_soon"})),
        ("queue: body admin, all", queue(lambda: {}, admin)),
        ("queue: body admin, overdue", queue(lambda: {"view": "overdue"}, admin)),
        ("queue: body + topic + 30 days", queue(lambda: {
            "body": rng.choice(BODIES[:50]), "topic": rng.choice(TOPICS[:10]),
            "from": "2026-11-01", "to": "2026-11-30",
        })),
        ("queue: municipality + state", queue(lambda: {
            "municipality": rng.choice(PLACES[:50]), "state": "in_work",
        })),
        ("queue: search by number", queue(lambda: {"q": f"26-{rng.randint(600000, 990000):06d}"})),
        ("queue: search words, 31 days", queue(lambda: {"q": rng.choice(SEARCHED)})),
        ("queue: search rare words, 31 days", queue(lambda: {"q": "протечка крыша"})),
        ("queue: search words, 90 days", queue(lambda: {
            "q": rng.choice(SEARCHED), "from": "2026-09-02", "to": "2026-11-30"})),
        ("dashboard: 30 days", report(
            lambda v, f: dashboard(repo, v, f, now, ZONE))),
        ("dashboard: a month, body admin", report(
            lambda v, f: dashboard(repo, v, f, now, ZONE), lambda: month, admin)),
        ("map: 30 days", report(lambda v, f: map_data(repo, v, f, region))),
        ("map: topic + state, a year", report(
            lambda v, f: map_data(repo, v, f, region),
            lambda: {"topic": rng.choice(TOPICS[:5]), "state": "closed",
                     "from": "2025-12-01", "to": "2026-11-30"})),
        ("export CSV: a month, first chunk", report(first_chunk, lambda: month)),
        ("export CSV: a month, whole file", report(export, lambda: month)),
    ]


# -- timing and plans ------------------------------------------------------------------------
RECORDED: list[tuple[str, tuple]] | None = None


def _recording(cls) -> None:
    """Make ``cls`` (a driver) remember the reads of the case being explained."""
    for name in ("one", "all"):
        original = getattr(cls, name)

        async def read(self, sql, params=(), _original=original):
            if RECORDED is not None and sql.lstrip().upper().startswith(("SELECT", "WITH")):
                RECORDED.append((sql, params))
            return await _original(self, sql, params)

        setattr(cls, name, read)


async def plans(repo, backend: str, statements: list[tuple[str, tuple]]) -> list[str]:
    lines = []
    for sql, params in statements:
        async with repo.transaction() as tx:
            if backend == "postgresql":
                conn = tx.sql.conn
                rows = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + numbered(sql), *params)
                text = [r[0] for r in rows]
                keep = [t.strip() for t in text if any(
                    w in t for w in ("Scan", "Execution Time", "Sort Method", "Join", "Aggregate")
                )]
            else:
                rows = await tx.sql.all("EXPLAIN QUERY PLAN " + sql, params)
                keep = [r["detail"] for r in rows]
        lines.append("  · " + " ".join(sql.split())[:110])
        lines += [f"      {k}" for k in keep[:14]]
    return lines


async def measure(repo, backend: str, runs: int, explain: bool) -> list[str]:
    global RECORDED
    region = table()
    catalogue = Catalogue.of(region)
    rng = random.Random(3)
    report = []
    for name, run in cases(repo, catalogue, region, rng):
        await run()  # warm the caches the way a page opened twice does
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            await run()
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
        mark = "ok" if p95 <= 300 else "OVER"
        report.append(
            f"| {name} | {statistics.median(times):.0f} | {p95:.0f} | {times[-1]:.0f} | {mark} |"
        )
        if explain:
            RECORDED = []
            await run()
            recorded, RECORDED = RECORDED, None
            report += await plans(repo, backend, recorded)
    return report


async def utf8_database(cluster) -> str:
    """A database as a deployment has it (the compose file's postgres image: en_US.utf8), not
    the tests' ``C`` locale, where pg_trgm sees no Cyrillic letter and migration 20 leaves the
    text search without its index (`bot.storage.sql.reports.search_advice`)."""
    import asyncpg

    conn = await asyncpg.connect(cluster.url())
    try:
        await conn.execute(
            "CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
        )
    finally:
        await conn.close()
    return cluster.url("bench")


async def bench(backend: str, count: int, runs: int, explain: bool) -> None:
    header = ["| case | p50 ms | p95 ms | max ms | ≤ 300 ms |", "| --- | --- | --- | --- | --- |"]
    if explain:
        _recording(PostgresDriver if backend == "postgresql" else SqliteDriver)
    if backend == "postgresql":
        from tests.servers_pg import running_cluster

        with running_cluster() as cluster:
            url = await utf8_database(cluster)
            repo: PostgresRepository | SqliteRepository = PostgresRepository(url)
            await repo.open()
            began = time.perf_counter()
            await load_postgres(url, count)
            loaded = time.perf_counter() - began
            print(f"PostgreSQL: {count:,} tickets loaded in {loaded:.0f} s (COPY + ANALYZE)")
            try:
                lines = await measure(repo, backend, runs, explain)
            finally:
                await repo.close()
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            repo = SqliteRepository(path)
            await repo.open()
            await repo.close()
            began = time.perf_counter()
            load_sqlite(path, count)
            print(f"SQLite: {count:,} tickets loaded in {time.perf_counter() - began:.0f} s")
            repo = SqliteRepository(path)
            await repo.open()
            try:
                lines = await measure(repo, backend, runs, explain)
            finally:
                await repo.close()
    print("\n".join(header + lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=None,
                        help="default: 1,000,000 in PostgreSQL, 100,000 in SQLite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        count = args.tickets or (1_000_000 if backend == "postgresql" else 100_000)
        asyncio.run(bench(backend, count, args.runs, args.explain))


if __name__ == "__main__":
    main()
