"""Coordinator tools in VK end to end: the real vkbottle bot (`bot.serve.serve`, VK alone) on the
VK emulator, the real core and classifier on a temporary SQLite file and the shipped Saratov
table, the city administration answering in the VK dialogue of ``OLD``.

What a VK coordinator notices: a table sent as a document (YAML, XLSX) is checked and its diff
shown with «Применить» / «Отмена» callback buttons; once pressed, the buttons are gone and the
next appeal goes where the new table says; a wrong, broken, too big or vanished file gets one
clear Russian message; «Версии таблицы» and «Откатить таблицу» (or /versions, /rollback) work
from the menu under the input field; /stats sends the chart as a photo with the text; /table
sends the table back as a document; a reply «Орган: …» to an unrouted ticket routes it. Anyone
else is refused as in Telegram, and their documents stay appeals.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

# matplotlib takes a second to import; do it here, not inside a test's deadline.
import matplotlib.figure  # noqa: F401
import openpyxl

from bot.domain import texts
from routing.model import RoutingTable
from routing.tablefile import parse_table, table_to_bytes
from tests import app_world
from tests.app_world import APPEAL, CITY, NUMBER
from tests.emulators.aio import run_async
from tests.emulators.vk import SentMessage, VKEmulator

COORDINATOR = 600_600
CITIZEN = 100_500
OLD = 300_400  # the city administration's VK administrator now
NEW = 300_401  # …and the one a new table names
SLOW = 10  # seconds: parsing in a child process, building a classifier for the whole table


def with_city_peer(table: RoutingTable, peer: int) -> RoutingTable:
    return app_world.with_city_chats(table, tg=None, vk=peer)


@contextlib.asynccontextmanager
async def world(tmp_path: Path, table: RoutingTable | None = None):
    """The VK emulator and the bot on VK alone; yields the emulator and the table in force."""
    shipped, _ = app_world.saratov()
    table = table or with_city_peer(shipped, OLD)
    async with VKEmulator() as vk:
        for user in (COORDINATOR, OLD, NEW):
            await vk.user_allows_messages(user)
        settings = app_world.settings_for(tmp_path, None, vk, coordinators=f"vk:{COORDINATOR}")
        async with app_world.running(settings, table):
            await vk.wait_for_listener()
            yield vk, table


async def next_sent(
    vk: VKEmulator, seen: int, predicate: Callable[[SentMessage], bool], timeout: float = 5.0
) -> SentMessage:
    """The first message sent after the first ``seen`` that matches ``predicate``."""
    return await vk.wait_for(
        lambda: next((m for m in vk.sent[seen:] if predicate(m)), None), timeout
    )


def to(peer: int) -> Callable[[SentMessage], bool]:
    return lambda m: m.peer_id == peer


def inline_buttons(message: SentMessage) -> dict[str, str]:
    """Label → core payload of the message's callback buttons."""
    keyboard = message.keyboard or {}
    assert keyboard.get("inline"), f"no inline keyboard under {message.text[:60]!r}"
    return {b["action"]["label"]: b["action"]["payload"]["p"] for row in keyboard["buttons"]
            for b in row}


def menu_labels(message: SentMessage) -> list[list[str]]:
    """The labels of the keyboard under the input field sent with ``message``."""
    keyboard = message.keyboard or {}
    assert keyboard and not keyboard.get("inline"), f"no menu under {message.text[:60]!r}"
    return [[b["action"]["label"] for b in row] for row in keyboard["buttons"]]


async def command(vk: VKEmulator, text: str, user: int = COORDINATOR) -> SentMessage:
    seen = len(vk.sent)
    await vk.user_sends_text(user, text)
    return await next_sent(vk, seen, to(user), timeout=SLOW)


async def upload(vk: VKEmulator, name: str, data: bytes) -> SentMessage:
    """The coordinator sends a document; returns the bot's first answer to it."""
    seen = len(vk.sent)
    await vk.user_sends_document(COORDINATOR, name, data)
    return await next_sent(vk, seen, to(COORDINATOR), timeout=SLOW)


