"""Which forum topic (``message_thread_id``) belongs to which ticket, per chat, in the database.

The Telegram adapter asks it before sending a message that has a ``topic_key`` and tells it when
it created a topic (or re-created one the administrators deleted). The core reads the same table
the other way round (`Tx.staff.topic_key_by_thread`): a message written in a topic is about that
topic's ticket. Kept in the database so that a restart does not open a second topic per ticket.
"""

from __future__ import annotations

from bot.domain.messages import Clock, SystemClock
from bot.storage.base import Repository


class ForumTopics:
    def __init__(self, repo: Repository, channel: str = "tg", clock: Clock | None = None):
        self.repo = repo
        self.channel = channel
        self.clock = clock or SystemClock()

    async def thread(self, chat_id: int, key: str) -> int | None:
        async with self.repo.transaction() as tx:
            return await tx.staff.forum_thread(self.channel, chat_id, key)

    async def remember(self, chat_id: int, key: str, thread_id: int) -> None:
        async with self.repo.transaction() as tx:
            await tx.staff.set_forum_thread(
                self.channel, chat_id, key, thread_id, self.clock.now()
            )
