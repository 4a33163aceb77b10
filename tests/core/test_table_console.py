"""The routing table from the console, on the core alone and on both storage backends.

What a coordinator relies on: a row edited in a form becomes the same proposal an upload makes
(the diff, then «Применить»), applying records a version like an upload and routes by it, a
form with mistakes gets a message per field and changes nothing, and downloads, uploads, the
rollback and a stale proposal behave as in the chat. Nobody but a coordinator gets in.
"""

from __future__ import annotations

import pytest
from core_world import COORDINATOR_ID, SARATOV, World
from test_coordination import started, version_numbers

from bot.core.coordination import MAX_UPLOAD_BYTES
from bot.core.table_console import TableConsole
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.records import FROM_EDIT
from bot.domain.viewer import NotAllowed, Viewer
from routing.model import Deadline
from routing.tablefile import parse_table

COORDINATOR = Viewer("tg", COORDINATOR_ID)
ME = f"tg:{COORDINATOR_ID}"


async def console_of(world: World) -> TableConsole:
    return TableConsole(await started(world))


async def proposals(world: World) -> int:
    async with world.repo.transaction() as tx:
        return (await tx.sql.one("SELECT COUNT(*) AS n FROM routing_proposals"))["n"]


async def test_an_edited_row_is_proposed_with_its_diff_and_applied_like_an_upload(world):
    console = await console_of(world)
    form = console.row(COORDINATOR, "bodies", "city")
    assert form["deadline"] == "10wd" and form["topics"] == "roads; trash"

    edit = await console.edit_row(COORDINATOR, "bodies", "city", {**form, "deadline": "5wd"})
    assert not edit.fields and not edit.errors and edit.proposal is not None
    (message,) = edit.reply.messages
    assert message.startswith("Правка проверена, ошибок нет: изменён орган «Администрация "
                              "города Саратова» (city).")
    assert "~ Администрация города Саратова (city): deadline" in message
    assert edit.reply.diff.bodies.changed == (("city", ("deadline",)),)
    (apply, _cancel), = edit.reply.buttons
    assert apply.text == texts.TABLE_APPLY_BUTTON
    # Nothing is in force before «Применить».
    assert world.core.table.body_by_id["city"].deadline == Deadline.parse("10wd")
    assert await version_numbers(world) == [1]

    applied = await console.apply(COORDINATOR, edit.proposal)
    assert applied.messages == (texts.TABLE_APPLIED.format(version=2),)
    assert world.core.table.body_by_id["city"].deadline == Deadline.parse("5wd")
    (latest, _first) = await console.versions(COORDINATOR)
    assert (latest.id, latest.source, latest.applied_by) == (2, FROM_EDIT, ME)
    assert latest.summary == (
        "правка в консоли: изменён орган «Администрация города Саратова» (city)"
    )
    assert parse_table(latest.content.encode(), "v.yaml") == world.core.table
    again = await console.apply(COORDINATOR, edit.proposal)
    assert again.notice == texts.TABLE_ALREADY_APPLIED


async def test_an_applied_edit_is_what_the_bot_works_by(world):
    """A chat written into a body's row by the console is that body's staff chat once
    «Применить» is pressed: a message there is no longer a citizen's appeal."""
    console = await console_of(world)
    edit = await console.edit_row(COORDINATOR, "bodies", "health", {"telegram_chat": "-5005"})
    assert "~ Министерство здравоохранения (health): telegram_chat" in edit.reply.messages[0]
    await console.apply(COORDINATOR, edit.proposal)
    outcome = await world.core.handle(IncomingMessage("tg", -5005, 1, 900, "привет"))
    assert outcome.kind == "ignored"
    assert world.core.staff.bodies_of_chat("tg", -5005) == ("health",)


async def test_a_form_with_mistakes_gets_messages_per_field_and_changes_nothing(world):
    console = await console_of(world)
    edit = await console.edit_row(COORDINATOR, "bodies", "city", {
        "name": " ", "deadline": "две недели", "topics": "roads; snow", "parent": "governor",
        "territory": "63701000; 11111111",
    })
    assert edit.reply is None and edit.proposal is None
    assert edit.fields["name"] == ("обязательное поле не заполнено",)
    assert "срок ответа «две недели» не понят" in edit.fields["deadline"][0]
    assert edit.fields["topics"] == ("тема «snow» не найдена среди тем",)
    assert edit.fields["parent"] == ("вышестоящий орган «governor» не найден среди органов",)
    assert "«11111111» не найдено" in edit.fields["territory"][0]
    duplicate = await console.edit_row(COORDINATOR, "bodies", None, {
        "id": "health", "name": "Ещё один минздрав", "level": "regional", "topics": "health",
        "territory": "region", "priority": "3",
    })
    assert duplicate.fields == {
        "id": ("id «health» уже занят: он принадлежит органу «Министерство здравоохранения»",),
    }
    huge = await console.edit_row(COORDINATOR, "topics", "roads", {"keywords": "я" * 20_001})
    assert "слишком длинное значение: 20001 символов" in huge.fields["keywords"][0]
    assert await proposals(world) == 0 and await version_numbers(world) == [1]


async def test_a_change_that_breaks_other_rows_names_them_and_changes_nothing(world):
    console = await console_of(world)
    edit = await console.delete_row(COORDINATOR, "topics", "trash")
    assert edit.proposal is None and not edit.fields
    assert edit.errors == (
        "Орган «Администрация города Саратова» (city), поле «topics»: тема «trash» не найдена "
        "среди тем",
    )
    gone = await console.delete_row(COORDINATOR, "municipalities", "00000000")
    assert gone.errors == (texts.CONSOLE_ROW_GONE.format(id="00000000"),)
    same = await console.edit_row(COORDINATOR, "topics", "roads", {"name": "Дороги"})
    assert same.errors == (texts.CONSOLE_EDIT_UNCHANGED,)
    assert await proposals(world) == 0 and await version_numbers(world) == [1]


