"""Flood limits per citizen: one clear message per window, presses answered, staff exempt."""

from __future__ import annotations

from datetime import timedelta

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID, FakeClock

from bot.core.flood import FloodGuard, FloodWindow
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.wire import Payload

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def guard(clock: FakeClock, per_minute: int = 3, per_hour: int = 100, **kw) -> FloodGuard:
    return FloodGuard(clock, (FloodWindow(per_minute, MINUTE), FloodWindow(per_hour, HOUR)), **kw)


def test_over_the_limit_is_refused_and_warned_once_until_the_window_frees(clock):
    flood = guard(clock)
    assert [flood.check("tg", 1).allowed for _ in range(3)] == [True, True, True]
    clock.advance(seconds=20)
    first = flood.check("tg", 1)
    assert (first.allowed, first.warn, first.wait) == (False, True, timedelta(seconds=40))
    assert first.minutes == 1
    assert [flood.check("tg", 1).warn for _ in range(5)] == [False] * 5  # no warning per message
    assert flood.check("tg", 2).allowed  # other people are not affected
    assert flood.check("vk", 1).allowed  # nor the same id in the other channel

    clock.advance(seconds=40)
    # refused attempts did not extend the window
    assert [flood.check("tg", 1).allowed for _ in range(3)] == [True, True, True]
    again = flood.check("tg", 1)
    assert (again.allowed, again.warn) == (False, True)  # a new window: told again


def test_the_hourly_limit_says_how_many_minutes_to_wait(clock):
    flood = guard(clock, per_minute=100, per_hour=4)
    for _ in range(4):
        assert flood.check("tg", 1).allowed
        clock.advance(minutes=5)
    verdict = flood.check("tg", 1)  # 20 minutes after the first: 40 to wait
    assert (verdict.allowed, verdict.minutes) == (False, 40)


def test_idle_people_are_forgotten_and_memory_is_capped(clock):
    flood = guard(clock, max_users=50)
    for user in range(30):
        flood.check("tg", user)
    assert flood.tracked == 30
    clock.advance(hours=1)
    flood.check("tg", 999)
    assert flood.tracked == 1  # everyone idle for the longest window is gone
    for user in range(200):
        flood.check("tg", user)
    assert flood.tracked == 50


async def test_a_flooding_citizen_gets_one_message_and_no_tickets(world, clock):
    await world.start({"flood": guard(clock, per_minute=2)})
    outcomes = [(await world.core.handle(world.citizen(f"Яма номер {i}"))).kind for i in range(6)]
    assert outcomes == ["created", "created"] + ["flooded"] * 4
    await world.flush()
    to_citizen = world.tg.texts(CITIZEN_TG)
    warnings = [t for t in to_citizen if t == texts.FLOOD_WAIT.format(minutes=1)]
    assert len(warnings) == 1
    assert len(to_citizen) == 3  # two confirmations and the one warning
    assert len(world.tg.texts(CITY_CHAT)) == 2

    clock.advance(minutes=1)
    assert (await world.core.handle(world.citizen("Яма снова"))).kind == "created"
    await world.stop()


async def test_a_press_over_the_limit_is_answered_with_a_notice_and_not_acted_on(world, clock):
    await world.start({"flood": guard(clock, per_minute=1)})
    asked = await world.core.handle(world.citizen("Мусор во дворе"))
    assert asked.state == "collecting"
    press = world.citizen("", payload=Payload("topic", asked.number, "trash").pack())
    refused = await world.core.handle(press)
    assert refused.kind == "flooded"
    assert refused.notice == texts.FLOOD_PRESS.format(minutes=1)
    assert (await world.ticket(asked.number)).state == "collecting"
    await world.flush()
    assert not [t for t in world.tg.texts(CITIZEN_TG) if "Слишком много" in t]

    clock.advance(minutes=1)
    assert (await world.core.handle(press)).kind == "answered_question"
    await world.stop()


async def test_staff_chats_and_coordinators_are_not_limited(world, clock):
    await world.start({"flood": guard(clock, per_minute=1)})
    for i in range(5):
        coordinator = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 100 + i, "вопрос")
        assert (await world.core.handle(coordinator)).kind != "flooded"
        in_body_chat = IncomingMessage("tg", CITY_CHAT, 7, 200 + i, "обсуждаем")
        assert (await world.core.handle(in_body_chat)).kind != "flooded"
    await world.stop()
