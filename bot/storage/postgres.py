"""The PostgreSQL repository: an asyncpg pool, one pooled connection per transaction.

The statements are `bot.storage.sql`'s, as for SQLite, and so are the migrations (rendered with
the ``POSTGRES`` dialect), so the core cannot tell the two apart. What is PostgreSQL's own, and
why:

- Several bot processes may share one database. Outbox rows are picked with ``FOR UPDATE SKIP
  LOCKED`` (`DIALECT`) and taken with a conditional ``UPDATE … WHERE state = 'pending'``, so
  two workers never send the same row; reminders and ticket numbers rely on unique keys and an
  atomic upsert, which PostgreSQL serialises per row.
- An error inside a PostgreSQL transaction aborts it, while SQLite carries on. Where the core
  expects to carry on (a duplicate ticket), the statement says ``ON CONFLICT … DO NOTHING``
  for exactly the duplicate's columns (`PostgresDriver.insert`).
- Statements are written with ``?`` placeholders and numbered (``$1``…) by `numbered`; a
  write's answer is the row count of its command tag, as SQLite's ``rowcount``.
- Migrations take an advisory lock, so processes starting together apply them once.

Times stay the fixed-width UTC text the migrations describe; JSON columns are ``JSONB`` but
travel as text, exactly as in SQLite.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg

from bot.storage.migrations import POSTGRES
from bot.storage.sql import SqlDialect, SqlTx, Versioned, migrate

#: Any constant: the key of the advisory lock held while migrating.
_MIGRATION_LOCK = 0x0B0_7AB1E

R = TypeVar("R")

_PLACEHOLDER = re.compile(r"\?")

DIALECT = SqlDialect(
    reason=("jsonb_set(detail, '{reason}', 'null'::jsonb)", "detail ->> 'reason'"),
    # No rowid here: bindings made at the same instant come in key order, not insert order.
    binding_order="created_at, channel, chat_id, user_id, body",
    due_lock=" FOR UPDATE OF o SKIP LOCKED",
    epoch="EXTRACT(EPOCH FROM CAST({} AS timestamptz))",
)


def _plain_read(sql: str) -> bool:
    """A ``SELECT`` that neither writes nor locks rows."""
    return sql.lstrip()[:6].upper() == "SELECT" and "FOR UPDATE" not in sql


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """``?`` placeholders → ``$1, $2, …`` (none of our SQL has a ``?`` inside a literal)."""
    counter = 0

    def next_number(_match: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        return f"${counter}"

    return _PLACEHOLDER.sub(next_number, sql)


def _count(status: str) -> int:
    """Rows touched, from a command tag such as ``UPDATE 1`` or ``INSERT 0 1``."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


def _plain(value: Any) -> Any:
    """SQLite takes a ``bool`` for an INTEGER column; PostgreSQL wants the integer."""
    return int(value) if isinstance(value, bool) else value


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, besides rolling back a transaction left
    open: nothing. asyncpg's default is a query (``RESET ALL``, ``UNLISTEN *``, unlocking
    session advisory locks) — a round trip after every transaction, a tenth of an appeal's —
    for session state the bot never sets: no ``SET``, no ``LISTEN``, advisory locks only
    transaction-scoped (`_MIGRATION_LOCK`)."""


class DatabaseUnavailable(ConnectionError):
    """PostgreSQL cannot be reached or refuses us; the message is one Russian line for the
    operator, naming the server and database but never the password."""


def where(url: str) -> str:
    """``host:port/database`` of a URL, without the user and password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


