"""``LOG_FORMAT=json`` as a log collector sees it: `python -m bot` started by an operator with
``METRICS_PORT`` in polling mode, an appeal through the Telegram emulator, then SIGTERM.

Every line the bot writes to stderr must be one JSON object with the time, level, logger and
message, and none may carry the citizen's words, their chat id or the bot's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import warnings
from pathlib import Path

import aiohttp

from bot.jsonlog import JsonLines
from tests.app_world import NUMBER, free_port, operator_env
from tests.emulators.telegram import Limits, TelegramEmulator

CITIZEN = 777_000_123  # a number that appears nowhere else in a log by chance
APPEAL = "В Саратове на ул. Московской не горит фонарь уже неделю, дом 17"
DEADLINE = 90.0  # seconds: the bot loads aiogram and its classifier in a fresh process


async def healthy(port: int, process: asyncio.subprocess.Process) -> None:
    """Wait until ``/healthz`` answers 200 (or the bot exits, which fails the test)."""
    async with aiohttp.ClientSession() as session:
        while process.returncode is None:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise AssertionError(f"the bot exited with {process.returncode} before it was healthy")


async def an_appeal_under_json_logs(tmp_path: Path) -> None:
    port = free_port()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        env = operator_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_BASE=tg.base_url,
            LOG_FORMAT="json",
            METRICS_PORT=str(port),
            WEBHOOK_HOST="127.0.0.1",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        stderr = asyncio.create_task(process.stderr.read())
        try:
            await healthy(port, process)
            tg.user_sends_text(CITIZEN, APPEAL)
            accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN, timeout=30)
            assert NUMBER.search(accepted.text)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await process.wait()
        written = (await stderr).decode("utf-8")
    assert code == 0, written

    records = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert records, "the bot logged nothing"
    for record in records:
        assert set(record) >= {"time", "level", "logger", "message"}, record
    loggers = {record["logger"] for record in records}
    assert "bot.core" in loggers  # "ticket 26-… created"
    assert any(NUMBER.search(record["message"]) for record in records)
    for secret in (APPEAL, "Московской", str(CITIZEN), tg.token):
        assert secret not in written


def test_json_logs_are_one_object_a_line_without_personal_data(tmp_path: Path) -> None:
    async def guarded() -> None:
        async with asyncio.timeout(DEADLINE):
            await an_appeal_under_json_logs(tmp_path)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        asyncio.run(guarded())


def test_a_traceback_stays_inside_its_one_line() -> None:
    logger = logging.getLogger("bot.test")
    try:
        raise ValueError("сломалось\nна двух строках")
    except ValueError:
        record = logger.makeRecord(
            "bot.test", logging.ERROR, __file__, 1, "обработка упала: %s", ("ValueError",),
            sys.exc_info(),
        )
    line = JsonLines().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test"
    assert entry["message"] == "обработка упала: ValueError"
    assert entry["exception"].startswith("Traceback") and "ValueError" in entry["exception"]
    assert entry["time"].endswith("+00:00")
