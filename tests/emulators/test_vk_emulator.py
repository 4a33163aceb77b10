"""The VK emulator, checked with the real vkbottle: its ``API`` over its own aiohttp client, its
uploader and a real ``Bot`` polling the emulator's long poll.

Async tests run under ``asyncio.run`` (a fresh loop each, no plugin), like ``tests/core``; the hook
there lives in that directory's conftest, so here a decorator does the same.

vkbottle writes ``./.vkbottle/bot-polling/<group_id>.json`` in the working directory after every
poll, so every test that polls runs in ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from vkbottle import API, AiohttpClient, Callback, Keyboard, VKAPIError
from vkbottle.api.request_rescheduler import BlockingRequestRescheduler
from vkbottle.bot import Bot, BotLabeler, Message, MessageEvent
from vkbottle.tools import PhotoMessageUploader
from vkbottle_types.events import GroupEventType

from tests.emulators.aio import run_async
from tests.emulators.vk import VKEmulator

USER = 100_500
OTHER_USER = 100_501
REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def emulator_and_api(**options: Any) -> AsyncIterator[tuple[VKEmulator, API]]:
    """An emulator and a vkbottle ``API`` on it with its own HTTP client, both closed after."""
    async with VKEmulator(**options) as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        try:
            yield vk, api
        finally:
            await api.http_client.close()


@run_async
async def test_send_is_recorded_and_a_repeated_random_id_is_not_sent_twice() -> None:
    async with emulator_and_api() as (vk, api):
        await vk.user_allows_messages(USER)
        keyboard = Keyboard(inline=True).add(Callback("Да", payload={"a": "yes"})).get_json()

        first = await api.messages.send(
            peer_id=USER, random_id=42, message="Ваше обращение принято", keyboard=keyboard
        )
        again = await api.messages.send(peer_id=USER, random_id=42, message="Ваше обращение")
        other = await api.messages.send(peer_id=USER, random_id=43, message="Второе")

        assert again == first != other
        assert [m.text for m in vk.sent_to(USER)] == ["Ваше обращение принято", "Второе"]
        sent = vk.sent[0]
        assert (sent.message_id, sent.random_id, sent.peer_id) == (first, 42, USER)
        assert sent.keyboard is not None
        assert sent.keyboard["buttons"][0][0]["action"]["payload"] == {"a": "yes"}


@run_async
async def test_random_id_zero_is_never_deduplicated_and_random_id_is_required() -> None:
    async with emulator_and_api() as (vk, api):
        await vk.user_allows_messages(USER)
        await api.messages.send(peer_id=USER, random_id=0, message="раз")
        await api.messages.send(peer_id=USER, random_id=0, message="раз")
        assert len(vk.sent) == 2
        with pytest.raises(VKAPIError[100]):
            await api.request("messages.send", {"peer_id": USER, "message": "без random_id"})


@run_async
async def test_text_over_4096_characters_is_error_914() -> None:
    async with emulator_and_api() as (vk, api):
        await vk.user_allows_messages(USER)
        await api.messages.send(peer_id=USER, random_id=1, message="я" * 4096)
        with pytest.raises(VKAPIError[914]) as error:
            await api.messages.send(peer_id=USER, random_id=2, message="я" * 4097)
        assert error.value.code == 914
        assert error.value.error_msg == "Message is too long"
        assert len(vk.sent) == 1
        assert vk.errors_given[914] == 1


@run_async
async def test_user_who_did_not_allow_messages_gets_901_and_peer_ids_reports_it_per_item() -> None:
    async with emulator_and_api() as (vk, api):
        with pytest.raises(VKAPIError[901]):
            await api.messages.send(peer_id=OTHER_USER, random_id=1, message="Вы нам не писали")

        await vk.user_sends_text(USER, "Здравствуйте")  # writing to the community allows replies
        await api.messages.send(peer_id=USER, random_id=2, message="Здравствуйте!")
        await vk.user_denies_messages(USER)
        with pytest.raises(VKAPIError[901]):
            await api.messages.send(peer_id=USER, random_id=3, message="Ответ по обращению")

        # What vkbottle's Message.answer uses: no exception, the error sits in the item.
        items = await api.messages.send(peer_ids=[USER], random_id=0, message="Ответ")
        assert items[0].error is not None and items[0].error.code == 901
        assert [m.random_id for m in vk.sent] == [2]


@run_async
async def test_calls_past_the_rate_limit_get_error_6() -> None:
    async with emulator_and_api(rate_limit=3) as (vk, api):
        for _ in range(3):
            await api.users.get(user_ids=[USER])
        with pytest.raises(VKAPIError[6]):
            await api.users.get(user_ids=[USER])
        assert vk.errors_given[6] == 1


@run_async
async def test_injected_faults_surface_as_vkbottle_sees_them() -> None:
    async with emulator_and_api(seed=7) as (vk, api):
        vk.fail_next("users.get", times=1, code=9)
        with pytest.raises(VKAPIError[9]):
            await api.users.get(user_ids=[USER])
        assert (await api.users.get(user_ids=[USER]))[0].id == USER

        vk.faults.drop = 1.0
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.users.get(user_ids=[USER])
        vk.faults.drop = 0.0

        # A 5xx page is not JSON: vkbottle reschedules once (5 s by default, 0 here) and, if the
        # retry is not JSON either, raises code 1.
        api.request_rescheduler = BlockingRequestRescheduler(delay=0)
        vk.faults.http_5xx = 1.0
        with pytest.raises(VKAPIError[1]):
            await api.users.get(user_ids=[USER])
        assert vk.http_5xx_given == 2

        vk.faults.http_5xx, vk.faults.error_6 = 0.0, 0.5
        outcomes = []
        for _ in range(10):
            try:
                await api.users.get(user_ids=[USER])
                outcomes.append("ok")
            except VKAPIError[6]:
                outcomes.append("6")
        assert "ok" in outcomes and "6" in outcomes
        assert vk.errors_given[6] == outcomes.count("6")


@run_async
async def test_photo_upload_through_vkbottles_uploader_and_resend() -> None:
    picture = b"\xff\xd8\xff\xe0 not really a jpeg"
    async with emulator_and_api() as (vk, api):
        await vk.user_allows_messages(USER)
        attachment = await PhotoMessageUploader(api).upload(picture, peer_id=USER)
        assert attachment.startswith(f"photo-{vk.group_id}_")
        await api.messages.send(peer_id=USER, random_id=5, attachment=attachment)
        assert vk.sent[0].attachments == [attachment]
        assert vk.photo_bytes(attachment) == picture


@run_async
async def test_event_answer_is_recorded_once_and_unknown_events_are_refused() -> None:
    async with emulator_and_api() as (vk, api):
        event_id = await vk.user_presses_callback_button(USER, 1, {"cmd": "yes"})
        snackbar = json.dumps({"type": "show_snackbar", "text": "Готово"})
        args = {"event_id": event_id, "user_id": USER, "peer_id": USER, "event_data": snackbar}
        assert await api.messages.send_message_event_answer(**args) == 1
        assert vk.event_answers[0].event_data == {"type": "show_snackbar", "text": "Готово"}
        with pytest.raises(VKAPIError[100]):
            await api.messages.send_message_event_answer(**args)


@run_async
async def test_long_poll_reports_a_wrong_key_and_a_wrong_ts_as_vk_does() -> None:
    async with emulator_and_api() as (vk, api), aiohttp.ClientSession() as http:
        server = (await api.groups.get_long_poll_server(group_id=vk.group_id)).model_dump()
        await vk.user_sends_text(USER, "раз")

        async def poll(**params: Any) -> dict[str, Any]:
            query = {"act": "a_check", "key": server["key"], "ts": server["ts"], "wait": 1}
            async with http.post(server["server"], params={**query, **params}) as response:
                return await response.json()

        got = await poll()
        assert got["ts"] == str(int(server["ts"]) + 1)
        assert got["updates"][0]["object"]["message"]["text"] == "раз"
        assert await poll(ts=999) == {"failed": 1, "ts": got["ts"]}
        assert await poll(key="stale") == {"failed": 2}
        assert await poll(ts=got["ts"], wait=0) == {"ts": got["ts"], "updates": []}


@run_async
async def test_real_bot_answers_messages_photos_geo_and_callback_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    picture = b"\x89PNG citizen's photo of a pothole"
    labeler = BotLabeler()

    @labeler.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def on_button(event: MessageEvent) -> None:
        await event.show_snackbar(f"Принято: {event.payload['cmd']}")

    @labeler.message()
    async def echo(message: Message) -> None:
        if message.geo is not None:
            place = message.geo.coordinates
            await message.answer(f"Место: {place.latitude:.4f}, {place.longitude:.4f}")
        elif message.attachments:
            photo = message.attachments[0].photo
            assert photo is not None
            async with aiohttp.ClientSession() as http, http.get(photo.sizes[-1].url) as got:
                assert await got.read() == picture
            await message.answer("Фото получено", attachment=message.get_attachment_strings())
        else:
            keyboard = Keyboard(inline=True).add(Callback("Верно", {"cmd": "ok"})).get_json()
            await message.answer(f"Эхо: {message.text}", keyboard=keyboard)

    async with emulator_and_api() as (vk, api):
        bot = Bot(api=api, labeler=labeler)
        polling = asyncio.create_task(bot.run_polling())
        try:
            await vk.wait_for_listener()
            await vk.user_sends_text(USER, "Яма на дороге")
            reply = await vk.wait_for_sent(lambda m: m.text == "Эхо: Яма на дороге")
            assert reply.peer_id == USER and reply.keyboard is not None

            await vk.user_presses_callback_button(
                USER, reply.conversation_message_id, {"cmd": "ok"}
            )
            answer = await vk.wait_for(lambda: vk.event_answers)
            assert answer[0].event_data == {"type": "show_snackbar", "text": "Принято: ok"}

            await vk.user_sends_photo(USER, picture)
            with_photo = await vk.wait_for_sent(lambda m: m.text == "Фото получено")
            assert vk.photo_bytes(with_photo.attachments[0]) == picture

            vk.expire_long_poll_key()  # vkbottle must fetch a new server and go on
            await vk.user_sends_geo(USER, 51.7304, 36.1926)
            await vk.wait_for_sent(lambda m: m.text == "Место: 51.7304, 36.1926")
        finally:
            polling.cancel()
            with pytest.raises(asyncio.CancelledError):
                await polling

    assert (tmp_path / ".vkbottle" / "bot-polling" / f"{vk.group_id}.json").exists()
    assert not (REPO / ".vkbottle").exists()


@run_async
async def test_edit_get_by_id_users_and_documents() -> None:
    async with emulator_and_api() as (vk, api):
        vk.add_user(USER, "Мария", "Иванова")
        citizen = await vk.user_sends_text(USER, "Когда отремонтируют дорогу?")
        sent_id = await api.messages.send(
            peer_id=USER, random_id=9, message="Проверяем", reply_to=citizen["id"]
        )
        cmid = vk.sent[0].conversation_message_id
        assert vk.sent[0].reply_to == citizen["id"]

        assert (
            await api.messages.edit(
                peer_id=USER, conversation_message_id=cmid, message="Передано в администрацию"
            )
            == 1
        )
        got = await api.messages.get_by_id(message_ids=[citizen["id"], sent_id])
        assert [m.text for m in got.items] == [
            "Когда отремонтируют дорогу?",
            "Передано в администрацию",
        ]
        with pytest.raises(VKAPIError[920]):  # the community cannot edit the citizen's message
            await api.messages.edit(peer_id=USER, message_id=citizen["id"], message="x")

        (user,) = await api.users.get(user_ids=[USER])
        assert (user.first_name, user.last_name) == ("Мария", "Иванова")

        server = (await api.docs.get_messages_upload_server(peer_id=USER)).upload_url
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData()
            form.add_field("file", b"%PDF-1.4", filename="answer.pdf")
            async with http.post(server, data=form) as response:
                uploaded = await response.json()
        saved = await api.request("docs.save", {"file": uploaded["file"], "title": "answer.pdf"})
        assert saved["response"]["doc"]["ext"] == "pdf"


@run_async
async def test_a_users_document_arrives_with_vks_fields_and_a_working_address() -> None:
    table = b"region: {id: '63', name: x}\n"
    async with emulator_and_api() as (vk, _api):
        sent = await vk.user_sends_document(USER, "таблица.yaml", table, text="вот")
        # vkbottle's own model reads it, as the bot would.
        message = Message(**{**sent, "group_id": vk.group_id})
        (attachment,) = message.attachments or ()
        doc = attachment.doc
        assert doc is not None and (doc.title, doc.ext, doc.size) == ("таблица.yaml", "yaml",
                                                                       len(table))
        assert doc.owner_id == USER and doc.access_key and "?hash=" in doc.url
        async with aiohttp.ClientSession() as http, http.get(doc.url) as got:
            assert got.status == 200 and await got.read() == table
        assert vk.downloads == [f"doc{USER}_{doc.id}"]

        gone = await vk.user_sends_document(USER, "t.yaml", table, deleted=True)
        async with aiohttp.ClientSession() as http, http.get(
            gone["attachments"][0]["doc"]["url"]
        ) as got:
            assert got.status == 404


@run_async
async def test_edit_rules_too_old_someone_elses_wrong_peer_and_attachments() -> None:
    async with emulator_and_api() as (vk, api):
        await vk.user_allows_messages(USER)
        await vk.user_allows_messages(OTHER_USER)
        keyboard = Keyboard(inline=True).add(Callback("Взять", payload={"p": "take"})).get_json()
        photo = await vk.user_sends_photo(USER, b"\xff\xd8")
        ref = f"photo{USER}_{photo['attachments'][0]['photo']['id']}"
        card = await api.messages.send(
            peer_id=USER, random_id=1, message="Карточка", keyboard=keyboard, attachment=ref
        )
        await api.messages.edit(
            peer_id=USER, message_id=card, message="Карточка\n\nВ работе", attachment=ref,
            keyboard=json.dumps({"inline": True, "buttons": []}),
        )
        assert vk.message(card)["text"] == "Карточка\n\nВ работе"
        assert vk.buttons_of(card) == [] and len(vk.message(card)["attachments"]) == 1
        # Attachments not named again are gone; a keyboard not given is kept.
        await api.messages.edit(peer_id=USER, message_id=card, message="Без фото")
        assert vk.message(card)["attachments"] == []

        with pytest.raises(VKAPIError[100]):  # not in that dialogue
            await api.messages.edit(peer_id=OTHER_USER, message_id=card, message="x")
        vk.age_message(card, 25 * 3600)
        with pytest.raises(VKAPIError[909]):
            await api.messages.edit(peer_id=USER, message_id=card, message="Поздно")
        assert vk.errors_given[909] == 1
