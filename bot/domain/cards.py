"""How a ticket is shown to the people who work on it: the card, its buttons, the appeal as a
body must read it, the forum topic's title.

Pure rendering, no I/O: the desk reads what is needed (the ticket, its thread) and queues what
these functions make, so a card looks the same whichever use case sends it.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import texts
from bot.domain.messages import Button
from bot.domain.records import TicketMessage, TicketRecord
from bot.domain.wire import Action, Payload, Purpose
from routing.model import RoutingTable

Rows = tuple[tuple[Button, ...], ...]


def appeal_text(ticket: TicketRecord, thread: Iterable[TicketMessage]) -> str:
    """The first message, then the citizen's later words (answers to the bot's questions — the
    address, the settlement — which the first message lacked), then the location, if sent."""
    lines = [
        texts.CLARIFICATION_LINE.format(text=m.text.strip())
        for m in thread
        if m.author == Purpose.CITIZEN
        and m.text.strip()
        and m.platform_message_id != ticket.source_message_id
    ]
    text = ticket.text
    if lines and not text.strip():  # a photo or a location came first, the words after
        text = "\n".join(line.removeprefix("• ") for line in lines)
    elif lines:
        text += texts.CLARIFICATIONS.format(lines="\n".join(lines))
    if ticket.lat is not None and ticket.lon is not None:
        text += texts.LOCATION_LINE.format(lat=ticket.lat, lon=ticket.lon)
    return text


def card_text(
    table: RoutingTable,
    number: str,
    topic: str | None,
    municipality: str | None,
    due: str,
    appeal: str,
    note: str = "",
) -> str:
    topic_obj = table.topic_by_id.get(topic or "")
    place = table.municipality_by_id.get(municipality or "")
    return note + texts.TO_BODY.format(
        number=number,
        topic=topic_obj.name if topic_obj else texts.UNKNOWN_TOPIC,
        place=place.name if place else texts.UNKNOWN_PLACE,
        due=due,
        text=appeal,
    )


def card_buttons(number: str, *, for_body: bool = True) -> Rows:
    """«Взять в работу», «Не наше», «Закрыть», «Спам», and while the deadline runs (the states
    `states.ACTIVE`, which a new card is in) «Промежуточный ответ» and «Продлить срок», under
    a body's card; a coordinator holding a ticket for a body without a chat gets «Не наше» and
    «Спам»."""
    take = Button(texts.TAKE_BUTTON, Payload(Action.TAKE, number).pack())
    not_ours = Button(texts.NOT_OURS_BUTTON, Payload(Action.REDIRECT, number).pack())
    spam = Button(texts.REJECT_BUTTON, Payload(Action.REJECT, number).pack())
    close = Button(texts.CLOSE_BUTTON, Payload(Action.CLOSE, number).pack())
    interim = Button(texts.INTERIM_BUTTON, Payload(Action.INTERIM, number).pack())
    extend = Button(texts.EXTEND_BUTTON, Payload(Action.EXTEND, number).pack())
    if not for_body:
        return ((not_ours, spam),)
    return ((take, not_ours), (close, spam), (interim, extend))


def question_buttons(action: Action, number: str, options: Iterable[str], names: dict) -> Rows:
    """A button an option of a question (topic or place), then «Другое» (``"-"``)."""
    rows = [
        (Button(names[o].name if o in names else o, Payload(action, number, o).pack()),)
        for o in options
    ]
    if rows:
        rows.append((Button(texts.OTHER_OPTION, Payload(action, number, "-").pack()),))
    return tuple(rows)


def forum_topic_title(table: RoutingTable, ticket: TicketRecord) -> str:
    topic = table.topic_by_id.get(ticket.topic or "")
    title = texts.FORUM_TOPIC_TITLE.format(
        number=ticket.number, topic=topic.name if topic else texts.UNKNOWN_TOPIC
    )
    return title[:128]  # Telegram's limit on a topic name
