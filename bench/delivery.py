"""Delivery at Telegram's limits: a full outbox drained against an emulator that enforces them.

    python -m bench.delivery                         # 3,000 messages to 1,000 chats
    python -m bench.delivery --messages 600 --chats 200

The real `Outbox` with the real `RateLimiter` (limits from `config.Settings`, i.e.
``TELEGRAM_MESSAGES_PER_SECOND`` = 30, ``TELEGRAM_PRIVATE_CHAT_PER_SECOND`` = 1 unless the
environment says otherwise) and the real `TelegramTransport` (aiogram) on a SQLite file in a
temporary directory, against the Telegram emulator with its default `Limits` (30 messages/s per
bot, 1/s per private chat with a burst of 3, 20/min per group), which answers 429 to any message
over them. All messages are queued at once (``--chats`` citizens, round-robin), then the worker
drains them. Reported: the number of 429 answers (target 0), sends inside a ``retry_after``
pause (must be 0), the drain time from the worker's start to the last message accepted, and the
drain rate as a share of Telegram's bot-wide limit (30/s). The bot's pacing can be changed for a
run through the environment: ``TELEGRAM_MESSAGES_PER_SECOND=29 python -m bench.delivery``.

``--channel vk`` does the same through the real `VKTransport` (vkbottle) against the VK
emulator, which allows 20 calls per second per token in any sliding second and answers error 6
("too many requests per second") to the 21st; the bot's pacing is ``VK_REQUESTS_PER_SECOND``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from vkbottle import API, AiohttpClient

from bench.intake_throughput import command_line, quiet
from bot.bootstrap import rate_limits
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit import RateLimiter
from bot.domain.messages import OutgoingMessage, SystemClock
from bot.domain.records import OutboxDraft
from bot.domain.wire import Purpose
from bot.storage.sqlite import SqliteRepository
from config import Settings
from handlers.telegram.transport import TelegramTransport
from handlers.vk.transport import VKTransport
from tests.emulators.telegram import SENDING_METHODS, Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

FIRST_CHAT = 20_000_001
TEXT = "Обращение № 26-{n:06d} принято и передано в администрацию. Срок ответа — 30 дней."


async def queue(
    repo: SqliteRepository,
    messages: int,
    chats: int,
    now,
    channel: str = "tg",
    first_chat: int = FIRST_CHAT,
) -> None:
    """``messages`` rows, round-robin over ``chats`` private chats from ``first_chat``, in
    transactions of 500."""
    for start in range(0, messages, 500):
        async with repo.transaction() as tx:
            for n in range(start, min(messages, start + 500)):
                chat = first_chat + n % chats
                payload = OutgoingMessage(channel, chat, TEXT.format(n=n)).to_json()  # type: ignore[arg-type]
                # Keyed by chat too: VK drops a repeated random_id (`dedup_id` of the key).
                draft = OutboxDraft(f"bench:{chat}:{n}", channel, chat, payload, Purpose.BODY)
                await tx.outbox.enqueue(draft, now)


async def drain(messages: int, chats: int, settings: Settings) -> tuple[float, TelegramEmulator]:
    limits = Limits()
    async with TelegramEmulator(limits=limits) as tg, tg.make_bot() as bot:
        for chat in range(FIRST_CHAT, FIRST_CHAT + chats):
            tg.add_user(chat)
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            repo = SqliteRepository(Path(tmp) / "bot.sqlite3")
            await repo.open()
            try:
                clock = SystemClock()
                await queue(repo, messages, chats, clock.now())
                outbox = Outbox(repo, {"tg": TelegramTransport(bot)}, clock,
                                RateLimiter(clock, rate_limits(settings)))
                elapsed = await run_until(
                    outbox, lambda: sum(c.method in SENDING_METHODS for c in tg.sent) >= messages
                )
            finally:
                await repo.close()
    return elapsed, tg


async def drain_vk(messages: int, chats: int, settings: Settings) -> tuple[float, VKEmulator]:
    async with VKEmulator() as vk:
        api = API(vk.token, http_client=AiohttpClient())
        api.API_URL = vk.api_url
        for chat in range(FIRST_CHAT, FIRST_CHAT + chats):
            await vk.user_allows_messages(chat)
        try:
            with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
                repo = SqliteRepository(Path(tmp) / "bot.sqlite3")
                await repo.open()
                try:
                    clock = SystemClock()
                    await queue(repo, messages, chats, clock.now(), channel="vk")
                    outbox = Outbox(repo, {"vk": VKTransport(api)}, clock,
                                    RateLimiter(clock, rate_limits(settings)))
                    elapsed = await run_until(outbox, lambda: len(vk.sent) >= messages)
                finally:
                    await repo.close()
        finally:
            await api.http_client.close()
    return elapsed, vk


async def run_until(outbox: Outbox, finished) -> float:
    """Run the worker until ``finished()``; the drain time in seconds."""
    stop = asyncio.Event()
    started = time.perf_counter()
    worker = asyncio.create_task(outbox.run_forever(stop))
    try:
        while not finished():
            if worker.done():
                worker.result()
                raise SystemExit("the outbox worker stopped early")
            await asyncio.sleep(0.2)  # polling the count; not a measurement
        return time.perf_counter() - started
    finally:
        stop.set()
        outbox.signals.wake()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def main_vk(messages: int, chats: int) -> None:
    quiet()
    settings = Settings(_env_file=None)
    elapsed, vk = await drain_vk(messages, chats, settings)
    limit = vk.rate_limit
    rate = messages / elapsed
    print(f"\n$ {command_line().strip()}")
    print(f"{messages} messages to {chats} VK users; emulator: {limit} calls/s per token (error 6"
          f" over it); bot's pacing: VK_REQUESTS_PER_SECOND="
          f"{settings.vk_requests_per_second:g}\n")
    print("| сообщений | ошибок 6 | время, с | сообщ./с | от лимита 20/с |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {messages} | {vk.errors_given[6]} | {elapsed:.1f} | {rate:.1f} "
          f"| {rate / limit:.0%} |")


async def main_async(messages: int, chats: int) -> None:
    quiet()
    settings = Settings(_env_file=None)
    elapsed, tg = await drain(messages, chats, settings)
    limit = Limits().per_bot_per_second  # Telegram's, not the bot's own pacing
    rate = messages / elapsed
    print(f"\n$ {command_line().strip()}")
    print(f"{messages} messages to {chats} private chats; emulator limits: "
          f"{Limits().per_bot_per_second:g}/s per bot, {Limits().per_private_chat_per_second:g}/s"
          f" per chat (burst {Limits().private_chat_burst}); bot's pacing: "
          f"TELEGRAM_MESSAGES_PER_SECOND={settings.telegram_messages_per_second:g}, "
          f"TELEGRAM_PRIVATE_CHAT_PER_SECOND={settings.telegram_private_chat_per_second:g}\n")
    print("| сообщений | ответов 429 | нарушений паузы | время, с | сообщ./с | от лимита 30/с |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {messages} | {tg.responses_429} | {len(tg.limit_violations)} | {elapsed:.1f} "
          f"| {rate:.1f} | {rate / limit:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--channel", choices=("tg", "vk"), default="tg")
    args = parser.parse_args()
    asyncio.run((main_async if args.channel == "tg" else main_vk)(args.messages, args.chats))


if __name__ == "__main__":
    main()
