"""Administrators (`bot.storage.base.StaffTx`): single-use invites, the chats where a body's
tickets arrive, and the forum topic each ticket has in such a chat (migration 4); the body chats
the bot cannot write to (migration 10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.records import StaffBinding, StaffInvite
from bot.storage.sql import values
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import from_db_time, to_db_time

_THREAD_OF_TOPIC = (
    "SELECT thread_id FROM forum_topics WHERE channel = ? AND chat_id = ? AND topic_key = ?"
)
_TOPIC_OF_THREAD = (
    "SELECT topic_key FROM forum_topics WHERE channel = ? AND chat_id = ? AND thread_id = ?"
    " LIMIT 1"
)


class StaffSql(Facet):
    __slots__ = ()

    async def invite(self, token: str) -> StaffInvite | None:
        sql = "SELECT * FROM staff_invites WHERE token = ?"
        return await self._record(values.invite, sql, (token,))

    async def add_invite(self, invite: StaffInvite) -> None:
        await self.db.run(
            "INSERT INTO staff_invites (token, body, created_by_channel, created_by_user,"
            " created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                *(invite.token, invite.body, invite.created_by_channel, invite.created_by_user),
                *map(to_db_time, (invite.created_at, invite.expires_at, invite.used_at)),
            ),
        )

    async def use_invite(self, token: str, now: datetime) -> bool:
        """Mark used; ``False`` if it already was (single use even under a race)."""
        count = await self.db.run(
            "UPDATE staff_invites SET used_at = ? WHERE token = ? AND used_at IS NULL",
            (to_db_time(now), token),
        )
        return count == 1

    async def add_binding(self, binding: StaffBinding, now: datetime) -> bool:
        """``False`` when exactly this binding already exists (its ``forum`` flag refreshed)."""
        key = (binding.channel, binding.chat_id, binding.user_id, binding.body)
        inserted = await self.db.run(
            "INSERT INTO staff_bindings (channel, chat_id, user_id, body, forum, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (*key, int(binding.forum), to_db_time(now)),
        )
        if inserted != 1:
            # Same person, chat and body again (e.g. the group became a forum since): refresh.
            await self.db.run(
                "UPDATE staff_bindings SET forum = ? WHERE channel = ? AND chat_id = ?"
                " AND user_id = ? AND body = ?",
                (int(binding.forum), *key),
            )
        return inserted == 1

    async def remove_binding(self, binding: StaffBinding, now: datetime, actor: str) -> bool:
        key = (binding.channel, binding.chat_id, binding.user_id, binding.body)
        removed = await self.db.run(
            "DELETE FROM staff_bindings WHERE channel = ? AND chat_id = ? AND user_id = ?"
            " AND body = ?",
            key,
        )
        if removed != 1:
            return False
        await self.db.run(
            "INSERT INTO staff_audit (at, kind, actor, channel, chat_id, user_id, body)"
            " VALUES (?, 'revoked', ?, ?, ?, ?, ?)",
            (to_db_time(now), actor, *key),
        )
        return True

    async def bindings(self) -> list[StaffBinding]:
        order = self.db.dialect.binding_order
        found = await self._records(
            values.binding, f"SELECT * FROM staff_bindings ORDER BY {order}"
        )
        unreachable = await self.unreachable_chats()
        return [
            replace(b, unreachable_since=unreachable.get((b.channel, b.chat_id))) for b in found
        ]

    async def mark_unreachable(
        self, channel: str, chat_id: int, reason: str, now: datetime
    ) -> bool:
        """``False`` if the chat was marked already (the first mark and its time stay)."""
        count = await self.db.run(
            "INSERT INTO unreachable_chats (channel, chat_id, since, reason) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (channel, chat_id, to_db_time(now), reason),
        )
        return count == 1

    async def mark_reachable(self, channel: str, chat_id: int) -> bool:
        """``False`` if the chat was not marked."""
        count = await self.db.run(
            "DELETE FROM unreachable_chats WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )
        return count == 1

    async def unreachable_chats(self) -> dict[tuple[str, int], datetime]:
        rows = await self.db.all("SELECT channel, chat_id, since FROM unreachable_chats")
        return {(r["channel"], r["chat_id"]): from_db_time(r["since"]) for r in rows}

    async def forum_thread(self, channel: str, chat_id: int, topic_key: str) -> int | None:
        return await self._value(_THREAD_OF_TOPIC, (channel, chat_id, topic_key), int)

    async def set_forum_thread(
        self, channel: str, chat_id: int, topic_key: str, thread_id: int, now: datetime
    ) -> None:
        await self.db.run(
            "INSERT INTO forum_topics (channel, chat_id, topic_key, thread_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, chat_id, topic_key)"
            " DO UPDATE SET thread_id = excluded.thread_id, created_at = excluded.created_at",
            (channel, chat_id, topic_key, thread_id, to_db_time(now)),
        )

    async def topic_key_by_thread(
        self, channel: str, chat_id: int, thread_id: int
    ) -> str | None:
        """The ticket a forum topic belongs to: a message written in it is about that ticket."""
        return await self._value(_TOPIC_OF_THREAD, (channel, chat_id, thread_id))
