"""Live cards in the core (`bot.core.live_cards`, `bot.delivery.outbox.Outbox._edit`): every
move queues, in its own transaction, an edit of each card of the ticket; the outbox edits the
card's message, or sends the compact status with the buttons when it cannot."""

from __future__ import annotations

import dataclasses

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID, TRANSPORT_PEER
from test_states import answer, press

from bot.domain import cards, texts
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import TicketState
from bot.domain.wire import Action, Payload

S = TicketState


def actions(buttons) -> list[str]:
    return [Payload.unpack(b.payload).action for row in buttons for b in row]


def test_the_buttons_fit_the_state() -> None:
    assert actions(cards.card_buttons("26-000001", S.ROUTED)) == [
        Action.TAKE, Action.REDIRECT, Action.CLOSE, Action.REJECT, Action.INTERIM, Action.EXTEND
    ]
    assert cards.card_buttons("26-000001", S.REOPENED) == cards.card_buttons("26-000001")
    assert Action.TAKE not in actions(cards.card_buttons("26-000001", S.IN_WORK))
    assert actions(cards.card_buttons("26-000001", S.ANSWERED)) == [Action.CLOSE]
    for ended in (S.CLOSED, S.REJECTED, S.REDIRECTED, S.WITH_COORDINATOR):
        assert cards.card_buttons("26-000001", ended) == ()
    assert actions(cards.card_buttons("26-000001", for_body=False)) == [
        Action.REDIRECT, Action.REJECT
    ]


async def test_each_move_edits_the_card_with_its_status_and_buttons(world):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    card = next(m for m in world.tg.sent if m.chat_id == CITY_CHAT)
    assert card.text.endswith(texts.CARD_STATUS_WAITING.format(due="19.03.2026 включительно"))
    taken = press(world, CITY_CHAT, "take", n)
    await world.core.handle(taken)
    await world.flush()
    ((card_id, edit),) = world.tg.edited
    assert edit.text.startswith(card.card) and "🛠 В работе с " in edit.text
    assert Action.TAKE not in actions(edit.buttons)
    await answer(world, n)
    await world.flush()
    assert "✉️ Ответ отправлен заявителю" in world.tg.edited[-1][1].text
    assert world.tg.edited[-1][0] == card_id
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "yes"))
    await world.flush()
    last = world.tg.edited[-1][1]
    assert "заявитель подтвердил, что проблема решена" in last.text and last.buttons == ()


async def test_a_new_round_marks_the_old_card_and_sends_a_new_one(world):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    await answer(world, n)
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "no"))  # back to the city
    await world.flush()
    ((_card_id, edit),) = [e for e in world.tg.edited if "новая карточка" in e[1].text]
    assert edit.buttons == ()
    new = [m for m in world.tg.sent if m.chat_id == CITY_CHAT and m.text.startswith("Заявитель")]
    assert len(new) == 1 and Action.TAKE in actions(new[0].buttons)
    # «Не наше» now (with its reason): the city's new card says where it went; the ministry
    # gets one (VK).
    await world.core.handle(press(world, CITY_CHAT, "redirect", n))
    why = Choice(Asked.REDIRECT, 2, "topic").pack()
    await world.core.handle(press(world, CITY_CHAT, "confirm", n, why))
    await world.flush()
    handed = world.tg.edited[-1][1]
    assert "↪️ Передано в «Министерство транспорта»" in handed.text and handed.buttons == ()
    assert any(n in m.text for m in world.vk.sent if m.chat_id == TRANSPORT_PEER)


async def test_a_card_that_cannot_be_edited_or_was_never_sent_gets_a_status_message(world):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    card_id = world.tg._next_id  # the last message sent: the card (the citizen's came first)
    world.tg.not_editable.add(card_id)
    await world.core.handle(press(world, CITY_CHAT, "take", n))
    await world.flush()
    status = [m for m in world.tg.sent if m.chat_id == CITY_CHAT][-1]
    assert status.chat_id == CITY_CHAT and status.reply_to == card_id
    assert status.text.startswith(f"Обращение № {n}\n🛠 В работе")
    assert Action.REDIRECT in actions(status.buttons)

    # A card that never went out (the chat refused it): the status goes on its own.
    other = (await world.core.handle(world.citizen("яма", chat=556))).number
    async with world.repo.transaction() as tx:
        await tx.sql.run(
            "UPDATE outbox SET state = 'failed' WHERE idempotency_key = ?",
            (f"{other}:body:1:tg:{CITY_CHAT}",),
        )
    await world.flush()
    await world.core.handle(press(world, CITY_CHAT, "take", other))
    await world.flush()
    status = [m for m in world.tg.sent if m.chat_id == CITY_CHAT][-1]
    assert status.text.startswith(f"Обращение № {other}\n🛠 В работе")
    assert status.reply_to is None and status.buttons


async def test_the_coordinators_card_for_a_body_without_a_chat_is_edited_too(world):
    await world.start()
    n = (await world.core.handle(world.citizen("больница"))).number  # health: no chat
    await world.flush()
    card = next(m for m in world.tg.sent if m.chat_id == COORDINATOR_ID and n in m.text)
    assert actions(card.buttons) == [Action.REDIRECT, Action.REJECT]
    pressed = IncomingMessage(
        "tg", COORDINATOR_ID, COORDINATOR_ID, 99, payload=Payload("reject", n).pack()
    )
    assert (await world.core.handle(pressed)).kind == "asked"  # «Спам» asks first
    confirmed = dataclasses.replace(
        pressed, message_id=100, payload=Payload("confirm", n, "reject.1").pack()
    )
    assert (await world.core.handle(confirmed)).state == S.REJECTED
    await world.flush()
    ((_card_id, edit),) = world.tg.edited
    assert edit.text.startswith(card.text) and "🚫 Отклонено как спам" in edit.text
    assert edit.buttons == ()
