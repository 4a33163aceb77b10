"""Start-up against a Bot API or VK API that misbehaves: one Russian line, exit 2, no token.

The emulators are made to answer as a wrong ``TELEGRAM_API_BASE``/``VK_API_BASE`` or a broken
proxy would (`tests.emulators.broken`: an HTML error page that echoes the address with the token
in it, plain text, bytes, another service's JSON 404, redirects), or not at all (a closed port,
a server that never answers). Each case is started in-process through `serve` and its log and
output searched for the token; two run ``python -m bot`` as an operator does.
"""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path

import pytest

from bot import channel_checks
from bot.channel_checks import (
    MSG_TELEGRAM_ANSWERED_WRONG,
    MSG_TELEGRAM_UNREACHABLE,
    MSG_VK_ANSWERED_WRONG,
    MSG_VK_REFUSED,
    MSG_VK_UNREACHABLE,
    ChannelStartError,
)
from bot.serve import serve
from tests.app_world import (
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401
    settings_for,
)
from tests.emulators.aio import EmulatorThread, run_async
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.vk import VKEmulator
from tests.test_bot_start import start_bot

ALWAYS = 20  # more than aiohttp's 10 redirects: the server misbehaves on every try
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

NOT_BOT_API = MSG_TELEGRAM_ANSWERED_WRONG.format(reason="ответ не в формате Bot API")
TELEGRAM_CASES = {
    "html": NOT_BOT_API,
    "text": NOT_BOT_API,
    "json404": NOT_BOT_API,
    "redirect": NOT_BOT_API,
    "binary": MSG_TELEGRAM_ANSWERED_WRONG.format(reason="ответ не текст"),
    "redirect_loop": MSG_TELEGRAM_UNREACHABLE.format(reason="перенаправления по кругу"),
    404: MSG_TELEGRAM_ANSWERED_WRONG.format(reason="ошибка 404, нет такого адреса"),
    502: MSG_TELEGRAM_ANSWERED_WRONG.format(reason="ошибка на стороне сервера"),
    429: MSG_TELEGRAM_ANSWERED_WRONG.format(reason="слишком много запросов, следующий — через 7 с"),
}
VK_CASES = {
    "html": MSG_VK_ANSWERED_WRONG.format(reason="ошибка HTTP 502"),
    "text": MSG_VK_ANSWERED_WRONG.format(reason="ответ не JSON"),
    "binary": MSG_VK_ANSWERED_WRONG.format(reason="ответ не JSON"),
    "json404": MSG_VK_ANSWERED_WRONG.format(reason="ошибка HTTP 404"),
    "redirect": MSG_VK_ANSWERED_WRONG.format(reason="перенаправление на другой адрес (HTTP 302)"),
    "redirect_loop": MSG_VK_ANSWERED_WRONG.format(
        reason="перенаправление на другой адрес (HTTP 302)"
    ),
    10: MSG_VK_REFUSED.format(code=10),
}


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_one_line_without(
    token: str, refused: ChannelStartError, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    message = str(refused)
    assert "\n" not in message and re.search("[а-яё]", message)
    captured = capsys.readouterr()
    for text in (message, caplog.text, captured.out, captured.err):
        assert token not in text
        assert token.split(":")[-1] not in text  # nor the secret half of a Telegram token
    # Not chained: a traceback of the error would show the library's text, address and all.
    assert refused.__cause__ is None
    assert refused.__context__ is None or refused.__suppress_context__


async def refused_start(tmp_path: Path, settings) -> ChannelStartError:
    table, classifier = saratov()
    with pytest.raises(ChannelStartError) as refused:
        await serve(settings, table, classifier, handle_signals=False)
    assert not (tmp_path / "bot.sqlite3").exists()  # the core never started
    return refused.value


@pytest.mark.parametrize("answer", list(TELEGRAM_CASES), ids=str)
@run_async
async def test_telegram_answering_wrong_stops_the_start_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys, answer: str | int
) -> None:
    caplog.set_level(logging.DEBUG)
    async with TelegramEmulator() as tg:
        retry_after = 7 if answer == 429 else None
        tg.fail_next("getMe", times=ALWAYS, error=answer, retry_after=retry_after)
        refused = await refused_start(tmp_path, settings_for(tmp_path, tg, None))
    assert str(refused) == TELEGRAM_CASES[answer]
    assert_one_line_without(tg.token, refused, caplog, capsys)


