"""`VKTransport` against the VK emulator, through the real vkbottle `API` and its aiohttp client.

Async tests run under ``asyncio.run`` via the same decorator as the emulator's own tests. The
``API`` gets a zero-delay request rescheduler: vkbottle re-sends a non-JSON (5xx) answer once
after 5 s by default.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from vkbottle import API, AiohttpClient
from vkbottle.api.request_rescheduler import BlockingRequestRescheduler

from bot.delivery.transport import PermanentError, RetryAfter, TransientError
from bot.domain.messages import Attachment, Button, OutgoingMessage
from handlers.vk.transport import MessagesDenied, VKTransport
from tests.emulators.aio import run_async
from tests.emulators.vk import VKEmulator

USER = 100_500


@asynccontextmanager
async def transport_on_emulator() -> AsyncIterator[tuple[VKEmulator, VKTransport]]:
    async with VKEmulator() as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        api.request_rescheduler = BlockingRequestRescheduler(delay=0)
        try:
            await vk.user_allows_messages(USER)
            yield vk, VKTransport(api)
        finally:
            await api.http_client.close()


def out(text: str = "Ваше обращение принято", **kw) -> OutgoingMessage:
    return OutgoingMessage(channel="vk", chat_id=USER, text=text, **kw)


@run_async
async def test_buttons_arrive_as_an_inline_callback_keyboard() -> None:
    long_label = "Передать в администрацию района и уведомить заявителя"
    buttons = ((Button("Да", "yes"), Button("Нет", "no")), (Button(long_label, "body:42"),))
    async with transport_on_emulator() as (vk, transport):
        sent = await transport.send(out(buttons=buttons, dedup_id=7))
        (got,) = vk.sent_to(USER)
        assert got.message_id == sent.platform_message_id and got.random_id == 7
        assert got.keyboard is not None and got.keyboard["inline"] is True
        actions = [[b["action"] for b in row] for row in got.keyboard["buttons"]]
        assert [[a["type"] for a in row] for row in actions] == [["callback"] * 2, ["callback"]]
        assert [a["payload"] for row in actions for a in row] == [
            {"p": "yes"},
            {"p": "no"},
            {"p": "body:42"},
        ]
        label = actions[1][0]["label"]
        assert len(label) <= 40 and label.endswith("…") and label.startswith("Передать в")


@run_async
async def test_the_same_dedup_id_twice_is_one_message_with_one_id() -> None:
    async with transport_on_emulator() as (vk, transport):
        first = await transport.send(out(dedup_id=123_456))
        again = await transport.send(out(dedup_id=123_456))
        assert first.platform_message_id == again.platform_message_id
        assert len(vk.sent_to(USER)) == 1
        # dedup_id 0 still sends, with a fresh non-zero random_id each time
        await transport.send(out(dedup_id=0))
        await transport.send(out(dedup_id=0))
        assert len(vk.sent_to(USER)) == 3
        assert all(m.random_id > 0 for m in vk.sent)


@run_async
async def test_attachments_and_reply_to_pass_through() -> None:
    refs = ("photo-229000001_457239017", "doc100500_1_abc")
    attachments = tuple(Attachment("photo", r) for r in refs)
    async with transport_on_emulator() as (vk, transport):
        citizen = await vk.user_sends_text(USER, "Яма на дороге")
        await transport.send(out("", attachments=attachments, reply_to=citizen["id"], dedup_id=1))
        assert vk.sent[0].attachments == list(refs)
        assert vk.sent[0].params["attachment"] == ",".join(refs)
        assert vk.sent[0].reply_to == citizen["id"]


@run_async
async def test_a_rejected_reply_to_is_dropped_and_the_message_still_goes_out() -> None:
    async with transport_on_emulator() as (vk, transport):
        vk.fail_next("messages.send", code=100)  # what VK answers for a reply_to it cannot find
        await transport.send(out(reply_to=999, dedup_id=5))
        (got,) = vk.sent
        assert got.reply_to is None and got.random_id == 5


@run_async
async def test_too_many_requests_and_flood_control_are_retry_after() -> None:
    async with transport_on_emulator() as (vk, transport):
        vk.fail_next("messages.send", code=6)
        with pytest.raises(RetryAfter) as error:
            await transport.send(out(dedup_id=1))
        assert error.value.seconds == 1.0
        vk.fail_next("messages.send", code=9)
        with pytest.raises(RetryAfter) as error:
            await transport.send(out(dedup_id=1))
        assert error.value.seconds > 1.0
        assert vk.sent == []


@run_async
async def test_a_user_who_denied_messages_is_messages_denied() -> None:
    async with transport_on_emulator() as (vk, transport):
        await vk.user_denies_messages(USER)
        with pytest.raises(MessagesDenied) as error:
            await transport.send(out(dedup_id=1))
        assert isinstance(error.value, PermanentError) and error.value.chat_id == USER
        assert vk.errors_given[901] == 1 and vk.sent == []


@run_async
async def test_permanent_refusals_and_too_long_text() -> None:
    async with transport_on_emulator() as (vk, transport):
        with pytest.raises(PermanentError):
            await transport.send(out("я" * 4097, dedup_id=1))
        assert all(name != "messages.send" for name, _ in vk.calls)  # refused locally
        for code in (7, 15, 902, 914):
            vk.fail_next("messages.send", code=code)
            with pytest.raises(PermanentError) as error:
                await transport.send(out(dedup_id=1))
            assert not isinstance(error.value, MessagesDenied)
        for code in (10, 5):  # VK's own failure; a broken token is fixed by the operator
            vk.fail_next("messages.send", code=code)
            with pytest.raises(TransientError):
                await transport.send(out(dedup_id=1))


@run_async
async def test_http_5xx_and_a_dropped_connection_are_transient_without_the_token() -> None:
    async with transport_on_emulator() as (vk, transport):
        vk.faults.http_5xx = 1.0
        with pytest.raises(TransientError) as error:
            await transport.send(out(dedup_id=1))
        assert vk.token not in str(error.value) and vk.http_5xx_given == 2
        vk.faults.http_5xx, vk.faults.drop = 0.0, 1.0
        with pytest.raises(TransientError) as error:
            await transport.send(out(dedup_id=1))
        assert vk.token not in str(error.value) and error.value.__cause__ is None
        vk.faults.drop = 0.0
        sent = await transport.send(out(dedup_id=1))
        assert [m.message_id for m in vk.sent] == [sent.platform_message_id]


def test_payload_too_long_for_vk_is_refused_before_sending() -> None:
    from handlers.vk.transport import inline_keyboard

    with pytest.raises(PermanentError):
        inline_keyboard(out(buttons=((Button("Да", "x" * 300),),)))
    keyboard = json.loads(inline_keyboard(out(buttons=((Button("Да", "y"),),))))
    assert keyboard["buttons"] == [
        [{"action": {"type": "callback", "label": "Да", "payload": {"p": "y"}}}]
    ]


@run_async
async def test_an_edit_replaces_text_and_buttons_and_keeps_the_cards_photo() -> None:
    from bot.delivery.transport import NotEditable

    async with transport_on_emulator() as (vk, transport):
        citizen_photo = await vk.user_sends_photo(USER, b"\xff\xd8")
        ref = f"photo{USER}_{citizen_photo['attachments'][0]['photo']['id']}"
        photo = (Attachment("photo", ref),)
        buttons = ((Button("Взять в работу", "take:1:"), Button("Не наше", "redirect:1:")),)
        card = await transport.send(out("Карточка", buttons=buttons, attachments=photo))
        card_id = card.platform_message_id
        edited = await transport.edit(out("Карточка\n\nВ работе", attachments=photo), card_id)
        assert edited.platform_message_id == card_id
        assert vk.message(card_id)["text"] == "Карточка\n\nВ работе"
        assert vk.buttons_of(card_id) == [] and len(vk.message(card_id)["attachments"]) == 1
        with pytest.raises(NotEditable):  # a file of the other channel cannot be named again
            await transport.edit(out("x", attachments=(Attachment("photo", "AgAD", "tg"),)),
                                 card_id)
        vk.age_message(card_id, 2 * 24 * 3600)
        with pytest.raises(NotEditable, match="909"):
            await transport.edit(out("Поздно"), card_id)
        theirs = citizen_photo["id"]
        with pytest.raises(NotEditable, match="920"):
            await transport.edit(out("Чужое"), theirs)
