"""The console's numbers over tickets the real core made (on both backends): each way of
routing is counted as what happened, an administrator sees only its body, exports carry the
table's names and nothing a spreadsheet would run, and the map gets centroids."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import staff_steps
from core_world import SARATOV
from openpyxl import load_workbook

from bot.core import report_export
from bot.core.console_filters import Catalogue, FilterError, parse_queue, parse_report
from bot.core.console_reports import dashboard, map_data, queue_page, weeks_of
from bot.domain.reports import QueueView, RouteCounts, Viewer, WeekFigures

ZONE = ZoneInfo("Europe/Saratov")
COORDINATOR = Viewer(coordinator=True)
CITY_ADMIN = Viewer(coordinator=False, bodies=frozenset({"city"}))


async def four_appeals(world) -> dict[str, str]:
    await world.start()
    return await staff_steps.four_appeals(world)


async def test_dashboard_counts_each_way_of_routing_as_it_happened(world):
    await four_appeals(world)
    now = world.clock.now()
    catalogue = Catalogue.of(world.table)
    flt = parse_report({}, COORDINATOR, catalogue, now, ZONE)
    board = await dashboard(world.repo, COORDINATOR, flt, now, ZONE)
    assert board.routes == RouteCounts(
        automatic=2, after_question=1, by_coordinator=1, not_routed=0
    )
    assert (board.totals.received, board.totals.answered, board.totals.answered_in_time) == (
        4, 1, 1
    )
    city = {b.body: b for b in board.bodies}["city"]
    assert (city.received, city.answered) == (2, 1)
    assert city.median_first_answer == pytest.approx(2 * 3600, abs=60)  # flush ticks the clock
    assert [(w.received, w.answered) for w in board.weeks] == [(4, 1)]
    week = board.weeks[0]
    assert (week.answered_in_time, week.overdue) == (
        board.totals.answered_in_time, board.totals.overdue
    )
    assert board.weeks[0].week == datetime(2026, 3, 2, tzinfo=ZONE)  # that Monday
    # An administrator's dashboard is its body's, whatever the filter says.
    own = await dashboard(world.repo, CITY_ADMIN, flt, now, ZONE)
    assert [b.body for b in own.bodies] == ["city"] and own.totals.received == 2


async def test_queue_is_scoped_paged_and_a_page_past_the_end_is_refused(world):
    numbers = await four_appeals(world)
    now = world.clock.now()
    catalogue = Catalogue.of(world.table)
    page = await queue_page(
        world.repo, CITY_ADMIN, parse_queue({}, CITY_ADMIN, catalogue, now, ZONE), now
    )
    assert [r.number for r in page.rows] == [numbers["trash"], numbers["pothole"]]
    assert (page.total, page.pages, page.counts[QueueView.UNROUTED]) == (2, 1, 0)
    everyone = await queue_page(
        world.repo, COORDINATOR, parse_queue({"q": "мусор"}, COORDINATOR, catalogue, now, ZONE),
        now,
    )
    assert [r.number for r in everyone.rows] == [numbers["trash"]]
    with pytest.raises(FilterError) as refused:
        query = parse_queue({"page": "2"}, COORDINATOR, catalogue, now, ZONE)
        await queue_page(world.repo, COORDINATOR, query, now)
    assert refused.value.errors == {"page": "Страницы 2 нет: в этой выборке страниц 1."}


async def test_csv_and_xlsx_exports_hold_the_same_rows_with_russian_headers(world):
    numbers = await four_appeals(world)
    now = world.clock.now()
    flt = parse_report({}, COORDINATOR, Catalogue.of(world.table), now, ZONE)
    chunks = [
        c async for c in report_export.export_csv(world.repo, COORDINATOR, flt, world.table, ZONE)
    ]
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeffНомер;Поступило;Канал;Состояние;Тема;")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0] == list(report_export.texts.EXPORT_HEADERS)
    assert [line[0] for line in lines[1:]] == list(numbers.values())
    pothole = lines[1]
    assert pothole[2:7] == [
        "Telegram", "получен ответ", "Дороги", "город Саратов", "Администрация города Саратова"
    ]
    assert pothole[1] == "04.03.2026 10:00" and pothole[8] == "04.03.2026 12:00"
    assert lines[4][11] == "больница =HYPERLINK(\"x\")"
    assert "601" not in "".join(pothole)  # no chat or account ids
    book = load_workbook(io.BytesIO(
        await report_export.export_xlsx(world.repo, COORDINATOR, flt, world.table, ZONE)
    ))
    sheet = book["Обращения"]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows == lines


async def test_a_formula_stays_text_and_an_export_too_large_is_refused(world, monkeypatch):
    await world.start()
    await world.core.handle(world.citizen("=1+2 яма", chat=610))
    await world.core.handle(world.citizen("яма тут", chat=611))
    now = world.clock.now()
    flt = parse_report({}, COORDINATOR, Catalogue.of(world.table), now, ZONE)
    text = b"".join([
        c async for c in report_export.export_csv(world.repo, COORDINATOR, flt, world.table, ZONE)
    ]).decode("utf-8")
    assert ";'=1+2 яма" in text
    data = await report_export.export_xlsx(world.repo, COORDINATOR, flt, world.table, ZONE)
    cell = load_workbook(io.BytesIO(data))["Обращения"]["L2"]
    assert (cell.value, cell.data_type) == ("=1+2 яма", "s")
    monkeypatch.setattr(report_export, "EXPORT_LIMIT", 1)
    with pytest.raises(FilterError) as refused:
        await anext(report_export.export_csv(world.repo, COORDINATOR, flt, world.table, ZONE))
    assert refused.value.errors["from"].startswith("За выбранный период 2 обращений")


async def test_map_has_located_tickets_and_municipality_centroids(world):
    numbers = await four_appeals(world)
    now = world.clock.now()
    flt = parse_report({}, COORDINATOR, Catalogue.of(world.table), now, ZONE)
    located = dataclasses.replace(
        world.table,
        municipalities=tuple(
            dataclasses.replace(m, lat=51.53, lon=46.03) if m.id == SARATOV else m
            for m in world.table.municipalities
        ),
    )
    found = await map_data(world.repo, COORDINATOR, flt, located)
    assert [p.number for p in found.points] == [numbers["pothole"]] and not found.truncated
    [marker] = found.municipalities
    # The pothole and the trash; the coordinator's pick was routed without a place.
    assert (marker.municipality, marker.name, marker.count) == (SARATOV, "город Саратов", 2)
    nothing = await map_data(world.repo, Viewer(coordinator=False, bodies=frozenset({"health"})),
                             flt, located)
    assert nothing.points == ()


def test_weeks_are_local_mondays_with_empty_weeks_shown():
    hours = [
        (datetime(2026, 3, 1, 20, tzinfo=UTC), 2, 1, 1, 1),  # Monday 2 March 00:00 in Saratov
        (datetime(2026, 3, 1, 19, tzinfo=UTC), 1, 0, 0, 1),  # still Sunday there
        (datetime(2026, 3, 17, 10, tzinfo=UTC), 5, 5, 4, 1),
        (datetime(2026, 3, 17, 11, tzinfo=UTC), 1, 0, 0, 0),
    ]
    assert weeks_of(hours, ZONE) == (
        WeekFigures(datetime(2026, 2, 23, tzinfo=ZONE), 1, 0, 0, 1),
        WeekFigures(datetime(2026, 3, 2, tzinfo=ZONE), 2, 1, 1, 1),
        WeekFigures(datetime(2026, 3, 9, tzinfo=ZONE), 0, 0, 0, 0),
        WeekFigures(datetime(2026, 3, 16, tzinfo=ZONE), 6, 5, 4, 1),
    )
    assert weeks_of([], ZONE) == ()


def test_a_period_reads_as_local_days_both_included():
    from bot.core.console_reports import period_label
    from bot.domain.reports import Period

    march = Period(datetime(2026, 2, 28, 20, tzinfo=UTC), datetime(2026, 3, 31, 20, tzinfo=UTC))
    assert period_label(march, ZONE) == "01.03.2026–31.03.2026"
