"""Who may see and do what (issue 7, "Access").

A citizen never sees or acts on another citizen's ticket — not another Telegram user, and not a
VK user who happens to have the same numeric id. An administrator acts only on the tickets their
body holds. Coordinator commands answer everyone else with a refusal. Every refused press is
answered with a notice and changes nothing: the tickets and their events are compared whole
before and after, and the ticket's owner hears nothing about a stranger's attempt.
"""

from __future__ import annotations

import pytest

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.states import TicketState
from bot.domain.wire import Action, Payload
from routing.tablefile import table_to_bytes
from tests import app_world
from tests.app_world import TG_ADMIN, saratov_built_outside_the_deadline  # noqa: F401
from tests.core.core_world import (
    CITIZEN_TG,
    CITY_CHAT,
    COORDINATOR_ID,
    SARATOV,
    TRANSPORT_PEER,
    World,
)
from tests.emulators.aio import run_async
from tests.faults.input_world import run_async_world, snapshot

STAFF_ACTIONS = [a for a in Action if a.by_staff]

OTHER_CITIZEN = 556
TRANSPORT_ADMIN = 4444  # writes in the transport ministry's VK conversation
CITY_MEMBER = 3003  # a member of the city administration's Telegram group


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> str:
    if request.param == "sqlite":
        return ":memory:"
    return request.getfixturevalue("pg_cluster").new_database()


class Tickets:
    """The owner's (``CITIZEN_TG``) tickets in every state a stranger might try to touch."""

    def __init__(self, world: World):
        self.world = world
        self.presses = iter(range(50_000, 10**9))

    async def make(self) -> Tickets:
        w = self.world
        self.routed = (await w.core.handle(w.citizen("яма на Ленина"))).number
        self.answered = (await w.core.handle(w.citizen("яма на Чернышевского"))).number
        self.verdict = (await w.core.handle(w.citizen("яма на Московской"))).number
        await w.flush()
        for number in (self.answered, self.verdict):
            await self.answer_from_city(number)
        # The owner says the last one is solved: rating buttons «rate:N:k@1» are live now.
        assert (await self.press(CITIZEN_TG, Payload("solved", self.verdict, "yes"))).kind == (
            "verdict"
        )
        # Last, as the bot then waits for an answer: a ticket asking for its topic.
        self.asking = (await w.core.handle(w.citizen("мусор во дворе"))).number
        await w.flush()
        assert len({self.routed, self.answered, self.verdict, self.asking}) == 4
        return self

    async def card_id(self, number: str) -> int:
        for row in await self.world.outbox_rows("sent"):
            if row["chat_id"] == CITY_CHAT and row["idempotency_key"].startswith(f"{number}:"):
                return row["platform_message_id"]
        raise AssertionError(f"no card of {number} in the city chat")

    async def answer_from_city(self, number: str) -> None:
        reply = IncomingMessage(
            "tg", CITY_CHAT, CITY_MEMBER, next(self.presses), "Отремонтируем.",
            reply_to=await self.card_id(number),
        )
        assert (await self.world.core.handle(reply)).state == TicketState.ANSWERED
        await self.world.flush()

    async def press(self, user: int, payload: Payload, *, channel: str = "tg",
                    chat: int | None = None):
        message = IncomingMessage(
            channel, user if chat is None else chat, user, next(self.presses),
            payload=payload.pack(),
        )
        return await self.world.core.handle(message)


def said_to(world: World, chat: int, channel: str = "tg") -> list[str]:
    sent = world.tg.sent if channel == "tg" else world.vk.sent
    return [m.text for m in sent if m.chat_id == chat]


