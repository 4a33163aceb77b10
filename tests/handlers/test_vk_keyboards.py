"""VK keyboards as a citizen sees them: `VKTransport` against the VK emulator, which refuses
(error 911) any keyboard VK itself would refuse."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from vkbottle import API, AiohttpClient

from bot.domain.messages import Button, OutgoingMessage
from handlers.vk.transport import VKTransport
from tests.emulators.aio import run_async
from tests.emulators.vk import VKEmulator

USER = 100_500


@asynccontextmanager
async def transport() -> AsyncIterator[tuple[VKEmulator, VKTransport]]:
    async with VKEmulator() as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        try:
            await vk.user_allows_messages(USER)
            yield vk, VKTransport(api)
        finally:
            await api.http_client.close()


def options(count: int) -> tuple[tuple[Button, ...], ...]:
    """The core's layout of a question: one option a row, «Другое» last."""
    rows = [(Button(f"Посёлок {i}", f"place:26-000001:{i}"),) for i in range(count - 1)]
    return (*rows, (Button("Другое", "place:26-000001:-"),))


def payloads(keyboard: dict) -> list[str]:
    return [b["action"]["payload"]["p"] for row in keyboard["buttons"] for b in row
            if b["action"]["type"] == "callback"]


@run_async
async def test_seven_options_fit_the_inline_keyboard_two_a_row() -> None:
    async with transport() as (vk, vk_transport):
        await vk_transport.send(OutgoingMessage("vk", USER, "Где это?", buttons=options(7)))
        (got,) = vk.sent_to(USER)  # VK took it: more than 6 rows would be error 911
        assert got.keyboard["inline"] is True and len(got.keyboard["buttons"]) <= 6
        assert payloads(got.keyboard) == [row[0].payload for row in options(7)]


@run_async
async def test_more_than_ten_options_keep_the_first_nine_and_other() -> None:
    async with transport() as (vk, vk_transport):
        await vk_transport.send(OutgoingMessage("vk", USER, "Где это?", buttons=options(12)))
        (got,) = vk.sent_to(USER)
        sent = payloads(got.keyboard)
        assert len(sent) == 10 and sent[-1] == "place:26-000001:-"
        assert sent[:9] == [row[0].payload for row in options(12)[:9]]


@run_async
async def test_a_location_request_is_a_one_time_keyboard_with_vk_location_button() -> None:
    yes = (Button("Пропустить", "skip:26-000001:-"),)
    message = OutgoingMessage("vk", USER, "Где это?", buttons=(yes,), request_location=True)
    async with transport() as (vk, vk_transport):
        await vk_transport.send(message)
        (got,) = vk.sent_to(USER)
        assert got.keyboard["inline"] is False and got.keyboard["one_time"] is True
        assert got.keyboard["buttons"][0] == [{"action": {"type": "location"}}]
        assert payloads(got.keyboard) == ["skip:26-000001:-"]

        # The citizen taps it: VK sends the point as the message's geo.
        shared = await vk.user_sends_geo(USER, 51.53, 46.03)
        assert shared["geo"]["coordinates"] == {"latitude": 51.53, "longitude": 46.03}


@run_async
async def test_the_emulator_refuses_what_vk_refuses() -> None:
    """The limits above are VK's, not the transport's own taste: the emulator holds to them."""
    callback = {"action": {"type": "callback", "label": "x", "payload": "{}"}}
    location = {"action": {"type": "location"}}
    inline_location = json.dumps({"inline": True, "buttons": [[location]]})
    seven_rows = json.dumps({"inline": True, "buttons": [[callback]] * 7})
    async with VKEmulator() as vk:
        await vk.user_allows_messages(USER)
        for keyboard in (inline_location, seven_rows):
            assert await send_raw(vk, keyboard) == 911
        assert vk.sent == []


async def send_raw(vk: VKEmulator, keyboard: str) -> int | None:
    """``messages.send`` as plain HTTP; the VK error code, or ``None`` if it was sent."""
    params = {"peer_id": str(USER), "random_id": "1", "message": "x", "keyboard": keyboard,
              "access_token": vk.token, "v": "5.199"}
    async with aiohttp.ClientSession() as http, http.post(
        f"{vk.api_url}messages.send", data=params
    ) as response:
        body = await response.json()
    return body.get("error", {}).get("error_code")
