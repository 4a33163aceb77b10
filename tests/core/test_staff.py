"""Administrators in the core: invites, redemption, who may press what, replies, forum topics."""

from __future__ import annotations

import re

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import TicketState
from bot.domain.wire import Payload

ADMIN = 3003  # an administrator of the city administration, in a private chat with the bot
OTHER_ADMIN = 3004  # an administrator of the transport ministry
STRANGER = 9009
FORUM = -100777


def said(world, chat: int) -> list[str]:
    return [m.text for m in world.tg.sent if m.chat_id == chat]


async def make_invite(world, query: str) -> str:
    """The coordinator sends ``/invite <query>``; returns the code from the bot's answer."""
    world.message_ids += 1
    command = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, world.message_ids, "/invite")
    outcome = await world.core.invite(command, query, links=lambda t: f"LINK {t}\n")
    assert outcome.kind == "invited", outcome
    await world.flush()
    answer = said(world, COORDINATOR_ID)[-1]
    return re.search(r"Код приглашения: (\S+)", answer).group(1)


async def bind(world, query: str, chat: int, user: int, *, forum: bool = False) -> None:
    token = await make_invite(world, query)
    outcome = await world.core.redeem("tg", chat, user, token, forum=forum, name="Пётр")
    assert outcome.kind == "bound", outcome
    await world.flush()


def press(chat: int, user: int, action: str, number: str) -> IncomingMessage:
    return IncomingMessage("tg", chat, user, 77, payload=Payload(action, number).pack())


async def test_only_coordinators_invite_and_a_vague_body_gets_a_list(world):
    await world.start()
    stranger = IncomingMessage("tg", STRANGER, STRANGER, 1, "/invite city")
    refused = await world.core.invite(stranger, "city")
    assert refused.kind == "ignored" and refused.notice == texts.INVITE_NOT_COORDINATOR
    coordinator = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 2, "/invite министерство")
    vague = await world.core.invite(coordinator, "министерство")
    assert "Министерство транспорта (transport)" in vague.notice
    assert "Министерство здравоохранения (health)" in vague.notice
    again = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 3, "/invite пожарные")
    unknown = await world.core.invite(again, "пожарные")
    assert "не найден" in unknown.notice
    await world.flush()
    assert said(world, STRANGER) == [texts.INVITE_NOT_COORDINATOR]
    assert len(said(world, COORDINATOR_ID)) == 2


async def test_an_invited_administrator_gets_the_cards_of_the_body_and_the_coordinator_is_told(
    world,
):
    await world.start()
    token = await make_invite(world, "Администрация города")
    assert "LINK " + token in said(world, COORDINATOR_ID)[-1]
    outcome = await world.core.redeem("tg", ADMIN, ADMIN, token, forum=False, name="Пётр")
    assert outcome.kind == "bound"
    await world.flush()
    assert "Администрация города Саратова" in said(world, ADMIN)[-1]
    joined = said(world, COORDINATOR_ID)[-1]
    assert "Пётр" in joined and "личный чат" in joined

    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    # Both the table's group and the administrator's private chat get the card.
    for chat in (CITY_CHAT, ADMIN):
        (card,) = [m for m in world.tg.sent if m.chat_id == chat and number in m.text]
        actions = [Payload.unpack(b.payload).action for row in card.buttons for b in row]
        assert actions == ["take", "redirect", "close", "reject", "interim", "extend"]


async def test_two_administrators_of_one_body_both_get_the_card(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "city", ADMIN + 1, ADMIN + 1)
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    assert any(number in t for t in said(world, ADMIN))
    assert any(number in t for t in said(world, ADMIN + 1))


async def test_bindings_survive_a_restart(file_world):
    world = file_world
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await world.stop()
    await world.start()
    await world.core.load_staff()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    assert any(number in t for t in said(world, ADMIN))


