"""«Передать подразделению» in Telegram, end to end (issue 17; the real bot polling the emulator,
see `tests.handlers.test_telegram_staff`): the city administration dispatches for its road
committee; its administrator lists the units under the card and taps one; the committee gets a
card saying where it came from, the citizen is told, the old card shows where the ticket went,
and the list pressed again is refused with an alert. When the administration has no chat, its
coordinator does the same from the card they got instead."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.domain import texts
from bot.domain.wire import CALLBACK_LIMIT
from bot.storage.sqlite import SqliteRepository
from routing.model import Body, Deadline, Level
from tests.emulators.aio import run_async
from tests.handlers.test_telegram_live_cards import EDITS, WAITING
from tests.handlers.test_telegram_safe_actions import labels, question, tap
from tests.handlers.test_telegram_staff import (
    ADMIN,
    ADMIN2,
    CITIZEN,
    COORDINATOR,
    SARATOV,
    TABLE,
    world_at,
)

CITY = "Администрация города Саратова"
ROADS = "Комитет дорожного хозяйства, благоустройства и транспорта"
WITH_UNITS = dataclasses.replace(TABLE, bodies=(
    *TABLE.bodies,
    Body("roads-committee", ROADS, Level.MUNICIPAL, ("roads",), (SARATOV,), priority=-1,
         deadline=Deadline.parse("10wd"), parent="city"),
))


async def dispatched_to_roads(w: Any, who: int, units: Any, number: str, since: int) -> Any:
    """``who`` taps the roads committee under «Передать подразделению»: the tap is confirmed,
    the citizen is told where the appeal went, and the committee gets its card, which says who
    passed it on; that card."""
    done = await tap(w, who, units, ROADS)
    assert not done.get("show_alert")
    assert done["text"] == texts.NOTICE_DISPATCHED.format(body=ROADS)
    told = await w.said(CITIZEN, "передано в подразделение", since)
    assert f"Обращение № {number} передано в подразделение, которое им занимается: " \
           f"{ROADS}." in told.text
    theirs = await w.card(ADMIN2, number)
    assert theirs.text.startswith(texts.DISPATCHED_NOTE.format(body=CITY))
    return theirs


@run_async
async def test_the_administration_hands_a_ticket_to_its_committee_with_one_tap(tmp_path):
    async with world_at(tmp_path, WITH_UNITS) as w:
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "roads-committee")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        assert labels(card) == [*WAITING, texts.UNITS_BUTTON]

        since = len(w.tg.sent)
        listed = await tap(w, ADMIN, card, texts.UNITS_BUTTON)
        assert not listed.get("show_alert")
        assert listed["text"] == texts.NOTICE_UNITS.format(number=number)
        units = await question(w, ADMIN, f"Кому передать обращение № {number}?", since)
        assert labels(units) == [ROADS]
        assert all(len(b["callback_data"].encode()) <= CALLBACK_LIMIT for b in units.buttons)
        assert units.params.get("reply_parameters", {}).get("message_id") == card.message_id \
            or units.params.get("reply_to_message_id") == card.message_id

        theirs = await dispatched_to_roads(w, ADMIN, units, number, since)
        assert texts.UNITS_BUTTON not in labels(theirs)  # the committee has no units
        old = await w.tg.wait_for(
            lambda c: c.method in EDITS and c.chat_id == ADMIN
            and c.params.get("message_id") == card.message_id and ROADS in (c.body or ""),
            since=since,
        )
        assert labels(old) == []

        again = await tap(w, ADMIN, units, ROADS)
        assert again["show_alert"] is True
        assert again["text"] == texts.STAFF_HANDED_OVER.format(number=number)


@run_async
async def test_a_coordinator_hands_a_ticket_of_a_chatless_administration_to_its_unit(tmp_path):
    """The administration has no chat: its card goes to the coordinator, with the same
    «Передать подразделению»; one tap there hands the ticket on, and the appeal is kept as the
    committee's training example."""
    async with world_at(tmp_path, WITH_UNITS) as w:
        await w.bind_private(ADMIN2, "roads-committee")
        number, _ack = await w.appeal()
        card = await w.said(COORDINATOR, f"Обращение № {number} направлено органу «{CITY}», "
                                         "но у него не настроен чат")
        assert labels(card) == [texts.NOT_OURS_BUTTON, texts.REJECT_BUTTON, texts.UNITS_BUTTON]

        since = len(w.tg.sent)
        listed = await tap(w, COORDINATOR, card, texts.UNITS_BUTTON)
        assert not listed.get("show_alert")
        assert listed["text"] == texts.NOTICE_UNITS.format(number=number)
        units = await question(w, COORDINATOR, f"Кому передать обращение № {number}?", since)
        assert labels(units) == [ROADS]
        assert units.params.get("reply_parameters", {}).get("message_id") == card.message_id

        await dispatched_to_roads(w, COORDINATOR, units, number, since)
        old = await w.tg.wait_for(
            lambda c: c.method in EDITS and c.chat_id == COORDINATOR
            and c.params.get("message_id") == card.message_id and ROADS in (c.body or ""),
            since=since,
        )
        assert labels(old) == []  # the coordinator's copy says where it went, no buttons left

        again = await tap(w, COORDINATOR, units, ROADS)
        assert again["show_alert"] is True

    repo = SqliteRepository(tmp_path / "bot.sqlite3")
    await repo.open()
    try:
        async with repo.transaction() as tx:
            (example,) = await tx.training.examples()
    finally:
        await repo.close()
    assert (example.body, example.wrong_body, example.source) == (
        "roads-committee", "city", "unit"
    )
    assert example.text == "Яма на улице Московской, дом 5"
