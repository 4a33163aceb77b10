"""Administrators in Telegram, end to end: the real bot (`bot.serve.run_telegram`, aiogram's HTTP
client) polling the emulator, a small routing table whose bodies have no chats of their own —
every body chat here comes from an invite.

Time is real time plus a shift the test can move (`ShiftedClock`), so that invites expire and
reminders fall due without waiting; the bot's own rate limits are raised and the emulator's
switched off, so that a flow of a dozen messages does not take a dozen seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import texts
from bot.domain.wire import Payload
from bot.serve import run_telegram
from config import Coordinator, Settings
from routing.classify import Candidate, Classification, Decision
from routing.model import Body, Deadline, Level, Municipality, RoutingTable, Topic
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, SentCall, TelegramEmulator

CITIZEN = 1001
COORDINATOR = 500
ADMIN = 2002  # the city administration
ADMIN2 = 2003  # a second administrator: of the city, or of the transport ministry
STRANGER = 9009
SARATOV = "63701000"
NUMBER = re.compile(r"\b\d{2}-\d{6}\b")
CODE = re.compile(r"Код приглашения: (\S+)")

TABLE = RoutingTable(
    region="Саратовская область",
    municipalities=(Municipality(SARATOV, "город Саратов", "городской округ"),),
    topics=(Topic("roads", "Дороги"),),
    bodies=(
        Body("city", "Администрация города Саратова", Level.MUNICIPAL, ("roads",), (SARATOV,),
             deadline=Deadline.parse("10wd")),
        Body("transport", "Министерство транспорта", Level.REGIONAL, ("roads",), "region",
             deadline=Deadline.parse("30d")),
    ),
)


class Potholes:
    """Every appeal is about a road in Saratov: the city first, the ministry next."""

    def classify(self, text, lat=None, lon=None, *, topic=None, municipality=None):
        candidates = (Candidate("roads", SARATOV, "city", 0.8),
                      Candidate("roads", SARATOV, "transport", 0.2))
        return Classification(Decision.ROUTE, "roads", SARATOV, "city", 0.8, candidates)


class ShiftedClock:
    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


class World:
    def __init__(self, tg: TelegramEmulator, tmp_path: Path, table: RoutingTable = TABLE) -> None:
        self.tg = tg
        self.table = table
        self.clock = ShiftedClock()
        self.settings = Settings(
            _env_file=None,
            telegram_bot_token=tg.token,
            telegram_api_base=tg.base_url,
            database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            coordinators=[Coordinator("tg", COORDINATOR)],
            telegram_private_chat_per_second=100,
            telegram_group_chat_per_minute=6000,
        )
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(run_telegram(
            self.settings, self.table, Potholes(), polling_timeout=1, handle_signals=False,
            clock=self.clock,
        ))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def said(self, chat: int, needle: str, since: int = 0, **where) -> SentCall:
        """The bot's next message to ``chat`` containing ``needle``."""
        thread = where.get("thread_id")
        return await self.tg.wait_for(
            lambda c: c.chat_id == chat and c.method == "sendMessage" and needle in (c.body or "")
            and (thread is None or c.thread_id == thread),
            since=since,
        )

    async def invite(self, query: str) -> str:
        since = len(self.tg.sent)
        self.tg.user_sends_text(COORDINATOR, f"/invite {query}")
        answer = await self.said(COORDINATOR, "Код приглашения", since)
        return CODE.search(answer.text).group(1)

    async def bind_private(self, user: int, query: str) -> None:
        code = await self.invite(query)
        since = len(self.tg.sent)
        self.tg.user_sends_text(user, f"/start {code}")
        await self.said(user, "подключён к органу", since)

    async def bind_forum(self, query: str, title: str = "Дороги Саратова") -> tuple[int, SentCall]:
        """A forum group of ``ADMIN`` bound to the body by an invite: the group and the bot's
        «подключён к органу»."""
        group = self.tg.create_forum_group(admin_user_id=ADMIN, title=title)
        code = await self.invite(query)
        self.tg.user_sends_text(ADMIN, f"/start@obrashcheniya_test_bot {code}", chat_id=group)
        return group, await self.said(group, "подключён к органу")

    async def appeal(self, text: str = "Яма на улице Московской, дом 5") -> tuple[str, SentCall]:
        since = len(self.tg.sent)
        self.tg.user_sends_text(CITIZEN, text)
        ack = await self.said(CITIZEN, "принято", since)
        return NUMBER.search(ack.text).group(), ack

    async def card(self, chat: int, number: str) -> SentCall:
        return await self.tg.wait_for(
            lambda c: c.chat_id == chat and c.text is not None
            and f"Обращение № {number}\n" in c.text  # after a note, if any
        )

    async def press(self, user: int, card: SentCall, action: str, chat: int | None = None) -> dict:
        """``user`` taps a button (found by its action) under ``card``; returns the answer."""
        number = NUMBER.search(card.body).group()
        data = Payload(action, number).pack()
        assert data in [b.get("callback_data") for b in card.buttons]
        query = self.tg.user_presses_button(user, card.message_id, data, chat_id=chat)
        answer = await self.tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                        and c.params.get("callback_query_id") == query)
        return answer.params


    async def answer_question(self, user: int, question: SentCall, label: str) -> dict:
        """``user`` taps the button ``label`` under the bot's question; returns the answer."""
        (data,) = [b["callback_data"] for b in question.buttons if b["text"] == label]
        query = self.tg.user_presses_button(user, question.message_id, data)
        answer = await self.tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                        and c.params.get("callback_query_id") == query)
        return answer.params


