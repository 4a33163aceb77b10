"""The bot's questions to staff: the choice under a button and the key of the question are read
back exactly, and nothing else passes for them."""

from __future__ import annotations

from bot.domain.prompts import Asked, Choice, asked_in, prompt_key, reason_buttons
from bot.domain.wire import CALLBACK_LIMIT, OutboxKey, Payload, Purpose


def test_a_choice_is_read_back_and_a_forged_one_is_not():
    for choice in (Choice(Asked.CLOSE, 3, "phone"), Choice(Asked.REJECT, 1)):
        assert Choice.unpack(choice.pack()) == choice
    assert Choice(Asked.CLOSE, 3, "phone").label == "Решено по телефону или лично"
    assert Choice(Asked.REJECT, 1).label is None
    for forged in ("", "close", "close.x", "close.1.nonsense", "delete.1", "reject.1.phone"):
        assert Choice.unpack(forged) is None, forged


def test_every_reason_button_fits_telegram_and_names_its_round():
    for what in (Asked.CLOSE, Asked.REDIRECT, Asked.EXTEND):
        rows = reason_buttons("26-000123", what, 12)
        *reasons, (cancel,) = rows
        assert len(reasons) == 3 and cancel.text == "Отмена"
        for (button,) in reasons:
            assert len(button.payload.encode()) <= CALLBACK_LIMIT
            assert Choice.unpack(Payload.unpack(button.payload).value).round == 12


def test_a_question_is_told_by_its_key_and_other_messages_are_not():
    key = prompt_key("26-000123", Purpose.BODY, Asked.REDIRECT, 2, "tg", -1001, 1765000000000000)
    assert asked_in(OutboxKey.parse(key.render())) == (Asked.REDIRECT, 2)
    assert asked_in(OutboxKey.parse(key.piece_of(1).render())) == (Asked.REDIRECT, 2)
    for other in (
        OutboxKey.card("26-000123", 2, "tg", -1001),
        OutboxKey.to_staff("26-000123", Purpose.BODY, "reminder:0.5", 2, "tg", -1001),
        OutboxKey.to_staff("26-000123", Purpose.COORDINATOR, "closed-unanswered", 2, "tg", 5),
        OutboxKey.to_citizen("26-000123", "ask-topic", 1),  # the citizen's own question
    ):
        assert asked_in(OutboxKey.parse(other.render())) is None, other
