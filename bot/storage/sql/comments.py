"""Where the comment tickets were written (`bot.storage.base.CommentsTx`)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.comments import CommentRef
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import to_db_time

_ADD = (
    "INSERT INTO ticket_comments (ticket_id, channel, place_id, post_id, comment_id, author_id,"
    " at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_TICKET_OF = (
    "SELECT ticket_id FROM ticket_comments WHERE channel = ? AND place_id = ? AND comment_id = ?"
)
_OF_TICKET = (
    "SELECT channel, place_id, post_id, comment_id FROM ticket_comments WHERE ticket_id = ?"
)


class CommentsSql(Facet):
    __slots__ = ()

    async def add(self, ticket_id: int, ref: CommentRef, author_id: int, now: datetime) -> bool:
        params = (ticket_id, ref.channel, ref.place_id, ref.post_id, ref.comment_id, author_id,
                  to_db_time(now))
        return await self.db.run(_ADD, params) > 0

    async def ticket_of(self, ref: CommentRef) -> int | None:
        row = await self.db.one(_TICKET_OF, (ref.channel, ref.place_id, ref.comment_id))
        return None if row is None else int(row[0])

    async def of_ticket(self, ticket_id: int) -> CommentRef | None:
        row = await self.db.one(_OF_TICKET, (ticket_id,))
        if row is None:
            return None
        return CommentRef(row[0], int(row[1]), int(row[2]), int(row[3]))