async def press(
    vk: VKEmulator, message: SentMessage, label: str, user: int = COORDINATOR,
    *, answered_by_message: bool = True,
) -> tuple[str | None, SentMessage | None]:
    """``user`` presses ``label`` under ``message``: the snackbar's text and the bot's message
    that follows (none for a refusal: the snackbar says it all)."""
    seen, answered = len(vk.sent), len(vk.event_answers)
    await vk.user_presses_callback_button(
        user, message.conversation_message_id, {"p": inline_buttons(message)[label]}
    )
    await vk.wait_for(lambda: len(vk.event_answers) > answered, timeout=SLOW)
    data: dict[str, Any] = vk.event_answers[answered].event_data or {}
    if not answered_by_message:
        if user != COORDINATOR:  # a refusal: the snackbar says it all
            assert not [m for m in vk.sent[seen:] if m.peer_id == user]
        return data.get("text"), None
    return data.get("text"), await next_sent(vk, seen, to(user), timeout=SLOW)


async def appeal_goes_to(vk: VKEmulator, text: str = APPEAL) -> int:
    """A citizen writes ``text``; returns the peer that got the ticket's card."""
    seen = len(vk.sent)
    await vk.user_sends_text(CITIZEN, text)
    accepted = await next_sent(vk, seen, to(CITIZEN))
    number = NUMBER.search(accepted.text).group()
    card = await next_sent(vk, seen, lambda m: m.peer_id != CITIZEN and number in m.text)
    return card.peer_id


