"""Every state transition, driven through the core's public entry points; the audit log must
show each allowed move at least once and nothing else."""

from __future__ import annotations

import pytest
from core_world import CITIZEN_TG, CITIZEN_VK, CITY_CHAT, COORDINATOR_ID, TRANSPORT_PEER

from bot.domain.comments import CommentRef, IncomingComment
from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import TRANSITIONS, InvalidTransition, TicketState
from bot.domain.wire import Payload

S = TicketState


def press(world, chat, action, number, value="", channel="tg"):
    world.message_ids += 1
    return IncomingMessage(
        channel, chat, 7, world.message_ids, payload=Payload(action, number, value).pack()
    )


async def confirmed(world, chat, action, number, channel="tg"):
    """A card button that asks first («Не наше», «Спам», «Закрыть»), then its answer: «Да, …»
    or the first of the common reasons."""
    asked = await world.core.handle(press(world, chat, action, number, channel=channel))
    if asked.kind != "asked":
        return asked
    what = Asked(action)
    choice = Choice(what, (await world.ticket(number)).route_round, next(iter(what.reasons), ""))
    return await world.core.handle(press(world, chat, "confirm", number, choice.pack(), channel))


async def body_card(world, number, chat=CITY_CHAT):
    await world.flush(passes=200)  # the group's per-minute limit: the questions queue up too
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        row = await tx.sql.one(
            "SELECT platform_message_id FROM outbox WHERE ticket_id = ? AND chat_id = ?"
            " AND purpose IN ('body', 'coordinator') AND state = 'sent' ORDER BY id DESC",
            (ticket.id, chat),
        )
    return row[0]


async def answer(world, number, chat=CITY_CHAT, channel="tg", text="Сделано"):
    reply_to = await body_card(world, number, chat)
    world.message_ids += 1
    return await world.core.handle(
        IncomingMessage(channel, chat, 7, world.message_ids, text, reply_to=reply_to)
    )


