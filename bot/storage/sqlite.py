"""The SQLite repository: one aiosqlite connection, WAL, one writer at a time, group commit.

SQLite allows one writer anyway, so transactions are serialised in-process with a lock and
started with ``BEGIN IMMEDIATE`` (taking the write lock up front, so two processes pointed at
the same file wait instead of failing half-way). The statements are `bot.storage.sql`'s; this
module holds only what is SQLite's own: the connection and its thread, the trips to that
thread (`SqliteDriver`), group commit (`SqliteRepository.transaction`), the index hint and the
JSON functions (`DIALECT`), and how a unique violation reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.domain.reports import fold
from bot.storage.migrations import SQLITE
from bot.storage.sql import SqlDialect, SqlTx, Versioned, migrate
from bot.storage.sql.unit import finish

R = TypeVar("R")

DIALECT = SqlDialect(
    reason=("json_set(detail, '$.reason', NULL)", "json_extract(detail, '$.reason')"),
    binding_order="created_at, rowid",
    due_index=" INDEXED BY outbox_queue",
)

def _fold(text: str | None) -> str | None:
    return None if text is None else fold(text)


Statement = tuple[str, tuple]
SAVEPOINT: Statement = ("SAVEPOINT logical", ())
RELEASE: Statement = ("RELEASE logical", ())


def _run_on_thread(
    db: aiosqlite.Connection, ahead: list[Statement], sql: str, params: tuple, fetch: bool
) -> Any:
    """On the connection's thread: the statements waiting ``ahead`` (each removed once it has
    run, so after an error the caller sees what did not), then ``sql``; its rows, or the cursor
    (``rowcount``, ``lastrowid``) of a write."""
    conn = _run_ahead(db, ahead)
    cursor = conn.execute(sql, params)
    return cursor.fetchall() if fetch else cursor


def _run_many_on_thread(
    db: aiosqlite.Connection, ahead: list[Statement], sql: str, rows: list[tuple]
) -> None:
    """`_run_on_thread` for one statement over many parameter rows (``executemany``)."""
    _run_ahead(db, ahead).executemany(sql, rows)


def _run_ahead(db: aiosqlite.Connection, ahead: list[Statement]) -> sqlite3.Connection:
    conn = db._conn  # the sqlite3 connection (private), used on its own thread only
    while ahead:
        conn.execute(*ahead[0])
        del ahead[0]
    return conn


class ThreadDriver:
    """`bot.storage.sql.Driver` for a unit of work run on the connection's own thread
    (`SqliteRepository.atomically`): each statement runs at once, and its ``async`` methods
    return without ever suspending, so the facets run unchanged there."""

    __slots__ = ("conn",)
    dialect = DIALECT

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    async def one(self, sql: str, params: tuple = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    async def all(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    async def run(self, sql: str, params: tuple = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    async def run_later(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(sql, params)  # nothing to save by waiting: no trip to make

    async def run_many(self, sql: str, rows: list[tuple]) -> None:
        self.conn.executemany(sql, rows)

    async def insert(self, sql: str, params: tuple, unique: str) -> int | None:
        try:
            cursor = self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if _duplicate(exc, unique):
                return None
            raise
        return int(cursor.lastrowid)


def _duplicate(exc: sqlite3.IntegrityError, unique: str) -> bool:
    """Whether the error is a violation of the unique key on ``unique``'s columns:
    "UNIQUE constraint failed: tickets.channel, tickets.chat_id, tickets.source_message_id"."""
    if exc.sqlite_errorname != "SQLITE_CONSTRAINT_UNIQUE":
        return False
    failed = [column.rsplit(".", 1)[-1] for column in str(exc).split(":", 1)[-1].split(",")]
    return failed == [column.strip() for column in unique.split(",")]


class UnitFailed(Exception):
    """A unit of work failed on the connection's thread and was rolled back there;
    ``group_kept``: whether the SQLite transaction around it (the commit group) survived."""

    def __init__(self, group_kept: bool) -> None:
        super().__init__("unit of work rolled back")
        self.group_kept = group_kept


def _unit_on_thread(
    db: aiosqlite.Connection,
    ahead: list[Statement],
    work: Callable[[SqlTx], Awaitable[R]],
    context: contextvars.Context,
) -> R:
    """On the connection's thread: what is ``ahead`` (the carried RELEASE, the SAVEPOINT),
    then the whole of ``work`` — no trip back to the event loop between its statements. Its
    RELEASE is left to the caller, so that a cancelled caller can still roll it back. On an
    error the savepoint is rolled back here, and `UnitFailed` (caused by the error) says
    whether the group lives on."""
    conn = db._conn  # the sqlite3 connection (private), used on its own thread only
    try:
        _run_ahead(db, ahead)
        return context.run(finish, work(SqlTx(ThreadDriver(conn))))
    except BaseException as exc:
        opened = not any(item is SAVEPOINT for item in ahead)
        raise UnitFailed(_roll_back_unit(conn) if opened else True) from exc


def _roll_back_unit(conn: sqlite3.Connection) -> bool:
    """Undo the open savepoint; False if SQLite has dropped the whole transaction (a disk
    error, say), so the group is lost."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK TO logical")
            conn.execute("RELEASE logical")
            return True
        except Exception:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
    return False


