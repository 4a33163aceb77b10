"""The bot's questions to staff before it acts: what was asked, the buttons under the question,
and how a reply or a press names the question it answers.

A question is an outbox row like any other message; its key (`prompt_key`) says what was asked
(``26-000123:body-ask-close:2:tg:-1001:<stamp>``: «Закрыть» in routing round 2), so a staff
member's reply that quotes the question is read by its key (`asked_in`) and never mistaken for
an answer to the citizen. A button under a question carries a `Choice`: what, for which routing
round, and which of the listed reasons; a choice from an earlier round is stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import texts
from bot.domain.messages import Button
from bot.domain.wire import Action, OutboxKey, Payload, Purpose

_ASK = "-ask-"
_STAFF = (Purpose.BODY.value, Purpose.COORDINATOR.value)


class Asked(StrEnum):
    """What the bot asked a body's chat or a coordinator."""

    CLOSE = "close"  # «Закрыть»: «Да, закрыть» when answered, else a reason the citizen reads
    REJECT = "reject"  # «Спам»: «Да, спам»
    REDIRECT = "redirect"  # «Не наше»: a reason the next holder reads
    EXTEND = "extend"  # «Продлить срок»: a reason the citizen reads
    INTERIM = "interim"  # «Промежуточный ответ»: its text

    @property
    def reasons(self) -> dict[str, str]:
        """The common reasons offered as buttons (code → label); free text is always allowed."""
        return _REASONS.get(self, {})


_REASONS = {
    Asked.CLOSE: texts.CLOSE_REASONS,
    Asked.REDIRECT: texts.REDIRECT_REASONS,
    Asked.EXTEND: texts.EXTEND_REASONS,
}


@dataclass(frozen=True)
class Choice:
    """A button under a question: ``close.2.phone`` — confirm «Закрыть» of routing round 2 with
    the reason «phone» (`Asked.reasons`); without a reason: a plain «Да»."""

    what: Asked
    round: int
    reason: str = ""

    def pack(self) -> str:
        return ".".join(filter(None, (self.what.value, str(self.round), self.reason)))

    @classmethod
    def unpack(cls, value: str) -> Choice | None:
        what, _, rest = value.partition(".")
        round_, _, reason = rest.partition(".")
        if what not in _BY_VALUE or not round_.isdigit():
            return None
        choice = cls(_BY_VALUE[what], int(round_), reason)
        if reason and reason not in choice.what.reasons:
            return None
        return choice

    @property
    def label(self) -> str | None:
        """The reason as the citizen or the next holder reads it."""
        return self.what.reasons.get(self.reason) if self.reason else None


_BY_VALUE = {a.value: a for a in Asked}


def prompt_key(
    number: str, audience: Purpose, what: Asked, round_: int, channel: str, chat: int, stamp: int
) -> OutboxKey:
    """The question's outbox key; ``stamp`` (the moment, in microseconds) tells two presses
    apart, and the same press handled twice at one moment asks once."""
    return OutboxKey.to_staff(number, audience, f"ask-{what}", round_, channel, chat, stamp)


def asked_in(key: OutboxKey) -> tuple[Asked, int] | None:
    """What a question with this key asked, and in which routing round; ``None`` for any other
    message (a card, a reminder, a notice)."""
    audience, ask, what = key.name.partition(_ASK)
    if audience not in _STAFF or not ask or what not in _BY_VALUE:
        return None
    if not key.parts or not str(key.parts[0]).isdigit():
        return None
    return _BY_VALUE[what], int(key.parts[0])


def confirm_buttons(number: str, what: Asked, round_: int, yes: str) -> tuple:
    """«Да, …» and «Отмена» in one row."""
    confirm = Button(yes, Payload(Action.CONFIRM, number, Choice(what, round_).pack()).pack())
    return ((confirm, cancel_button(number, what)),)


def reason_buttons(number: str, what: Asked, round_: int) -> tuple:
    """A button a common reason, then «Отмена»."""
    rows = [
        (Button(label, Payload(Action.CONFIRM, number, Choice(what, round_, code).pack()).pack()),)
        for code, label in what.reasons.items()
    ]
    rows.append((cancel_button(number, what),))
    return tuple(rows)


def cancel_button(number: str, what: Asked) -> Button:
    return Button(texts.CANCEL_BUTTON, Payload(Action.DISMISS, number, what.value).pack())
