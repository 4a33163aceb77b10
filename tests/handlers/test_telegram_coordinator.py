"""Coordinator tools end to end: the real aiogram bot (`run_telegram`) polling the Telegram
emulator, the real core and classifier on a temporary SQLite file and the shipped Saratov table.

A coordinator uploads a table as a document, sees the diff, presses «Применить», and the next
appeal goes where the new table says; /rollback undoes it; /table sends the table back as XLSX;
/stats sends a chart and a text. Citizens cannot use any of it.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

# matplotlib takes a second to import; do it here, not inside a test's 10-second deadline.
import matplotlib.figure  # noqa: F401
import openpyxl
import pytest

from bot.domain import texts
from routing.calibration import Calibration
from routing.classify import Classifier
from routing.model import RoutingTable
from routing.tablefile import parse_table, table_to_bytes
from tests import app_world, hostile_files
from tests.app_world import APPEAL, CITY, NUMBER
from tests.app_world import TG_ADMIN as ADMIN
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator

CITIZEN = 1001
COORDINATOR = 3003
SLOW = 8  # seconds: applying builds a classifier for the whole regional table


@pytest.fixture(scope="module")
def saratov() -> tuple[RoutingTable, Classifier]:
    return app_world.saratov()


def with_city_chat(table: RoutingTable, chat_id: int) -> RoutingTable:
    return app_world.with_city_chats(table, tg=chat_id, vk=None)


def polling(tg: TelegramEmulator, tmp_path: Path, table: RoutingTable):
    """The bot against the emulator until the block ends (then stopped, as on SIGTERM)."""
    settings = app_world.settings_for(tmp_path, tg, None, coordinators=f"tg:{COORDINATOR}")
    return app_world.running(settings, table)


@contextlib.asynccontextmanager
async def world(tmp_path: Path, saratov):
    """The emulator with two groups (the city's current one and a new one) and the bot."""
    shipped, _ = saratov
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        old = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация: старый чат")
        new = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация: новый чат")
        table = with_city_chat(shipped, old)
        async with polling(tg, tmp_path, table):
            yield tg, table, old, new


async def upload(tg: TelegramEmulator, table: RoutingTable, name: str = "таблица.xlsx"):
    """The coordinator sends ``table`` as XLSX; returns the bot's proposal with the buttons."""
    seen = len(tg.sent)
    tg.user_sends_document(COORDINATOR, name, table_to_bytes(table, "xlsx"))
    return await tg.wait_for(lambda c: c.chat_id == COORDINATOR and c.reply_markup, since=seen,
                             timeout=SLOW)


def button(call, text: str) -> str:
    for row in call.reply_markup["inline_keyboard"]:
        for b in row:
            if b["text"] == text:
                return b["callback_data"]
    raise AssertionError(f"no «{text}» under {call.body!r}")


async def press(tg: TelegramEmulator, call, text: str):
    """The coordinator presses a button under ``call``; returns the bot's message after it."""
    seen = len(tg.sent)
    tg.user_presses_button(COORDINATOR, call.message_id, button(call, text))
    return await tg.wait_for(lambda c: c.chat_id == COORDINATOR and c.method == "sendMessage",
                             since=seen, timeout=SLOW)


async def appeal_goes_to(tg: TelegramEmulator, text: str = APPEAL) -> int:
    seen = len(tg.sent)
    tg.user_sends_text(CITIZEN, text)
    accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN and c.method == "sendMessage",
                                 since=seen)
    number = NUMBER.search(accepted.text).group()
    card = await tg.wait_for(lambda c: number in (c.body or "") and c.chat_id != CITIZEN,
                             since=seen)
    return card.chat_id


async def appeal_to_the_coordinator(tg: TelegramEmulator, text: str) -> tuple[str, Any, int]:
    """The coordinator opens the chat (Telegram: a bot writes only to who wrote first), a
    citizen writes ``text``, and its card reaches the coordinator: the number, that card, and
    how many calls the emulator had seen when the citizen wrote."""
    tg.user_sends_text(COORDINATOR, "/tools")
    await tg.wait_for(lambda c: c.chat_id == COORDINATOR)
    seen = len(tg.sent)
    tg.user_sends_text(CITIZEN, text)
    accepted = await tg.wait_for(lambda c: c.chat_id == CITIZEN, since=seen)
    number = NUMBER.search(accepted.text).group()
    card = await tg.wait_for(lambda c: c.chat_id == COORDINATOR and number in c.text, since=seen)
    return number, card, seen


