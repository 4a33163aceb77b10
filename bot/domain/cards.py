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
from bot.domain.states import TicketState
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


#: The buttons under a body's card, row by row, by the ticket's state: what the body may still
#: do. A state not listed (ended, handed on, with the coordinators) has no buttons.
CARD_BUTTONS: dict[TicketState, tuple[tuple[Action, ...], ...]] = {
    TicketState.ROUTED: ((Action.TAKE, Action.REDIRECT), (Action.CLOSE, Action.REJECT)),
    TicketState.REOPENED: ((Action.TAKE, Action.REDIRECT), (Action.CLOSE, Action.REJECT)),
    TicketState.IN_WORK: ((Action.REDIRECT, Action.CLOSE), (Action.REJECT,)),
    TicketState.ANSWERED: ((Action.CLOSE,),),
}
#: A coordinator holding a ticket for a body without a chat.
COORDINATOR_CARD_BUTTONS: tuple[tuple[Action, ...], ...] = ((Action.REDIRECT, Action.REJECT),)
#: What each card button says.
BUTTON_LABELS = {
    Action.TAKE: texts.TAKE_BUTTON,
    Action.REDIRECT: texts.NOT_OURS_BUTTON,
    Action.CLOSE: texts.CLOSE_BUTTON,
    Action.REJECT: texts.REJECT_BUTTON,
}


def card_buttons(
    number: str, state: TicketState = TicketState.ROUTED, *, for_body: bool = True
) -> Rows:
    """The buttons under a card (`CARD_BUTTONS`; a coordinator's: `COORDINATOR_CARD_BUTTONS`)."""
    layout = CARD_BUTTONS.get(state, ()) if for_body else COORDINATOR_CARD_BUTTONS
    return tuple(
        tuple(Button(BUTTON_LABELS[action], Payload(action, number).pack()) for action in row)
        for row in layout
    )


def with_status(card: str, status: str) -> str:
    """The card's text with its status line under it, above the buttons."""
    return texts.CARD_WITH_STATUS.format(card=card, status=status)


def question_buttons(action: Action, number: str, options: Iterable[str], names: dict) -> Rows:
    """A button an option of a question (topic or place), then «Другое» (``"-"``)."""
    rows = [
        (Button(names[o].name if o in names else o, Payload(action, number, o).pack()),)
        for o in options
    ]
    if rows:
        rows.append((Button(texts.OTHER_OPTION, Payload(action, number, "-").pack()),))
    return tuple(rows)


def forum_topic_title(table: RoutingTable, ticket: TicketRecord, mark: str | None = None) -> str:
    """«✅ № 26-000123 · Дороги»: the number, the topic and a mark of the ticket's state
    (`texts.TOPIC_STATE_MARKS`, or ``mark``), so the list of topics reads as a list of tickets."""
    topic = table.topic_by_id.get(ticket.topic or "")
    title = texts.FORUM_TOPIC_TITLE.format(
        number=ticket.number, topic=topic.name if topic else texts.UNKNOWN_TOPIC
    )
    mark = mark or texts.TOPIC_STATE_MARKS.get(ticket.state)
    if mark:
        title = f"{mark} {title}"
    return title[:128]  # Telegram's limit on a topic name
