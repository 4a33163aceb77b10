"""Safe actions in the core: «Закрыть», «Спам» and «Не наше» ask first; a reason reaches whoever
must read it; «Отмена», stale and forged answers change nothing; a coordinator returns a ticket
closed by mistake; a crash inside the confirmed action leaves neither the move nor its messages.
"""

from __future__ import annotations

import dataclasses

import pytest
from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID, TRANSPORT_PEER
from staff_steps import MEMBER, last, sent_id, tap, written

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import TicketState
from bot.domain.wire import Payload
from bot.storage.sql.outbox import OutboxSql
from tests.faults.input_world import snapshot

S = TicketState
STRANGER = 9009
CITY = "Администрация города Саратова"


async def answered_ticket(world) -> str:
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    card = await sent_id(world, number, "body")
    assert (await written(world, CITY_CHAT, "Заделали.", card)).state == S.ANSWERED
    await world.flush()  # the answer delivered and acknowledged («доставлено») before what follows
    return number


async def test_close_of_an_answered_ticket_asks_yes_or_cancel_and_cancel_changes_nothing(world):
    await world.start()
    number = await answered_ticket(world)
    asked = await tap(world, CITY_CHAT, "close", number)
    assert (asked.kind, asked.state) == ("asked", S.ANSWERED)
    await world.flush()
    question = last(world, CITY_CHAT)
    assert question.text == f"Закрыть обращение № {number}?"
    assert question.reply_to == await sent_id(world, number, "body")  # under the card
    assert [b.text for row in question.buttons for b in row] == ["Да, закрыть", "Отмена"]
    yes, cancel = (Payload.unpack(b.payload) for b in question.buttons[0])
    assert yes == Payload("confirm", number, "close.1") and cancel.action == "dismiss"

    before = await snapshot(world)
    dismissed = await tap(world, CITY_CHAT, "dismiss", number, "close")
    assert dismissed.notice == texts.DISMISSED.format(number=number)
    await world.flush()
    assert await snapshot(world) == before

    closed = await tap(world, CITY_CHAT, "confirm", number, "close.1")
    assert (closed.kind, closed.state) == ("closed", S.CLOSED)
    await world.flush()
    assert last(world, CITIZEN_TG).text == texts.CLOSED_TO_CITIZEN.format(number=number, body=CITY)
    # Closed with an answer: the coordinators have nothing to undo.
    assert not any(number in t for t in world.tg.texts(COORDINATOR_ID))


async def test_close_without_an_answer_needs_a_reason_the_citizen_reads_and_can_be_returned(
    world,
):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await tap(world, CITY_CHAT, "take", number)
    assert (await tap(world, CITY_CHAT, "close", number)).kind == "asked"
    await world.flush()
    question = last(world, CITY_CHAT)
    assert "без ответа" in question.text and "ответом на это сообщение" in question.text
    assert [b.text for row in question.buttons for b in row] == [
        "Решено по телефону или лично", "Повторное обращение", "Не является обращением", "Отмена"
    ]
    # «Да» without a reason (forged: no such button here) is refused.
    bare = await tap(world, CITY_CHAT, "confirm", number, "close.1")
    assert bare.notice == texts.REASON_REQUIRED.format(number=number)
    assert (await world.ticket(number)).state == S.IN_WORK

    closed = await tap(world, CITY_CHAT, "confirm", number, Choice(Asked.CLOSE, 1, "phone").pack())
    assert closed.state == S.CLOSED
    await world.flush()
    assert last(world, CITIZEN_TG).text == (
        f"Обращение № {number} закрыто: {CITY}.\nПричина: Решено по телефону или лично"
    )
    notice = last(world, COORDINATOR_ID)
    assert "без ответа заявителю" in notice.text and "Решено по телефону" in notice.text
    assert f"/reopen {number}" in notice.text
    (button,) = [b for row in notice.buttons for b in row]
    assert button.text == "Вернуть в работу"

    # The body itself cannot press it; a coordinator can.
    own = await world.core.handle(
        IncomingMessage("tg", CITY_CHAT, MEMBER, 900, payload=button.payload)
    )
    assert own.notice == texts.RETURN_ONLY_COORDINATORS
    returned = await world.core.handle(
        IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 901, payload=button.payload)
    )
    assert (returned.kind, returned.state) == ("returned", S.ROUTED)
    ticket = await world.ticket(number)
    assert ticket.state == S.ROUTED and ticket.route_round == 2 and ticket.body == "city"
    await world.flush()
    assert last(world, CITIZEN_TG).text.startswith(f"Обращение № {number} снова в работе: {CITY}.")
    card = last(world, CITY_CHAT)
    assert card.text.startswith(texts.RETURNED_NOTE + f"Обращение № {number}\n")
    # The old card says who brought the ticket back (not the citizen's «не решена»).
    old_card = world.tg.edited[-1][1]
    assert "координатор вернул обращение в работу" in old_card.text and not old_card.buttons
    async with world.repo.transaction() as tx:
        events = await tx.tickets.events(ticket.id)
    assert (events[-1]["kind"], events[-1]["from_state"], events[-1]["to_state"]) == (
        "returned", "closed", "routed"
    )
    assert events[-1]["actor"] == f"coordinator:tg:{COORDINATOR_ID}"
    again = await world.core.handle(
        IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 902, payload=button.payload)
    )
    assert again.kind == "ignored" and "не закрыто" in again.notice


