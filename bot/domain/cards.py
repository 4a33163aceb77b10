"""How a ticket is shown to the people who work on it: the card, its buttons, the appeal as a
body must read it, the forum topic's title.

Pure rendering, no I/O: the desk reads what is needed (the ticket, its thread) and queues what
these functions make, so a card looks the same whichever use case sends it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain import texts
from bot.domain.messages import Button
from bot.domain.records import TicketMessage, TicketRecord
from bot.domain.states import ACTIVE, ANSWERABLE, TicketState
from bot.domain.wire import Action, Payload, Purpose
from routing.model import Body, RoutingTable

Rows = tuple[tuple[Button, ...], ...]


#: Characters that reorder how text is displayed (embeddings, overrides, isolates, marks): in
#: a citizen's text they could make a line read differently on screen than it is stored, or
#: make the citizen's words run into the bot's. Russian text never needs them.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_STAFF = {Purpose.BODY: texts.ANSWER_BY_BODY, Purpose.COORDINATOR: texts.ANSWER_BY_COORDINATOR}


def neutral(text: str) -> str:
    """``text`` without bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069,
    U+200E, U+200F, U+061C)."""
    return _BIDI_CONTROLS.sub("", text)


def quoted(text: str) -> str:
    """A citizen's words as a quote: every line behind `texts.CITIZEN_QUOTE`, bidi controls
    removed, so that no line of it can pass for the bot's own."""
    lines = neutral(text).strip().splitlines() or [""]
    return "\n".join((texts.CITIZEN_QUOTE + line).rstrip() for line in lines)


def map_links(lat: float, lon: float) -> str:
    """The coordinates and links that open them on OpenStreetMap and Yandex Maps."""
    return texts.LOCATION_LINE.format(
        lat=lat,
        lon=lon,
        osm=texts.OSM_LINK.format(lat=lat, lon=lon),
        yandex=texts.YANDEX_LINK.format(lat=lat, lon=lon),
    )


def appeal_text(ticket: TicketRecord, thread: Iterable[TicketMessage]) -> str:
    """The appeal as its readers need it: the first message, then the citizen's later words
    (answers to the bot's questions, additions), the location with map links; on a ticket that
    was answered, the last answer and what the citizen said after it («Нет, не решена» and
    their reason). The citizen's words are quoted (`quoted`)."""
    thread = list(thread)
    answers = [i for i, m in enumerate(thread) if m.author in _STAFF]
    cut = answers[-1] if answers else len(thread)
    words = [
        m.text
        for m in thread[:cut]
        if m.author == Purpose.CITIZEN
        and m.text.strip()
        and m.platform_message_id != ticket.source_message_id
    ]
    first = ticket.text
    if words and not first.strip():  # a photo or a location came first, the words after
        first, words = "\n".join(words), []
    text = texts.APPEAL_HEADING + quoted(first) if first.strip() else ""
    if words:
        lines = (quoted(texts.CLARIFICATION_LINE.format(text=w.strip())) for w in words)
        text += texts.CLARIFICATIONS.format(lines="\n".join(lines))
    if ticket.lat is not None and ticket.lon is not None:
        text += "\n\n" + map_links(ticket.lat, ticket.lon)
    if answers:
        text += _previous_answer(ticket, thread[cut], thread[cut + 1 :])
    return text.lstrip("\n")


def _previous_answer(
    ticket: TicketRecord, answer: TicketMessage, later: list[TicketMessage]
) -> str:
    """The last answer and, if the citizen sent the ticket back after it, «Нет, не решена» and
    what they wrote since."""
    said = answer.text.strip()
    if len(said) > texts.PREVIOUS_ANSWER_LIMIT:
        said = said[: texts.PREVIOUS_ANSWER_LIMIT - 1].rstrip() + "…"
    text = texts.PREVIOUS_ANSWER.format(who=_STAFF[Purpose(answer.author)], text=said)
    # Sent back after this answer: «Нет, не решена», and routed again since (after a later
    # answer the stored verdict is the old one, and the route is older than the answer).
    reopened = (
        ticket.solved is False and ticket.routed_at is not None and ticket.routed_at >= answer.at
    )
    if reopened:
        text += texts.PREVIOUS_ANSWER_NOT_SOLVED
    reasons = [m.text.strip() for m in later if m.author == Purpose.CITIZEN and m.text.strip()]
    if reasons:
        template = texts.NOT_SOLVED_REASON if reopened else texts.AFTER_ANSWER
        text += template.format(text=quoted("\n".join(reasons)))
    return text


