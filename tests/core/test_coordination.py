"""Routing table versions and the coordinator's table commands, on the core alone.

What a coordinator relies on: the file seeds version 1 and a changed file is a new version; an
upload is never applied before «Применить»; a stale or repeated press is refused; /rollback walks
back through history; and an applied table is what the bot routes by — also after a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile

from core_world import CITY_CHAT, COORDINATOR_ID, World, make_table

from bot.core import stats
from bot.core.coordination import Coordination, canonical, model_misfit
from bot.domain import texts
from bot.domain.messages import IncomingMessage
from routing.model import Body, Level, RoutingTable
from routing.tablefile import table_to_bytes

ME = f"tg:{COORDINATOR_ID}"
ROADS_CHAT = -5005


def with_roads_service(table: RoutingTable) -> RoutingTable:
    """The table plus a new body with a Telegram chat of its own."""
    extra = Body(
        "roads-service", "Дорожная служба", Level.MUNICIPAL, ("roads",), ("63701000",),
        priority=1, telegram_chat=str(ROADS_CHAT),
    )
    return dataclasses.replace(table, bodies=(*table.bodies, extra))


def yaml_of(table: RoutingTable) -> bytes:
    return canonical(table).encode()


async def started(world: World, file_table: RoutingTable | None = None) -> Coordination:
    await world.start()
    coordination = Coordination(
        world.repo, world.core, world.clock, coordinators=world.core.coordinators
    )
    await coordination.sync_with_file(file_table or world.table)
    return coordination


def apply_data(reply) -> str:
    (apply, cancel), = reply.buttons
    assert (apply.text, cancel.text) == (texts.TABLE_APPLY_BUTTON, texts.TABLE_CANCEL_BUTTON)
    assert len(apply.payload.encode()) <= 64 and len(cancel.payload.encode()) <= 64
    return apply.payload


async def version_numbers(world: World) -> list[int]:
    async with world.repo.transaction() as tx:
        return [v.id for v in await tx.tables.versions(100)]


async def test_the_file_seeds_version_1_once_and_a_changed_file_is_a_new_version(file_world):
    await started(file_world)
    assert await version_numbers(file_world) == [1]
    await file_world.stop()

    await started(file_world)  # restart, same file
    assert await version_numbers(file_world) == [1]
    await file_world.stop()

    changed = with_roads_service(make_table())
    await started(file_world, changed)  # the operator edited ROUTING_TABLE
    assert await version_numbers(file_world) == [2, 1]
    assert "roads-service" in file_world.core.table.body_by_id


async def test_an_upload_is_applied_only_by_the_button_and_routes_new_appeals(world):
    coordination = await started(world)
    new = with_roads_service(world.table)

    reply = await coordination.propose_upload(yaml_of(new), "новая.yaml", ME)
    assert "Дорожная служба" in reply.messages[0] and "Органы: +1" in reply.messages[0]
    assert "roads-service" not in world.core.table.body_by_id  # not before «Применить»

    applied = await coordination.press(apply_data(reply), ME)
    assert applied.messages == (texts.TABLE_APPLIED.format(version=2),)
    assert "roads-service" in world.core.table.body_by_id
    # The new body's chat is a staff chat now: a message there is not a citizen's appeal.
    outcome = await world.core.handle(IncomingMessage("tg", ROADS_CHAT, 1, 900, "привет"))
    assert outcome.kind == "ignored"
    assert await version_numbers(world) == [2, 1]


async def test_an_applied_upload_survives_a_restart_with_the_same_file(file_world):
    coordination = await started(file_world)
    reply = await coordination.propose_upload(
        yaml_of(with_roads_service(file_world.table)), "t.yaml", ME
    )
    await coordination.press(apply_data(reply), ME)
    await file_world.stop()

    file_world.table = make_table()  # what ROUTING_TABLE still says
    await started(file_world)
    assert "roads-service" in file_world.core.table.body_by_id
    assert await version_numbers(file_world) == [2, 1]


async def test_a_proposal_survives_a_restart_before_the_button(file_world):
    coordination = await started(file_world)
    reply = await coordination.propose_upload(
        yaml_of(with_roads_service(file_world.table)), "t.yaml", ME
    )
    await file_world.stop()

    coordination = await started(file_world)
    applied = await coordination.press(apply_data(reply), ME)
    assert applied.notice == texts.TABLE_APPLIED_NOTICE.format(version=2)
    assert "roads-service" in file_world.core.table.body_by_id


async def test_a_stale_or_repeated_press_is_refused(world):
    coordination = await started(world)
    bigger = with_roads_service(world.table)
    first = await coordination.propose_upload(yaml_of(bigger), "a.yaml", ME)
    smaller = dataclasses.replace(world.table, bodies=world.table.bodies[:2])
    second = await coordination.propose_upload(yaml_of(smaller), "b.yaml", ME)

    await coordination.press(apply_data(first), ME)
    stale = await coordination.press(apply_data(second), ME)
    assert stale.messages == (texts.TABLE_STALE.format(version=2),) and stale.notice
    assert "health" in world.core.table.body_by_id  # the stale table did not go live

    again = await coordination.press(apply_data(first), ME)
    assert again.notice == texts.TABLE_ALREADY_APPLIED and not again.messages
    assert await version_numbers(world) == [2, 1]


async def test_cancel_keeps_the_table_and_spends_the_proposal(world):
    coordination = await started(world)
    bigger = with_roads_service(world.table)
    reply = await coordination.propose_upload(yaml_of(bigger), "a.yaml", ME)
    cancel = reply.buttons[0][1].payload

    cancelled = await coordination.press(cancel, ME)
    assert cancelled.messages == (texts.TABLE_CANCELLED.format(version=1),)
    late = await coordination.press(apply_data(reply), ME)
    assert late.notice == texts.TABLE_ALREADY_CANCELLED
    assert "roads-service" not in world.core.table.body_by_id
    assert await version_numbers(world) == [1]


async def test_an_unchanged_table_says_so(world):
    coordination = await started(world)
    xlsx = table_to_bytes(world.table, "xlsx")
    reply = await coordination.propose_upload(xlsx, "та же.xlsx", ME)
    assert reply.messages == (texts.TABLE_UNCHANGED.format(name="та же.xlsx", version=1),)
    assert not reply.buttons


async def test_errors_are_listed_with_sheet_row_and_column(world):
    coordination = await started(world)
    text = canonical(world.table).replace('"deadline": "30d"', '"deadline": "скоро"')
    reply = await coordination.propose_upload(text.encode(), "плохая.yaml", ME)
    assert not reply.buttons
    assert reply.messages[0].startswith(texts.TABLE_INVALID.format(name="плохая.yaml", count=1))
    assert "лист «bodies», строка 2, столбец «deadline»" in reply.messages[0]


async def test_hundreds_of_errors_are_capped_and_split_within_the_limit(world):
    coordination = await started(world)
    rows = "\n".join(f'- {{"id": "b{i}", "name": "Орган {i}", "level": "никакой"}}'
                     for i in range(300))
    data = canonical(world.table).split("bodies:")[0] + "bodies:\n" + rows + "\n"
    reply = await coordination.propose_upload(data.encode(), "много.yaml", ME)
    assert all(len(m) <= 4096 for m in reply.messages)
    # Three problems a row, all 900 counted, though only 200 are kept and 60 listed.
    assert reply.messages[0].startswith(texts.TABLE_INVALID.format(name="много.yaml", count=900))
    assert reply.messages[-1].endswith(texts.TABLE_MORE_PROBLEMS.format(count=840))


async def test_one_csv_sheet_replaces_that_sheet_only(world):
    coordination = await started(world)
    archive = zipfile.ZipFile(io.BytesIO(table_to_bytes(with_roads_service(world.table), "zip")))
    reply = await coordination.propose_upload(archive.read("bodies.csv"), "bodies.csv", ME)
    assert "Органы: +1" in reply.messages[0]
    await coordination.press(apply_data(reply), ME)
    assert world.core.table == with_roads_service(make_table())

    wrong = await coordination.propose_upload(b"id,name\n", "органы.csv", ME)
    assert wrong.messages == (texts.TABLE_CSV_SHEET_UNKNOWN.format(name="органы.csv"),)


async def test_unknown_formats_and_huge_files_get_a_clear_answer(world):
    coordination = await started(world)
    pdf = await coordination.propose_upload(b"%PDF", "скан.pdf", ME)
    assert pdf.messages == (texts.TABLE_UNKNOWN_FORMAT.format(name="скан.pdf"),)
    huge = await coordination.propose_upload(b"0" * (20 * 1024 * 1024 + 1), "t.xlsx", ME)
    assert "слишком большой" in huge.messages[0]


async def test_rollback_walks_back_through_history_as_new_versions(world):
    coordination = await started(world)  # v1
    v2 = with_roads_service(world.table)
    v3 = dataclasses.replace(v2, bodies=v2.bodies[1:])
    for table in (v2, v3):
        await coordination.press(
            apply_data(await coordination.propose_upload(yaml_of(table), "t.yaml", ME)), ME
        )
    assert world.core.table == v3

    back = await coordination.propose_rollback(ME)
    assert "Откат к версии 2" in back.messages[0]
    await coordination.press(apply_data(back), ME)
    assert world.core.table == v2 and await version_numbers(world) == [4, 3, 2, 1]

    back = await coordination.propose_rollback(ME)  # further back, not forth to v3
    assert "Откат к версии 1" in back.messages[0]
    await coordination.press(apply_data(back), ME)
    assert world.core.table == make_table()

    nothing = await coordination.propose_rollback(ME)
    assert nothing.messages == (texts.TABLE_NO_PREVIOUS.format(version=5),)
    listing = await coordination.versions()
    assert "№ 5" in listing.messages[0] and "откат к версии 1" in listing.messages[0]


async def test_a_model_for_another_region_or_removed_topics_is_not_reused():
    table = make_table()

    class Head:
        def __init__(self, *classes):
            self.classes_ = classes

    model = type("M", (), {"region": table.region, "topic_head": Head("roads", "trash"),
                           "body_head": Head("city")})()
    assert model_misfit(model, table) is None
    model.region = "Курская область"
    assert model_misfit(model, table) == texts.TABLE_MODEL_OTHER_REGION
    model.region = table.region
    model.topic_head = Head("roads", "snow")
    assert model_misfit(model, table) == texts.TABLE_MODEL_UNKNOWN_IDS


async def test_stats_of_an_empty_database(world):
    await world.start()
    lines, png = await stats.report(world.core)
    assert lines == [texts.STATS_EMPTY] and png is None


async def test_stats_count_states_bodies_overdue_and_the_median_answer(world):
    await world.start()
    created = await world.core.handle(world.citizen("яма на дороге"))
    await world.core.handle(world.citizen("больница не принимает"))
    await world.flush()
    card = next(
        r["platform_message_id"] for r in await world.outbox_rows("sent")
        if r["purpose"] == "body" and r["chat_id"] == CITY_CHAT
    )
    world.clock.advance(hours=3)
    await world.core.handle(
        IncomingMessage("tg", CITY_CHAT, 77, 901, "Отремонтируем", reply_to=card)
    )
    world.clock.advance(days=40)  # the health ministry's 10 working days are long gone

    lines, png = await stats.report(world.core)
    text = "\n".join(lines)
    assert "Всего обращений: 2." in text
    assert "• получен ответ: 1" in text and "• передано в орган: 1" in text
    assert "• Министерство здравоохранения: 1" in text
    assert "Просрочены (1):" in text and created.number not in text.split("Просрочены")[1]
    assert "Медиана времени до первого ответа: 3 ч 0 мин (по 1 обращениям)." in text
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")


async def test_a_double_tap_applies_once(world):
    coordination = await started(world)
    bigger = with_roads_service(world.table)
    reply = await coordination.propose_upload(yaml_of(bigger), "a.yaml", ME)
    first, second = await asyncio.gather(
        coordination.press(apply_data(reply), ME), coordination.press(apply_data(reply), ME)
    )
    notices = sorted([first.notice, second.notice])
    assert notices == sorted([texts.TABLE_APPLIED_NOTICE.format(version=2),
                              texts.TABLE_ALREADY_APPLIED])
    assert await version_numbers(world) == [2, 1]


async def test_an_unusable_model_file_leaves_keyword_classification_and_a_reason(tmp_path):
    from bot.core.coordination import build_classifier

    classifier, reason = build_classifier(make_table(), tmp_path / "нет.pkl")
    assert classifier.model is None and "не найден" in reason
    classifier, reason = build_classifier(make_table(), None)
    assert classifier.model is None and reason is None
