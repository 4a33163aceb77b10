"""The formats the layers agree on: button payloads, outbox purposes and keys, use-case outcomes.

Each is a type with one way in and one way out (`pack`/`unpack`, `render`), so no module splits
strings by hand or recognises a message by a prefix (aiogram's ``CallbackData`` is the model).
The rendered forms are stored (outbox keys are unique forever, payloads sit under buttons that
citizens press weeks later), so they never change shape: a new kind is a new name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: Telegram's limit on a button's callback data, in bytes (VK allows more).
CALLBACK_LIMIT = 64


class Purpose(StrEnum):
    """Whom an outbox row is for: decides its priority, whether it is re-sent after a crash,
    and what the privacy paths blank."""

    CITIZEN = "citizen"
    #: The confirmation of a deletion (`forget_citizen`): blanked once delivered.
    CITIZEN_FORGOTTEN = "citizen-forgotten"
    #: Copies of stored data sent on request (/my, a ticket's history): blanked once delivered.
    CITIZEN_TRANSIENT = "citizen-transient"
    #: A public reply under a citizen's comment (`bot.core.comments`): refused (comments
    #: closed, post deleted) it is the staff's to know, not a citizen's blocked chat.
    CITIZEN_PUBLIC = "citizen-public"
    BODY = "body"
    COORDINATOR = "coordinator"
    #: A copy of stored data shown to staff on request (/ticket): blanked once delivered.
    STAFF_TRANSIENT = "staff-transient"

    @property
    def to_citizen(self) -> bool:
        return self in CITIZEN_PURPOSES

    @property
    def priority(self) -> int:
        """0 for what a citizen is waiting for (confirmations, questions, answers), 1 for staff
        cards and reminders. When both are due the outbox sends 0 first, so a burst of appeals
        does not queue the citizens' replies behind the cards; within one chat the order is
        always the order of queueing."""
        return 0 if self.to_citizen else 1

    @property
    def blanked_after_delivery(self) -> bool:
        return self in (
            Purpose.CITIZEN_FORGOTTEN, Purpose.CITIZEN_TRANSIENT, Purpose.STAFF_TRANSIENT
        )


#: What goes to a citizen (and so comes first, and is never re-sent after a crash on Telegram).
CITIZEN_PURPOSES = frozenset(
    {Purpose.CITIZEN, Purpose.CITIZEN_FORGOTTEN, Purpose.CITIZEN_TRANSIENT, Purpose.CITIZEN_PUBLIC}
)
#: ``purpose IN (…)`` for SQL that touches only what went to citizens.
CITIZEN_PURPOSES_SQL = "(" + ", ".join(f"'{p.value}'" for p in sorted(CITIZEN_PURPOSES)) + ")"


class Action(StrEnum):
    """What a button does when pressed."""

    # The citizen's answers: to a question, to «Проблема решена?», the rating.
    TOPIC = "topic"
    PLACE = "place"
    SOLVED = "solved"
    RATE = "rate"
    NEW_APPEAL = "new"  # «Это новое обращение?»: «Да, новое» / «Нет, это уточнение»
    # A body's or a coordinator's, under a ticket card.
    TAKE = "take"  # «Взять в работу»
    REDIRECT = "redirect"  # «Не наше»
    REJECT = "reject"  # «Спам»
    CLOSE = "close"  # «Закрыть»
    # A coordinator's: the body chosen for a ticket by a button (`bot.core.body_choice`).
    ASSIGN = "assign"
    INTERIM = "interim"  # «Промежуточный ответ»
    EXTEND = "extend"  # «Продлить срок»
    # A parent body's (issue 17): «Передать подразделению», then the unit chosen (its id).
    UNITS = "units"
    TO_UNIT = "to-unit"
    # Under the bot's question before a staff action (`bot.domain.prompts`): «Да, …» or a
    # reason (the value names what and for which routing round), «Отмена».
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    # «Вернуть в работу» under a coordinator's notice of a close without an answer.
    RETURN = "return"
    # The citizen's desk (`bot.core.citizen`): a ticket's history, the next page of /my,
    # confirming /forget, no photo.
    HISTORY = "history"
    MY = "my"
    FORGET = "forget"
    SKIP = "skip"
    # Staff tools (`bot.core.templates`, `bot.core.staff_list`): the reply templates of a
    # ticket, one template shown, sent; a binding to revoke, confirmed.
    TEMPLATES = "tpls"
    TEMPLATE = "tpl"
    TEMPLATE_SEND = "tpl-send"
    TEMPLATE_CANCEL = "tpl-no"
    REVOKE = "revoke"
    REVOKE_YES = "revoke-yes"
    REVOKE_NO = "revoke-no"

    @property
    def by_citizen(self) -> bool:
        return self in (Action.TOPIC, Action.PLACE, Action.SOLVED, Action.RATE, Action.NEW_APPEAL)

    @property
    def by_staff(self) -> bool:
        return self in _STAFF_ACTIONS

    @property
    def staff_tool(self) -> bool:
        return self in (
            Action.TEMPLATES, Action.TEMPLATE, Action.TEMPLATE_SEND, Action.TEMPLATE_CANCEL,
            Action.REVOKE, Action.REVOKE_YES, Action.REVOKE_NO,
        )

    @property
    def on_desk(self) -> bool:
        return self in (Action.HISTORY, Action.MY, Action.FORGET, Action.SKIP)


@dataclass(frozen=True)
class Payload:
    """What a button carries: ``topic:26-000123:roads``. Typed, so nobody splits strings by hand;
    short, because Telegram allows `CALLBACK_LIMIT` bytes of callback data."""

    action: Action
    number: str
    value: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.action, Action):  # "take" → Action.TAKE, or raise
            object.__setattr__(self, "action", Action(self.action))

    def pack(self) -> str:
        packed = f"{self.action}:{self.number}:{self.value}"
        if len(packed.encode("utf-8")) > CALLBACK_LIMIT:
            raise ValueError(f"button data over {CALLBACK_LIMIT} bytes: {packed[:20]}…")
        return packed

    @classmethod
    def unpack(cls, text: str | None) -> Payload | None:
        parts = (text or "").split(":", 2)
        if len(parts) != 3 or parts[0] not in _ACTIONS:
            return None
        return cls(_ACTIONS[parts[0]], parts[1], parts[2])


_ACTIONS = {a.value: a for a in Action}
_STAFF_ACTIONS = frozenset(
    {
        *(Action.TAKE, Action.REDIRECT, Action.REJECT, Action.CLOSE, Action.INTERIM),
        *(Action.EXTEND, Action.CONFIRM, Action.DISMISS, Action.RETURN),
        *(Action.UNITS, Action.TO_UNIT),
    }
)

_TICKET_NUMBER = re.compile(r"\d{2}-\d{6,}")


@dataclass(frozen=True)
class OutboxKey:
    """The idempotency key of an outbox row: queueing the same key twice is a no-op, so a key
    names the one message that may exist for an event (``26-000123:citizen-routed:1``: the
    citizen's «передано» of routing round 1). Rendered keys are stored; their shape is fixed.

    ``ticket`` is the ticket number, or ``None`` for a message about no ticket; ``name`` says
    what the message is; ``parts`` what makes it unique (a round, a chat, a platform message
    id); ``piece`` numbers the pieces of a text longer than one message.
    """

    ticket: str | None
    name: str
    parts: tuple[str | int, ...] = ()
    piece: int | None = None

    @classmethod
    def to_citizen(cls, number: str, event: str, *parts: str | int) -> OutboxKey:
        return cls(number, f"{Purpose.CITIZEN}-{event}", parts)

    @classmethod
    def card(cls, number: str, route_round: int, channel: str, chat: int) -> OutboxKey:
        """The ticket card in one body chat; later messages about the ticket reply to it."""
        return cls(number, f"{Purpose.BODY}", (route_round, channel, chat))

    @classmethod
    def card_edit(
        cls, number: str, route_round: int, channel: str, chat: int, change: str
    ) -> OutboxKey:
        """An edit of that card (`card`) announcing one state change (``change``: the new
        state and the moment, unique per change)."""
        return cls(number, f"{Purpose.BODY}-edit", (route_round, channel, chat, change))

    @classmethod
    def to_staff(
        cls, number: str, audience: Purpose, event: str | None, *parts: str | int
    ) -> OutboxKey:
        """A message about a ticket to a body chat or a coordinator (``event`` ``None``: the
        card itself, for coordinators the unrouted-ticket notice)."""
        name = f"{audience}" if event is None else f"{audience}-{event}"
        return cls(number, name, parts)

    @classmethod
    def about_no_ticket(cls, name: str, *parts: str | int) -> OutboxKey:
        return cls(None, name, parts)

    def piece_of(self, index: int) -> OutboxKey:
        return OutboxKey(self.ticket, self.name, self.parts, index)

    def render(self) -> str:
        fields = [self.name, *map(str, self.parts)]
        if self.ticket is not None:
            fields.insert(0, self.ticket)
        if self.piece is not None:
            fields.append(f"part{self.piece}")
        return ":".join(fields)

    @classmethod
    def parse(cls, text: str) -> OutboxKey:
        """The inverse of `render` (``parse(k).render() == k``), for reading stored keys; parts
        come back as text."""
        fields = text.split(":")
        ticket = fields.pop(0) if _TICKET_NUMBER.fullmatch(fields[0]) else None
        piece = None
        if len(fields) > 1 and re.fullmatch(r"part\d+", fields[-1]):
            piece = int(fields.pop()[4:])
        name, *parts = fields
        return cls(ticket, name, tuple(parts), piece)


class OutcomeKind(StrEnum):
    """What a use case did with a message (`Outcome.kind`)."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # nothing changed: an old button, a stranger's tap, chatter
    FLOODED = "flooded"
    ANSWERED_QUESTION = "answered_question"
    CLARIFIED = "clarified"
    FOLLOW_UP = "follow_up"
    ANSWER = "answer"
    NOTE = "note"  # an internal note of staff, stored, never sent to the citizen
    SHOWN = "shown"  # a staff tool answered (/ticket, /staff, a template list)
    REVOKED = "revoked"
    TAKEN = "taken"
    REDIRECTED = "redirected"
    REJECTED = "rejected"
    VERDICT = "verdict"
    RATED = "rated"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    INVITED = "invited"
    BOUND = "bound"
    COMMAND = "command"
    UNKNOWN_COMMAND = "unknown_command"
    HISTORY = "history"
    FORGOTTEN = "forgotten"
    SKIPPED = "skipped"
    SMALL_TALK = "small_talk"  # a greeting, thanks, «ок», emoji: a hint, no ticket
    ASKED_IF_NEW = "asked_if_new"  # «Это новое обращение?» asked, the message held
    ASKED = "asked"  # the bot asked staff to confirm or to give a reason before acting
    DISMISSED = "dismissed"  # «Отмена» under such a question: nothing changed
    INTERIM = "interim"
    EXTENDED = "extended"
    RETURNED = "returned"  # a coordinator returned a closed ticket to its body
    EDITED = "edited"  # a citizen edited the comment a ticket was made from
    DELETED = "deleted"  # …or deleted it
    NOT_A_COMMENT = "not_a_comment"  # a reply in a staff group, not a comment: a message


@dataclass(frozen=True)
class Outcome:
    """What the core did with a message, for adapters (to answer a button press) and tests."""

    kind: OutcomeKind
    number: str | None = None
    state: str | None = None
    # A short Russian line for the person who pressed a button (Telegram callback answer, VK
    # snackbar), e.g. why their press was refused; ``None`` answers the press silently.
    notice: str | None = None

    @property
    def refused(self) -> bool:
        """A press that changed nothing (refused, stale, over the flood limit): its notice is
        a refusal the person must not miss (Telegram shows it as an alert); any other notice
        is a toast saying what happened."""
        return self.kind in (OutcomeKind.IGNORED, OutcomeKind.FLOODED)
