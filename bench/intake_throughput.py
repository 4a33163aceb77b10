"""Intake throughput: the full bot against a trivial echo bot, on the same emulator, in one run.

    python -m bench.intake_throughput                    # 2,000 appeals, Telegram and VK
    python -m bench.intake_throughput --appeals 500 --channel tg
    python -m bench.intake_throughput --reference        # + the durable echo, both channels
    python -m bench.intake_throughput --reference --database both   # + all of it on PostgreSQL

For each channel the rounds run one after the other, each on a fresh emulator with its limits
off: the echo bot (one async handler that answers every message) and the full bot
(`bot.serve.serve`: routing on the shipped Saratov table, the durable inbox, replies through
the outbox; SQLite in a temporary directory, or a fresh database of a PostgreSQL server the
bench starts with ``fsync`` on). Each round starts the bot, waits until it listens, then queues
N appeals from N different citizens at once; the clock runs from the moment they are queued to
the moment the last citizen got their first reply (the echo, or "обращение принято" with a
number). appeals/s = N / that time; the ratios full/echo (target ≥ 50%) and full/durable echo
(target ≥ 70%) are the figures of merit. Below the table: the CPU time per appeal over the
same span by kind of thread — the event loop's (bot, emulator and clock share it), SQLite's
connection thread, the ``asyncio.to_thread`` pool (the classifier); with the GIL, their sum
against the wall time per appeal says whether a round was bound by the CPU. PostgreSQL's own
processes are not counted.

``--reference`` adds the durable echo round between them (`bench.durable_echo`): the least any
bot that routes appeals and loses none must do on top of the echo (classify the text off the
event loop, commit the ticket and the administrator's card, group-committed as the bot does,
answer with the number). It has no dialog, no duplicate check, no outbox (its answer is lost if
it crashes after the commit), no audit trail; it shows how much of the full bot's gap is the
platform work every router pays, and how much is what ours does beyond it.

Every bot gets an unclocked round of `WARM_UP` appeals first, in the same process, so that the
clocked ones measure a running bot, not the first use of aiogram's classes; with ``--repeat K``
the bots' clocked rounds take turns K times and the medians are shown.

Why the bot's own send pacing is raised for the full round: ``TELEGRAM_MESSAGES_PER_SECOND``
and friends exist to stay under Telegram's limits, which the emulator here does not enforce;
left at 30 msg/s they would measure the pacing, not the bot (the delivery benchmark measures
that). The emulator, the bot and the clock share one event loop and one core, so every round
pays the same emulator cost. The echo bots run with CPython's own collector settings; the full
bot sets its own when it starts (`bot.heap`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.durable_echo import answer_of, store_for
from bot import heap
from tests.app_world import APPEAL, VK_ADMIN, running, saratov, settings_for, with_city_chats
from tests.emulators.telegram import SENDING_METHODS, Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

FIRST_CITIZEN = 10_000_001
UNPACED = {
    "telegram_messages_per_second": 1_000_000,
    "telegram_private_chat_per_second": 1_000_000,
    "telegram_group_chat_per_minute": 60_000_000,
    "vk_requests_per_second": 1_000_000,
}


@dataclass
class Clocked:
    """When each update left the emulator and when each citizen got the bot's first reply."""

    citizens: set[int]
    served: dict[int, float] = field(default_factory=dict)  # citizen -> update served
    first_reply: dict[int, float] = field(default_factory=dict)  # citizen -> first reply
    all_replied: asyncio.Event = field(default_factory=asyncio.Event)
    #: CPU seconds of the event loop's thread (bot, emulator and clock) while the clock ran
    loop_cpu: float = 0.0
    #: CPU seconds of each kind of thread (`thread_kind`) while the clock ran
    threads: dict[str, float] = field(default_factory=dict)
    _threads_at_start: dict[int, float] = field(default_factory=dict)

    def start_clock(self) -> None:
        self._threads_at_start = _thread_seconds()

    def update_served(self, citizen: int) -> None:
        if citizen in self.citizens:
            self.served.setdefault(citizen, time.perf_counter())

    def bot_replied(self, citizen: Any) -> None:
        if citizen in self.citizens and citizen not in self.first_reply:
            self.first_reply[citizen] = time.perf_counter()
            if len(self.first_reply) == len(self.citizens):
                # Now, not when the round ends: the bot's threads end with it.
                names = {t.native_id: t.name for t in threading.enumerate()}
                for thread, seconds in _thread_seconds().items():
                    kind = thread_kind(names.get(thread, ""))
                    spent = seconds - self._threads_at_start.get(thread, 0.0)
                    self.threads[kind] = self.threads.get(kind, 0.0) + spent
                self.all_replied.set()

    def latencies_ms(self) -> list[float]:
        return sorted(
            (self.first_reply[c] - self.served[c]) * 1000
            for c in self.first_reply
            if c in self.served
        )


