"""The web console (`bot.storage.base.ConsoleTx`): login links and sessions (migrations 17, 18)
kept by the hash of their secret. The queue page reads the console's read model
(`bot.storage.sql.reports`), as the dashboard, the export and the map do.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.console import ConsoleSession
from bot.storage.sql.driver import Facet, Row
from bot.storage.sql.values import from_db_time, to_db_time


def _session(row: Row) -> ConsoleSession:
    return ConsoleSession(
        channel=row["channel"],
        user_id=int(row["user_id"]),
        csrf=row["csrf"],
        created_at=from_db_time(row["created_at"]),
        expires_at=from_db_time(row["expires_at"]),
        ended_at=from_db_time(row["ended_at"]) if row["ended_at"] is not None else None,
    )


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
