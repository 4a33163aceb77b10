"""Before the answer, in the core: an interim answer the citizen reads while the ticket stays in
work, and one extension of the deadline with a reason, the reminders planned anew for it."""

from __future__ import annotations

from datetime import UTC, datetime

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID
from staff_steps import last, sent_id, tap, written

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import TicketState
from bot.domain.wire import Payload

S = TicketState
CITY = "Администрация города Саратова"


async def test_an_interim_answer_reaches_the_citizen_and_the_ticket_stays_in_work(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await tap(world, CITY_CHAT, "take", number)
    asked = await tap(world, CITY_CHAT, "interim", number)
    assert asked.kind == "asked"
    await world.flush()
    question = last(world, CITY_CHAT)
    assert question.text == texts.ASK_INTERIM.format(number=number)
    assert [b.text for row in question.buttons for b in row] == ["Отмена"]

    reply_to = await sent_id(world, number, "body-ask-interim")
    outcome = await written(world, CITY_CHAT, "Подрядчик выйдет на место в понедельник.", reply_to)
    assert (outcome.kind, outcome.state) == ("interim", S.IN_WORK)
    ticket = await world.ticket(number)
    assert ticket.state == S.IN_WORK
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == (
        f"Промежуточный ответ по обращению № {number} ({CITY}):\n\n"
        "Подрядчик выйдет на место в понедельник."
    )
    assert "отправлен заявителю" in last(world, CITY_CHAT).text
    assert (await world.events(number))[-1] == "interim"
    # The same reply handled twice (a redelivery) goes out once.
    world.message_ids -= 1
    again = await written(world, CITY_CHAT, "Подрядчик выйдет на место в понедельник.", reply_to)
    assert again.kind == "duplicate"
    # The citizen's history tells it apart from the answer.
    await world.core.handle(world.citizen("", payload=Payload("history", number).pack()))
    await world.flush()
    assert "промежуточный ответ: Подрядчик выйдет" in world.tg.texts(CITIZEN_TG)[-1]
    # So does /ticket for staff: every event and message by its Russian name.
    world.message_ids += 1
    await world.core.handle(IncomingMessage(
        "tg", COORDINATOR_ID, COORDINATOR_ID, world.message_ids, f"/ticket {number}"
    ))
    await world.flush()
    shown = world.tg.texts(COORDINATOR_ID)[-1]
    # The event and the message itself: neither reads as the answer or by its code name.
    assert shown.count("промежуточный ответ") == 2 and "Подрядчик выйдет" in shown
    assert "ответ заявителю" not in shown and "interim" not in shown
    # The answer that follows is the answer, as before.
    card = await sent_id(world, number, "body")
    assert (await written(world, CITY_CHAT, "Заделали.", card)).state == S.ANSWERED
    # No interim answer once answered: «Промежуточный ответ» is refused.
    late = await tap(world, CITY_CHAT, "interim", number)
    assert late.kind == "ignored" and late.notice


async def test_the_deadline_is_extended_once_with_a_reason_and_reminders_follow_it(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    ticket = await world.ticket(number)
    # 10 working days from Wednesday 4 March 2026: the end of 19 March (midnight in Saratov).
    assert ticket.due_at == datetime(2026, 3, 19, 20, 0, tzinfo=UTC)
    span = ticket.due_at - ticket.routed_at
    clock.current = ticket.routed_at + span * 0.5
    assert await world.core.scan_deadlines() == 1  # the first term's half-way reminder

    assert (await tap(world, CITY_CHAT, "extend", number)).kind == "asked"
    await world.flush()
    question = last(world, CITY_CHAT)
    # Ten more working days after 19 March: 2 April (Saratov's end of day, inclusive).
    assert "Сейчас — до 19.03.2026 включительно, после продления — до 02.04.2026" in question.text
    assert [b.text for row in question.buttons for b in row] == [
        "Нужна выездная проверка", "Запрошены сведения в другом органе",
        "Нужно время на работы", "Отмена",
    ]
    bare = await tap(world, CITY_CHAT, "confirm", number, "extend.1")  # no reason: forged
    assert bare.notice == texts.BUTTON_INACTIVE
    why = Choice(Asked.EXTEND, 1, "visit").pack()
    extended = await tap(world, CITY_CHAT, "confirm", number, why)
    assert (extended.kind, extended.state) == ("extended", S.ROUTED)
    ticket = await world.ticket(number)
    assert ticket.due_at == datetime(2026, 4, 2, 20, 0, tzinfo=UTC)
    assert ticket.extended_at == clock.now() and ticket.state == S.ROUTED
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == (
        f"Срок ответа по обращению № {number} продлён до 02.04.2026 включительно ({CITY}).\n"
        "Причина: Нужна выездная проверка"
    )
    assert "срок ответа продлён до 02.04.2026" in last(world, CITY_CHAT).text
    # The card itself shows the new deadline and why (the status line under it).
    card_edit = world.tg.edited[-1][1]
    assert "⏳ Срок продлён" in card_edit.text and "теперь — до 02.04.2026 включительно" in (
        card_edit.text
    ) and "Причина: Нужна выездная проверка" in card_edit.text

    # Once only: the card button and an old question's reason are refused alike.
    once = texts.EXTEND_ONCE.format(number=number, due="02.04.2026 включительно")
    assert (await tap(world, CITY_CHAT, "extend", number)).notice == once
    assert (await tap(world, CITY_CHAT, "confirm", number, why)).notice == once
    reply_to = await sent_id(world, number, "body-ask-extend")
    assert (await written(world, CITY_CHAT, "ещё неделю", reply_to)).notice == once
    assert (await world.ticket(number)).due_at == datetime(2026, 4, 2, 20, 0, tzinfo=UTC)

    # The old deadline passes quietly; the new term has its own reminders and overdue.
    clock.current = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
    assert await world.core.scan_deadlines() == 0
    assert not any("Просрочено" in t for t in world.tg.texts(COORDINATOR_ID))
    clock.current = datetime(2026, 4, 2, 20, 0, tzinfo=UTC)
    assert await world.core.scan_deadlines() == 1
    await world.flush()
    assert "не ответил до 02.04.2026 включительно" in world.tg.texts(COORDINATOR_ID)[-1]
    # The citizen hears of the extended deadline passing too, with its date.
    assert world.tg.texts(CITIZEN_TG)[-1].startswith(
        f"Срок ответа по обращению № {number} (до 02.04.2026 включительно) истёк"
    )
    async with world.repo.transaction() as tx:
        rows = await tx.sql.all("SELECT kind, skipped FROM reminders ORDER BY kind")
    assert [(r["kind"], bool(r["skipped"])) for r in rows] == [
        ("extended:overdue", False),
        ("extended:reminder:0.5", True),
        ("extended:reminder:0.9", True),
        ("reminder:0.5", False),
    ]


async def test_a_new_routing_round_may_be_extended_again(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    why = Choice(Asked.EXTEND, 1, "works").pack()
    assert (await tap(world, CITY_CHAT, "confirm", number, why)).kind == "extended"
    await world.core.redirect(number, by="city", reason="не наша дорога")
    ticket = await world.ticket(number)
    assert ticket.extended_at is None and ticket.route_round == 2
    # The ministry's 30 calendar days, once more after its own deadline.
    why = Choice(Asked.EXTEND, 2, "request").pack()
    vk = IncomingMessage("vk", 2000000001, 5, 7000, payload=Payload("confirm", number, why).pack())
    outcome = await world.core.handle(vk)
    assert outcome.kind == "extended"
    assert (await world.ticket(number)).due_at - ticket.due_at == datetime(
        2026, 4, 4, tzinfo=UTC
    ) - datetime(2026, 3, 5, tzinfo=UTC)