@run_async
async def test_a_yaml_table_sent_as_a_document_is_shown_as_a_diff_and_applied(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        proposal = await upload(vk, "таблица.yaml", table_to_bytes(with_city_peer(table, NEW),
                                                                   "yaml"))
        assert "Органы: +0, −0, изменено 1" in proposal.text and "vk_peer" in proposal.text
        assert list(inline_buttons(proposal)) == [texts.TABLE_APPLY_BUTTON,
                                                  texts.TABLE_CANCEL_BUTTON]
        assert vk.downloads and vk.downloads[-1].startswith(f"doc{COORDINATOR}_")
        assert await appeal_goes_to(vk) == OLD  # nothing changes before «Применить»

        notice, applied = await press(vk, proposal, texts.TABLE_APPLY_BUTTON)
        assert notice == texts.TABLE_APPLIED_NOTICE.format(version=2)
        assert applied.text == texts.TABLE_APPLIED.format(version=2)
        # The spent buttons are gone from the proposal, its text stays.
        edited = vk.message(proposal.message_id)
        assert edited["keyboard"]["buttons"] == [] and edited["text"] == proposal.text
        assert await appeal_goes_to(vk, APPEAL + ", дом 5") == NEW

        # A second press on the same proposal changes nothing and says why.
        notice, _ = await press(vk, proposal, texts.TABLE_APPLY_BUTTON,
                                answered_by_message=False)
        assert notice == texts.TABLE_ALREADY_APPLIED


@run_async
async def test_an_xlsx_table_then_versions_and_rollback_from_the_menu(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        proposal = await upload(vk, "таблица.xlsx", table_to_bytes(with_city_peer(table, NEW),
                                                                   "xlsx"))
        assert "Органы: +0, −0, изменено 1" in proposal.text
        _, applied = await press(vk, proposal, texts.TABLE_APPLY_BUTTON)
        assert applied.text == texts.TABLE_APPLIED.format(version=2)
        assert menu_labels(applied) == [list(row) for row in texts.COORDINATOR_MENU]
        assert await appeal_goes_to(vk) == NEW

        listing = await command(vk, "Версии таблицы")  # the menu's button sends these words
        latest = listing.text.splitlines()[1]
        assert latest.startswith("№ 2 ") and texts.TABLE_VERSION_CURRENT in latest
        assert f"vk:{COORDINATOR}" in latest and "«таблица.xlsx»" in latest

        back = await command(vk, "Откатить таблицу")
        assert "Откат к версии 1" in back.text and "vk_peer" in back.text
        _, restored = await press(vk, back, texts.TABLE_APPLY_BUTTON)
        assert restored.text == texts.TABLE_APPLIED.format(version=3)
        assert await appeal_goes_to(vk, APPEAL + ", дом 7") == OLD

        listing = await command(vk, "/versions")
        assert listing.text.splitlines()[1].startswith("№ 3 ")
        assert "откат к версии 1" in listing.text.splitlines()[1]


@run_async
async def test_cancel_keeps_the_table_and_takes_the_buttons_away(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        proposal = await upload(vk, "t.yml", table_to_bytes(with_city_peer(table, NEW), "yaml"))
        notice, cancelled = await press(vk, proposal, texts.TABLE_CANCEL_BUTTON)
        assert notice == texts.TABLE_CANCELLED_NOTICE
        assert cancelled.text == texts.TABLE_CANCELLED.format(version=1)
        assert vk.message(proposal.message_id)["keyboard"]["buttons"] == []
        assert await appeal_goes_to(vk) == OLD


@run_async
async def test_wrong_broken_too_big_and_vanished_files_get_a_clear_answer(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        pdf = await upload(vk, "скан.pdf", b"%PDF-1.4")
        assert pdf.text == texts.TABLE_UNKNOWN_FORMAT.format(name="скан.pdf")

        broken = await upload(vk, "таблица.xlsx", b"PK\x03\x04 not really a workbook")
        assert broken.text.startswith(texts.TABLE_INVALID.format(name="таблица.xlsx", count=1))
        assert not (broken.keyboard or {}).get("inline")

        book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(table, "xlsx")))
        sheet = book["bodies"]
        header = [cell.value for cell in sheet[1]]
        sheet.cell(row=3, column=header.index("deadline") + 1, value="скоро")
        data = io.BytesIO()
        book.save(data)
        wrong = await upload(vk, "с ошибками.xlsx", data.getvalue())
        assert wrong.text.startswith(texts.TABLE_INVALID.format(name="с ошибками.xlsx", count=1))
        assert "лист «bodies», строка 3, столбец «deadline»" in wrong.text

        downloads = len(vk.downloads)
        huge = await upload(vk, "огромная.xlsx", b"0" * (20 * 1024 * 1024 + 1))
        assert "слишком большой" in huge.text and "20 МБ" in huge.text
        assert len(vk.downloads) == downloads  # refused by its declared size, never fetched

        seen = len(vk.sent)
        # The user deleted the document before the bot fetched it: VK's address answers 404.
        await vk.user_sends_document(COORDINATOR, "t.yaml", table_to_bytes(table, "yaml"),
                                     deleted=True)
        gone = await next_sent(vk, seen, to(COORDINATOR), timeout=SLOW)
        assert gone.text == texts.TABLE_DOWNLOAD_FAILED.format(name="t.yaml", where="ВКонтакте")
        assert await appeal_goes_to(vk) == OLD  # and citizens are served as before


@run_async
async def test_stats_sends_the_chart_as_a_photo_with_the_text(tmp_path: Path):
    async with world(tmp_path) as (vk, _table):
        empty = await command(vk, "/stats")
        assert empty.text == texts.STATS_EMPTY and not empty.attachments

        assert await appeal_goes_to(vk) == OLD
        summary = await command(vk, "Статистика")
        assert "Всего обращений: 1." in summary.text and "передано в орган: 1" in summary.text
        assert len(summary.attachments) == 1 and summary.attachments[0].startswith("photo-")
        png = vk.photo_bytes(summary.attachments[0])
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
        assert menu_labels(summary) == [list(row) for row in texts.COORDINATOR_MENU]


@run_async
async def test_table_sends_the_current_table_back_as_a_document(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        sent = await command(vk, "Таблица")
        assert "версия 1" in sent.text and len(sent.attachments) == 1
        assert sent.attachments[0].startswith("doc-")
        assert parse_table(vk.doc_bytes(sent.attachments[0]), "back.xlsx") == table

        tools = await command(vk, "/tools")
        assert tools.text == texts.COORDINATOR_TOOLS


@run_async
async def test_a_coordinator_chooses_the_body_of_an_unrouted_appeal_by_a_reply(tmp_path: Path):
    async with world(tmp_path) as (vk, _table):
        seen = len(vk.sent)
        await vk.user_sends_text(CITIZEN, "Прошу принять меры")
        accepted = await next_sent(vk, seen, to(CITIZEN))
        number = NUMBER.search(accepted.text).group()
        card = await next_sent(vk, seen, lambda m: m.peer_id == COORDINATOR and number in m.text)
        assert "не смог определить" in card.text

        await vk.user_sends_text(COORDINATOR, "Орган: нет такого", reply_to=card.message_id)
        unknown = await next_sent(vk, seen, lambda m: m.peer_id == COORDINATOR and m is not card)
        assert unknown.text == texts.ASSIGN_UNKNOWN.format(query="нет такого")

        await vk.user_sends_text(COORDINATOR, f"Орган: {CITY}", reply_to=card.message_id)
        routed = await next_sent(vk, seen, lambda m: m.peer_id == OLD and number in m.text)
        assert "Ответ заявителю — ответом (reply) на эту карточку" in routed.text
        told = await next_sent(vk, seen, lambda m: m.peer_id == CITIZEN and m is not accepted)
        assert number in told.text


@run_async
async def test_a_coordinator_chooses_among_several_bodies_by_a_button(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        seen = len(vk.sent)
        await vk.user_sends_text(CITIZEN, "Прошу принять меры")
        accepted = await next_sent(vk, seen, to(CITIZEN))
        number = NUMBER.search(accepted.text).group()
        card = await next_sent(vk, seen, lambda m: m.peer_id == COORDINATOR and number in m.text)

        await vk.user_sends_text(COORDINATOR, "Орган: Саратов", reply_to=card.message_id)
        choice = await next_sent(vk, seen, lambda m: m.peer_id == COORDINATOR and m is not card)
        assert choice.text.startswith(f"Обращение № {number}: под «Саратов»")
        buttons = inline_buttons(choice)  # ten bodies within VK's six rows of an inline keyboard
        assert len(buttons) == 10 and len(choice.keyboard["buttons"]) <= 6
        label, payload = next(iter(buttons.items()))
        body = table.body_by_id[payload.rsplit(":", 1)[1]]
        assert body.name.startswith(label.rstrip("…"))

        notice, _ = await press(vk, choice, label, user=CITIZEN, answered_by_message=False)
        assert notice == texts.ONLY_COORDINATORS
        seen = len(vk.sent)
        notice, _ = await press(vk, choice, label, answered_by_message=False)
        assert notice == texts.ASSIGN_DONE_NOTICE.format(number=number, body=body.name)
        told = await next_sent(vk, seen, to(CITIZEN))
        assert number in told.text and body.name in told.text


@run_async
async def test_others_are_refused_and_their_documents_stay_appeals(tmp_path: Path):
    async with world(tmp_path) as (vk, table):
        for text in ("/rollback", "/table", "/stats", "/versions", "/tools"):
            refusal = await command(vk, text, user=CITIZEN)
            assert refusal.text == texts.ONLY_COORDINATORS, text
        assert not any(m.attachments for m in vk.sent)

        # A coordinator's proposal cannot be applied by someone who learnt its button data.
        proposal = await upload(vk, "t.yaml", table_to_bytes(with_city_peer(table, NEW), "yaml"))
        notice, _ = await press(vk, proposal, texts.TABLE_APPLY_BUTTON, user=CITIZEN,
                                answered_by_message=False)
        assert notice == texts.ONLY_COORDINATORS
        assert await appeal_goes_to(vk) == OLD

        # A citizen's document is an appeal (with the file), never a table.
        seen = len(vk.sent)
        await vk.user_sends_document(CITIZEN, "таблица.yaml", b"region: x", text=APPEAL)
        accepted = await next_sent(vk, seen, to(CITIZEN))
        assert NUMBER.search(accepted.text) and "таблиц" not in accepted.text
        assert all(m.text != texts.ONLY_COORDINATORS for m in vk.sent[seen:])
