"""Crash suite: the real bot (`python -m bot`) is killed with SIGKILL at seeded random points of
a scripted load (30 appeals, administrators' answers by reply, «Не наше» redirects with a
reason, citizens answering «Проблема решена?») and restarted each time on the same SQLite file.

What must hold at the end, as the emulator saw it:

* every appeal exists exactly once (one ticket number per citizen, 30 tickets in the database);
* every message the outbox recorded as ``sent`` reached its chat exactly once; a citizen never
  gets a message twice, and misses one only if the outbox left it ``uncertain`` (the row was in
  flight at a kill: see `bot.delivery.outbox`); a staff chat gets at most one repeat per kill
  (``resend_if_uncertain``);
* no dialog is forgotten: a citizen asked «Проблема решена?» before a kill answers after it and
  the bot carries on (asks for the rating).

The emulator lives in a thread of its own (the bot is another process); Telegram re-delivers
every update not confirmed by an offset, which the emulator does too (checked below).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

# aiogram takes ~10 s to import on a loaded machine; `TelegramEmulator.make_bot` imports it on
# first use, which was inside the 10-second deadline of the redelivery test when run first.
import aiogram  # noqa: F401
import pytest

from bot.domain import texts
from routing.model import RoutingTable
from routing.tablefile import load_table, save_table
from tests.app_world import operator_env
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator

ROOT = Path(__file__).resolve().parents[2]
CITY = "adm-63701000"
CITY_ADMIN = 2002
COORDINATOR = 3003
CITIZENS = [10_001 + i for i in range(30)]
REDIRECTED = set(CITIZENS[::6])  # 5 of 30: the city says «Не наше»
SEED = 20261123
START = 60.0  # seconds: a loaded machine may take long to load the classifier


def appeal_of(citizen: int) -> str:
    return f"В Саратове на ул. Московской, дом {citizen}, не горит фонарь уже неделю"


def answer_of(citizen: int) -> str:
    return f"Фонарь у дома {citizen} заменим до пятницы."


class Emulator:
    """The Telegram emulator on an event loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = START) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def do(self, fn: Callable[[], Any]) -> Any:
        """Run a plain function on the emulator's loop (its state is not thread-safe)."""

        async def run() -> Any:
            return fn()

        return self.call(run(), timeout=10)

    def __enter__(self) -> Emulator:
        self.thread.start()

        async def start() -> TelegramEmulator:
            tg = TelegramEmulator(limits=Limits(enabled=False))
            await tg.start()
            return tg

        self.tg: TelegramEmulator = self.call(start(), timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.tg.stop(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclasses.dataclass
class Bot:
    """`python -m bot` as an operator runs it; `kill` is SIGKILL, no chance to clean up."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen | None = None
    kills: int = 0

    def start(self) -> None:
        n = self.kills
        with (self.workdir / f"out{n}.txt").open("w") as out, \
                (self.workdir / f"err{n}.txt").open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], cwd=self.workdir, env=self.env,
                stdout=out, stderr=err,
            )

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.stderr()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stderr(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8")[-3000:]
                         for p in sorted(self.workdir.glob("err*.txt")))


def city_with_chat(group: int, path: Path) -> None:
    shipped = load_table(ROOT / "routing" / "tables" / "saratov.yaml")
    bodies = tuple(dataclasses.replace(b, telegram_chat=str(group)) if b.id == CITY else b
                   for b in shipped.bodies)
    table = RoutingTable(shipped.region, shipped.municipalities, shipped.topics, bodies)
    save_table(table, path)


def outbox(db: Path) -> list[dict]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]


def stored_not_handled(db: Path) -> int:
    """How many inbox rows are pending: stored, not handled yet (0 before the first start)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute("SELECT count(*) FROM inbox WHERE state = 'pending'").fetchone()[0]
    except sqlite3.OperationalError:  # no inbox table yet: the first start is migrating
        return 0


def bot_env(tmp_path: Path, tg: TelegramEmulator, table: Path) -> dict[str, str]:
    """`python -m bot` on Telegram (the emulator), SQLite in ``tmp_path``, as an operator
    configures it."""
    return operator_env(
        tmp_path,
        ROUTING_TABLE=str(table),
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_API_BASE=tg.base_url,
        COORDINATORS=f"tg:{COORDINATOR}",
        # The emulator's limits are off; the bot's own pacing would only slow the run.
        TELEGRAM_GROUP_CHAT_PER_MINUTE="1200",
        TELEGRAM_PRIVATE_CHAT_PER_SECOND="20",
    )


def until(condition: Callable[[], bool], what: str, timeout: float = 30.0,
          detail: Callable[[], object] = lambda: "") -> None:
    """Poll ``condition`` until it holds; a generous limit, returns as soon as it does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {detail()}")
        time.sleep(0.05)


# Five cold starts of `python -m bot` (imports and the classifier: 15-30 s each on a loaded
# machine, START allows 60) do not fit the suite-wide 120 s: it took 115-116 s at load average
# ~3 (before and after the changes of that day alike) and was cut off at 120 s at load 3.5-5
# (with four starts; the fifth came with the kill among the «Не наше» reasons).
@pytest.mark.timeout(360)
def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db = tmp_path / "bot.sqlite3"
    (tmp_path / "run").mkdir()
    with Emulator() as world:
        tg = world.tg
        group = world.do(lambda: tg.create_group(CITY_ADMIN, "Администрация Саратова"))
        world.do(lambda: tg.add_user(COORDINATOR))
        city_with_chat(group, tmp_path / "table.yaml")
        bot = Bot(env=bot_env(tmp_path, tg, tmp_path / "table.yaml"), workdir=tmp_path / "run")

        def sent(chat: int) -> list:
            return world.do(lambda: tg.sent_to(chat))

        def receiving() -> None:
            until(lambda: world.do(lambda: tg.polling_now), "the bot to poll", START)

        def kill_soon() -> None:
            time.sleep(rng.uniform(0.02, 0.4))  # a random point of the load, not an assertion
            bot.kill()
            bot.start()

        def settled() -> bool:
            """Nothing left to receive or to send (twice in a row: tasks may be mid-flight)."""
            for _ in range(2):
                if world.do(lambda: tg.unconfirmed_updates) or not db.exists():
                    return False
                if stored_not_handled(db):
                    return False
                if any(r["state"] in ("pending", "sending") for r in outbox(db)):
                    return False
                time.sleep(0.2)
            return True

        def cards() -> dict[int, list]:
            by_citizen: dict[int, list] = {c: [] for c in CITIZENS}
            for call in sent(group):
                for c in CITIZENS:
                    if f"дом {c}," in (call.body or ""):
                        by_citizen[c].append(call)
            return by_citizen

        def missing_cards() -> list:
            missing = [c for c, calls in cards().items() if not calls]
            return [(c, [x.body for x in sent(c)]) for c in missing]

        try:
            bot.start()
            receiving()
            # 1. Thirty appeals; a kill while they are being taken in.
            for citizen in CITIZENS:
                world.do(lambda c=citizen: tg.user_sends_text(c, appeal_of(c)))
            kill_soon()
            receiving()
            until(lambda: all(cards().values()), "a card for every appeal",
                  detail=lambda: (missing_cards(), bot.stderr()[-2000:]))
            until(settled, "the bot to settle after the appeals")

            # 2. The city answers 25 by reply and hands 5 over; a kill in the middle.
            for citizen, calls in cards().items():
                card = calls[0]
                if citizen in REDIRECTED:
                    data = next(b["callback_data"] for b in card.buttons
                                if b["text"] == texts.NOT_OURS_BUTTON)
                    world.do(lambda m=card.message_id, d=data:
                             tg.user_presses_button(CITY_ADMIN, m, d, chat_id=group))
                else:
                    world.do(lambda c=citizen, m=card.message_id: tg.user_sends_text(
                        CITY_ADMIN, answer_of(c), chat_id=group, reply_to=m))
            kill_soon()
            receiving()
            until(settled, "the bot to settle after the answers")
            # «Не наше» asks why first (bot.core.safe_actions): the city picks a reason under
            # each question (the first copy, if a kill made the bot ask twice).
            for citizen, calls in cards().items():
                if citizen not in REDIRECTED:
                    continue
                number = re.search(r"\b\d{2}-\d{6}\b", calls[0].body or "").group()
                start = f"Почему обращение № {number} не ваше?"

                def question_of(start: str = start) -> list:
                    return [c for c in sent(group) if (c.body or "").startswith(start)]

                until(lambda q=question_of: q(), f"the question about {number}")
                why = question_of()[0]
                data = next(b["callback_data"] for b in why.buttons
                            if b["text"] == texts.REDIRECT_REASONS["topic"])
                world.do(lambda m=why.message_id, d=data:
                         tg.user_presses_button(CITY_ADMIN, m, d, chat_id=group))
            kill_soon()  # a kill among the reasons: each hand-over and its messages, or none
            receiving()
            until(settled, "the bot to settle after the reasons")

            # 3. Citizens were asked «Проблема решена?» before the last kill; they answer, and
            #    another kill falls among their answers (those handled after it prove the
            #    question was remembered; those handled before it are re-delivered).
            asked = {}
            for citizen in CITIZENS:
                question = [c for c in sent(citizen) if (c.body or "").endswith("Проблема решена?")]
                if question:
                    asked[citizen] = question[0]
            for citizen, question in asked.items():
                data = next(b["callback_data"] for b in question.buttons
                            if b["text"] == texts.SOLVED_YES)
                world.do(lambda c=citizen, m=question.message_id, d=data:
                         tg.user_presses_button(c, m, d))
            kill_soon()
            receiving()
            until(settled, "the bot to settle after the citizens' answers")
        finally:
            bot.stop()
        assert bot.kills == 4
        rows = outbox(db)
        delivered = world.do(lambda: list(tg.sent))

    # Every appeal exists once: one number per citizen, seen on the cards; 30 tickets stored.
    numbers = {}
    for citizen in CITIZENS:
        found = {n for call in delivered if call.chat_id == group
                 and f"дом {citizen}," in (call.body or "")
                 for n in re.findall(r"\b\d{2}-\d{6}\b", call.body or "")}
        assert len(found) == 1, (citizen, found)
        numbers[citizen] = found.pop()
    assert len(set(numbers.values())) == len(CITIZENS)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == len(CITIZENS)

    # Nothing left undone, nothing failed.
    assert Counter(r["state"] for r in rows).keys() <= {"sent", "uncertain"}, Counter(
        r["state"] for r in rows)

    # Every delivery the outbox knows of, as the emulator saw it (a live card's edit row as
    # the edit it made: a repeat of it after a kill is "not modified", and not seen).
    got: Counter[tuple[int, str]] = Counter(
        (int(c.chat_id), c.body or "") for c in delivered
        if c.method in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText")
    )
    expected_sent: Counter[tuple[int, str]] = Counter()
    expected_unsure: Counter[tuple[int, str]] = Counter()
    staff_repeats: Counter[int] = Counter()
    for r in rows:
        key = (int(r["chat_id"]), json.loads(r["payload"])["text"])
        (expected_sent if r["state"] == "sent" else expected_unsure)[key] += 1
    for key in set(got) | set(expected_sent) | set(expected_unsure):
        chat, text = key
        low, high = expected_sent[key], expected_sent[key] + expected_unsure[key]
        if chat in CITIZENS:
            assert low <= got[key] <= high, (chat, text, got[key], low, high)
        else:
            assert low <= got[key], (chat, text, got[key], low)
            staff_repeats[chat] += max(0, got[key] - high)
    assert all(n <= bot.kills for n in staff_repeats.values()), staff_repeats

    # Every citizen was told the number and the answer (or the hand-over), unless that very
    # message was in flight at a kill; nobody was told twice.
    unsure = {(int(r["chat_id"]), r["purpose"]) for r in rows if r["state"] == "uncertain"}
    for citizen in CITIZENS:
        mine = [c.body or "" for c in delivered if c.chat_id == citizen]
        confirmations = [b for b in mine if numbers[citizen] in b and "принято" in b.lower()]
        assert len(confirmations) <= 1
        if citizen in REDIRECTED:
            told = [b for b in mine if f"№ {numbers[citizen]} передано в другой орган" in b
                    or f"№ {numbers[citizen]}: уточняем" in b]
        else:
            told = [b for b in mine if answer_of(citizen) in b]
        assert len(told) <= 1
        if not any(chat == citizen for chat, _ in unsure):
            assert len(told) == 1, (citizen, mine)

    # Everyone the city answered was asked «Проблема решена?» with the answer, unless that
    # message was in flight at a kill (several can be: the outbox sends to many chats at once).
    not_asked = set(CITIZENS) - REDIRECTED - set(asked)
    assert all(any(chat == c for chat, _ in unsure) for c in not_asked), (not_asked, unsure)

    # No dialog forgotten: everyone asked before the kill who answered got the next question.
    rating_asked = [c for c in delivered if (c.body or "").startswith("Оцените")]
    assert len(rating_asked) >= len(asked) - len(unsure)
    assert len({c.chat_id for c in rating_asked}) == len(rating_asked)


@run_async
async def test_the_emulator_redelivers_updates_not_confirmed_by_an_offset() -> None:
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        tg.user_sends_text(CITIZENS[0], "первое")
        tg.user_sends_text(CITIZENS[0], "второе")
        async with tg.make_bot() as bot:
            first = await bot.get_updates(timeout=0)
            again = await bot.get_updates(timeout=0)  # no offset: nothing confirmed
            assert [u.update_id for u in again] == [u.update_id for u in first]
            rest = await bot.get_updates(offset=first[0].update_id + 1, timeout=0)
            assert [u.message.text for u in rest] == ["второе"]
            assert tg.unconfirmed_updates == 1


@pytest.mark.timeout(300)
def test_sigkill_between_storing_updates_and_handling_them_loses_nothing(tmp_path: Path) -> None:
    """A burst of thirty appeals; the bot is killed once they are stored in the inbox and
    confirmed to Telegram (no update left unconfirmed) and before all are handled, so Telegram
    will never deliver those again: only the inbox has them. (Should the bot handle a whole
    burst before the kill lands, another burst is sent.) A second kill falls while the restarted
    bot is taking them up, if it is caught mid-way. Every citizen still gets one confirmation,
    and there is one ticket each."""
    db = tmp_path / "bot.sqlite3"
    (tmp_path / "run").mkdir()
    citizens: list[int] = []
    with Emulator() as world:
        tg = world.tg
        group = world.do(lambda: tg.create_group(CITY_ADMIN, "Администрация Саратова"))
        city_with_chat(group, tmp_path / "table.yaml")
        bot = Bot(env=bot_env(tmp_path, tg, tmp_path / "table.yaml"), workdir=tmp_path / "run")

        def confirmed(citizen: int) -> list[str]:
            return [c.body or "" for c in world.do(lambda: tg.sent_to(citizen))
                    if "принято" in (c.body or "")]

        try:
            for burst in range(3):
                bot.start()
                until(lambda: world.do(lambda: tg.polling_now), "the bot to poll", START)
                for citizen in range(20_001 + 30 * burst, 20_031 + 30 * burst):
                    citizens.append(citizen)
                    world.do(lambda c=citizen: tg.user_sends_text(c, appeal_of(c)))
                until(lambda: stored_not_handled(db) and not world.do(
                    lambda: tg.unconfirmed_updates), "the burst stored and confirmed", 30,
                    detail=bot.stderr)
                bot.kill()  # between the two, unless the bot was quicker than this line
                if stored_not_handled(db):
                    break
            left = stored_not_handled(db)
            assert left > 0 and world.do(lambda: tg.unconfirmed_updates) == 0
            bot.start()
            # The restart takes them up; kill it again if caught with some handled, some not.
            deadline = time.monotonic() + START
            while time.monotonic() < deadline and stored_not_handled(db) == left:
                time.sleep(0.001)
            if 0 < stored_not_handled(db) < left:
                bot.kill()
                bot.start()
            until(lambda: not stored_not_handled(db)
                  and all(r["state"] in ("sent", "uncertain") for r in outbox(db))
                  and len(outbox(db)) >= 2 * len(citizens),  # a confirmation and a card each
                  "the bot to settle", timeout=START,
                  detail=lambda: (stored_not_handled(db), bot.stderr()[-2000:]))
        finally:
            bot.stop()
        rows = outbox(db)
        told = {c: confirmed(c) for c in citizens}
    with sqlite3.connect(db) as conn:
        tickets = conn.execute("SELECT chat_id FROM tickets ORDER BY chat_id").fetchall()
    assert [chat for (chat,) in tickets] == citizens
    unsure = {int(r["chat_id"]) for r in rows if r["state"] == "uncertain"}
    for citizen, confirmations in told.items():
        assert len(confirmations) == 1 or (citizen in unsure and len(confirmations) <= 1), (
            citizen, confirmations)


@pytest.mark.timeout(300)
def test_sigkill_between_sending_an_edit_and_recording_it_leaves_the_card_right(
    tmp_path: Path,
) -> None:
    """«Взять в работу»: Telegram edits the card at once, but its answer to the bot is slow, and
    the bot is killed while it waits (the edit row is ``sending``). After the restart the edit
    goes again, Telegram finds nothing to change ("message is not modified", counted as done):
    the card shows who took it, nothing is sent twice, the citizen is told once."""
    db = tmp_path / "bot.sqlite3"
    (tmp_path / "run").mkdir()
    citizen = CITIZENS[0]
    with Emulator() as world:
        tg = world.tg
        group = world.do(lambda: tg.create_group(CITY_ADMIN, "Администрация Саратова"))
        city_with_chat(group, tmp_path / "table.yaml")
        bot = Bot(env=bot_env(tmp_path, tg, tmp_path / "table.yaml"), workdir=tmp_path / "run")

        def edit_rows() -> list[dict]:
            return [r for r in outbox(db) if "edits" in json.loads(r["payload"])]

        def receiving() -> None:
            until(lambda: world.do(lambda: tg.polling_now), "the bot to poll", START)

        try:
            bot.start()
            receiving()
            world.do(lambda: tg.user_sends_text(citizen, appeal_of(citizen)))
            until(lambda: world.do(lambda: tg.sent_to(group)), "the card", START,
                  detail=bot.stderr)
            (card,) = world.do(lambda: tg.sent_to(group))
            take = next(b["callback_data"] for b in card.buttons
                        if b["text"] == texts.TAKE_BUTTON)
            world.do(lambda: tg.fail_next("editMessageText", error="slow_after", delay=20))
            world.do(lambda: tg.user_presses_button(CITY_ADMIN, card.message_id, take,
                                                    chat_id=group))
            until(lambda: world.do(lambda: tg.calls("editMessageText"))
                  and [r["state"] for r in edit_rows()] == ["sending"],
                  "the edit made and not yet recorded", detail=bot.stderr)
            bot.kill()
            bot.start()
            receiving()
            until(lambda: [r["state"] for r in edit_rows()] == ["sent"],
                  "the edit recorded after the restart", START, detail=bot.stderr)
            until(lambda: not any(r["state"] in ("pending", "sending") for r in outbox(db)),
                  "the bot to settle")
        finally:
            bot.stop()
        shown = world.do(lambda: dict(tg.chats[group].messages[card.message_id]))
        delivered = world.do(lambda: list(tg.sent))
        (row,) = edit_rows()

    assert row["attempts"] == 2  # made before the kill, tried again after it
    assert "🛠 В работе" in shown["text"] and shown["text"].startswith("Обращение № ")
    buttons = [b["text"] for r in shown["reply_markup"]["inline_keyboard"] for b in r]
    assert texts.TAKE_BUTTON not in buttons and texts.NOT_OURS_BUTTON in buttons
    # One edit reached the chat; no status message was sent instead of it.
    assert len([c for c in delivered if c.method == "editMessageText"]) == 1
    assert [c.method for c in delivered if c.chat_id == group and c.method == "sendMessage"] == [
        "sendMessage"
    ]
    mine = [c.body or "" for c in delivered if c.chat_id == citizen]
    assert sum("принято" in b.lower() for b in mine) == 1
    assert sum("взято в работу" in b for b in mine) <= 1


NOTED = CITIZENS[:6]


def note_of(citizen: int, index: int) -> str:
    return f"Заметка {index} к дому {citizen}: проверить участок"


@pytest.mark.timeout(300)
def test_sigkill_among_notes_stores_each_once_and_sends_none_to_citizens(tmp_path: Path) -> None:
    """Internal notes (issue 16) through kills: the city's administrators write three ``/note``
    replies on each of six cards and then the answer; the bot is killed at a random point of
    that burst and restarted (Telegram re-delivers what was not confirmed, the inbox keeps what
    was). Each note is stored exactly once, no outbox row to a citizen and no message a citizen
    received holds a note, and the answers still arrive once."""
    rng = random.Random(SEED + 16)
    db = tmp_path / "bot.sqlite3"
    (tmp_path / "run").mkdir()
    with Emulator() as world:
        tg = world.tg
        group = world.do(lambda: tg.create_group(CITY_ADMIN, "Администрация Саратова"))
        city_with_chat(group, tmp_path / "table.yaml")
        bot = Bot(env=bot_env(tmp_path, tg, tmp_path / "table.yaml"), workdir=tmp_path / "run")

        def receiving() -> None:
            until(lambda: world.do(lambda: tg.polling_now), "the bot to poll", START)

        def settled() -> bool:
            for _ in range(2):
                if world.do(lambda: tg.unconfirmed_updates) or stored_not_handled(db):
                    return False
                if any(r["state"] in ("pending", "sending") for r in outbox(db)):
                    return False
                time.sleep(0.2)
            return True

        def card_of(citizen: int) -> Any:
            return next((c for c in world.do(lambda: tg.sent_to(group))
                         if f"дом {citizen}," in (c.body or "")), None)

        try:
            bot.start()
            receiving()
            for citizen in NOTED:
                world.do(lambda c=citizen: tg.user_sends_text(c, appeal_of(c)))
            until(lambda: all(card_of(c) for c in NOTED), "a card for every appeal",
                  detail=bot.stderr)
            until(settled, "the bot to settle after the appeals")
            for citizen in NOTED:
                card = card_of(citizen).message_id
                for index in range(3):
                    world.do(lambda c=citizen, i=index, m=card: tg.user_sends_text(
                        CITY_ADMIN, f"/note {note_of(c, i)}", chat_id=group, reply_to=m))
                world.do(lambda c=citizen, m=card: tg.user_sends_text(
                    CITY_ADMIN, answer_of(c), chat_id=group, reply_to=m))
            time.sleep(rng.uniform(0.02, 0.4))  # a random point of the burst, not an assertion
            bot.kill()
            bot.start()
            receiving()
            until(settled, "the bot to settle after the notes", timeout=START,
                  detail=lambda: bot.stderr()[-2000:])
        finally:
            bot.stop()
        rows = outbox(db)
        delivered = world.do(lambda: list(tg.sent))

    with sqlite3.connect(db) as conn:
        notes = Counter(text for (text,) in conn.execute("SELECT text FROM ticket_notes"))
    assert notes == Counter({note_of(c, i): 1 for c in NOTED for i in range(3)}), notes
    for r in rows:
        if r["purpose"].startswith("citizen"):
            assert "Заметка" not in json.loads(r["payload"])["text"], r
    unsure = {int(r["chat_id"]) for r in rows if r["state"] == "uncertain"}
    for citizen in NOTED:
        mine = [c.body or "" for c in delivered if c.chat_id == citizen]
        assert not any("Заметка" in b for b in mine), mine
        answers = [b for b in mine if answer_of(citizen) in b]
        assert len(answers) == 1 or (citizen in unsure and not answers), (citizen, mine)
    # Each note acknowledged (in reply to it), a staff message repeated at most once a kill.
    acknowledged = Counter(c.reply_to for c in delivered if c.chat_id == group
                           and (c.body or "").startswith("📝 Заметка к обращению"))
    assert sum(acknowledged.values()) >= len(notes) and all(
        n <= 1 + bot.kills for n in acknowledged.values()), acknowledged
