"""aiogram's HTTP session, made cheaper per call: the one both directions of Telegram use.

The inbound side (polling, the handlers' own calls) and the outbound side (`transport`) share one
aiogram `Bot`, and with it this session (`bot.bootstrap` builds the bot). What it changes is
cost only, measured under load (bench/README.md): the answer classes are built once per
process, a call's parameters go as a JSON body, and the outbox's text messages (`SendText`) have
only the id of the sent message read out of Telegram's answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import InputFile
from aiohttp.payload import JsonPayload
from pydantic import BaseModel, ConfigDict


class TelegramSession(AiohttpSession):
    """aiogram's HTTP session, holding on to the response classes it validates answers with.

    aiogram asks pydantic for ``Response[<what the method returns>]`` on every call, and
    pydantic keeps such parametrised classes only weakly: after each full garbage collection
    the next call of every method rebuilt its class, about 4 ms with the GIL held each (58
    rebuilds in a burst of 2,000 appeals). Held here, each is built once per process.
    """

    _response_types: ClassVar[dict[Any, type]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = method.__returning__
        if returning not in self._response_types:
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        """The call's parameters as a JSON body, which the Bot API accepts as well as a form:
        aiogram's URL-encoded form and its request take 244 µs to build for a sendMessage with
        a button, the JSON body 121 µs. Calls that upload a file stay multipart."""
        files: dict[str, InputFile] = {}
        values = {}
        for key, value in method.model_dump(warnings=False).items():
            value = self.prepare_value(value, bot=bot, files=files)
            if value:
                values[key] = value
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(values, dumps=self.json_dumps)


class SentId(BaseModel):
    """What the outbox keeps of a message it sent: the id (`bot.domain.messages.SentMessage`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: int


class SendText(SendMessage):
    """``sendMessage`` as the outbox sends it. Telegram answers with the whole message (the
    chat, the sender, the text with its entities, the keyboard); aiogram would check all of it
    against its `Message` model, about 40 µs a message, for the one number the outbox keeps.
    The answer is still checked: ``ok``, and an integer ``message_id``; errors are aiogram's."""

    __returning__ = SentId  # type: ignore[assignment]  # aiogram types it as Message