async def test_adding_and_deleting_rows_and_rolling_back_through_the_chat_path(world):
    console = await console_of(world)
    added = await console.edit_row(COORDINATOR, "topics", None, {"id": "snow", "name": "Снег"})
    assert "добавлена тема «Снег» (snow)" in added.reply.messages[0]
    assert "Темы: +1, −0, изменено 0" in added.reply.messages[0]
    await console.apply(COORDINATOR, added.proposal)
    assert "snow" in world.core.table.topic_by_id

    removed = await console.delete_row(COORDINATOR, "bodies", "health")
    assert "удалён орган «Министерство здравоохранения» (health)" in removed.reply.messages[0]
    await console.apply(COORDINATOR, removed.proposal)
    assert "health" not in world.core.table.body_by_id
    assert await version_numbers(world) == [3, 2, 1]

    back = await console.rollback(COORDINATOR)
    assert back.proposal is not None and "Откат к версии 2" in back.messages[0]
    await console.apply(COORDINATOR, back.proposal)
    assert "health" in world.core.table.body_by_id and "snow" in world.core.table.topic_by_id
    assert await version_numbers(world) == [4, 3, 2, 1]


async def test_a_proposal_made_stale_by_another_is_refused_and_cancel_works(world):
    console = await console_of(world)
    first = await console.edit_row(COORDINATOR, "bodies", "city", {"priority": "2"})
    second = await console.edit_row(COORDINATOR, "bodies", "transport", {"priority": "4"})
    third = await console.edit_row(COORDINATOR, "bodies", "health", {"priority": "5"})
    # Shown again on a reload while it can be applied: its summary and its diff.
    shown = await console.proposal(COORDINATOR, third.proposal)
    assert shown.proposal == third.proposal
    assert shown.diff.bodies.changed == (("health", ("priority",)),)
    assert shown.messages[0].startswith(
        "Предложение: правка в консоли: изменён орган «Министерство здравоохранения» (health). "
        "Что изменится по сравнению с действующей таблицей (версия 1)"
    )
    await console.apply(COORDINATOR, second.proposal)
    stale = await console.apply(COORDINATOR, first.proposal)
    assert stale.messages == (texts.TABLE_STALE.format(version=2),)
    assert world.core.table.body_by_id["city"].priority == 0
    # Shown again on a reload: a stale one says so.
    assert (await console.proposal(COORDINATOR, third.proposal)).notice == (
        texts.TABLE_STALE.format(version=2)
    )
    assert (await console.proposal(COORDINATOR, 999)).notice == texts.TABLE_PROPOSAL_UNKNOWN
    cancelled = await console.cancel(COORDINATOR, third.proposal)
    assert cancelled.messages == (texts.TABLE_CANCELLED.format(version=2),)
    assert (await console.apply(COORDINATOR, third.proposal)).notice == (
        texts.TABLE_ALREADY_CANCELLED
    )
    assert (await console.proposal(COORDINATOR, third.proposal)).notice == (
        texts.TABLE_ALREADY_CANCELLED
    )


async def test_download_and_upload_take_bytes_with_the_chat_limits(world):
    console = await console_of(world)
    file = await console.download(COORDINATOR)
    assert file.filename == "routing-table-v1.xlsx"
    assert parse_table(file.data, file.filename) == world.core.table
    huge = await console.upload(COORDINATOR, b"0" * (MAX_UPLOAD_BYTES + 1), "таблица.xlsx")
    assert huge.proposal is None
    assert huge.messages[0].startswith("Файл «таблица.xlsx» слишком большой (20.0 МБ)")
    assert console.too_large("t.xlsx", 25 * 1024 * 1024).messages[0].startswith(
        "Файл «t.xlsx» слишком большой (25.0 МБ): бот принимает таблицу размером до 20 МБ"
    )
    broken = await console.upload(COORDINATOR, b"not a workbook", "t.xlsx")
    assert broken.proposal is None and "t.xlsx" in broken.messages[0]
    unchanged = await console.upload(COORDINATOR, file.data, file.filename)
    assert unchanged.proposal is None and "совпадает с действующей" in unchanged.messages[0]
    assert await proposals(world) == 0


async def test_only_coordinators_get_in(world):
    console = await console_of(world)
    stranger = Viewer("tg", 999)
    calls = [
        lambda: console.browse(stranger),
        lambda: console.row(stranger, "bodies", "city"),
    ]
    for call in calls:
        with pytest.raises(NotAllowed, match="только координаторы"):
            call()
    for call in (
        console.edit_row(stranger, "bodies", "city", {"priority": "9"}),
        console.delete_row(stranger, "bodies", "city"),
        console.upload(stranger, b"x", "t.xlsx"),
        console.download(stranger),
        console.versions(stranger),
        console.rollback(stranger),
        console.apply(stranger, 1),
        console.cancel(stranger, 1),
        console.proposal(stranger, 1),
    ):
        with pytest.raises(NotAllowed):
            await call
    assert await proposals(world) == 0


async def test_browsing_the_table_in_force(world):
    console = await console_of(world)
    listing = console.browse(COORDINATOR, "municipalities", "саратов")
    assert [r.id for r in listing.rows] == [SARATOV] and listing.total == 1
    assert console.row(COORDINATOR, "bodies", "nobody") is None