async def test_a_reply_to_the_question_is_the_reason_not_an_answer_to_the_citizen(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await tap(world, CITY_CHAT, "close", number)
    question = await sent_id(world, number, "body-ask-close")
    outcome = await written(world, CITY_CHAT, "Заявитель сам отозвал по телефону", question)
    assert (outcome.kind, outcome.state) == ("closed", S.CLOSED)
    await world.flush()
    to_citizen = world.tg.texts(CITIZEN_TG)
    assert to_citizen[-1].endswith("Причина: Заявитель сам отозвал по телефону")
    assert not any(t.startswith("Ответ на обращение") for t in to_citizen)
    assert "закрыто" in last(world, CITY_CHAT).text  # told in the chat: a reply has no toast
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        assert await tx.tickets.messages(ticket.id) == []


async def test_stale_forged_and_foreign_confirmations_are_refused(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await tap(world, CITY_CHAT, "reject", number)
    stranger = await tap(world, STRANGER, "confirm", number, "reject.1", user=STRANGER)
    assert stranger.notice == texts.STAFF_NOT_ALLOWED
    forged = await tap(world, CITY_CHAT, "confirm", number, "reject.x")
    assert forged.notice == texts.BUTTON_INACTIVE
    # The question is still open when the body hands the ticket on: its «Да» is stale then,
    # even when pressed by the next holder.
    why = Choice(Asked.REDIRECT, 1, "topic").pack()
    assert (await tap(world, CITY_CHAT, "confirm", number, why)).kind == "redirected"
    late = await tap(world, CITY_CHAT, "confirm", number, "reject.1")
    assert late.notice == texts.STAFF_HANDED_OVER.format(number=number)
    peer = await tap(world, TRANSPORT_PEER, "confirm", number, "reject.1", channel="vk")
    assert peer.notice == texts.PROMPT_STALE.format(number=number)
    assert (await world.ticket(number)).state == S.ROUTED
    # Spam is confirmed by its button only: a reply to the question does nothing.
    await tap(world, TRANSPORT_PEER, "reject", number, channel="vk")
    question = await sent_id(world, number, "body-ask-reject", TRANSPORT_PEER)
    typed = await written(world, TRANSPORT_PEER, "да", question, channel="vk")
    assert typed.kind == "ignored" and "нажмите «Да, спам»" in typed.notice
    assert (await tap(world, TRANSPORT_PEER, "confirm", number, "reject.2", channel="vk")).state
    assert (await world.ticket(number)).state == S.REJECTED
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == texts.REJECTED_TO_CITIZEN.format(number=number)


async def test_not_ours_reason_by_reply_reaches_the_next_body_and_the_typed_path_still_works(
    world,
):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await tap(world, CITY_CHAT, "redirect", number)
    question = await sent_id(world, number, "body-ask-redirect")
    moved = await written(world, CITY_CHAT, "это трасса регионального значения", question)
    assert (moved.kind, moved.state) == ("redirected", S.ROUTED)
    await world.flush()
    card = [m for m in world.vk.sent if m.chat_id == TRANSPORT_PEER][-1]
    assert card.text.startswith(
        f"Орган «{CITY}» вернул обращение: не их вопрос. "
        "Причина: это трасса регионального значения\n\n"
    )
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        events = await tx.tickets.events(ticket.id)
    assert events[-1]["detail"]["reason"] == "это трасса регионального значения"
    # The ministry types «Не наше: …» in reply to its card: the coordinators read the reason.
    vk_card = await sent_id(world, number, "body", TRANSPORT_PEER)
    typed = await written(world, TRANSPORT_PEER, "Не наше: дорога городская", vk_card,
                          channel="vk")
    assert typed.state == S.REDIRECTED
    await world.flush()
    assert "(причина: дорога городская)" in last(world, COORDINATOR_ID).text


async def test_reopen_command_answers_every_case_in_the_coordinators_chat(world):
    await world.start()
    solved = await answered_ticket(world)
    await tap(world, CITIZEN_TG, "solved", solved, "yes", user=CITIZEN_TG)
    open_ = (await world.core.handle(world.citizen("яма на углу"))).number

    async def reopen(text, user=COORDINATOR_ID):
        world.message_ids += 1
        command = IncomingMessage("tg", user, user, world.message_ids, text, command="reopen")
        outcome = await world.core.handle(command)
        await world.flush()
        return outcome, world.tg.texts(user)[-1]

    assert (await reopen("/reopen"))[1] == texts.RETURN_USAGE
    assert (await reopen("/reopen 26-999999"))[1] == texts.RETURN_UNKNOWN.format(number="26-999999")
    assert "не закрыто" in (await reopen(f"/reopen {open_}"))[1]
    assert (await reopen(f"/reopen {solved}"))[1] == texts.RETURN_BY_CITIZEN.format(number=solved)
    # The city's group is not a coordinator: told so.
    world.message_ids += 1
    group = IncomingMessage("tg", CITY_CHAT, MEMBER, world.message_ids, f"/reopen {open_}",
                            command="reopen")
    assert (await world.core.handle(group)).notice == texts.RETURN_ONLY_COORDINATORS

    await tap(world, CITY_CHAT, "confirm", open_, Choice(Asked.CLOSE, 1, "repeat").pack())
    outcome, said = await reopen(f"/reopen № {open_}")
    assert outcome.kind == "returned" and said.startswith(f"Обращение № {open_} возвращено")


@pytest.mark.parametrize("crash_at", [1, 2])
async def test_a_crash_inside_a_confirmed_close_leaves_neither_the_move_nor_its_messages(
    world, monkeypatch, crash_at
):
    """The close, the citizen's message and the coordinators' notice are one transaction."""
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    before = await snapshot(world)
    rows_before = len(await world.outbox_rows())
    queue = OutboxSql.queue
    calls = 0

    class Crash(Exception):
        pass

    async def crashing(self, draft, now):
        nonlocal calls
        calls += 1
        if calls == crash_at:  # 1: the citizen's message, 2: the coordinator's notice
            raise Crash
        await queue(self, draft, now)

    monkeypatch.setattr(OutboxSql, "queue", crashing)
    with pytest.raises(Crash):
        await tap(world, CITY_CHAT, "confirm", number, Choice(Asked.CLOSE, 1, "phone").pack())
    monkeypatch.setattr(OutboxSql, "queue", queue)
    assert await snapshot(world) == before
    assert len(await world.outbox_rows()) == rows_before
    # The same press again, after the restart: everything at once.
    closed = await tap(world, CITY_CHAT, "confirm", number, Choice(Asked.CLOSE, 1, "phone").pack())
    assert closed.state == S.CLOSED
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1].endswith("Причина: Решено по телефону или лично")
    assert "без ответа" in world.tg.texts(COORDINATOR_ID)[-1]


async def test_for_a_body_without_a_chat_the_coordinators_read_who_refused_and_why(world):
    bodies = tuple(
        dataclasses.replace(b, vk_peer=None) if b.id == "transport" else b
        for b in world.table.bodies
    )
    world.table = dataclasses.replace(world.table, bodies=bodies)
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    why = Choice(Asked.REDIRECT, 1, "territory").pack()
    assert (await tap(world, CITY_CHAT, "confirm", number, why)).state == S.ROUTED
    await world.flush()
    assert last(world, COORDINATOR_ID).text.startswith(
        f"Орган «{CITY}» вернул обращение: не их вопрос. Причина: Другая территория\n\n"
        f"Обращение № {number} направлено органу «Министерство транспорта», но у него не "
        "настроен чат."
    )
    # A coordinator's own choice of a body is no refusal: no such line.
    await world.core.redirect(number, by="coordinator", correct_body="city")
    await world.flush()
    assert last(world, CITY_CHAT).text.startswith(f"Обращение № {number}\n")
