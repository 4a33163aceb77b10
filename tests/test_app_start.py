"""Starting the bot with both channels: `python -m bot` as an operator runs it, and the one-line
refusals when a channel's token is wrong.

The subprocess test runs the emulators in a thread of their own (their own event loop), because
the bot is a separate process that takes a while to load the classifier; every wait has a
generous limit and returns as soon as the awaited thing happens.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channel_checks import (
    MSG_TELEGRAM_UNAUTHORIZED,
    MSG_VK_UNAUTHORIZED,
    MSG_VK_WRONG_GROUP,
    ChannelStartError,
)
from bot.serve import serve
from tests.app_world import NUMBER, operator_env, saratov, settings_for
from tests.emulators.aio import SLOW, EmulatorThread, run_async
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.vk import VKEmulator

TG_CITIZEN = 1001
VK_CITIZEN = 100_500
TG_COORDINATOR = 2002
VK_COORDINATOR = 300_400
TG_APPEAL = "Во дворе дома 5 на ул. Чапаева яма"
VK_APPEAL = "В Энгельсе не вывозят мусор"


def test_python_m_bot_serves_both_channels_and_stops_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "cwd").mkdir()
    with EmulatorThread() as world:
        tg, vk = world.tg, world.vk
        env = operator_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_BASE=tg.base_url,
            VK_GROUP_TOKEN=vk.token,
            VK_GROUP_ID=str(vk.group_id),
            VK_API_BASE=vk.base_url,
            # No body of the shipped table has a chat: cards go to the coordinators, one in
            # each channel.
            COORDINATORS=f"tg:{TG_COORDINATOR},vk:{VK_COORDINATOR}",
            LOG_LEVEL="DEBUG",  # even so, no citizen's words in the log
        )

        async def coordinators_reachable() -> None:
            tg.add_user(TG_COORDINATOR)
            await vk.user_allows_messages(VK_COORDINATOR)

        world.call(coordinators_reachable())
        # Output to files, not pipes: a DEBUG log would fill a pipe nobody reads yet and
        # block the bot.
        out_file, err_file = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with out_file.open("w") as stdout, err_file.open("w") as stderr:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=tmp_path / "cwd", env=env,
                stdout=stdout, stderr=stderr,
            )
        try:
            world.call(vk.wait_for_listener(timeout=SLOW))

            async def appeal_on_each_channel() -> tuple[str, str]:
                tg.user_sends_text(TG_CITIZEN, TG_APPEAL)
                await vk.user_sends_text(VK_CITIZEN, VK_APPEAL)
                tg_reply = await tg.wait_for(lambda c: c.chat_id == TG_CITIZEN, timeout=SLOW)
                vk_reply = await vk.wait_for_sent(lambda m: m.peer_id == VK_CITIZEN, timeout=SLOW)
                return tg_reply.text or "", vk_reply.text

            tg_text, vk_text = world.call(appeal_on_each_channel())
            assert NUMBER.search(tg_text) and NUMBER.search(vk_text)
            assert NUMBER.search(tg_text).group() != NUMBER.search(vk_text).group()

            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()
    out = out_file.read_text(encoding="utf-8")
    err = err_file.read_text(encoding="utf-8")
    assert bot.returncode == 0, err
    assert "Traceback" not in err
    assert tg.token not in out + err and vk.token not in out + err
    assert TG_APPEAL not in err and VK_APPEAL not in err
    # vkbottle's long-poll state lives in the data directory, not where the bot was started.
    assert (tmp_path / "data" / "vk-polling" / f"{vk.group_id}.json").is_file()
    assert list((tmp_path / "cwd").iterdir()) == []


@run_async
async def test_a_wrong_vk_token_stops_the_start_with_one_line(tmp_path: Path) -> None:
    table, classifier = saratov()
    async with TelegramEmulator() as tg, VKEmulator() as vk:
        settings = settings_for(tmp_path, tg, vk, vk_group_token="vk1.a.wrong-token")
        with pytest.raises(ChannelStartError) as refused:
            await serve(settings, table, classifier, handle_signals=False)
        assert str(refused.value) == MSG_VK_UNAUTHORIZED
        assert "wrong-token" not in str(refused.value)
        assert not (tmp_path / "bot.sqlite3").exists()  # the core never started
        assert tg.sent == [] and vk.sent == []


@run_async
async def test_a_vk_token_of_another_community_is_named(tmp_path: Path) -> None:
    table, classifier = saratov()
    async with VKEmulator() as vk:
        settings = settings_for(tmp_path, None, vk, vk_group_id=vk.group_id + 1)
        with pytest.raises(ChannelStartError) as refused:
            await serve(settings, table, classifier, handle_signals=False)
        assert str(refused.value) == MSG_VK_WRONG_GROUP.format(
            actual=vk.group_id, configured=vk.group_id + 1
        )


@run_async
async def test_a_wrong_telegram_token_stops_the_start_even_with_vk_fine(tmp_path: Path) -> None:
    table, classifier = saratov()
    async with TelegramEmulator() as tg, VKEmulator() as vk:
        wrong = TelegramEmulator.make_token(secret="WRONG")
        settings = settings_for(tmp_path, tg, vk, telegram_bot_token=wrong)
        with pytest.raises(ChannelStartError) as refused:
            await serve(settings, table, classifier, handle_signals=False)
        assert str(refused.value) == MSG_TELEGRAM_UNAUTHORIZED
        assert vk.long_polls == 0


@run_async
async def test_a_busy_webhook_port_stops_the_start_with_one_line(tmp_path: Path) -> None:
    table, classifier = saratov()
    async with VKEmulator() as vk:
        busy = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = busy.sockets[0].getsockname()[1]
        try:
            settings = settings_for(
                tmp_path, None, vk, vk_callback_confirmation="c0nf1rm",
                vk_callback_secret="s3cr3t",
                webhook_host="127.0.0.1", webhook_port=port,
            )
            with pytest.raises(ChannelStartError) as refused:
                await serve(settings, table, classifier, handle_signals=False)
        finally:
            busy.close()
            await busy.wait_closed()
        assert f"127.0.0.1:{port}" in str(refused.value) and "WEBHOOK_PORT" in str(refused.value)
