"""`handlers.vk.inbound` with a real vkbottle `Bot` polling the VK emulator.

The core is a fake that records what it was handed: the core itself is tested in ``tests/core``;
here the question is only whether VK's events arrive as the right `IncomingMessage`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from vkbottle import API, AiohttpClient
from vkbottle.bot import BotLabeler

from bot.domain.messages import Attachment, IncomingMessage, Location, OutgoingMessage
from handlers.vk.inbound import VKInbound, make_vk_bot
from handlers.vk.transport import VKTransport
from tests.emulators.aio import run_async
from tests.emulators.vk import VKEmulator

USER = 100_500


class FakeCore:
    """Records every `handle` call; a payload of ``"boom"`` makes it fail, as a core bug would."""

    def __init__(self) -> None:
        self.handled: asyncio.Queue[IncomingMessage] = asyncio.Queue()
        self.access: list[tuple[str, int, bool]] = []

    async def handle(self, message: IncomingMessage) -> None:
        self.handled.put_nowait(message)
        if message.payload == "boom":
            raise RuntimeError("core failed")

    async def citizen_reachable(self, channel: str, user_id: int) -> int:
        return 0

    async def access_changed(self, channel: str, chat_id: int, *, allowed: bool,
                             reason: str = "left") -> int:
        self.access.append((channel, chat_id, allowed))
        return 0

    async def next(self) -> IncomingMessage:
        return await asyncio.wait_for(self.handled.get(), 5)


@asynccontextmanager
async def polling_bot(vk: VKEmulator, core: FakeCore, data_dir: Path) -> AsyncIterator[API]:
    """A real vkbottle bot with our labeler, polling ``vk`` until the block ends."""
    api = API(vk.token, http_client=AiohttpClient())
    api.API_URL = vk.api_url
    bot = make_vk_bot(api, VKInbound(core).register(BotLabeler()), data_dir)
    polls_before = vk.long_polls
    polling = asyncio.create_task(bot.run_polling())
    try:
        await vk.wait_for(lambda: vk.long_polls > polls_before)
        yield api
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
        await api.http_client.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot's data directory; the working directory is a separate, empty one, so a file
    vkbottle wrote there by default would show."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "data"


@run_async
async def test_allowing_and_forbidding_messages_reach_the_core(data_dir: Path) -> None:
    core = FakeCore()
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir):
        await vk.user_denies_messages(USER)
        await vk.user_allows_messages(USER)
        await vk.wait_for(lambda: len(core.access) == 2)
    assert core.access == [("vk", USER, False), ("vk", USER, True)]


@run_async
async def test_text_photo_and_geo_arrive_as_incoming_messages(data_dir: Path) -> None:
    core = FakeCore()
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir):
        sent = await vk.user_sends_text(USER, "Яма на дороге")
        assert await core.next() == IncomingMessage(
            channel="vk", chat_id=USER, user_id=USER, message_id=sent["id"], text="Яма на дороге"
        )

        sent = await vk.user_sends_photo(USER, b"\xff\xd8 pothole", text="Вот фото")
        photo = sent["attachments"][0]["photo"]
        got = await core.next()
        ref = f"photo{USER}_{photo['id']}_{photo['access_key']}"
        assert (got.message_id, got.text, got.attachments) == (
            sent["id"],
            "Вот фото",
            (Attachment("photo", ref, url=photo["sizes"][-1]["url"]),),  # the biggest size
        )
        assert vk.photo_bytes(ref) == b"\xff\xd8 pothole"  # the ref is one VK can resolve

        sent = await vk.user_sends_geo(USER, 51.7304, 36.1926)
        got = await core.next()
        assert (got.message_id, got.text, got.location) == (
            sent["id"],
            "",
            Location(51.7304, 36.1926),
        )

    state = data_dir / "vk-polling" / f"{vk.group_id}.json"
    assert json.loads(state.read_text())["ts"]
    assert list(Path.cwd().iterdir()) == []  # nothing written into the working directory


@run_async
async def test_a_reply_refers_to_the_id_the_transport_recorded(data_dir: Path) -> None:
    core = FakeCore()
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir) as api:
        await vk.user_sends_text(USER, "Здравствуйте")
        await core.next()
        question = OutgoingMessage("vk", USER, "В каком районе?", dedup_id=11)
        sent = await VKTransport(api).send(question)

        reply = await vk.user_sends_text(USER, "Центральный", reply_to=sent.platform_message_id)
        got = await core.next()
        assert got.reply_to == sent.platform_message_id
        assert (got.message_id, got.text) == (reply["id"], "Центральный")


@run_async
async def test_a_document_becomes_a_document_attachment(data_dir: Path) -> None:
    core = FakeCore()
    doc = {"id": 7, "owner_id": USER, "title": "акт.pdf", "size": 8, "ext": "pdf", "type": 1}
    doc |= {"url": "https://example.invalid/doc", "date": 0, "access_key": "k3y"}
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir):
        # The emulator has no "user sends a document" helper; its message path takes any list.
        await vk._incoming(USER, "Акт", [{"type": "doc", "doc": doc}], {})
        got = await core.next()
        assert got.attachments == (
            Attachment("document", f"doc{USER}_7_k3y", url="https://example.invalid/doc"),
        )


@run_async
async def test_callback_buttons_reach_the_core_and_are_always_answered(data_dir: Path) -> None:
    core = FakeCore()
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir):
        event_id = await vk.user_presses_callback_button(USER, 4, {"p": "solved:A-17:yes"})
        assert await core.next() == IncomingMessage(
            channel="vk", chat_id=USER, user_id=USER, message_id=4, payload="solved:A-17:yes"
        )
        answers = await vk.wait_for(lambda: vk.event_answers)
        assert (answers[0].event_id, answers[0].user_id, answers[0].peer_id) == (
            event_id,
            USER,
            USER,
        )

        # A button of some other keyboard: not our {"p": …}, passed on as an unknown payload
        # (non-empty, so the core ignores it instead of taking it for an empty appeal).
        await vk.user_presses_callback_button(USER, 5, {"cmd": "old"})
        assert (await core.next()).payload == '{"cmd": "old"}'

        # The core failing must not leave the button spinning.
        await vk.user_presses_callback_button(USER, 6, {"p": "boom"})
        assert (await core.next()).payload == "boom"
        await vk.wait_for(lambda: len(vk.event_answers) == 3)


@run_async
async def test_after_a_restart_the_bot_resumes_from_the_saved_ts(data_dir: Path) -> None:
    core = FakeCore()
    async with VKEmulator() as vk:
        async with polling_bot(vk, core, data_dir):
            await vk.user_sends_text(USER, "Первое")
            assert (await core.next()).text == "Первое"
            # vkbottle saves the ts just after handing an event on; stop only once it has.
            state = data_dir / "vk-polling" / f"{vk.group_id}.json"
            async with asyncio.timeout(5):
                while not state.exists():
                    await asyncio.sleep(0.01)
        await vk.user_sends_text(USER, "Пока бот лежал")
        async with polling_bot(vk, core, data_dir):
            # "Первое" may come again if the bot stopped between handing it on and saving the
            # ts (vkbottle saves after handing on: at least once); the core drops repeats.
            texts = [(await core.next()).text]
            if texts == ["Первое"]:
                texts.append((await core.next()).text)
            assert texts[-1] == "Пока бот лежал"


@run_async
async def test_an_expired_button_answer_is_logged_and_polling_goes_on(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core = FakeCore()
    async with VKEmulator(event_ttl=0) as vk, polling_bot(vk, core, data_dir):
        await vk.user_presses_callback_button(USER, 4, {"p": "rate:A-17:5"})
        assert (await core.next()).payload == "rate:A-17:5"
        await vk.user_sends_text(USER, "Спасибо")
        assert (await core.next()).text == "Спасибо"
    assert vk.event_answers == [] and vk.errors_given[100] == 1
    assert "error 100" in caplog.text


@run_async
async def test_a_button_answer_refused_as_too_many_requests_is_answered_after_a_pause(
    data_dir: Path,
) -> None:
    """The press's answer shares the token's 20 calls a second with the outbox: when VK says
    "too many requests" (error 6) the button must still stop spinning, a moment later."""
    core = FakeCore()
    async with VKEmulator() as vk, polling_bot(vk, core, data_dir):
        vk.fail_next("messages.sendMessageEventAnswer", times=2, code=6)
        event_id = await vk.user_presses_callback_button(USER, 4, {"p": "rate:A-17:5"})
        assert (await core.next()).payload == "rate:A-17:5"
        answers = await vk.wait_for(lambda: vk.event_answers)
        assert [a.event_id for a in answers] == [event_id] and vk.errors_given[6] == 2
