"""Wrong page, right body: an appeal written to a connected page is routed as every appeal is.

Citizens write to whichever official page they find, and most write to the wrong one. The
router decides as usual; what the page adds is only this, at the ticket's first routing and in
the same transaction:

- the appeal is recorded with the page's body and the routed body (`PageAppeal`), which gives
  `/stats` and `/pages` the appeals per page and how many were misdirected — the figure
  regional centres report;
- when the router chose another body, the citizen is told, from the page they wrote to (their
  dialogue is the page's), where the appeal went, and the page's own body gets a short notice
  in its chats, so nobody there wonders why nothing arrived.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from bot.domain import texts
from bot.domain.pages import PageAppeal, page_of
from bot.domain.records import TicketRecord
from bot.domain.wire import OutboxKey, Purpose
from bot.storage.base import Tx
from routing.model import Body, RoutingTable

log = logging.getLogger("bot.pages")


class PageDesk(Protocol):
    """What this needs of `bot.core.desk.Desk` (which calls it, hence not imported)."""

    table: RoutingTable

    def body_chats(self, body: Body) -> list[tuple[str, int]]: ...

    async def enqueue(
        self, tx: Tx, ticket: TicketRecord | None, key: OutboxKey, channel: Any, chat_id: int,
        text: str, purpose: Purpose,
    ) -> None: ...


async def note_page_appeal(
    desk: PageDesk, tx: Tx, ticket: TicketRecord, body: Body, now: datetime
) -> str:
    """Record a page's appeal at its first routing; returns what to put before the citizen's
    acceptance ("" when the page is the right one, or the ticket came some other way)."""
    group_id = page_of(ticket.channel, ticket.chat_id)
    if group_id is None:
        return ""
    page = await tx.pages.page(group_id)
    if page is None or not page.body:
        return ""
    await tx.pages.add_appeal(PageAppeal(ticket.id, group_id, page.body, body.id, now))
    if page.body == body.id:
        return ""
    log.info("ticket %s: written to page %d of body %s, routed to %s",
             ticket.number, group_id, page.body, body.id)
    page_body = desk.table.body_by_id.get(page.body)
    if page_body is not None:
        notice = texts.PAGE_MISDIRECTED_BODY.format(
            number=ticket.number, page=page.name, body=body.name
        )
        for channel, chat in desk.body_chats(page_body):
            key = OutboxKey.to_staff(ticket.number, Purpose.BODY, "page-misdirected", channel,
                                     chat)
            await desk.enqueue(tx, ticket, key, channel, chat, notice, Purpose.BODY)
    return texts.PAGE_MISDIRECTED_CITIZEN.format(page=page.name, body=body.name) + "\n\n"
