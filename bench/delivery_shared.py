"""Two bot processes on one token: delivery at the token's limit, shared through Redis or not.

    python -m bench.delivery_shared                       # Telegram, 3,000 messages, one Redis
    python -m bench.delivery_shared --without-redis       # before: each process its own limits
    python -m bench.delivery_shared --channel vk          # VK, 20 calls/s per token
    python -m bench.delivery_shared --messages 1200 --chats 400

This process runs the emulator (Telegram: 30 messages/s per bot, 1/s per private chat with a
burst of 3, 429 over them; VK: 20 calls in any second per token, error 6 over it) and, unless
``--without-redis``, a ``redis-server`` of its own (127.0.0.1, a free port, nothing on disk;
the binary must be on PATH). It starts two bot processes (``python -m bench.delivery_shared
worker …``), each with its own SQLite file holding half the messages, round-robin over its own
half of ``--chats`` (with one PostgreSQL database a chat's messages are in one queue whichever
process sends them; here what the two share is the token), and its outbox built from the
settings as the bot builds it (`bot.bootstrap`: the Telegram or VK client, ``REDIS_URL``'s
client, `rate_limits`, `platform_tokens`, then `rate_limiter`). Both start on one line on
stdin. Reported: 429 answers (VK: error 6), sends inside a ``retry_after`` pause (Telegram),
the time from the start to the last message accepted, and the rate as a share of the token's
limit (30/s; VK 20/s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.delivery import FIRST_CHAT, queue
from bench.intake_throughput import command_line, quiet
from bot.bootstrap import (
    build_bot,
    build_vk_api,
    connect_redis,
    platform_tokens,
    rate_limits,
)
from bot.delivery.outbox import Outbox
from bot.delivery.ratelimit_redis import rate_limiter
from bot.delivery.transport import Transport
from bot.domain.messages import SystemClock
from bot.storage.sqlite import SqliteRepository
from config import Settings
from handlers.telegram.transport import TelegramTransport
from handlers.vk.transport import VKTransport
from tests.emulators.telegram import SENDING_METHODS, Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator
from tests.servers_redis import redis_server_process

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = 2


# == one bot process ==============================================================================
async def work(channel: str, api_base: str, token: str, redis_url: str, database: str,
               messages: int, chats: int, first_chat: int) -> None:
    """Queue ``messages`` rows, say ``ready``, wait for a line on stdin, deliver them all."""
    quiet()
    channel_settings = (
        {"telegram_bot_token": token, "telegram_api_base": api_base}
        if channel == "tg"
        else {"vk_group_token": token, "vk_api_base": api_base}
    )
    settings = Settings(_env_file=None, redis_url=redis_url or None, **channel_settings)
    repo = SqliteRepository(Path(database))
    await repo.open()
    clock = SystemClock()
    await queue(repo, messages, chats, clock.now(), channel, first_chat)
    redis = connect_redis(settings)
    closing: list = []
    transport: Transport
    if channel == "tg":
        bot = build_bot(settings)
        closing.append(bot.session.close)
        transport = TelegramTransport(bot)
    else:
        api = build_vk_api(settings)
        closing.append(api.http_client.close)
        transport = VKTransport(api)
    if redis is not None:
        closing.append(redis.aclose)
    limiter = rate_limiter(clock, rate_limits(settings), redis, platform_tokens(settings))
    outbox = Outbox(repo, {channel: transport}, clock, limiter)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        stop = asyncio.Event()
        running = asyncio.create_task(outbox.run_forever(stop))
        while not await drained(repo):
            if running.done():
                running.result()
            await asyncio.sleep(0.1)
        stop.set()
        outbox.signals.wake()
        await running
    finally:
        for close in closing:
            await close()
        await repo.close()


async def drained(repo: SqliteRepository) -> bool:
    async with repo.transaction() as tx:
        return not (await tx.outbox.in_state("pending") or await tx.outbox.in_state("sending"))


# == the measuring process ========================================================================
async def measure(channel: str, messages: int, chats: int, redis_url: str) -> str:
    """Run the two processes against the emulator; the report's table row."""
    each, chats_each = messages // PROCESSES, chats // PROCESSES
    async with contextlib.AsyncExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        if channel == "tg":
            tg = await stack.enter_async_context(TelegramEmulator(limits=Limits()))
            for chat in range(FIRST_CHAT, FIRST_CHAT + chats_each * PROCESSES):
                tg.add_user(chat)
            api_base, token = tg.base_url, tg.token

            def accepted() -> int:
                return sum(c.method in SENDING_METHODS for c in tg.sent)
        else:
            vk = await stack.enter_async_context(VKEmulator())
            for chat in range(FIRST_CHAT, FIRST_CHAT + chats_each * PROCESSES):
                await vk.user_allows_messages(chat)
            api_base, token = vk.base_url, vk.token

            def accepted() -> int:
                return len(vk.sent)

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        workers = []
        for n in range(PROCESSES):
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.delivery_shared", "worker", channel, api_base,
                token, redis_url, str(tmp / f"bot{n}.sqlite3"), str(each), str(chats_each),
                str(FIRST_CHAT + n * chats_each),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
            )
            workers.append(worker)
        for worker in workers:
            assert worker.stdout is not None
            if (await worker.stdout.readline()).strip() != b"ready":
                raise SystemExit("a bot process did not start")
        started = time.perf_counter()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        while accepted() < each * PROCESSES:
            if any(w.returncode not in (None, 0) for w in workers):
                raise SystemExit("a bot process failed")
            if all(w.returncode == 0 for w in workers):
                raise SystemExit(f"the bot processes are done; the emulator took {accepted()}")
            await asyncio.sleep(0.01)  # polling the count; 10 ms against a ~100 s drain
        elapsed = time.perf_counter() - started
        for worker in workers:
            if await worker.wait() != 0:
                raise SystemExit("a bot process failed")
        total = each * PROCESSES
        rate = total / elapsed
        shared = "Redis" if redis_url else "нет (свои лимиты)"
        if channel == "tg":
            limit = Limits().per_bot_per_second
            return (f"| {shared} | {total} | {tg.responses_429} | {len(tg.limit_violations)} "
                    f"| {elapsed:.1f} | {rate:.1f} | {rate / limit:.0%} |")
        return (f"| {shared} | {total} | {vk.errors_given[6]} | — | {elapsed:.1f} | {rate:.1f} "
                f"| {rate / vk.rate_limit:.0%} |")