class SqliteDriver:
    """One logical transaction's statements (`bot.storage.sql.Driver`). Every statement is one
    trip to aiosqlite's thread, and the statements that need no answer ride along with the next
    trip (``_ahead``): the transaction's SAVEPOINT, the previous transaction's RELEASE, and the
    writes nobody reads the outcome of (`run_later`: the audit log, `OutboxTx.queue`, an
    unconditional `TicketsTx.update`). A trip costs far more than these statements, and the
    repository's lock is held across it.

    ``db`` is the raw connection, for reads that stream (`bot.storage.copy`); writes go through
    the methods, so that they land inside this transaction's savepoint."""

    __slots__ = ("_ahead", "db")
    dialect = DIALECT

    def __init__(self, db: aiosqlite.Connection, ahead: list[Statement] | None = None):
        self.db = db
        self._ahead: list[Statement] = ahead if ahead is not None else []

    @property
    def opened(self) -> bool:
        """Whether this transaction's SAVEPOINT has run."""
        return not any(item is SAVEPOINT for item in self._ahead)

    async def _call(self, sql: str, params: tuple, fetch: bool) -> Any:
        # aiosqlite's one way to run a function on its thread (`Connection._execute`).
        return await self.db._execute(
            _run_on_thread, self.db, self._ahead, sql, params, fetch
        )

    async def one(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        rows = await self._call(sql, params, True)
        return rows[0] if rows else None

    async def all(self, sql: str, params: tuple = ()) -> list[aiosqlite.Row]:
        return list(await self._call(sql, params, True))

    async def run(self, sql: str, params: tuple = ()) -> int:
        return (await self._call(sql, params, False)).rowcount

    async def run_later(self, sql: str, params: tuple = ()) -> None:
        """Runs with the next trip, at the latest when the transaction ends (an error then
        fails the transaction all the same)."""
        self._ahead.append((sql, params))

    async def run_many(self, sql: str, rows: list[tuple]) -> None:
        await self.db._execute(_run_many_on_thread, self.db, self._ahead, sql, rows)

    async def insert(self, sql: str, params: tuple, unique: str) -> int | None:
        try:
            cursor = await self._call(sql, params, False)
        except sqlite3.IntegrityError as exc:
            if _duplicate(exc, unique):
                return None
            raise
        return int(cursor.lastrowid)


class SqliteRepository(Versioned):
    """``path`` is a file, or ``":memory:"`` for tests."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._group: _CommitGroup | None = None  # the SQLite transaction open now, if any
        self._starting = 0  # logical transactions waiting for the lock to begin
        self._carried: list[Statement] = []  # to run first on the next trip (a RELEASE)

    @classmethod
    def from_url(cls, url: str) -> SqliteRepository:
        """``sqlite:///data/bot.sqlite3`` (relative) or ``sqlite:////abs/path`` (absolute)."""
        prefix = "sqlite:///"
        if not url.startswith(prefix):
            raise ValueError(f"не адрес базы SQLite: {url.split(':', 1)[0]}://…")
        return cls(url[len(prefix) :] or ":memory:")

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode = WAL")
        await self._db.execute("PRAGMA foreign_keys = ON")
        await self._db.execute("PRAGMA busy_timeout = 5000")
        # /forget overwrites a citizen's texts; without this the old bytes stay in the freed
        # space of the file until it is reused. Builds differ in the default, so say it here.
        await self._db.execute("PRAGMA secure_delete = ON")
        # Migration 19 folds the stored texts for the console's search with it (SQLite's own
        # lower() knows only ASCII; `bot.storage.migrations.Dialect.fold`).
        await self._db.create_function("console_fold", 1, _fold, deterministic=True)
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            async with self._lock:
                if self._group is not None:
                    await self._commit()
            await self._db.close()
            self._db = None

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            await migrate(tx.sql, SQLITE)

    async def erase_traces(self) -> None:
        """`secure_delete` zeroes what a change frees in the database file, but the WAL keeps
        the pages as they were (a citizen's text, after /forget) until a checkpoint copies them
        over and the WAL is reused. So: commit what is open, checkpoint, and truncate the WAL."""
        if self._db is None:
            return
        async with self._lock:
            if self._group is not None:
                await self._commit()
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        """One logical transaction, all or nothing; the ``async with`` returns only once a
        COMMIT covering it is on disk, so nothing done after it can outrun the data.

        Group commit: while other transactions are queued for the lock, the SQLite transaction
        is left open and handed over; each logical transaction is a SAVEPOINT inside it, so one
        that fails rolls back alone. The COMMIT (an fsync: ``synchronous = FULL``) then covers
        the whole group. Every member re-queues for the lock after its work and commits the
        group if nobody has yet; a group takes new members only for `GROUP_COMMIT_WINDOW`
        after its BEGIN, so a finished transaction waits at most about that long for its
        COMMIT. The SAVEPOINT and RELEASE cost no trips of their own: they
        ride along with the next statement (`SqliteDriver`)."""
        group = await self._enter()
        try:
            assert self._db is not None
            driver = SqliteDriver(self._db, [*self._carried, SAVEPOINT])
            self._carried = []
            try:
                yield SqlTx(driver)
                await self._end(driver)
            except BaseException:
                # Shielded: a second cancellation must not leave half of it in the group.
                await asyncio.shield(self._undo(group, driver))
                raise
        except BaseException:
            await self._abandon(group)
            raise
        await self._leave(group)

    async def atomically(self, work: Callable[[SqlTx], Awaitable[R]]) -> R:
        """``work`` as one logical transaction (`bot.storage.sql.unit`), run whole on the
        connection's thread: one trip, so the write lock is held for the statements and the
        unit's own computing only, never for turns of the event loop. The same group commit
        and the same guarantee as `transaction`: it returns once its COMMIT is on disk."""
        group = await self._enter()
        try:
            ahead, self._carried = [*self._carried, SAVEPOINT], []
            result = await self._run_unit(group, ahead, work)
        except BaseException:
            await self._abandon(group)
            raise
        await self._leave(group)
        return result

    async def _run_unit(
        self, group: _CommitGroup, ahead: list[Statement], work: Callable[[SqlTx], Awaitable[R]]
    ) -> R:
        """With the lock held: the unit's one trip. A cancelled caller cannot stop it once it
        is on the thread; it is waited for and then rolled back, so it is all or nothing."""
        assert self._db is not None
        context = contextvars.copy_context()  # log fields set by the caller go along
        call = asyncio.ensure_future(
            self._db._execute(_unit_on_thread, self._db, ahead, work, context)
        )
        try:
            result = await asyncio.shield(call)
        except UnitFailed as failed:
            self._unit_undone(group, ahead, failed)
            error = failed.__cause__  # the unit's own error, raised below as it was
        except asyncio.CancelledError:
            await asyncio.shield(self._settle_cancelled(group, ahead, call))
            raise
        else:
            self._carried = [RELEASE]
            return result
        assert error is not None
        raise error

    def _unit_undone(self, group: _CommitGroup, ahead: list[Statement], failed: UnitFailed) -> None:
        if not failed.group_kept:
            self._lose(group)
        else:  # what of ``ahead`` did not run yet runs with the next trip
            self._carried = [item for item in ahead if item is RELEASE]

    async def _settle_cancelled(
        self, group: _CommitGroup, ahead: list[Statement], call: asyncio.Future[Any]
    ) -> None:
        try:
            await call
        except UnitFailed as failed:
            self._unit_undone(group, ahead, failed)
            return
        assert self._db is not None
        # It ran whole, its savepoint still open (nothing left ahead): undo it as `transaction`
        # undoes a failed body.
        await self._undo(group, SqliteDriver(self._db, []))

    async def _enter(self) -> _CommitGroup:
        """Take the lock and join (or open) the commit group."""
        if self._db is None:
            raise RuntimeError("repository is not open")
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            # Would wait for itself forever; SQLite has no nested transactions anyway.
            raise RuntimeError("a transaction is already open in this task")
        self._starting += 1
        try:
            await self._lock.acquire()
        finally:
            self._starting -= 1
        try:
            self._owner = task
            return await self._join_group()
        except BaseException:
            self._owner = None
            self._lock.release()
            raise

    async def _abandon(self, group: _CommitGroup) -> None:
        """A logical transaction failed (and is undone): let the lock go, and see the group's
        other members committed all the same."""
        self._owner = None
        self._lock.release()
        if not group.committed.done():
            with contextlib.suppress(Exception):  # its own error is the one to report
                await asyncio.shield(self._commit_later(group))

    async def _leave(self, group: _CommitGroup) -> None:
        """A logical transaction succeeded: hand the group to the next one waiting if it is
        young, else commit it; either way return once it is committed."""
        self._owner = None
        if self._starting and group.young():
            self._lock.release()
            await asyncio.shield(self._commit_later(group))
            return
        try:
            await self._commit()
        finally:
            self._lock.release()

    async def _join_group(self) -> _CommitGroup:
        """With the lock held: open the SQLite transaction if none is. A caller cancelled while
        the BEGIN is on its way leaves no transaction open behind it (the next BEGIN would fail)."""
        assert self._db is not None
        if self._group is None:
            begin = asyncio.ensure_future(self._db.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except asyncio.CancelledError:
                await asyncio.shield(self._abort_begin(begin))
                raise
            self._group = _CommitGroup()
        self._group.members += 1
        return self._group

    async def _abort_begin(self, begin: asyncio.Future[Any]) -> None:
        assert self._db is not None
        with contextlib.suppress(Exception):
            await begin
        if self._db.in_transaction:
            await self._db.execute("ROLLBACK")

    async def _end(self, driver: SqliteDriver) -> None:
        """With the lock held: the logical transaction succeeded. Its deferred writes must run
        now (their errors are its errors); its RELEASE may wait for the next trip."""
        if not driver._ahead:
            self._carried = [RELEASE]
        elif driver._ahead[-1] is SAVEPOINT:  # it never asked anything of the database
            self._carried = driver._ahead[:-1]
        else:
            await driver.run(*RELEASE)

    async def _undo(self, group: _CommitGroup, driver: SqliteDriver) -> None:
        """With the lock held: roll back one failed logical transaction. If SQLite has already
        abandoned the whole transaction (a disk error, say), the group is lost: its other
        members learn it from their `_commit_later` and fail too."""
        assert self._db is not None
        if not driver.opened:  # nothing of it reached the database; what was ahead of it stays
            self._carried = [item for item in driver._ahead if item is RELEASE]
            return
        if self._db.in_transaction:
            try:
                await self._db.execute("ROLLBACK TO logical")
                await self._db.execute("RELEASE logical")
                return
            except Exception:
                with contextlib.suppress(Exception):
                    await self._db.execute("ROLLBACK")
        self._lose(group)

    def _lose(self, group: _CommitGroup) -> None:
        """SQLite has dropped the whole transaction: every member of the group fails."""
        if self._group is group:
            self._group = None
        group.fail(RuntimeError("the transaction was rolled back"))

    async def _commit_later(self, group: _CommitGroup) -> None:
        """Wait for the lock again (behind the transactions that were queued) and commit the
        group unless a later member already did; raises if the group's COMMIT failed."""
        if not group.committed.done():
            async with self._lock:
                if self._group is group:
                    await self._commit()
        await group.committed

    async def _commit(self) -> None:
        """With the lock held: COMMIT the open group (with the RELEASE still carried) and tell
        its members."""
        assert self._db is not None and self._group is not None
        group, self._group = self._group, None
        carried, self._carried = self._carried, []
        try:
            await SqliteDriver(self._db, carried).run("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(Exception):
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
            group.fail(exc)
            raise
        group.committed.set_result(None)


#: A finished transaction hands the open group over only while the group is younger than this
#: (seconds) and smaller than the limit. It bounds how long a finished transaction's changes
#: stay uncommitted: e.g. the outbox's "sent", whose delay widens the window in which a crash
#: leaves a Telegram citizen message `uncertain` (see `bot.delivery.outbox`).
GROUP_COMMIT_WINDOW = 0.02
GROUP_COMMIT_LIMIT = 64


class _CommitGroup:
    """The logical transactions sharing one SQLite transaction; ``committed`` resolves when
    its COMMIT has returned (or fails with the reason none of them was kept)."""

    def __init__(self) -> None:
        self.members = 0
        self.began = time.monotonic()
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A group whose last member failed may have nobody left awaiting the outcome.
        self.committed.add_done_callback(lambda f: f.cancelled() or f.exception())

    def young(self) -> bool:
        return (
            self.members < GROUP_COMMIT_LIMIT
            and time.monotonic() - self.began < GROUP_COMMIT_WINDOW
        )

    def fail(self, exc: BaseException) -> None:
        if self.committed.done():
            return
        if isinstance(exc, asyncio.CancelledError):
            self.committed.cancel()
        else:
            self.committed.set_exception(exc)