def strangers_presses(t: Tickets) -> list[Payload]:
    """Every button of the owner's tickets, as a stranger who learnt its data would press it."""
    minute = int(t.world.clock.now().timestamp() // 60)
    return [
        Payload("topic", t.asking, "trash"),
        Payload("topic", t.asking, "-"),
        Payload("place", t.asking, SARATOV),
        Payload("solved", t.answered, "yes"),
        Payload("solved", t.answered, "no"),
        Payload("rate", t.verdict, "5@1"),
        Payload("rate", t.verdict, "1@1"),
        Payload("history", t.routed),
        Payload("history", t.verdict),
        Payload("forget", str(CITIZEN_TG), f"yes@{minute}"),
        Payload("forget", str(CITIZEN_TG), "no"),
        *(Payload(action, t.routed) for action in STAFF_ACTIONS),
        *(Payload(action, t.answered) for action in STAFF_ACTIONS),
    ]


@pytest.mark.parametrize("who", ["another Telegram user", "the same id on VK"])
def test_a_citizen_can_neither_see_nor_touch_another_citizens_tickets(database, who):
    channel, user = ("tg", OTHER_CITIZEN) if who == "another Telegram user" else ("vk", CITIZEN_TG)

    async def check(world: World) -> None:
        t = await Tickets(world).make()
        texts_of_owner = ("мусор во дворе", "яма на Ленина", "Чернышевского", "Московской")
        owner_heard = len(said_to(world, CITIZEN_TG))
        for payload in strangers_presses(t):
            before = await snapshot(world)
            outcome = await t.press(user, payload, channel=channel)
            await world.flush()
            assert await snapshot(world) == before, payload
            if channel == "vk" and payload.action == "forget":
                # For the VK user with the same id this is *their own* /forget confirmation:
                # it may act on their (empty) VK data; the Telegram owner's (compared above)
                # is untouched.
                continue
            assert outcome.notice, payload  # the presser is told; nobody else is
        my = IncomingMessage(channel, user, user, next(t.presses), "/my", command="my")
        await world.core.handle(my)
        await world.flush()
        heard = "\n".join(said_to(world, user, channel))
        for secret in (t.asking, t.routed, t.answered, t.verdict, *texts_of_owner):
            assert secret not in heard, secret
        assert texts.MY_EMPTY in heard
        assert len(said_to(world, CITIZEN_TG)) == owner_heard
        # The owner, by contrast, sees all four.
        await world.core.handle(world.citizen("/my", command="my"))
        await world.flush()
        own = said_to(world, CITIZEN_TG)[-1]
        assert all(n in own for n in (t.asking, t.routed, t.answered, t.verdict))

    run_async_world(check, database)


def test_the_owners_own_buttons_do_work(database):
    """The control for the test above: the same presses by the owner act."""

    async def check(world: World) -> None:
        t = await Tickets(world).make()
        assert (await t.press(CITIZEN_TG, Payload("topic", t.asking, "trash"))).kind == (
            "answered_question"
        )
        assert (await t.press(CITIZEN_TG, Payload("solved", t.answered, "yes"))).kind == "verdict"
        assert (await t.press(CITIZEN_TG, Payload("rate", t.verdict, "5@1"))).kind == "rated"
        history = await t.press(CITIZEN_TG, Payload("history", t.routed))
        assert history.kind == "history"

    run_async_world(check, database)


def test_an_administrator_acts_only_on_their_bodys_tickets(database):
    async def check(world: World) -> None:
        t = await Tickets(world).make()
        owner_heard = len(said_to(world, CITIZEN_TG))
        # The transport ministry's conversation presses the city's card buttons.
        for number in (t.routed, t.answered):
            for action in STAFF_ACTIONS:
                before = await snapshot(world)
                outcome = await t.press(
                    TRANSPORT_ADMIN, Payload(action, number), channel="vk", chat=TRANSPORT_PEER
                )
                assert await snapshot(world) == before, (action, number)
                assert outcome.notice == texts.STAFF_NOT_ALLOWED
        # A reply in the ministry's conversation quoting the id of the city's card is no answer.
        before = await snapshot(world)
        quoting = IncomingMessage(
            "vk", TRANSPORT_PEER, TRANSPORT_ADMIN, next(t.presses), "Это сделаем мы.",
            reply_to=await t.card_id(t.routed),
        )
        assert (await world.core.handle(quoting)).kind == "ignored"
        # The citizen who owns the ticket cannot press the body's buttons either.
        for action in STAFF_ACTIONS:
            refused = await t.press(CITIZEN_TG, Payload(action, t.routed))
            assert refused.notice == texts.STAFF_NOT_ALLOWED
        await world.flush()
        assert await snapshot(world) == before
        assert len(said_to(world, CITIZEN_TG)) == owner_heard
        # Control: the city's own chat may take it.
        taken = await t.press(CITY_MEMBER, Payload("take", t.routed), chat=CITY_CHAT)
        assert (taken.kind, taken.state) == ("taken", TicketState.IN_WORK)

    run_async_world(check, database)


def test_only_a_coordinator_makes_invites(database):
    async def check(world: World) -> None:
        asked = [
            IncomingMessage("tg", OTHER_CITIZEN, OTHER_CITIZEN, 1, "/invite city"),
            IncomingMessage("tg", CITY_CHAT, CITY_MEMBER, 2, "/invite city"),
            IncomingMessage("vk", TRANSPORT_PEER, TRANSPORT_ADMIN, 3, "/invite transport"),
            IncomingMessage("vk", COORDINATOR_ID, COORDINATOR_ID, 4, "/invite city"),  # not tg
        ]
        for message in asked:
            outcome = await world.core.invite(message, message.text.split()[1])
            assert outcome.notice == texts.INVITE_NOT_COORDINATOR, message
        async with world.repo.transaction() as tx:
            assert not await tx.sql.all("SELECT * FROM staff_invites")
        coordinator = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 5, "/invite city")
        assert (await world.core.invite(coordinator, "city")).kind == "invited"

    run_async_world(check, database)


# == end to end: the city administration's own people are not coordinators ======================
COORDINATOR_ELSEWHERE = 7007


@run_async
async def test_an_administrator_gets_refusals_for_every_coordinator_command(tmp_path):
    """The real aiogram bot on the Telegram emulator: a member of the body's group (where the
    bot posts cards) tries the coordinator's commands there and in a private chat, and a table
    file; nothing but refusals comes back, and no table is proposed."""
    refusals = {texts.ONLY_COORDINATORS, texts.INVITE_NOT_COORDINATOR}
    async with app_world.telegram_only(
        tmp_path, coordinators=f"tg:{COORDINATOR_ELSEWHERE}"
    ) as (tg, group):
        for chat in (group, TG_ADMIN):
            for command in ("/stats", "/table", "/versions", "/rollback", "/invite adm"):
                seen = len(tg.sent)
                tg.user_sends_text(TG_ADMIN, command, chat_id=chat)
                answer = await tg.wait_for(lambda c, chat=chat: c.chat_id == chat, since=seen)
                assert answer.text in refusals, (chat, command, answer.text)
        seen = len(tg.sent)
        table = table_to_bytes(app_world.saratov()[0], "xlsx")
        tg.user_sends_document(TG_ADMIN, "таблица.xlsx", table)
        answer = await tg.wait_for(lambda c: c.chat_id == TG_ADMIN, since=seen)
        assert texts.TABLE_APPLY_BUTTON not in str(answer.reply_markup or "")
        assert "Применить" not in (answer.text or "")
        assert not tg.calls("sendDocument") and not tg.calls("sendPhoto")