def _thread_seconds() -> dict[int, float]:
    """CPU seconds (user and system) so far of each thread of this process, by native id."""
    return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}


def thread_kind(name: str) -> str:
    """Whose CPU time a thread's is, by its name: the event loop's (bot, emulator, clock),
    SQLite's connection thread, or the worker pool of ``asyncio.to_thread`` (the classifier,
    mostly)."""
    if name == "MainThread":
        return "цикл"
    if name.startswith("asyncio_"):
        return "пул"
    if "connection_worker" in name:
        return "SQLite"
    return "прочие"


class ClockedTelegram(TelegramEmulator):
    """The Telegram emulator, stamping getUpdates responses and the first reply to each chat."""

    def __init__(self, clocked: Clocked, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clocked = clocked

    async def _m_getUpdates(self, p: dict, f: dict) -> list[dict]:
        updates = await super()._m_getUpdates(p, f)
        for update in updates:
            message = update.get("message")
            if message is not None:
                self.clocked.update_served(message["chat"]["id"])
        return updates

    def _record(self, method: str, params: dict, message: dict | None = None,
                chat_id: Any = None, message_id: int | None = None) -> None:
        super()._record(method, params, message, chat_id, message_id)
        if method in SENDING_METHODS:
            self.clocked.bot_replied(self.sent[-1].chat_id)


class ClockedVK(VKEmulator):
    """The VK emulator, stamping long-poll responses and the first message to each peer."""

    def __init__(self, clocked: Clocked, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clocked = clocked

    async def _handle_long_poll(self, request: Any) -> Any:
        response = await super()._handle_long_poll(request)
        for update in json.loads(response.text).get("updates", ()):
            if update["type"] == "message_new":
                self.clocked.update_served(update["object"]["message"]["from_id"])
        return response

    async def _m_messages_send(self, params: dict[str, str]) -> Any:
        before = len(self.sent)
        answer = await super()._m_messages_send(params)
        for message in self.sent[before:]:
            self.clocked.bot_replied(message.peer_id)
        return answer


def appeal_text(i: int) -> str:
    return f"{APPEAL}, дом {i % 200 + 1}"


# ------------------------------------------------------------------ the bots under test


@contextlib.asynccontextmanager
async def telegram_echo(tg: TelegramEmulator, tmp: Path) -> AsyncIterator[None]:
    """A Dispatcher with one async handler that answers every message with its text."""
    from aiogram import Dispatcher
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    async with polling(tg, dp):
        yield


@contextlib.asynccontextmanager
async def polling(tg: TelegramEmulator, dp: Any) -> AsyncIterator[None]:
    """aiogram's own polling of ``dp`` on the emulator, from its first getUpdates on."""
    async with tg.make_bot() as bot:
        task = asyncio.create_task(
            dp.start_polling(bot, polling_timeout=1, handle_signals=False,
                             close_bot_session=False)
        )
        while not tg._polling:  # listening once its first getUpdates is open
            await asyncio.sleep(0.01)
        try:
            yield
        finally:
            await dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def database_settings(database: str) -> dict[str, str]:
    """``sqlite`` (a file in the round's directory, the default) or a PostgreSQL URL."""
    return {} if database == "sqlite" else {"database_url": database}


@contextlib.asynccontextmanager
async def telegram_full(
    tg: TelegramEmulator, tmp: Path, database: str = "sqlite"
) -> AsyncIterator[None]:
    """The whole bot on Telegram; the city administration sits in a forum group."""
    shipped, _ = saratov()
    group = tg.create_forum_group(admin_user_id=2002, title="Администрация Саратова")
    table = with_city_chats(shipped, tg=group, vk=None)
    settings = settings_for(tmp, tg, None, **UNPACED, **database_settings(database))
    async with running(settings, table):
        yield


@contextlib.asynccontextmanager
async def telegram_durable_echo(
    tg: TelegramEmulator, tmp: Path, database: str = "sqlite"
) -> AsyncIterator[None]:
    """The echo, plus the shipped classifier in a thread and the ticket and the card kept
    durably, group-committed, before the answer (`bench.durable_echo`)."""
    from aiogram import Dispatcher
    from aiogram.types import Message

    _, classifier = saratov()
    async with store_for(database, tmp) as store:
        dp = Dispatcher()

        @dp.message()
        async def appeal(message: Message) -> None:
            text = message.text or ""
            await message.answer(await answer_of(store, classifier, message.chat.id, text))

        async with polling(tg, dp):
            yield


@contextlib.asynccontextmanager
async def vk_answering(
    vk: VKEmulator, tmp: Path, answer: Callable[[Any], Awaitable[str]]
) -> AsyncIterator[None]:
    """A vkbottle Bot with one async handler answering every message with ``answer(message)``,
    polling as the full bot does, with its state in the temporary directory (vkbottle's
    default would write .vkbottle/ into the current directory)."""
    from vkbottle import API, AiohttpClient
    from vkbottle.bot import BotLabeler, Message

    from handlers.vk.inbound import make_vk_bot

    api = API(vk.token, http_client=AiohttpClient())
    api.API_URL = vk.api_url
    labeler = BotLabeler()

    @labeler.message()
    async def reply(message: Message) -> None:
        await message.answer(await answer(message))

    bot = make_vk_bot(api, labeler, tmp)
    task = asyncio.create_task(bot.run_polling())
    await vk.wait_for_listener()
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await api.http_client.close()


@contextlib.asynccontextmanager
async def vk_echo(vk: VKEmulator, tmp: Path) -> AsyncIterator[None]:
    """A vkbottle Bot with one async handler that answers every message with its text."""

    async def echo(message: Any) -> str:
        return message.text or "…"

    async with vk_answering(vk, tmp, echo):
        yield


@contextlib.asynccontextmanager
async def vk_durable_echo(
    vk: VKEmulator, tmp: Path, database: str = "sqlite"
) -> AsyncIterator[None]:
    """The VK echo with the durable echo's work before its answer (`bench.durable_echo`)."""
    _, classifier = saratov()
    async with store_for(database, tmp) as store:

        async def appeal(message: Any) -> str:
            return await answer_of(store, classifier, message.peer_id, message.text or "")

        async with vk_answering(vk, tmp, appeal):
            yield


@contextlib.asynccontextmanager
async def vk_full(vk: VKEmulator, tmp: Path, database: str = "sqlite") -> AsyncIterator[None]:
    """The whole bot on VK; the city administration is one VK administrator."""
    shipped, _ = saratov()
    await vk.user_allows_messages(VK_ADMIN)
    table = with_city_chats(shipped, tg=None, vk=VK_ADMIN)
    settings = settings_for(tmp, None, vk, **UNPACED, **database_settings(database))
    async with running(settings, table):
        await vk.wait_for_listener()
        yield


# ------------------------------------------------------------------ one round


Bot = Callable[..., contextlib.AbstractAsyncContextManager[None]]  # (emulator, tmp, database)
Load = Callable[[Any, list[int]], Awaitable[None]]

#: CPython's collector settings, for the echo bots (the full bot sets its own: `bot.heap`).
PLAIN_GC = gc.get_threshold()


async def telegram_burst(tg: TelegramEmulator, citizens: list[int]) -> None:
    for i, citizen in enumerate(citizens):
        tg.user_sends_text(citizen, appeal_text(i))


async def vk_burst(vk: VKEmulator, citizens: list[int]) -> None:
    for i, citizen in enumerate(citizens):
        await vk.user_sends_text(citizen, appeal_text(i))


def emulator(channel: str, clocked: Clocked) -> Any:
    if channel == "tg":
        return ClockedTelegram(clocked, limits=Limits(enabled=False))
    return ClockedVK(clocked, rate_limit=1_000_000_000, max_long_poll_wait=1.0)


async def run_round(channel: str, bot: Bot, n: int, load: Load | None = None,
                    timeout: float = 600.0, database: str = "sqlite") -> tuple[float, Clocked]:
    """Seconds from queueing ``n`` appeals to the last citizen's first reply, and the stamps.
    ``database``: ``sqlite`` or a PostgreSQL URL, for the bots that store."""
    citizens = list(range(FIRST_CITIZEN, FIRST_CITIZEN + n))
    clocked = Clocked(set(citizens))
    gc.set_threshold(*PLAIN_GC)
    where = {} if bot in (telegram_echo, vk_echo) else {"database": database}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        async with emulator(channel, clocked) as emu, bot(emu, Path(tmp), **where):
            started, cpu = time.perf_counter(), time.thread_time()
            clocked.start_clock()
            await (load or BURST[channel])(emu, citizens)
            try:
                await asyncio.wait_for(clocked.all_replied.wait(), timeout)
            except TimeoutError:
                missing = n - len(clocked.first_reply)
                raise SystemExit(f"{channel}: {missing} of {n} citizens got no reply") from None
            clocked.loop_cpu = time.thread_time() - cpu
            return time.perf_counter() - started, clocked


BURST: dict[str, Load] = {"tg": telegram_burst, "vk": vk_burst}
BOTS: dict[str, tuple[Bot, Bot]] = {"tg": (telegram_echo, telegram_full), "vk": (vk_echo, vk_full)}
DURABLE: dict[str, Bot] = {"tg": telegram_durable_echo, "vk": vk_durable_echo}
NAMES = {"tg": "Telegram", "vk": "ВКонтакте"}


def command_line() -> str:
    return "python -m bench." + Path(sys.argv[0]).stem + " " + " ".join(sys.argv[1:])


def quiet() -> None:
    """Polling loops complain while the emulator shuts down under them; not news here."""
    logging.basicConfig(level=logging.ERROR)
    for name in ("aiogram", "vkbottle", "bot"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def prepare() -> None:
    """Before any clock starts: logs quiet and the full bot's classifier built. This process
    holds that table and classifier through every round; an echo bot in its own process would
    not. They are frozen out of the collector's full passes (as the full bot does at start,
    `bot.heap`), so that collecting them costs the echo round nothing."""
    quiet()
    saratov()
    heap.settle()


@contextlib.contextmanager
def databases(which: str) -> Any:
    """The databases to run on: ``sqlite``, and (``postgresql``/``both``) a PostgreSQL server
    started for the run with ``fsync`` on, as in production, whose ``new()`` gives each round a
    fresh database."""
    if which == "sqlite":
        yield [("SQLite", lambda: "sqlite")]
        return
    from tests.servers_pg import running_cluster

    with running_cluster(durable=True) as cluster:
        postgres = ("PostgreSQL", cluster.new_database)
        yield [postgres] if which == "postgresql" else [("SQLite", lambda: "sqlite"), postgres]


KINDS = ["цикл", "SQLite", "пул", "прочие"]

#: Appeals of the unclocked round each bot gets first (`measure`).
WARM_UP = 300


@dataclass
class Series:
    """One bot's clocked rounds on one channel and database: appeals/s and loop CPU an appeal."""

    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    threads_ms: list[dict[str, float]] = field(default_factory=list)

    def threads(self) -> str:
        """CPU ms an appeal by kind of thread, medians over the rounds."""
        kinds = sorted({k for each in self.threads_ms for k in each}, key=KINDS.index)
        medians = {k: statistics.median(each.get(k, 0.0) for each in self.threads_ms)
                   for k in kinds}
        return ", ".join(f"{k} {ms:.2f}" for k, ms in medians.items() if ms >= 0.005)

    def median(self) -> float:
        return statistics.median(self.rates)

    def shown(self) -> str:
        """The median, and the range when there was more than one round."""
        if len(self.rates) == 1:
            return f"{self.rates[0]:.0f}"
        return f"{self.median():.0f} ({min(self.rates):.0f}–{max(self.rates):.0f})"


async def measure(
    channel: str, bots: list[tuple[str, Bot, Callable[[], str]]], n: int, repeat: int
) -> dict[str, Series]:
    """Each bot once unclocked (`WARM_UP` appeals: aiogram and pydantic build their classes on
    first use, the classifier meets the words; a process's first round read 40% slower than the
    same bot warm), then ``repeat`` clocked rounds of all of them in turn, so that a machine
    whose speed drifts (a shared virtual one) weighs on every bot alike."""
    for _, bot, database in bots:
        await run_round(channel, bot, min(WARM_UP, n), database=database())
    series = {name: Series() for name, _, _ in bots}
    for _ in range(repeat):
        for name, bot, database in bots:
            seconds, clocked = await run_round(channel, bot, n, database=database())
            series[name].rates.append(n / seconds)
            series[name].cpu_ms.append(clocked.loop_cpu / n * 1000)
            series[name].threads_ms.append(
                {kind: seconds / n * 1000 for kind, seconds in clocked.threads.items()}
            )
    return series


async def main_async(n: int, channels: list[str], reference: bool = False,
                     database: str = "sqlite", repeat: int = 1) -> None:
    prepare()
    rows = []
    busy = []  # the event loop's thread: CPU ms an appeal, per bot (medians)
    with databases(database) as stores:
        for channel in channels:
            echo_bot, full_bot = BOTS[channel]
            bots: list[tuple[str, Bot, Callable[[], str]]] = [("эхо", echo_bot, lambda: "sqlite")]
            for store, new_database in stores:
                if reference:
                    bots.append((f"надёжное эхо ({store})", DURABLE[channel], new_database))
                bots.append((f"полный ({store})", full_bot, new_database))
            series = await measure(channel, bots, n, repeat)
            busy.append(NAMES[channel] + ": " + "; ".join(
                f"{name}: {s.threads()}" for name, s in series.items()
            ))
            echo = series["эхо"]
            for store, _ in stores:
                durable = series.get(f"надёжное эхо ({store})")
                rows.append((NAMES[channel], store, echo, durable, series[f"полный ({store})"]))
    print(f"\n$ {command_line().strip()}")
    print(f"appeals: {n} per round, all queued at once; {repeat} clocked round(s) per bot, "
          "medians (and ranges)\n")
    if reference:
        print("| канал | база | эхо-бот, обр./с | надёжное эхо, обр./с (доля эха) | полный бот,"
              " обр./с | полный / эхо (≥ 50%) | полный / надёжное эхо (≥ 70%) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
    else:
        print("| канал | база | эхо-бот, обр./с | полный бот, обр./с | полный / эхо (≥ 50%) |")
        print("| --- | --- | --- | --- | --- |")
    for name, store, echo, durable, full in rows:
        if durable is not None:
            floor = durable.median()
            print(f"| {name} | {store} | {echo.shown()} | {durable.shown()}"
                  f" ({floor / echo.median():.0%}) | {full.shown()} |"
                  f" {full.median() / echo.median():.0%} | {full.median() / floor:.0%} |")
        else:
            print(f"| {name} | {store} | {echo.shown()} | {full.shown()} |"
                  f" {full.median() / echo.median():.0%} |")
    print("\nпроцессорное время на обращение, мс, по потокам (цикл событий: бот, эмулятор и"
          " часы; SQLite: поток соединения; пул: asyncio.to_thread, в основном классификатор):")
    for line in busy:
        print(f"- {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appeals", type=int, default=2000)
    parser.add_argument("--channel", choices=["tg", "vk", "both"], default="both")
    parser.add_argument("--reference", action="store_true",
                        help="add the durable echo round (each channel, each database)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"],
                        default="sqlite", help="where the durable echo and the full bot store")
    parser.add_argument("--repeat", type=int, default=1,
                        help="clocked rounds per bot, taken in turn (medians are shown)")
    args = parser.parse_args()
    channels = ["tg", "vk"] if args.channel == "both" else [args.channel]
    asyncio.run(main_async(args.appeals, channels, args.reference, args.database, args.repeat))


if __name__ == "__main__":
    main()