async def test_every_allowed_transition_happens_and_is_audited(world):
    await world.start()
    core = world.core
    numbers = []

    async def new(text):
        number = (await core.handle(world.citizen(text))).number
        numbers.append(number)
        return number

    # None → routed → in work → answered → reopened → in work → answered → closed (solved)
    n = await new("яма")
    assert (await core.handle(press(world, CITY_CHAT, "take", n))).state == S.IN_WORK
    assert (await answer(world, n)).state == S.ANSWERED
    reopened = await core.handle(press(world, CITIZEN_TG, "solved", n, "no"))
    assert reopened.state == S.REOPENED
    assert (await core.handle(press(world, CITY_CHAT, "take", n))).state == S.IN_WORK
    await answer(world, n)
    assert (await core.handle(press(world, CITIZEN_TG, "solved", n, "yes"))).state == S.CLOSED
    assert (await core.handle(press(world, CITIZEN_TG, "rate", n, "5@2"))).kind == "rated"

    # routed → routed (не наше) → redirected → routed (coordinator) → rejected
    n = await new("яма")
    await confirmed(world, CITY_CHAT, "redirect", n)
    peer = await confirmed(world, TRANSPORT_PEER, "redirect", n, channel="vk")
    assert peer.state == S.REDIRECTED
    assert (await core.redirect(n, by="coordinator", correct_body="city")).state == S.ROUTED
    assert (await confirmed(world, CITY_CHAT, "reject", n)).state == S.REJECTED

    # in work → routed (не наше after taking), in work → redirected, in work → rejected,
    # in work → closed
    n = await new("яма")
    await core.handle(press(world, CITY_CHAT, "take", n))
    await confirmed(world, CITY_CHAT, "redirect", n)  # → transport
    await core.handle(press(world, TRANSPORT_PEER, "take", n, channel="vk"))
    peer = await confirmed(world, TRANSPORT_PEER, "redirect", n, channel="vk")
    assert peer.state == S.REDIRECTED
    assert (await core.redirect(n, by="coordinator", correct_body="city")).state == S.ROUTED
    await core.handle(press(world, CITY_CHAT, "take", n))
    assert (await confirmed(world, CITY_CHAT, "reject", n)).state == S.REJECTED
    n = await new("яма")
    await core.handle(press(world, CITY_CHAT, "take", n))
    await core.close(n)
    # closed → routed: a coordinator returns a ticket closed by mistake to its body
    n = await new("яма")
    assert (await confirmed(world, CITY_CHAT, "close", n)).state == S.CLOSED
    assert (await core.return_to_work(n)).state == S.ROUTED

    # reopened → routed / redirected / answered / rejected / closed
    async def reopened_ticket():
        n = await new("яма")
        await answer(world, n)
        await core.handle(press(world, CITIZEN_TG, "solved", n, "no"))
        return n

    n = await reopened_ticket()
    await confirmed(world, CITY_CHAT, "redirect", n)  # reopened → routed
    n = await reopened_ticket()
    await answer(world, n)  # reopened → answered
    n = await reopened_ticket()
    await confirmed(world, CITY_CHAT, "reject", n)  # reopened → rejected
    n = await reopened_ticket()
    await core.close(n)  # reopened → closed
    # routed → answered, routed → redirected, routed → closed, answered → closed
    n = await new("яма")
    await answer(world, n)
    await core.close(n)
    n = await new("яма")
    await core.redirect(n, by="city")
    await core.redirect(n, by="transport")
    await core.close(n)  # redirected → closed
    n = await new("яма")
    await core.close(n)
    n = await new("яма")
    await confirmed(world, CITY_CHAT, "redirect", n)
    await confirmed(world, TRANSPORT_PEER, "redirect", n, channel="vk")
    await answer(world, n, chat=COORDINATOR_ID)  # redirected → answered (a coordinator)
    n = await new("яма")
    await core.redirect(n, by="city")
    await core.redirect(n, by="transport")
    await core.reject(n, by="coordinator")  # redirected → rejected
    n = await new("яма")
    await core.handle(press(world, TRANSPORT_PEER, "take", n, channel="vk"))  # not theirs
    assert (await world.ticket(n)).state == S.ROUTED
    # reopened → redirected: the body that reopened refuses and nobody else is left.
    n = await new("яма")
    await confirmed(world, CITY_CHAT, "redirect", n)  # → transport
    await answer(world, n, chat=TRANSPORT_PEER, channel="vk")
    await core.handle(press(world, CITIZEN_TG, "solved", n, "no"))  # reopened at transport
    peer = await confirmed(world, TRANSPORT_PEER, "redirect", n, channel="vk")
    assert peer.state == S.REDIRECTED

    # collecting → collecting → routed; collecting → with coordinator → routed / answered /
    # rejected / closed; collecting → rejected / closed
    n = await new("мусор")
    await core.handle(world.citizen("во дворе"))  # asks again (collecting → collecting)
    await core.handle(press(world, CITIZEN_TG, "topic", n, "trash"))  # → routed
    n = await new("мусор")
    await core.handle(press(world, CITIZEN_TG, "topic", n, "-"))  # → with coordinator
    await core.redirect(n, by="coordinator", correct_body="city")  # with coordinator → routed
    n = await new("непонятно")
    await answer(world, n, chat=COORDINATOR_ID)  # with coordinator → answered
    n = await new("непонятно")
    await core.reject(n, by="coordinator")
    n = await new("непонятно")
    await core.close(n)
    n = await new("мусор")
    await core.reject(n, by="coordinator")  # collecting → rejected
    n = await new("мусор")
    await core.close(n)  # collecting → closed
    # new → rejected: a spam comment under a post is closed as spam at once
    spam = IncomingComment(CommentRef("vk", -1, 1, 1), 9, "Заработок от 5000 в день, пиши в лс")
    assert (await core.comment_posted(spam)).state == S.REJECTED

    seen = set()
    async with world.repo.transaction() as tx:
        for row in await tx.sql.all(
            "SELECT from_state, to_state FROM ticket_events WHERE to_state IS NOT NULL"
        ):
            seen.add((row[0], row[1]))
    allowed = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert seen <= allowed
    assert allowed - seen == set()


@pytest.mark.parametrize("final", [S.CLOSED, S.REJECTED])
async def test_final_states_accept_nothing(world, final):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    if final == S.CLOSED:
        await world.core.close(n)
    else:
        await world.core.reject(n, by="city")
    for action in ("take", "redirect", "reject"):
        assert (await world.core.handle(press(world, CITY_CHAT, action, n))).kind == "ignored"
    assert (await world.core.handle(press(world, CITIZEN_TG, "solved", n, "no"))).kind == (
        "ignored"
    )
    with pytest.raises(InvalidTransition):
        await world.core.close(n)