async def test_used_expired_and_unknown_invites_are_refused_with_a_reason(world, clock):
    await world.start()
    token = await make_invite(world, "city")
    assert (await world.core.redeem("tg", ADMIN, ADMIN, token, forum=False)).kind == "bound"
    used = await world.core.redeem("tg", STRANGER, STRANGER, token, forum=False)
    assert used.notice == texts.INVITE_USED
    unknown = await world.core.redeem("tg", STRANGER, STRANGER, "no-such-code-123", forum=False)
    assert unknown.notice == texts.INVITE_UNKNOWN
    late = await make_invite(world, "transport")
    clock.advance(days=7, seconds=1)
    expired = await world.core.redeem("tg", STRANGER, STRANGER, late, forum=False)
    assert expired.notice == texts.INVITE_EXPIRED
    await world.flush()
    assert said(world, STRANGER) == [texts.INVITE_USED, texts.INVITE_UNKNOWN, texts.INVITE_EXPIRED]
    # The stranger is bound to nothing: a card of the transport ministry does not reach them.
    assert world.core.staff.bodies_of_chat("tg", STRANGER) == ()


async def test_the_same_start_delivered_twice_binds_once_and_says_nothing_more(world):
    await world.start()
    token = await make_invite(world, "city")
    await world.core.redeem("tg", ADMIN, ADMIN, token, forum=False, message_id=5)
    again = await world.core.redeem("tg", ADMIN, ADMIN, token, forum=False, message_id=5)
    assert again.kind == "duplicate"
    await world.flush()
    assert len(said(world, ADMIN)) == 1


