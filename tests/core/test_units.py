"""A parent body hands a ticket to its unit (issue 17): «Передать подразделению» on the parent's
card lists its units as buttons; one tap moves the ticket there with a fresh card, the citizen
is told where it went, the old card says so, and the text is kept labelled with the unit."""

from __future__ import annotations

import dataclasses

from core_world import CITIZEN_TG, CITY_CHAT, TRANSPORT_PEER
from staff_steps import tap

from bot.domain import texts
from bot.domain.states import TicketState
from bot.domain.wire import CALLBACK_LIMIT
from routing.model import Body, Level

S = TicketState
ROADS_CHAT = -5005
STRANGER = 9009
CITY = "Администрация города Саратова"
ROADS = "Комитет дорожного хозяйства, благоустройства и транспорта"


def with_units(table):
    """The city administration dispatches for its road committee (with a chat of its own) and
    a parks department (without one)."""
    roads = Body("roads-committee", ROADS, Level.MUNICIPAL, ("roads",), ("63701000",),
                 priority=-1, telegram_chat=str(ROADS_CHAT), parent="city")
    parks = Body("parks", "Управление по паркам", Level.MUNICIPAL, ("trash",), ("63701000",),
                 priority=-1, parent="city")
    return dataclasses.replace(table, bodies=(*table.bodies, roads, parks))


def labels(message) -> list[list[str]]:
    return [[b.text for b in row] for row in message.buttons]


def flat(message) -> list[str]:
    return [b.text for row in message.buttons for b in row]


def in_chat(world, chat):
    return [m for m in world.tg.sent if m.chat_id == chat]


async def test_the_parent_hands_a_ticket_to_its_unit_with_one_tap(world):
    world.table = with_units(world.table)
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    card = in_chat(world, CITY_CHAT)[-1]
    assert labels(card)[-1] == [texts.UNITS_BUTTON]

    asked = await tap(world, CITY_CHAT, "units", number)
    assert (asked.kind, asked.state) == ("asked", S.ROUTED)
    assert asked.notice == texts.NOTICE_UNITS.format(number=number)
    await world.flush()
    offer = in_chat(world, CITY_CHAT)[-1]
    assert offer.text == texts.ASK_UNIT.format(number=number)
    assert labels(offer) == [[ROADS], ["Управление по паркам"]]
    assert all(len(b.payload.encode()) <= CALLBACK_LIMIT for row in offer.buttons for b in row)
    assert offer.reply_to is not None  # under the card it is about

    refused = await tap(world, TRANSPORT_PEER, "to-unit", number, "roads-committee",
                        user=STRANGER, channel="vk")  # another body's chat
    assert refused.kind == "ignored" and refused.notice
    moved = await tap(world, CITY_CHAT, "to-unit", number, "roads-committee")
    assert (moved.kind, moved.state) == ("redirected", S.ROUTED)
    assert moved.notice == texts.NOTICE_DISPATCHED.format(body=ROADS)
    ticket = await world.ticket(number)
    assert (ticket.body, ticket.route_round, ticket.tried_bodies) == ("roads-committee", 2,
                                                                      ("city",))
    await world.flush()

    unit_card = in_chat(world, ROADS_CHAT)[-1]
    assert unit_card.text.startswith(texts.DISPATCHED_NOTE.format(body=CITY) + "Обращение № ")
    assert "яма во дворе" in unit_card.text
    assert texts.UNITS_BUTTON not in flat(unit_card)  # the unit has no units
    told = world.tg.texts(CITIZEN_TG)[-1]
    assert told.startswith(f"Обращение № {number} передано в подразделение, которое им "
                           f"занимается: {ROADS}.")
    old = [m for _, m in world.tg.edited if m.chat_id == CITY_CHAT][-1]
    assert ROADS in old.status and old.buttons == ()
    assert (await world.events(number))[-1] == "dispatched"

    (example,) = await world.core.export_training_examples()
    assert (example["body"], example["wrong_body"], example["source"], example["topic"]) == (
        "roads-committee", "city", "unit", "roads")

    again = await tap(world, CITY_CHAT, "to-unit", number, "parks")
    assert again.kind == "ignored" and again.notice
    assert (await world.ticket(number)).body == "roads-committee"


async def test_only_a_unit_of_the_holder_and_only_while_open(world):
    world.table = with_units(world.table)
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    forged = await tap(world, CITY_CHAT, "to-unit", number, "transport")  # not a unit
    assert forged.kind == "ignored"
    gone = await tap(world, CITY_CHAT, "to-unit", number, "no-such-body")
    assert (gone.kind, gone.notice) == ("ignored", texts.UNIT_GONE)
    assert (await world.ticket(number)).body == "city"
    # A body without units: no button on its card, and a forged press says why.
    await tap(world, CITY_CHAT, "to-unit", number, "parks")
    await world.flush()
    parks = await world.ticket(number)
    assert parks.body == "parks"  # no chat: the coordinators got the card, without the button
    assert not any(texts.UNITS_BUTTON in flat(m) for m in world.tg.sent
                   if m.chat_id != CITY_CHAT)


async def test_a_table_without_hierarchy_shows_no_units_button(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    assert texts.UNITS_BUTTON not in flat(in_chat(world, CITY_CHAT)[-1])
    refused = await tap(world, CITY_CHAT, "units", number)
    assert (refused.kind, refused.notice) == ("ignored", texts.NO_UNITS)