async def test_audit_log_says_who(world):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    await world.core.handle(press(world, CITY_CHAT, "take", n))
    await answer(world, n)
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "no"))
    ticket = await world.ticket(n)
    async with world.repo.transaction() as tx:
        events = await tx.tickets.events(ticket.id)
    who = [(e["kind"], e["actor"]) for e in events if e["to_state"]]
    assert who == [
        ("routed", "system"),
        ("taken", "body:city:tg:7"),
        ("answered", "body:city:tg:7"),
        ("reopened", "citizen"),
    ]


async def test_cross_channel_citizen_on_vk_body_on_telegram(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("яма во дворе", channel="vk"))
    await world.flush()
    (card,) = [m for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert "яма во дворе" in card.text
    assert (await answer(world, outcome.number, text="Засыпали щебнем")).state == S.ANSWERED
    await world.flush()
    texts = [m.text for m in world.vk.sent if m.chat_id == CITIZEN_VK]
    assert any("Засыпали щебнем" in t for t in texts)
    assert texts[-1].endswith("Проблема решена?")
    assert not [m for m in world.tg.sent if m.chat_id == CITIZEN_VK]


async def rating_buttons(world):
    await world.flush()
    (question,) = [m for m in world.tg.sent if m.chat_id == CITIZEN_TG and "Оцените" in m.text][-1:]
    return {b.text: Payload.unpack(b.payload) for b in question.buttons[0]}


def tap(world, chat, payload):
    world.message_ids += 1
    return IncomingMessage("tg", chat, chat, world.message_ids, payload=payload.pack())


async def test_rating_counts_once_per_verdict_and_only_from_the_citizen(world):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    early = Payload("rate", n, "5@0")
    assert (await world.core.handle(tap(world, CITIZEN_TG, early))).kind == "ignored"
    await answer(world, n)
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "no"))
    await world.flush()
    # «Нет, не решена» asks for no rating: the work is not done, and a forged one counts not.
    assert not [t for t in world.tg.texts(CITIZEN_TG) if "Оцените" in t]
    assert (await world.core.handle(tap(world, CITIZEN_TG, Payload("rate", n, "2@1")))).kind == (
        "ignored"
    )
    # Reopened, answered again, solved: now, once, the rating.
    await answer(world, n)
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "yes"))
    first = await rating_buttons(world)
    assert list(first) == ["1", "2", "3", "4", "5"]
    assert (await world.core.handle(tap(world, 999, first["1"]))).kind == "ignored"
    assert (await world.core.handle(tap(world, CITIZEN_TG, Payload("rate", n, "9@2")))).kind == (
        "ignored"
    )
    assert (await world.core.handle(tap(world, CITIZEN_TG, first["4"]))).kind == "rated"
    assert (await world.core.handle(tap(world, CITIZEN_TG, first["5"]))).kind == "ignored"
    assert len([t for t in world.tg.texts(CITIZEN_TG) if "Оцените" in t]) == 1
    ticket = await world.ticket(n)
    assert (ticket.solved, ticket.rating, ticket.state) == (True, 4, S.CLOSED)
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1].startswith("Спасибо за оценку")


async def test_not_solved_goes_back_to_the_same_body_with_a_new_deadline(world, clock):
    await world.start()
    n = (await world.core.handle(world.citizen("яма"))).number
    first = await world.ticket(n)
    clock.advance(days=3)
    await answer(world, n)
    await world.core.handle(press(world, CITIZEN_TG, "solved", n, "no"))
    ticket = await world.ticket(n)
    assert ticket.state == S.REOPENED and ticket.body == "city"
    assert ticket.due_at > first.due_at and ticket.route_round == 2
    await world.flush()
    cards = [t for t in world.tg.texts(CITY_CHAT) if t.startswith("Заявитель сообщает")]
    assert len(cards) == 1  # the new card (the answer's «доставлено» may come after it)
    clock.current = ticket.due_at
    assert await world.core.scan_deadlines() == 1  # reopened tickets are watched too
