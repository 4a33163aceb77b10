"""The comments facet (`tx.comments`) on both backends: where a comment ticket was written."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.comments import COMMENT, CommentRef
from bot.domain.records import NewTicket
from tests.emulators.aio import run_async
from tests.storage.test_contract import NOW, opened, url  # noqa: F401  (the fixture)

REF = CommentRef("vk", -229_000_001, 7, 42)


@run_async
async def test_a_comment_ticket_keeps_its_place_and_loses_it_when_anonymised(url):  # noqa: F811
    async with opened(url) as repo:
        async with repo.transaction() as tx:
            comment = NewTicket("vk", 100_500, 100_500, None, "Яма", origin=COMMENT)
            ticket_id = await tx.tickets.insert("26-000001", comment, "new", NOW)
            # A message to the bot with the same number as the comment is no duplicate.
            direct = NewTicket("vk", 100_500, 100_500, 42, "Яма во дворе")
            assert await tx.tickets.insert("26-000002", direct, "new", NOW) is not None
            assert await tx.comments.add(ticket_id, REF, 100_500, NOW)
            assert not await tx.comments.add(ticket_id, REF, 100_500, NOW)  # one ticket a comment
        async with repo.transaction() as tx:
            assert await tx.comments.ticket_of(REF) == ticket_id
            assert await tx.comments.ticket_of(CommentRef("tg", REF.place_id, 7, 42)) is None
            assert await tx.comments.of_ticket(ticket_id) == REF
            ticket = await tx.tickets.by_id(ticket_id)
            assert ticket is not None and ticket.origin == COMMENT
            assert ticket.source_message_id is None
            assert (await tx.tickets.by_number("26-000002")).origin is None
            await tx.tickets.anonymise(ticket_id, "[удалено]", NOW + timedelta(days=1))
        async with repo.transaction() as tx:
            assert await tx.comments.of_ticket(ticket_id) is None
            assert await tx.comments.ticket_of(REF) is None
