"""Every SQL statement the bot runs, written once for SQLite and PostgreSQL.

Why one package for both: a query fixed for one database must be fixed for the other, and the
contract tests (`tests/storage/test_contract.py`) can only promise the same behaviour if the
same code runs. The facets (`bot.storage.base`) are implemented here over `Driver`, the few
calls a backend answers alike; what the two servers say differently is a `SqlDialect` field,
and everything else that differs — the connection, SQLite's group commit, PostgreSQL's
placeholders and savepoints, error mapping — stays in `bot.storage.sqlite` and
`bot.storage.postgres`.

`SqlTx` binds the facets once per transaction, as plain attributes over one driver: a call
costs one attribute lookup more than on a flat object, and the facets hold the driver, never
the transaction, so nothing keeps a finished transaction alive in a reference cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from bot.storage.base import (
    CommentsTx,
    ConsoleTx,
    InboxTx,
    ModelsTx,
    OutboxTx,
    PagesTx,
    ReportsTx,
    StaffTx,
    StatsTx,
    TablesTx,
    TicketsTx,
    TrainingTx,
)
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE, Dialect, statements
from bot.storage.sql.comments import CommentsSql
from bot.storage.sql.console import ConsoleSql
from bot.storage.sql.driver import Driver, Facet, SqlDialect
from bot.storage.sql.inbox import InboxSql
from bot.storage.sql.outbox import OutboxSql
from bot.storage.sql.pages import PagesSql
from bot.storage.sql.reports import ReportsSql, search_advice
from bot.storage.sql.staff import StaffSql
from bot.storage.sql.tables import ModelsSql, StatsSql, TablesSql
from bot.storage.sql.tickets import TicketsSql, TrainingSql
from bot.storage.sql.values import to_db_time

log = logging.getLogger("bot.storage")

_SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_version"


class SqlTx:
    """One transaction (`bot.storage.base.Tx`). ``sql`` is its driver: raw statements for
    migrations, the copy tool and tests' direct looks, never for the core."""

    __slots__ = (
        "comments",
        "console",
        "inbox",
        "models",
        "outbox",
        "pages",
        "reports",
        "sql",
        "staff",
        "stats",
        "tables",
        "tickets",
        "training",
    )

    def __init__(self, driver: Driver):
        self.sql = driver
        self.tickets: TicketsTx = TicketsSql(driver)
        self.comments: CommentsTx = CommentsSql(driver)
        self.outbox: OutboxTx = OutboxSql(driver)
        self.staff: StaffTx = StaffSql(driver)
        self.tables: TablesTx = TablesSql(driver)
        self.stats: StatsTx = StatsSql(driver)
        self.training: TrainingTx = TrainingSql(driver)
        self.inbox: InboxTx = InboxSql(driver)
        self.models: ModelsTx = ModelsSql(driver)
        self.pages: PagesTx = PagesSql(driver)
        self.console: ConsoleTx = ConsoleSql(driver)
        self.reports: ReportsTx = ReportsSql(driver)


async def migrate(db: Driver, schema: Dialect) -> None:
    """Apply the migrations this database has not seen, in order, inside the caller's
    transaction (so a failed one leaves the previous version in force)."""
    await db.run(SCHEMA_VERSION_TABLE.format(timestamp=schema.timestamp))
    current = (await db.one(_SCHEMA_VERSION))[0]
    for version, description, _sql in MIGRATIONS:
        if version <= current:
            continue
        for statement in statements(version, schema):
            await db.run(statement)
        await db.run(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
            (version, description, to_db_time(datetime.now(UTC))),
        )
        log.info("database migrated to version %d", version)
    advice = await search_advice(db, schema.name)
    if advice is not None:
        log.warning(advice)


class Versioned:
    """What both repositories add to `bot.storage.base.Repository`: the schema version."""

    transaction: Callable[[], AbstractAsyncContextManager[SqlTx]]  # the backend's

    async def schema_version(self) -> int:
        async with self.transaction() as tx:
            row = await tx.sql.one(_SCHEMA_VERSION)
            return int(row[0])


__all__ = ["Driver", "Facet", "SqlDialect", "SqlTx", "Versioned", "migrate"]