async def test_a_stranger_s_forged_press_is_refused_and_changes_nothing(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    forged = await world.core.handle(press(STRANGER, STRANGER, "take", number))
    assert forged.kind == "ignored" and forged.notice == texts.STAFF_NOT_ALLOWED
    assert (await world.ticket(number)).state == TicketState.ROUTED
    assert "taken" not in await world.events(number)


async def test_take_close_and_repeated_presses_get_notices(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    number = (await world.core.handle(world.citizen("яма"))).number
    taken = await world.core.handle(press(ADMIN, ADMIN, "take", number))
    assert (taken.kind, taken.state) == ("taken", TicketState.IN_WORK)
    assert taken.notice == texts.NOTICE_TAKEN
    again = await world.core.handle(press(ADMIN, ADMIN, "take", number))
    assert again.notice == texts.STAFF_ALREADY_TAKEN.format(number=number)
    asked = await world.core.handle(press(ADMIN, ADMIN, "close", number))
    assert asked.kind == "asked"  # never answered: «Закрыть» asks for a reason first
    reason = Payload("confirm", number, Choice(Asked.CLOSE, 1, "phone").pack()).pack()
    closed = await world.core.handle(IncomingMessage("tg", ADMIN, ADMIN, 78, payload=reason))
    assert (closed.kind, closed.state) == ("closed", TicketState.CLOSED)
    late = await world.core.handle(press(ADMIN, ADMIN, "take", number))
    assert "уже закрыто" in late.notice
    await world.flush()
    citizen = said(world, CITIZEN_TG)
    assert any("взято в работу" in t for t in citizen)
    assert citizen[-1] == texts.CLOSED_WITH_REASON_TO_CITIZEN.format(
        number=number, body="Администрация города Саратова",
        reason=texts.CLOSE_REASONS["phone"],
    )
    assert (await world.events(number)).count("closed") == 1


async def test_after_a_redirect_the_old_body_can_neither_press_nor_answer(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "transport", OTHER_ADMIN, OTHER_ADMIN)
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    not_yet = await world.core.handle(press(OTHER_ADMIN, OTHER_ADMIN, "take", number))
    assert not_yet.notice == texts.STAFF_NOT_ALLOWED
    assert (await world.core.handle(press(ADMIN, ADMIN, "redirect", number))).kind == "asked"
    reason = Payload("confirm", number, Choice(Asked.REDIRECT, 1, "region").pack()).pack()
    redirected = await world.core.handle(IncomingMessage("tg", ADMIN, ADMIN, 78, payload=reason))
    assert redirected.state == TicketState.ROUTED
    assert (await world.ticket(number)).body == "transport"
    # The city's card is stale now.
    stale = await world.core.handle(press(ADMIN, ADMIN, "take", number))
    assert stale.notice == texts.STAFF_HANDED_OVER.format(number=number)
    assert (await world.ticket(number)).state == TicketState.ROUTED
    await world.flush()
    (reply_to,) = [
        r["platform_message_id"]
        for r in await world.outbox_rows("sent")
        if r["chat_id"] == ADMIN and r["idempotency_key"].startswith(f"{number}:body:1:")
    ]
    before = len(said(world, CITIZEN_TG))
    reply = IncomingMessage("tg", ADMIN, ADMIN, 901, "Сделаем.", reply_to=reply_to)
    refused = await world.core.handle(reply)
    assert refused.kind == "ignored" and refused.notice
    await world.flush()
    assert len(said(world, CITIZEN_TG)) == before
    assert "не отправлен" in said(world, ADMIN)[-1]
    taken = await world.core.handle(press(OTHER_ADMIN, OTHER_ADMIN, "take", number))
    assert taken.kind == "taken"


async def test_in_a_forum_every_message_about_a_ticket_names_its_topic(world):
    await world.start()
    await bind(world, "city", FORUM, ADMIN, forum=True)
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    (card,) = [m for m in world.tg.sent if m.chat_id == FORUM and number in m.text]
    assert card.topic_key == number and card.topic_title == f"№ {number} · Дороги"
    # Reminders go to the topic too.
    world.clock.advance(days=8)
    assert await world.core.scan_deadlines() == 1
    await world.flush()
    reminder = [m for m in world.tg.sent if m.chat_id == FORUM][-1]
    assert "Напоминание" in reminder.text and reminder.topic_key == number
    # The adapter created topic 55 for it. A plain message there is a note among staff (issue
    # 16: it used to be the answer); a reply to the card is the answer.
    async with world.repo.transaction() as tx:
        await tx.staff.set_forum_thread("tg", FORUM, number, 55, world.clock.now())
    chatter = IncomingMessage("tg", FORUM, ADMIN + 5, 902, "Вася, глянь", reply_to=55, thread_id=55)
    assert (await world.core.handle(chatter)).kind == "note"
    (card_id,) = [
        r["platform_message_id"] for r in await world.outbox_rows("sent")
        if r["chat_id"] == FORUM and r["idempotency_key"].startswith(f"{number}:body:1:")
    ]
    answer = IncomingMessage(
        "tg", FORUM, ADMIN + 5, 903, "Заделаем.", reply_to=card_id, thread_id=55
    )
    outcome = await world.core.handle(answer)
    assert (outcome.kind, outcome.state) == ("answer", TicketState.ANSWERED)
    await world.flush()
    assert any("Заделаем." in t for t in said(world, CITIZEN_TG))
    assert not any("глянь" in t for t in said(world, CITIZEN_TG))


async def test_a_new_administrator_also_gets_the_tickets_the_body_already_holds(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    await bind(world, "city", ADMIN, ADMIN)
    assert any(text.startswith(f"Обращение № {number}\n") for text in said(world, ADMIN))
    # The table's group already had the card: it does not get it twice.
    cards = [t for t in said(world, CITY_CHAT) if t.startswith(f"Обращение № {number}\n")]
    assert len(cards) == 1


async def test_an_administrator_writing_not_in_reply_is_told_how_to_answer(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    outcome = await world.core.handle(IncomingMessage("tg", ADMIN, ADMIN, 950, "Здравствуйте!"))
    assert outcome.kind == "ignored"
    await world.flush()
    assert said(world, ADMIN)[-1] == texts.STAFF_HOW_TO_ANSWER
    assert (await world.core.handle(world.citizen("яма"))).kind == "created"


async def test_a_new_administrator_sees_a_taken_ticket_as_taken(world):
    """The cards a newly bound chat gets show each ticket as it is: one a colleague already
    took reads «В работе: …» (who, since when) and offers no «Взять в работу»."""
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    world.message_ids += 1
    taken = IncomingMessage(
        "tg", CITY_CHAT, 7, world.message_ids, payload=Payload("take", number).pack(),
        user_name="Анна Петрова",
    )
    assert (await world.core.handle(taken)).kind == "taken"
    await bind(world, "city", ADMIN, ADMIN)
    await world.flush()
    card = next(m for m in world.tg.sent if m.chat_id == ADMIN and number in m.text)
    assert "🛠 В работе: Анна Петрова, с 04.03.2026 10:00." in card.text
    labels = [b.text for row in card.buttons for b in row]
    assert texts.TAKE_BUTTON not in labels and texts.NOT_OURS_BUTTON in labels
