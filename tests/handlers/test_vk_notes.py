"""Issue 16 in VK, end to end (real vkbottle against the emulator): a VK administrator's note
(«/заметка», VK has no command menu) stays among staff while a reply to the card goes to the
citizen; a ticket by its number; a VK coordinator lists a body's staff and revokes an invited
administrator with callback buttons; an answer sent from a reply template."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

from bot.domain import texts
from config import Coordinator
from routing.model import ReplyTemplate
from tests.app_world import (
    APPEAL,
    CITY,
    NUMBER,
    VK_ADMIN,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401 (an autouse fixture)
    settings_for,
    with_city_chats,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import SentMessage, VKEmulator
from tests.handlers.test_vk_end_to_end import callback_buttons

VK_CITIZEN = 100_501
VK_COORDINATOR = 100_900
VK_NEWCOMER = 300_401  # an administrator who joins the city administration by invite

TEMPLATES = (
    ReplyTemplate("lamp", "Фонарь починили", "Фонарь починили. Спасибо, что сообщили!", CITY),
)


@contextlib.asynccontextmanager
async def vk_world(tmp_path: Path) -> AsyncIterator[VKEmulator]:
    """Both channels up (the city administration's Telegram forum too), the city administration
    with a VK administrator and reply templates, a VK coordinator."""
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        group = tg.create_forum_group(admin_user_id=1, title="Администрация Саратова")
        await vk.user_allows_messages(VK_ADMIN)
        table = dataclasses.replace(with_city_chats(shipped, tg=group, vk=VK_ADMIN),
                                    templates=TEMPLATES)
        settings = settings_for(tmp_path, tg, vk,
                                coordinators=[Coordinator("vk", VK_COORDINATOR)])
        async with running(settings, table):
            await vk.wait_for_listener()
            yield vk


async def sent_after(vk: VKEmulator, seen: int, peer: int, needle: str) -> SentMessage:
    return await vk.wait_for_sent(
        lambda m: vk.sent.index(m) >= seen and m.peer_id == peer and needle in m.text
    )


async def tap(vk: VKEmulator, user: int, message: SentMessage, label: str) -> None:
    payload = dict(callback_buttons(message))[label]
    answered = len(vk.event_answers)
    await vk.user_presses_callback_button(user, message.conversation_message_id, {"p": payload})
    await vk.wait_for(lambda: len(vk.event_answers) > answered)


@run_async
async def test_a_vk_note_stays_with_staff_and_a_reply_goes_to_the_citizen(tmp_path: Path) -> None:
    async with vk_world(tmp_path) as vk:
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert "/note (или /заметка) текст ответом на карточку" in card.text

        seen = len(vk.sent)
        await vk.user_sends_text(VK_ADMIN, "/заметка Вася, глянь", reply_to=card.message_id)
        await sent_after(vk, seen, VK_ADMIN, texts.NOTE_SAVED.format(number=number))
        await vk.user_sends_text(VK_ADMIN, "Фонарь заменим завтра.", reply_to=card.message_id)
        await sent_after(vk, seen, VK_CITIZEN, "Фонарь заменим завтра.")
        await vk.user_sends_text(VK_ADMIN, number)  # the ticket by its number
        shown = await sent_after(vk, seen, VK_ADMIN, "История:")
        assert "📝 заметка (Администрация" in shown.text and "Вася, глянь" in shown.text
        await asyncio.sleep(0.3)  # room for a wrong delivery, if there were going to be one
        assert not any("глянь" in m.text for m in vk.sent_to(VK_CITIZEN))
        # A citizen typing a number is not shown anybody's ticket.
        await vk.user_sends_text(VK_CITIZEN, f"/ticket {number}")
        await sent_after(vk, seen, VK_CITIZEN, texts.TICKET_ONLY_STAFF)


@run_async
async def test_a_vk_coordinator_revokes_an_invited_administrator(tmp_path: Path) -> None:
    async with vk_world(tmp_path) as vk:
        seen = len(vk.sent)
        await vk.user_sends_text(VK_COORDINATOR, f"/invite {CITY}")
        invite = await sent_after(vk, seen, VK_COORDINATOR, "Код приглашения")
        code = re.search(r"Код приглашения: (\S+)", invite.text).group(1)
        await vk.user_sends_text(VK_NEWCOMER, code)
        await sent_after(vk, seen, VK_NEWCOMER, "подключён к органу")

        await vk.user_sends_text(VK_COORDINATOR, f"/сотрудники {CITY}")
        listing = await sent_after(vk, seen, VK_COORDINATOR, "Кто подключён к органу")
        assert f"ВКонтакте, чат {VK_ADMIN} — из таблицы" in listing.text
        assert f"1. ВКонтакте, личный чат {VK_NEWCOMER}" in listing.text
        await tap(vk, VK_COORDINATOR, listing, "Отозвать 1")
        confirm = await sent_after(vk, seen, VK_COORDINATOR, "Отозвать подключение 1")
        await tap(vk, VK_COORDINATOR, confirm, texts.STAFF_REVOKE_YES)
        await sent_after(vk, seen, VK_NEWCOMER, "Координатор отключил этот чат")
        assert any(texts.STAFF_REVOKED_NOTICE in str(a.event_data) for a in vk.event_answers)

        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await sent_after(vk, seen, VK_CITIZEN, "принято")
        number = NUMBER.search(accepted.text).group()
        await sent_after(vk, seen, VK_ADMIN, number)
        await asyncio.sleep(0.3)
        assert not any(number in m.text for m in vk.sent_to(VK_NEWCOMER))


@run_async
async def test_a_vk_administrator_sends_a_reply_template(tmp_path: Path) -> None:
    async with vk_world(tmp_path) as vk:
        await vk.user_sends_text(VK_CITIZEN, APPEAL)
        accepted = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN)
        number = NUMBER.search(accepted.text).group()
        card = await vk.wait_for_sent(lambda m: m.peer_id == VK_ADMIN and number in m.text)
        assert "Шаблоны ответов" in dict(callback_buttons(card))
        seen = len(vk.sent)
        await tap(vk, VK_ADMIN, card, "Шаблоны ответов")
        listing = await sent_after(vk, seen, VK_ADMIN, "Шаблоны ответов для обращения")
        await tap(vk, VK_ADMIN, listing, "Фонарь починили")
        preview = await sent_after(vk, seen, VK_ADMIN, "Спасибо, что сообщили!")
        await tap(vk, VK_ADMIN, preview, texts.TEMPLATE_SEND_BUTTON)
        answer = await sent_after(vk, seen, VK_CITIZEN, "Фонарь починили. Спасибо")
        assert number in answer.text
        await tap(vk, VK_ADMIN, preview, texts.TEMPLATE_SEND_BUTTON)  # again: not twice
        await asyncio.sleep(0.3)
        assert sum("Фонарь починили" in m.text for m in vk.sent_to(VK_CITIZEN)) == 1