@run_async
async def test_upload_shows_the_diff_and_apply_reroutes_new_appeals(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, old, new):
        proposal = await upload(tg, with_city_chat(table, new))
        assert "Органы: +0, −0, изменено 1" in proposal.text
        assert "Администрация муниципального образования «Город Саратов»" in proposal.text \
            or CITY in proposal.text
        assert "telegram_chat" in proposal.text
        assert await appeal_goes_to(tg) == old  # nothing changes before «Применить»

        applied = await press(tg, proposal, texts.TABLE_APPLY_BUTTON)
        assert applied.text == texts.TABLE_APPLIED.format(version=2)
        alert = await tg.wait_for(lambda c: c.method == "answerCallbackQuery")
        assert alert.params.get("text") == texts.TABLE_APPLIED_NOTICE.format(version=2)
        assert await appeal_goes_to(tg, APPEAL + ", дом 5") == new


@run_async
async def test_rollback_restores_the_previous_version_after_apply(tmp_path, saratov):
    shipped, _ = saratov
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        old = tg.create_forum_group(admin_user_id=ADMIN)
        new = tg.create_forum_group(admin_user_id=ADMIN)
        async with polling(tg, tmp_path, with_city_chat(shipped, old)):
            assert await appeal_goes_to(tg) == old  # version 1: the file as it was
        # The operator edited ROUTING_TABLE: version 2 on this start.
        async with polling(tg, tmp_path, with_city_chat(shipped, new)):
            assert await appeal_goes_to(tg, APPEAL + ", дом 5") == new

            seen = len(tg.sent)
            tg.user_sends_text(COORDINATOR, "/rollback")
            back = await tg.wait_for(lambda c: c.chat_id == COORDINATOR and c.reply_markup,
                                     since=seen, timeout=SLOW)
            assert "Откат к версии 1" in back.text and "telegram_chat" in back.text
            applied = await press(tg, back, texts.TABLE_APPLY_BUTTON)
            assert applied.text == texts.TABLE_APPLIED.format(version=3)
            assert await appeal_goes_to(tg, APPEAL + ", дом 7") == old

            seen = len(tg.sent)
            tg.user_sends_text(COORDINATOR, "/versions")
            listing = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, since=seen)
            latest = listing.text.splitlines()[1]
            assert latest.startswith("№ 3 ") and texts.TABLE_VERSION_CURRENT in latest
            assert "откат к версии 1" in latest and f"tg:{COORDINATOR}" in latest


@run_async
async def test_a_table_with_errors_is_listed_by_sheet_row_and_column(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, _old, _new):
        book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(table, "xlsx")))
        sheet = book["bodies"]
        header = [cell.value for cell in sheet[1]]
        sheet.cell(row=3, column=header.index("deadline") + 1, value="скоро")
        sheet.cell(row=4, column=header.index("level") + 1, value="галактический")
        data = io.BytesIO()
        book.save(data)

        seen = len(tg.sent)
        tg.user_sends_document(COORDINATOR, "с ошибками.xlsx", data.getvalue())
        report = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, since=seen, timeout=SLOW)
        assert report.text.startswith(texts.TABLE_INVALID.format(name="с ошибками.xlsx", count=2))
        assert "лист «bodies», строка 3, столбец «deadline»" in report.text
        assert "лист «bodies», строка 4, столбец «level»" in report.text
        assert not report.reply_markup


@run_async
async def test_cancel_keeps_the_current_table(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, old, new):
        proposal = await upload(tg, with_city_chat(table, new))
        cancelled = await press(tg, proposal, texts.TABLE_CANCEL_BUTTON)
        assert cancelled.text == texts.TABLE_CANCELLED.format(version=1)
        # The spent buttons are gone from the proposal.
        assert tg.calls("editMessageReplyMarkup")[-1].params.get("reply_markup") in (None, {}, "")
        assert await appeal_goes_to(tg) == old


@run_async
async def test_apply_after_a_restart_between_upload_and_button(tmp_path, saratov):
    shipped, _ = saratov
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        old = tg.create_forum_group(admin_user_id=ADMIN)
        new = tg.create_forum_group(admin_user_id=ADMIN)
        table = with_city_chat(shipped, old)
        async with polling(tg, tmp_path, table):
            proposal = await upload(tg, with_city_chat(table, new))
        async with polling(tg, tmp_path, table):  # the bot was restarted
            applied = await press(tg, proposal, texts.TABLE_APPLY_BUTTON)
            assert applied.text == texts.TABLE_APPLIED.format(version=2)
            assert await appeal_goes_to(tg) == new