class PostgresDriver:
    """One transaction's statements on one pooled connection (`bot.storage.sql.Driver`).
    ``conn`` is the raw connection, for the copy tool's bulk load.

    ``begin``: for a unit of work (`PostgresRepository.atomically`), the transaction is opened
    only before its first statement that writes or locks; the plain reads before it run on
    their own. Under READ COMMITTED every statement sees the data committed when it starts,
    inside a transaction or not, so nothing the unit reads changes — and a unit that only reads
    (the look a citizen's every message starts with) costs no BEGIN and no COMMIT."""

    __slots__ = ("_begin", "conn")
    dialect = DIALECT

    def __init__(
        self, conn: asyncpg.Connection, begin: Callable[[], Awaitable[None]] | None = None
    ):
        self.conn = conn
        self._begin = begin

    @property
    def began(self) -> bool:
        """Whether a lazily opened transaction has been opened."""
        return self._begin is None

    async def _writing(self) -> None:
        if self._begin is not None:
            begin, self._begin = self._begin, None
            await begin()

    async def _reading(self, sql: str) -> None:
        if self._begin is not None and not _plain_read(sql):
            await self._writing()

    async def one(self, sql: str, params: tuple = ()) -> asyncpg.Record | None:
        await self._reading(sql)
        return await self.conn.fetchrow(numbered(sql), *map(_plain, params))

    async def all(self, sql: str, params: tuple = ()) -> list[asyncpg.Record]:
        await self._reading(sql)
        return list(await self.conn.fetch(numbered(sql), *map(_plain, params)))

    async def run(self, sql: str, params: tuple = ()) -> int:
        await self._writing()
        return _count(await self.conn.execute(numbered(sql), *map(_plain, params)))

    async def run_later(self, sql: str, params: tuple = ()) -> None:
        await self.run(sql, params)  # a round trip either way: nothing to save by waiting

    async def run_many(self, sql: str, rows: list[tuple]) -> None:
        await self._writing()
        await self.conn.executemany(numbered(sql), rows)

    async def insert(self, sql: str, params: tuple, unique: str) -> int | None:
        await self._writing()
        # A conflict on exactly those columns is no error, so the caller's transaction
        # survives a duplicate without a savepoint (two round trips); any other unique
        # violation still raises.
        value = await self.conn.fetchval(
            numbered(f"{sql} ON CONFLICT ({unique}) DO NOTHING RETURNING id"),
            *map(_plain, params),
        )
        return None if value is None else int(value)


class PostgresRepository(Versioned):
    """``url``: ``postgresql://user:password@host:port/database`` (or ``postgres://…``)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10):
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._owners: set[asyncio.Task] = set()

    @classmethod
    def from_url(cls, url: str) -> PostgresRepository:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"не адрес базы PostgreSQL: {url.split(':', 1)[0]}://…")
        return cls(url)

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=self.min_size, max_size=self.max_size, reset=_keep_session
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            reason = str(exc).replace(self.url, where(self.url)) or type(exc).__name__
            raise DatabaseUnavailable(
                f"Не удалось подключиться к PostgreSQL {where(self.url)} (DATABASE_URL): {reason}"
            ) from None
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def erase_traces(self) -> None:
        """Nothing the bot can do from a connection: old row versions stay until (auto)vacuum
        reclaims them, and PostgreSQL's WAL is the server's; the README says so."""

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            # Processes starting together: one migrates, the others wait and find nothing to do.
            await tx.sql.run("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            await migrate(tx.sql, POSTGRES)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        async with self._connection() as conn, conn.transaction():
            yield SqlTx(PostgresDriver(conn))

    async def atomically(self, work: Callable[[SqlTx], Awaitable[R]]) -> R:
        """``work`` as one transaction on one pooled connection (`bot.storage.sql.unit`),
        opened at its first write (`PostgresDriver`): a unit that only reads is one round
        trip."""
        async with self._connection() as conn:
            transaction = conn.transaction()
            driver = PostgresDriver(conn, begin=transaction.start)
            try:
                result = await work(SqlTx(driver))
            except BaseException:
                if driver.began:
                    await transaction.rollback()
                raise
            if driver.began:
                await transaction.commit()
            return result

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is None:
            raise RuntimeError("repository is not open")
        task = asyncio.current_task()
        if task is not None and task in self._owners:
            # Same rule as SQLite: a second transaction from inside the first is a bug (and with
            # a full pool it would wait for itself forever).
            raise RuntimeError("a transaction is already open in this task")
        if task is not None:
            self._owners.add(task)
        try:
            async with self._pool.acquire() as conn:
                yield conn
        finally:
            if task is not None:
                self._owners.discard(task)