@pytest.mark.parametrize("answer", list(VK_CASES), ids=str)
@run_async
async def test_vk_answering_wrong_stops_the_start_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys, answer: str | int
) -> None:
    caplog.set_level(logging.DEBUG)
    async with VKEmulator() as vk:
        vk.fail_next("groups.getById", times=ALWAYS, code=answer)
        refused = await refused_start(tmp_path, settings_for(tmp_path, None, vk))
        # One call: no retry, and a redirect is not followed (it would take the token along).
        assert [name for name, _ in vk.calls] == ["groups.getById"]
    assert str(refused) == VK_CASES[answer]
    assert_one_line_without(vk.token, refused, caplog, capsys)


@run_async
async def test_nobody_listening_stops_the_start_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    token = TelegramEmulator.make_token()
    settings = settings_for(
        tmp_path, None, None, telegram_bot_token=token, telegram_api_base=nowhere
    )
    refused = await refused_start(tmp_path, settings)
    assert str(refused) == MSG_TELEGRAM_UNREACHABLE.format(reason="соединение не установлено")
    assert_one_line_without(token, refused, caplog, capsys)

    vk_token = "vk1.a.never-printed"
    settings = settings_for(tmp_path, None, None, vk_group_token=vk_token, vk_api_base=nowhere)
    refused = await refused_start(tmp_path, settings)
    assert str(refused) == MSG_VK_UNREACHABLE.format(reason="соединение не установлено")
    assert_one_line_without(vk_token, refused, caplog, capsys)


@run_async
async def test_a_server_that_never_answers_stops_the_start_in_check_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    monkeypatch.setattr(channel_checks, "CHECK_SECONDS", 0.3)
    expected_reason = "нет ответа за 0.3 с"
    async with TelegramEmulator() as tg, VKEmulator() as vk:
        tg.fail_next("getMe", error="slow", delay=3)
        refused = await refused_start(tmp_path, settings_for(tmp_path, tg, None))
        assert str(refused) == MSG_TELEGRAM_UNREACHABLE.format(reason=expected_reason)
        assert_one_line_without(tg.token, refused, caplog, capsys)

        vk.faults.slow, vk.faults.slow_seconds = 1.0, 3.0
        refused = await refused_start(tmp_path, settings_for(tmp_path, None, vk))
        assert str(refused) == MSG_VK_UNREACHABLE.format(reason=expected_reason)
        assert_one_line_without(vk.token, refused, caplog, capsys)


@pytest.mark.parametrize("channel", ["telegram", "vk"])
def test_python_m_bot_prints_one_line_and_exits_2_without_the_token(
    tmp_path: Path, channel: str
) -> None:
    """An HTML error page that quotes the request address, token and all: the operator sees
    one line, at LOG_LEVEL=DEBUG too."""
    with EmulatorThread() as world:
        if channel == "telegram":
            token = world.tg.token
            world.tg.fail_next("getMe", times=ALWAYS, error="html")
            env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE": world.tg.base_url}
            expected = NOT_BOT_API
        else:
            token = world.vk.token
            world.vk.fail_next("groups.getById", times=ALWAYS, code="html")
            env = {"VK_GROUP_TOKEN": token, "VK_API_BASE": world.vk.base_url}
            expected = VK_CASES["html"]
        result = start_bot(tmp_path, LOG_LEVEL="DEBUG", **env)
    assert result.returncode == 2, result.stderr
    assert [line for line in result.stderr.splitlines() if not LOG_LINE.match(line)] == [expected]
    assert token not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "bot.sqlite3").exists()
