"""The little the facets need from a database connection, so that they are written once.

A backend implements `Driver` (`bot.storage.sqlite.SqliteDriver`,
`bot.storage.postgres.PostgresDriver`); every statement is written here in the package, with
``?`` placeholders, and the driver renders it for its server. Each method's answer is the same
on both backends — `Driver.run` is a row count on both — so no facet asks which one it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

Row = Any  # by column name (`sqlite3.Row`, `asyncpg.Record`)
T = TypeVar("T")


@dataclass(frozen=True)
class SqlDialect:
    """The parts of a shared statement the two databases say differently."""

    #: ``ticket_events.detail`` with its ``reason`` set to null, and that reason: JSON functions.
    reason: tuple[str, str]
    #: The order of `StaffSql.bindings`: insertion order where there is a rowid, else the key.
    binding_order: str
    #: After ``FROM outbox o`` in the due-heads query: SQLite, without statistics, would
    #: range-scan ``outbox_due`` and sort every due row, so it is told the index.
    due_index: str = ""
    #: After the whole due-heads query: PostgreSQL locks the heads it returns (several workers).
    due_lock: str = ""
    #: ``{}`` (a stored UTC time) as seconds since the epoch, for durations.
    epoch: str = "(julianday({}) * 86400.0)"


class Driver(Protocol):
    """One transaction's connection. Statements use ``?`` placeholders."""

    dialect: SqlDialect

    async def one(self, sql: str, params: tuple = ()) -> Row | None: ...

    async def all(self, sql: str, params: tuple = ()) -> list[Row]: ...

    async def run(self, sql: str, params: tuple = ()) -> int:
        """A write; the number of rows it touched."""

    async def run_later(self, sql: str, params: tuple = ()) -> None:
        """A write nobody reads the outcome of: the driver may hold it back until its next
        statement in the same transaction (SQLite does, saving a trip to its thread), never
        past the transaction's end; its error is then the transaction's error all the same."""

    async def run_many(self, sql: str, rows: list[tuple]) -> None:
        """One statement over many parameter rows."""

    async def insert(self, sql: str, params: tuple, unique: str) -> int | None:
        """An ``INSERT`` (without ``RETURNING``) and the new row's id; ``None`` when the row
        breaks the unique key on exactly ``unique``'s columns (``"a, b"``): the transaction
        stays usable. Any other violation raises."""


class Facet:
    """One aggregate's part of a transaction, over the transaction's driver."""

    __slots__ = ("db",)

    def __init__(self, db: Driver):
        self.db = db

    async def _value(
        self, sql: str, params: tuple = (), read: Callable[[Any], Any] | None = None
    ) -> Any:
        """The first column of the first row, through ``read`` unless it is NULL; ``None``
        when there is no row."""
        row = await self.db.one(sql, params)
        if row is None or row[0] is None:
            return None
        return read(row[0]) if read is not None else row[0]

    async def _record(self, read: Callable[[Row], T], sql: str, params: tuple = ()) -> T | None:
        row = await self.db.one(sql, params)
        return read(row) if row is not None else None

    async def _records(self, read: Callable[[Row], T], sql: str, params: tuple = ()) -> list[T]:
        return [read(row) for row in await self.db.all(sql, params)]
