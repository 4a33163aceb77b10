"""«Передать подразделению» in VK, end to end (issue 17): the whole bot on the VK emulator with
the shipped Saratov table, where the city administration (in the VK dialogue of ``VK_ADMIN``)
is given a lighting committee as its unit (in another administrator's dialogue). The same core
as in Telegram (`tests.handlers.test_telegram_units`): the units under the card as callback
buttons, one tap, the committee's card, the citizen told, VK's snackbar for a stale press; and
the same from a VK coordinator's copy of the card when the administration has no chat."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.domain import texts
from routing.model import Body, Level
from tests.app_world import (
    APPEAL,
    CITY,
    NUMBER,
    VK_ADMIN,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401  (an autouse fixture)
    settings_for,
    with_city_chats,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator
from tests.handlers.test_vk_end_to_end import callback_buttons
from tests.handlers.test_vk_safe_actions import (
    VK_CITIZEN,
    VK_COORDINATOR,
    appeal,
    next_to,
    tap,
)

VK_UNIT_ADMIN = 300_500
LIGHTING = "Комитет по уличному освещению"  # VK cuts labels over 40 characters


@run_async
async def test_vk_administration_hands_a_ticket_to_its_unit(tmp_path: Path) -> None:
    shipped, _ = saratov()
    city = with_city_chats(shipped, tg=None, vk=VK_ADMIN)
    unit = Body("lighting", LIGHTING, Level.MUNICIPAL, (), ("63701000",),
                vk_peer=str(VK_UNIT_ADMIN), parent=CITY)
    table = dataclasses.replace(city, bodies=(*city.bodies, unit))
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        await vk.user_allows_messages(VK_ADMIN)
        await vk.user_allows_messages(VK_UNIT_ADMIN)
        async with running(settings_for(tmp_path, tg, vk), table):
            await vk.wait_for_listener()
            number, card = await appeal(vk)
            assert [label for label, _ in callback_buttons(card)][-1] == texts.UNITS_BUTTON

            seen = len(vk.sent)
            listed = await tap(vk, VK_ADMIN, card, texts.UNITS_BUTTON)
            assert listed is not None and texts.NOTICE_UNITS.format(number=number) in str(listed)
            units = await next_to(vk, VK_ADMIN, f"Кому передать обращение № {number}?", seen)
            assert units.reply_to == card.message_id
            assert [label for label, _ in callback_buttons(units)] == [LIGHTING]

            done = await tap(vk, VK_ADMIN, units, LIGHTING)
            assert done is not None and texts.NOTICE_DISPATCHED.format(body=LIGHTING) in str(done)
            told = await next_to(vk, VK_CITIZEN, f"Обращение № {number} передано в подразделение",
                                 seen)
            assert LIGHTING in told.text
            theirs = await next_to(vk, VK_UNIT_ADMIN, "Передано из «", seen)
            assert f"Обращение № {number}\n" in theirs.text

            stale = await tap(vk, VK_ADMIN, units, LIGHTING)
            assert stale is not None
            assert texts.STAFF_HANDED_OVER.format(number=number) in str(stale)


@run_async
async def test_vk_coordinator_hands_a_ticket_of_a_chatless_administration_to_its_unit(
    tmp_path: Path,
) -> None:
    """No chat for the administration: the VK coordinator's copy of the card carries
    «Передать подразделению», and one tap hands the ticket to the unit."""
    shipped, _ = saratov()
    unit = Body("lighting", LIGHTING, Level.MUNICIPAL, (), ("63701000",),
                vk_peer=str(VK_UNIT_ADMIN), parent=CITY)
    table = dataclasses.replace(shipped, bodies=(*shipped.bodies, unit))
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        for user in (VK_COORDINATOR, VK_UNIT_ADMIN):
            await vk.user_allows_messages(user)
        settings = settings_for(tmp_path, tg, vk, coordinators=f"vk:{VK_COORDINATOR}")
        async with running(settings, table):
            await vk.wait_for_listener()
            await vk.user_sends_text(VK_CITIZEN, APPEAL)
            accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
            number = NUMBER.search(accepted.text).group()
            card = await next_to(vk, VK_COORDINATOR, f"Обращение № {number} направлено", 0)
            assert [label for label, _ in callback_buttons(card)] == [
                texts.NOT_OURS_BUTTON, texts.REJECT_BUTTON, texts.UNITS_BUTTON
            ]

            seen = len(vk.sent)
            listed = await tap(vk, VK_COORDINATOR, card, texts.UNITS_BUTTON)
            assert listed is not None and texts.NOTICE_UNITS.format(number=number) in str(listed)
            units = await next_to(vk, VK_COORDINATOR, f"Кому передать обращение № {number}?",
                                  seen)
            assert units.reply_to == card.message_id
            assert [label for label, _ in callback_buttons(units)] == [LIGHTING]

            done = await tap(vk, VK_COORDINATOR, units, LIGHTING)
            assert done is not None and texts.NOTICE_DISPATCHED.format(body=LIGHTING) in str(done)
            await next_to(vk, VK_CITIZEN, f"Обращение № {number} передано в подразделение", seen)
            theirs = await next_to(vk, VK_UNIT_ADMIN, "Передано из «", seen)
            assert f"Обращение № {number}\n" in theirs.text
