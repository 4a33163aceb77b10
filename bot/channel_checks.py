"""Each channel's token, checked before anything else starts: one Russian line per way it fails.

The first call to a platform is where a wrong token, a mistyped ``TELEGRAM_API_BASE`` or
``VK_API_BASE``, a proxy's HTML error page or a dead network show up. Left to the libraries,
each of them ended the start with a long traceback, and the body of a misbehaving server's
answer (which can echo the request's address, token and all) went into it. Here every failure
becomes a `ChannelStartError` whose text is chosen from the type of the failure alone, never
from the server's words or the library's message, so no token can reach the output; the caller
(`bot.serve`, then `bot.__main__`) prints it and exits 2.

Both checks are bounded by `CHECK_SECONDS`: a server that accepts the connection and never
answers stops the start instead of holding it for the libraries' own timeouts (60 s in aiogram,
5 min in aiohttp). VK's check makes its one call through vkbottle's HTTP client but reads the
answer itself: vkbottle would retry a non-JSON answer after 5 s and follow a redirect with the
token in the address, and at start-up both only hide a wrong ``VK_API_BASE``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from vkbottle import API

#: How long a start-up check may take before it counts as "no answer".
CHECK_SECONDS = 15.0

# Сообщения для того, кто запускает бота (по одной строке, без токенов и без слов сервера).
MSG_TELEGRAM_UNAUTHORIZED = (
    "Telegram не принял токен бота (TELEGRAM_BOT_TOKEN): проверьте его у @BotFather."
)
MSG_TELEGRAM_UNREACHABLE = (
    "Не удалось связаться с сервером Telegram ({reason}): проверьте сеть и TELEGRAM_API_BASE,"
    " если он задан."
)
MSG_TELEGRAM_ANSWERED_WRONG = (
    "Сервер Telegram ответил на проверку токена (getMe) не так, как ждали: {reason}. Проверьте"
    " TELEGRAM_API_BASE, если он задан, и TELEGRAM_BOT_TOKEN; если всё верно, запустите бота"
    " позже."
)
MSG_VK_UNAUTHORIZED = (
    "ВКонтакте не принял ключ доступа сообщества (VK_GROUP_TOKEN): создайте новый ключ "
    "в настройках сообщества (Работа с API) с правами на сообщения."
)
MSG_VK_UNREACHABLE = (
    "Не удалось связаться с API ВКонтакте ({reason}): проверьте сеть и VK_API_BASE, если он задан."
)
MSG_VK_ANSWERED_WRONG = (
    "API ВКонтакте ответил на проверку ключа (groups.getById) не так, как ждали: {reason}."
    " Проверьте VK_API_BASE, если он задан; если всё верно, запустите бота позже."
)
MSG_VK_WRONG_GROUP = (
    "Ключ доступа VK_GROUP_TOKEN выдан сообществу {actual}, а VK_GROUP_ID = {configured}: "
    "исправьте одно из двух."
)
MSG_VK_REFUSED = "ВКонтакте отказал при проверке ключа сообщества: ошибка {code}."

#: VK's error codes for a wrong, revoked or user (not community) token.
VK_TOKEN_REFUSED = frozenset({5, 27, 28})

#: What an aiogram error says about the answer, by its type (its text may quote the server).
_TELEGRAM_ANSWERS: tuple[tuple[type[BaseException], str], ...] = (
    (ClientDecodeError, "ответ не в формате Bot API"),
    (UnicodeDecodeError, "ответ не текст"),
    (TelegramNotFound, "ошибка 404, нет такого адреса"),
    (TelegramServerError, "ошибка на стороне сервера"),
    (TelegramForbiddenError, "ошибка 403, доступ запрещён"),
    (TelegramConflictError, "ошибка 409"),
    (TelegramBadRequest, "ошибка 400"),
    (AiogramError, "неожиданный ответ"),
)


class ChannelStartError(Exception):
    """A channel cannot start; the message is one line for the operator, with no secrets."""


def network_reason(error: BaseException | None) -> str:
    """Why a connection failed, in a few Russian words (aiohttp's own text has the URL)."""
    if isinstance(error, TimeoutError):
        return f"нет ответа за {CHECK_SECONDS:g} с"
    if isinstance(error, aiohttp.TooManyRedirects):
        return "перенаправления по кругу"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "соединение не установлено"
    if isinstance(error, aiohttp.InvalidURL):
        return "адрес не понят"
    if isinstance(error, aiohttp.ClientError | OSError):
        return "соединение оборвалось"
    return "ошибка сети"


async def check_telegram(bot: Bot) -> None:
    """Returns once Telegram accepted the bot's token (``getMe``; aiogram keeps the answer)."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await bot.me()
    except TelegramUnauthorizedError:
        raise ChannelStartError(MSG_TELEGRAM_UNAUTHORIZED) from None
    except (TelegramNetworkError, TimeoutError, aiohttp.ClientError, OSError) as exc:
        # aiogram wraps aiohttp's error (its cause says what happened); the timeout is ours.
        cause = exc.__cause__ if isinstance(exc, TelegramNetworkError) else exc
        reason = network_reason(cause)
        raise ChannelStartError(MSG_TELEGRAM_UNREACHABLE.format(reason=reason)) from None
    except TelegramRetryAfter as exc:
        reason = f"слишком много запросов, следующий — через {exc.retry_after} с"
        raise ChannelStartError(MSG_TELEGRAM_ANSWERED_WRONG.format(reason=reason)) from None
    except Exception as exc:  # one line whatever went wrong: its text may carry the token
        raise ChannelStartError(
            MSG_TELEGRAM_ANSWERED_WRONG.format(reason=_telegram_reason(exc))
        ) from None


def _telegram_reason(error: Exception) -> str:
    for kind, reason in _TELEGRAM_ANSWERS:
        if isinstance(error, kind):
            return reason
    return f"сбой {type(error).__name__}"


async def check_vk(api: API, configured_group: int | None) -> int:
    """The id of the community ``api``'s token belongs to, checked against ``VK_GROUP_ID``."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            status, body = await _call_groups_get_by_id(api)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise ChannelStartError(MSG_VK_UNREACHABLE.format(reason=network_reason(exc))) from None
    actual = _vk_group_id(status, body)
    if configured_group is not None and configured_group != actual:
        raise ChannelStartError(
            MSG_VK_WRONG_GROUP.format(actual=actual, configured=configured_group)
        )
    return actual


async def _call_groups_get_by_id(api: API) -> tuple[int, bytes]:
    """``groups.getById`` as vkbottle sends it, without following redirects (they would carry
    the token elsewhere) and without vkbottle's retries."""
    async with api.token_generator as token:
        request = api.http_client.request(
            api.API_URL + "groups.getById",
            method="POST",
            data={},
            params={"access_token": token, "v": api.API_VERSION},
            allow_redirects=False,
        )
        async with request as response:
            return response.status, await response.read()


def _vk_group_id(status: int, body: bytes) -> int:
    """The community id from VK's answer, or the `ChannelStartError` that answer deserves."""

    def wrong(reason: str) -> ChannelStartError:
        return ChannelStartError(MSG_VK_ANSWERED_WRONG.format(reason=reason))

    if 300 <= status < 400:
        raise wrong(f"перенаправление на другой адрес (HTTP {status})")
    if status != 200:
        raise wrong(f"ошибка HTTP {status}")
    try:
        answer: Any = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        raise wrong("ответ не JSON") from None
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        code = error.get("error_code")
        if code in VK_TOKEN_REFUSED:
            raise ChannelStartError(MSG_VK_UNAUTHORIZED)
        if isinstance(code, int):
            raise ChannelStartError(MSG_VK_REFUSED.format(code=code))
    try:
        return int(answer["response"]["groups"][0]["id"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise wrong("в ответе нет сообщества") from None