@run_async
async def test_table_sends_the_current_table_as_xlsx(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, _old, _new):
        seen = len(tg.sent)
        tg.user_sends_text(COORDINATOR, "/table")
        sent = await tg.wait_for(lambda c: c.method == "sendDocument", since=seen, timeout=SLOW)
        assert sent.chat_id == COORDINATOR and "версия 1" in sent.caption
        assert sent.message["document"]["file_name"].endswith(".xlsx")
        assert parse_table(tg.sent_file(sent), "back.xlsx") == table


@run_async
async def test_stats_sends_a_chart_and_a_text(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, _table, old, _new):
        assert await appeal_goes_to(tg) == old
        seen = len(tg.sent)
        tg.user_sends_text(COORDINATOR, "/stats")
        chart = await tg.wait_for(lambda c: c.method == "sendPhoto", since=seen, timeout=SLOW)
        assert chart.chat_id == COORDINATOR
        png = tg.sent_file(chart)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
        summary = await tg.wait_for(lambda c: c.chat_id == COORDINATOR and c.text, since=seen)
        assert "Всего обращений: 1." in summary.text and "передано в орган: 1" in summary.text


@run_async
async def test_stats_on_an_empty_database_is_a_sentence_without_a_chart(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, _table, _old, _new):
        tg.user_sends_text(COORDINATOR, "/stats")
        reply = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, timeout=SLOW)
        assert reply.text == texts.STATS_EMPTY and not tg.calls("sendPhoto")


@run_async
async def test_wrong_files_get_a_clear_answer(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, _table, _old, _new):
        tg.user_sends_document(COORDINATOR, "скан.pdf", b"%PDF-1.4")
        pdf = await tg.wait_for(lambda c: c.chat_id == COORDINATOR)
        assert pdf.text == texts.TABLE_UNKNOWN_FORMAT.format(name="скан.pdf")

        seen = len(tg.sent)
        tg.user_sends_document(COORDINATOR, "огромная.xlsx", b"0" * (20 * 1024 * 1024 + 1))
        huge = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, since=seen)
        assert "слишком большой" in huge.text and "20 МБ" in huge.text


@run_async
async def test_a_zip_bomb_is_refused_in_one_russian_message_and_the_bot_goes_on(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, old, _new):
        bomb = hostile_files.zip_with_huge_csv(table)  # ~0.3 MB sent, 100 MB unpacked
        seen = len(tg.sent)
        tg.user_sends_document(COORDINATOR, "таблица.zip", bomb)
        report = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, since=seen, timeout=SLOW)
        assert report.text.startswith(texts.TABLE_INVALID.format(name="таблица.zip", count=1))
        assert "«bodies.csv» в архиве распаковывается в 100 МБ" in report.text
        assert not report.reply_markup and len(tg.sent_to(COORDINATOR)) == 1
        assert await appeal_goes_to(tg) == old  # citizens are served as before


@run_async
async def test_citizens_cannot_use_coordinator_tools(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, table, old, new):
        for command in ("/rollback", "/table", "/stats", "/versions"):
            seen = len(tg.sent)
            tg.user_sends_text(CITIZEN, command)
            refusal = await tg.wait_for(lambda c: c.chat_id == CITIZEN, since=seen)
            assert refusal.text == texts.ONLY_COORDINATORS
        assert not tg.calls("sendDocument") and not tg.calls("sendPhoto")

        # A coordinator's proposal cannot be applied by a citizen who learnt its button data.
        proposal = await upload(tg, with_city_chat(table, new))
        refusal = tg.sent_to(CITIZEN)[-1]
        seen = len(tg.sent)
        tg.user_presses_button(CITIZEN, refusal.message_id, button(proposal,
                                                                   texts.TABLE_APPLY_BUTTON))
        answer = await tg.wait_for(lambda c: c.method == "answerCallbackQuery", since=seen)
        assert answer.params.get("text") == texts.ONLY_COORDINATORS
        assert await appeal_goes_to(tg) == old