def follow_up_text(
    number: str,
    text: str,
    *,
    not_solved: bool = False,
    location: tuple[float, float] | None = None,
    files_elsewhere: int = 0,
) -> str:
    """A citizen's addition for a body's chat: their words quoted under a heading, or the
    heading alone when only files or a location came (no empty lines)."""
    head = (texts.NOT_SOLVED_REASON_TO_BODY if not_solved else texts.FOLLOW_UP_TO_BODY).format(
        number=number
    )
    if text.strip():
        head += texts.FOLLOW_UP_WORDS.format(text=quoted(text))
    else:
        head += texts.FOLLOW_UP_FILES
    if location is not None:
        head += "\n" + map_links(*location)
    if files_elsewhere:
        head += texts.FOLLOW_UP_FILES_ELSEWHERE.format(count=files_elsewhere)
    return head


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
#: do. A state not listed (ended, handed on, with the coordinators) has no buttons. While the
#: deadline runs (`states.ACTIVE`) a body may also send an interim answer or extend it once.
_WHILE_DUE = (Action.INTERIM, Action.EXTEND)
CARD_BUTTONS: dict[TicketState, tuple[tuple[Action, ...], ...]] = {
    TicketState.ROUTED: (
        (Action.TAKE, Action.REDIRECT), (Action.CLOSE, Action.REJECT), _WHILE_DUE
    ),
    TicketState.REOPENED: (
        (Action.TAKE, Action.REDIRECT), (Action.CLOSE, Action.REJECT), _WHILE_DUE
    ),
    TicketState.IN_WORK: ((Action.REDIRECT, Action.CLOSE), (Action.REJECT,), _WHILE_DUE),
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
    Action.INTERIM: texts.INTERIM_BUTTON,
    Action.EXTEND: texts.EXTEND_BUTTON,
    Action.UNITS: texts.UNITS_BUTTON,
}
#: A body that dispatches for others (a ``parent`` in the table) may hand an open ticket on.
_UNITS_ROW = (Action.UNITS,)


def card_buttons(
    number: str,
    state: TicketState = TicketState.ROUTED,
    *,
    for_body: bool = True,
    templates: bool = False,
    units: bool = False,
) -> Rows:
    """The buttons under a card (`CARD_BUTTONS`; a coordinator's: `COORDINATOR_CARD_BUTTONS`).
    ``templates``: the body has reply templates (`routing.model.ReplyTemplate`), offered with
    «Шаблоны ответов» below while the ticket can still be answered. ``units``: the body
    dispatches for others (`bot.core.units`), offered «Передать подразделению» while open, on
    its own card and on the coordinators' card that stands in for it when it has no chat."""
    layout = CARD_BUTTONS.get(state, ()) if for_body else COORDINATOR_CARD_BUTTONS
    if units and state in ACTIVE:
        layout = (*layout, _UNITS_ROW)
    rows = tuple(
        tuple(Button(BUTTON_LABELS[action], Payload(action, number).pack()) for action in row)
        for row in layout
    )
    if templates and for_body and state in ANSWERABLE:
        rows += ((Button(texts.TEMPLATES_BUTTON, Payload(Action.TEMPLATES, number).pack()),),)
    return rows


def with_status(card: str, status: str) -> str:
    """The card's text with its status line under it, above the buttons."""
    return texts.CARD_WITH_STATUS.format(card=card, status=status)


def answer_hint(channel: str, forum: bool) -> str:
    """The line under a card saying what reaches the citizen: in a forum topic only a reply to
    the card or /answer (the rest of the topic is staff talk); elsewhere a reply to the card,
    and /note for what stays among staff."""
    if forum:
        return texts.ANSWER_HINT_FORUM
    return texts.ANSWER_HINT_PLAIN.format(note=texts.NOTE_COMMAND.get(channel, "/note"))


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


def body_choice_buttons(number: str, bodies: Iterable[Body]) -> tuple[tuple[Button, ...], ...]:
    """One button per body, one to a row (`bot.core.body_choice` acts on the press); a body
    whose id does not fit the button's data is left to be typed."""
    rows = []
    for body in bodies:
        try:
            rows.append((Button(body.name, Payload(Action.ASSIGN, number, body.id).pack()),))
        except ValueError:
            continue
    return tuple(rows)