def main() -> None:
    if sys.argv[1:2] == ["worker"]:
        channel, api_base, token, redis_url, database, messages, chats, first = sys.argv[2:10]
        asyncio.run(work(channel, api_base, token, redis_url, database, int(messages),
                         int(chats), int(first)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--channel", choices=("tg", "vk"), default="tg")
    parser.add_argument("--without-redis", action="store_true")
    args = parser.parse_args()
    quiet()
    with contextlib.ExitStack() as stack:
        redis_url = ""
        if not args.without_redis:
            binary = shutil.which("redis-server")
            if binary is None:
                raise SystemExit("redis-server не найден (apt-get install redis-server)")
            redis_url = stack.enter_context(redis_server_process(binary))
        row = asyncio.run(measure(args.channel, args.messages, args.chats, redis_url))
    limit = "30/с" if args.channel == "tg" else "20/с"
    answers = "ответов 429" if args.channel == "tg" else "ошибок 6"
    print(f"\n$ {command_line().strip()}")
    print(f"{PROCESSES} bot processes on one {args.channel} token, {args.messages} messages to "
          f"{args.chats} chats (half each)\n")
    print(f"| общий лимит | сообщений | {answers} | нарушений паузы | время, с | сообщ./с "
          f"| от лимита {limit} |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(row)


if __name__ == "__main__":
    main()