@run_async
async def test_the_menu_words_and_tools_work_for_a_coordinator_only(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, _table, _old, _new):
        seen = len(tg.sent)
        tg.user_sends_text(COORDINATOR, "/tools")
        listing = await tg.wait_for(lambda c: c.chat_id == COORDINATOR, since=seen)
        assert listing.text == texts.COORDINATOR_TOOLS

        seen = len(tg.sent)
        tg.user_sends_text(COORDINATOR, "Таблица")  # the words of VK's menu work here too
        sent = await tg.wait_for(lambda c: c.method == "sendDocument", since=seen, timeout=SLOW)
        assert sent.chat_id == COORDINATOR and "версия 1" in sent.caption

        # From a citizen the same word is an appeal like any other text, not a refused command.
        seen = len(tg.sent)
        tg.user_sends_text(CITIZEN, "Таблица")
        answer = await tg.wait_for(lambda c: c.chat_id == CITIZEN, since=seen)
        assert answer.text != texts.ONLY_COORDINATORS and not tg.calls("sendPhoto")


@run_async
async def test_a_coordinator_chooses_the_body_of_an_unrouted_appeal_by_a_button(tmp_path, saratov):
    async with world(tmp_path, saratov) as (tg, _table, old, _new):
        number, card, seen = await appeal_to_the_coordinator(tg, "Прошу принять меры")
        assert "«Орган:" in card.text  # the card says how to choose

        tg.user_sends_text(COORDINATOR, "Орган: «Город", reply_to=card.message_id)
        assert await tg.wait_for(lambda c: c.chat_id == old and number in (c.body or ""),
                                 since=seen)  # one body fits: routed at once

        seen = len(tg.sent)
        tg.user_sends_text(CITIZEN, "Прошу принять меры, очень надо")
        accepted = await tg.wait_for(
            lambda c: c.chat_id == CITIZEN and number not in c.text, since=seen
        )
        number = NUMBER.search(accepted.text).group()
        card = await tg.wait_for(lambda c: c.chat_id == COORDINATOR and number in c.text,
                                 since=seen)
        tg.user_sends_text(COORDINATOR, "Орган: Город", reply_to=card.message_id)
        choice = await tg.wait_for(lambda c: c.chat_id == COORDINATOR and c.reply_markup,
                                   since=seen, timeout=SLOW)
        assert "подходят несколько органов" in choice.text
        balakovo = ("Администрация муниципального образования город Балаково Балаковского "
                    "муниципального района")
        seen = len(tg.sent)
        tg.user_presses_button(COORDINATOR, choice.message_id, button(choice, balakovo))
        alert = await tg.wait_for(lambda c: c.method == "answerCallbackQuery", since=seen)
        assert alert.params.get("text") == texts.ASSIGN_DONE_NOTICE.format(number=number,
                                                                           body=balakovo)
        told = await tg.wait_for(lambda c: c.chat_id == CITIZEN and balakovo in c.text,
                                 since=seen)
        assert number in told.text


class _UnsureModel:
    """A trained model's calibration without its heads: right only at a raw score ≥ 0.75."""

    calibration = Calibration.fit([i / 100 for i in range(100)], [i >= 75 for i in range(100)])
    words = type("Words", (), {"vocabulary_": {}})()

    def predict(self, text, places):
        return {}, {}


@run_async
async def test_an_appeal_the_bot_is_unsure_of_reaches_the_coordinator_with_the_likely_bodies(
    tmp_path, saratov
):
    """No question would settle this pothole (the city handles every topic it could be) and
    the model gives the city less than a 60% chance: the coordinator decides with one tap."""
    shipped, _ = saratov
    unsure = Classifier(shipped, _UnsureModel())
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg:
        city_chat = tg.create_forum_group(admin_user_id=ADMIN, title="Администрация")
        table = with_city_chat(shipped, city_chat)
        settings = app_world.settings_for(tmp_path, tg, None, coordinators=f"tg:{COORDINATOR}")
        async with app_world.running(settings, table, classifier=unsure):
            number, card, _ = await appeal_to_the_coordinator(
                tg, "Яма на дороге на улице Чапаева в Саратове"
            )
            city = table.body_by_id[CITY].name
            assert "бот не уверен в органе" in card.text and f"«{city}»" in card.text
            assert all(number not in (c.body or "") for c in tg.sent_to(city_chat))
            offered = [b["text"] for row in card.reply_markup["inline_keyboard"] for b in row]
            assert offered[0] == city and 1 < len(offered) <= 3

            seen = len(tg.sent)
            tg.user_presses_button(COORDINATOR, card.message_id, button(card, city))
            assert await tg.wait_for(lambda c: c.chat_id == city_chat
                                     and f"Обращение № {number}\n" in (c.body or ""), since=seen)
            told = await tg.wait_for(lambda c: c.chat_id == CITIZEN and city in c.text,
                                     since=seen)
            assert number in told.text
