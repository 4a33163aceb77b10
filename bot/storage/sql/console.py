"""The web console (`bot.storage.base.ConsoleTx`): login links and sessions (migrations 17, 18)
kept by the hash of their secret, and the queue's one straightforward query.

The queue query is written plainly on purpose, behind the one method `ConsoleSql.queue`: the
optimised queries and their indexes for large databases replace it without the pages changing.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.console import DUE_SOON, ConsoleSession, QueueQuery, QueueView
from bot.domain.records import TicketRecord
from bot.domain.states import ACTIVE
from bot.storage.sql import values
from bot.storage.sql.driver import Facet, Row
from bot.storage.sql.values import from_db_time, to_db_time

_ACTIVE = tuple(sorted(ACTIVE))


def _session(row: Row) -> ConsoleSession:
    return ConsoleSession(
        channel=row["channel"],
        user_id=int(row["user_id"]),
        csrf=row["csrf"],
        created_at=from_db_time(row["created_at"]),
        expires_at=from_db_time(row["expires_at"]),
        ended_at=from_db_time(row["ended_at"]) if row["ended_at"] is not None else None,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def queue_where(query: QueueQuery) -> tuple[str, list]:
    """The WHERE clause of a queue page and its parameters."""
    where = ["state <> 'new'"]
    params: list = []

    def among(column: str, items: tuple[str, ...]) -> None:
        where.append(f"{column} IN ({', '.join('?' * len(items))})")
        params.extend(items)

    if query.only_bodies is not None:
        if not query.only_bodies:
            where.append("1 = 0")
        else:
            among("body", tuple(sorted(query.only_bodies)))
    now = to_db_time(query.now)
    if query.view == QueueView.UNROUTED:
        where.append("state = 'with_coordinator'")
    elif query.view == QueueView.REDIRECTED:
        where.append("state = 'redirected'")
    elif query.view == QueueView.OVERDUE:
        among("state", _ACTIVE)
        where.append("due_at < ?")
        params.append(now)
    elif query.view == QueueView.DUE_SOON:
        among("state", _ACTIVE)
        where.append("due_at >= ? AND due_at < ?")
        params.extend((now, to_db_time(query.now + DUE_SOON)))
    for column in ("body", "topic", "municipality", "state", "channel"):
        value = getattr(query, column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.since is not None:
        where.append("created_at >= ?")
        params.append(to_db_time(query.since))
    if query.until is not None:
        where.append("created_at < ?")
        params.append(to_db_time(query.until))
    if query.search:
        where.append("(number = ? OR text LIKE ? ESCAPE '\\')")
        params.extend((query.search, _like(query.search)))
    return " AND ".join(where), params


class ConsoleSql(Facet):
    __slots__ = ()

    async def add_login(
        self, token_hash: str, channel: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None:
        await self.db.run(
            "INSERT INTO console_logins (token_hash, channel, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash, channel, user_id, to_db_time(now), to_db_time(expires_at)),
        )

    async def add_used_login(
        self, token_hash: str, channel: str, user_id: int, now: datetime, expires_at: datetime
    ) -> bool:
        added = await self.db.run(
            "INSERT INTO console_logins (token_hash, channel, user_id, created_at, expires_at,"
            " used_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING",
            (token_hash, channel, user_id, to_db_time(now), to_db_time(expires_at),
             to_db_time(now)),
        )
        return added == 1

    async def login_is_open(self, token_hash: str, now: datetime) -> bool:
        """Whether a link can still be used (the «Войти» page before it is)."""
        found = await self._value(
            "SELECT 1 FROM console_logins WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (token_hash, to_db_time(now)),
        )
        return found is not None

    async def use_login(self, token_hash: str, now: datetime) -> tuple[str, int] | None:
        """The account of a link not used and not expired, marked used (once, even under a
        race); ``None`` for a forged, used or expired one."""
        used = await self.db.run(
            "UPDATE console_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (to_db_time(now), token_hash, to_db_time(now)),
        )
        if used != 1:
            return None
        row = await self.db.one(
            "SELECT channel, user_id FROM console_logins WHERE token_hash = ?", (token_hash,)
        )
        return (row["channel"], int(row["user_id"])) if row is not None else None

    async def add_session(self, session_hash: str, session: ConsoleSession) -> None:
        await self.db.run(
            "INSERT INTO console_sessions (session_hash, channel, user_id, csrf, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                session_hash, session.channel, session.user_id, session.csrf,
                to_db_time(session.created_at), to_db_time(session.expires_at),
            ),
        )

    async def session(self, session_hash: str) -> ConsoleSession | None:
        sql = "SELECT * FROM console_sessions WHERE session_hash = ?"
        return await self._record(_session, sql, (session_hash,))

    async def end_session(self, session_hash: str, now: datetime) -> bool:
        count = await self.db.run(
            "UPDATE console_sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
            (to_db_time(now), session_hash),
        )
        return count == 1

    async def queue(self, query: QueueQuery) -> tuple[list[TicketRecord], int]:
        """One page of tickets, newest first, and how many match in all."""
        where, params = queue_where(query)
        total = await self._value(f"SELECT COUNT(*) FROM tickets WHERE {where}", tuple(params), int)
        offset = (query.page - 1) * query.page_size
        found = await self._records(
            values.ticket,
            f"SELECT * FROM tickets WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, query.page_size, offset),
        )
        return found, total or 0