@contextlib.asynccontextmanager
async def world_at(tmp_path: Path, table: RoutingTable = TABLE):
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        world = World(tg, tmp_path, table)
        world.start()
        try:
            yield world
        finally:
            await world.stop()


@run_async
async def test_an_invited_administrator_takes_a_ticket_and_answers_by_a_plain_reply(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        since = len(tg.sent)
        tg.user_sends_text(COORDINATOR, "/invite Администрация города")
        invite = await w.said(COORDINATOR, "Код приглашения", since)
        code = CODE.search(invite.text).group(1)
        assert f"https://t.me/obrashcheniya_test_bot?start={code}" in invite.text
        assert f"https://t.me/obrashcheniya_test_bot?startgroup={code}" in invite.text

        tg.user_sends_text(ADMIN, f"/start {code}")
        bound = await w.said(ADMIN, "подключён к органу", since)
        assert "Администрация города Саратова" in bound.text
        joined = await w.said(COORDINATOR, "подключился администратор", since)
        assert tg.users[ADMIN]["first_name"] in joined.text

        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        assert "Яма на улице Московской" in card.text
        assert [b["text"] for b in card.buttons] == [
            "Взять в работу", "Не наше", "Закрыть", "Спам", "Промежуточный ответ", "Продлить срок"
        ]

        answer = await w.press(ADMIN, card, "take")
        assert not answer.get("show_alert")
        await w.said(CITIZEN, "взято в работу: Администрация города Саратова", since)

        tg.user_sends_text(ADMIN, "Яму заделаем до пятницы.", reply_to=card.message_id)
        reply = await w.said(CITIZEN, "Яму заделаем до пятницы.", since)
        assert number in reply.text and "Администрация города Саратова" in reply.text
        await w.said(CITIZEN, "Проблема решена?", since)


@run_async
async def test_plain_start_still_greets_and_a_non_coordinator_cannot_invite(tmp_path):
    async with world_at(tmp_path) as w:
        w.tg.user_sends_text(STRANGER, "/start")
        await w.said(STRANGER, "Здравствуйте")
        w.tg.user_sends_text(STRANGER, "/invite city")
        await w.said(STRANGER, texts.INVITE_NOT_COORDINATOR)
        w.tg.user_sends_text(COORDINATOR, "/invite министерство здравоохранения")
        await w.said(COORDINATOR, "не найден")


@run_async
async def test_two_administrators_of_one_body_both_get_the_card(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "city")
        number, _ack = await w.appeal()
        await w.card(ADMIN, number)
        await w.card(ADMIN2, number)


@run_async
async def test_used_and_expired_invites_are_refused(tmp_path):
    async with world_at(tmp_path) as w:
        code = await w.invite("city")
        w.tg.user_sends_text(ADMIN, f"/start {code}")
        await w.said(ADMIN, "подключён к органу")
        w.tg.user_sends_text(STRANGER, f"/start {code}")
        await w.said(STRANGER, texts.INVITE_USED)

        late = await w.invite("transport")
        w.clock.shift = timedelta(days=7, minutes=1)
        w.tg.user_sends_text(STRANGER, f"/start {late}")
        await w.said(STRANGER, texts.INVITE_EXPIRED)
        w.tg.user_sends_text(STRANGER, "/start nosuchcode-12345")
        await w.said(STRANGER, texts.INVITE_UNKNOWN)
        w.tg.user_sends_text(STRANGER, "/start leaflet")  # another deep link: just a greeting
        await w.said(STRANGER, "Здравствуйте")

        # The stranger got nothing of a body: an appeal reaches only the administrator.
        number, _ack = await w.appeal()
        await w.card(ADMIN, number)
        assert not any(number in (c.body or "") for c in w.tg.sent_to(STRANGER))


@run_async
async def test_a_forged_button_is_refused_with_an_alert_and_changes_nothing(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)
        # A stranger crafts the button under a message of their own chat with the bot.
        w.tg.user_sends_text(STRANGER, "/start")
        greeting = await w.said(STRANGER, "Здравствуйте")
        query = w.tg.user_presses_button(STRANGER, greeting.message_id,
                                         Payload("take", number).pack())
        answer = await w.tg.wait_for(lambda c: c.method == "answerCallbackQuery"
                                     and c.params.get("callback_query_id") == query)
        assert answer.params["show_alert"] is True
        assert answer.params["text"] == texts.STAFF_NOT_ALLOWED
        # Still untaken: the body's own press is the one that tells the citizen.
        assert not any("взято в работу" in (c.body or "") for c in w.tg.sent_to(CITIZEN))
        taken = await w.press(ADMIN, card, "take")
        assert not taken.get("show_alert")
        await w.said(CITIZEN, "взято в работу")
        again = await w.press(ADMIN, card, "take")
        assert again["show_alert"] is True and "уже в работе" in again["text"]


@run_async
async def test_not_ours_then_the_stale_card_is_refused_and_the_next_body_closes(tmp_path):
    async with world_at(tmp_path) as w:
        await w.bind_private(ADMIN, "city")
        await w.bind_private(ADMIN2, "transport")
        number, _ack = await w.appeal()
        card = await w.card(ADMIN, number)

        # «Не наше» asks why first (tests/handlers/test_telegram_safe_actions.py): any reason.
        assert not (await w.press(ADMIN, card, "redirect")).get("show_alert")
        why = await w.said(ADMIN, "не ваше?")
        await w.answer_question(ADMIN, why, "Другая тема")
        await w.said(CITIZEN, "передано в другой орган: Министерство транспорта")
        their_card = await w.card(ADMIN2, number)

        stale = await w.press(ADMIN, card, "take")
        assert stale["show_alert"] is True
        assert stale["text"] == texts.STAFF_HANDED_OVER.format(number=number)
        since = len(w.tg.sent)
        w.tg.user_sends_text(ADMIN, "Сделаем.", reply_to=card.message_id)
        await w.said(ADMIN, "ответ заявителю не отправлен", since)

        assert not (await w.press(ADMIN2, their_card, "close")).get("show_alert")
        asked = await w.said(ADMIN2, "без ответа?")
        await w.answer_question(ADMIN2, asked, "Не является обращением")
        closed = await w.said(CITIZEN, f"Обращение № {number} закрыто")
        assert "Министерство транспорта" in closed.text
        assert not any("Сделаем." in (c.body or "") for c in w.tg.sent_to(CITIZEN))
        late = await w.press(ADMIN2, their_card, "take")
        assert late["show_alert"] is True and "закрыто" in late["text"]


@run_async
async def test_a_forum_group_gets_a_topic_per_ticket_answers_in_it_and_recreates_it(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        group, bound = await w.bind_forum("city")
        assert "в теме обращения" in bound.text

        number, ack = await w.appeal()
        card = await w.card(group, number)
        (created,) = tg.calls("createForumTopic")
        assert created.params["name"] == f"№ {number} · Дороги"
        assert card.thread_id == created.thread_id

        # The body's administrator deletes the topic; the citizen's next message re-creates it.
        tg.user_deletes_topic(ADMIN, group, created.thread_id)
        since = len(tg.sent)
        tg.user_sends_text(CITIZEN, "Добавлю: яма уже с полметра.", reply_to=ack.message_id)
        follow_up = await w.said(group, "яма уже с полметра", since)
        recreated = tg.calls("createForumTopic")[-1]
        assert recreated.thread_id != created.thread_id
        assert follow_up.thread_id == recreated.thread_id
        assert recreated.params["name"] == f"№ {number} · Дороги"

        # Any member answers in the topic with /answer (the card went with the deleted topic;
        # a message replying to nothing is an internal note since issue 16, see
        # tests/handlers/test_telegram_notes.py).
        tg.user_sends_text(ADMIN2, "/answer Заделаем в четверг.", chat_id=group,
                           thread_id=recreated.thread_id)
        answer = await w.said(CITIZEN, "Заделаем в четверг.", since)
        assert number in answer.text
        # Chatter in the General topic is nobody's answer.
        tg.user_sends_text(ADMIN2, "Коллеги, всем привет", chat_id=group)
        await asyncio.sleep(0.3)  # room for a wrong delivery, if there were going to be one
        assert not any("всем привет" in (c.body or "") for c in tg.sent_to(CITIZEN))


@run_async
async def test_a_reminder_lands_in_the_ticket_topic_after_a_restart(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        group, _bound = await w.bind_forum("city")
        number, _ack = await w.appeal()
        card = await w.card(group, number)

        await w.stop()
        # Ten working days to answer: in eight days half of them have passed.
        w.clock.shift = timedelta(days=8)
        since = len(tg.sent)
        w.start()
        reminder = await w.said(group, "Напоминание", since)
        assert number in reminder.text
        assert reminder.thread_id == card.thread_id
        assert reminder.reply_to == card.message_id
        assert len(tg.calls("createForumTopic")) == 1


@run_async
async def test_a_plain_group_gets_cards_and_any_member_answers_by_reply(tmp_path):
    async with world_at(tmp_path) as w:
        tg = w.tg
        group = tg.create_group(admin_user_id=ADMIN, title="Приёмная администрации")
        code = await w.invite("city")
        tg.user_sends_text(ADMIN, f"/start@obrashcheniya_test_bot {code}", chat_id=group)
        bound = await w.said(group, "подключён к органу")
        assert "в теме обращения" not in bound.text
        joined = await w.said(COORDINATOR, "подключился администратор")
        assert "(группа)" in joined.text

        number, _ack = await w.appeal()
        card = await w.card(group, number)
        assert card.thread_id is None and not tg.calls("createForumTopic")
        since = len(tg.sent)
        tg.user_sends_text(ADMIN2, "Коллеги, кто сегодня дежурит?", chat_id=group)
        tg.user_sends_text(ADMIN2, "Передали подрядчику, срок — неделя.", chat_id=group,
                           reply_to=card.message_id)
        answer = await w.said(CITIZEN, "Передали подрядчику", since)
        assert number in answer.text
        # The answer is acknowledged in reply to it, once delivered; chatter in the group is
        # neither answered nor passed on.
        ack = await w.said(group, "доставлен заявителю", since)
        assert not any("дежурит" in (c.body or "") for c in tg.sent)
        assert all(c.message_id <= card.message_id or c is ack for c in tg.sent_to(group))
