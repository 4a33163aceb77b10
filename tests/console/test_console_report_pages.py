"""The dashboard, the exports and the map as a coordinator and a body's administrator see them,
over tickets the real core made (routed by the bot, after a question, by the coordinator)."""

from __future__ import annotations

import csv
import io
import json
import re

from aiohttp import ClientSession
from openpyxl import load_workbook

from bot.domain import texts
from tests.console.console_world import (
    CITY_ADMIN,
    COORDINATOR_ID,
    console_world,
    sign_in,
)
from tests.core.staff_steps import four_appeals


def figure(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


async def _download(visitor, path: str) -> tuple[int, dict, bytes]:
    async with ClientSession() as http, http.get(
        visitor.base + path, headers=visitor._headers()
    ) as response:
        return response.status, dict(response.headers), await response.read()


async def test_the_coordinators_dashboard_matches_the_database() -> None:
    async with console_world() as (world, visitor):
        await four_appeals(world)
        async with world.repo.transaction() as tx:
            [row] = await tx.sql.all("SELECT COUNT(*) AS n FROM tickets")
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/dashboard")
        assert status == 200 and "Сводка за 03.02.2026–04.03.2026" in page
        assert figure(page, "received") == str(row["n"]) == "4"
        assert [figure(page, n) for n in ("automatic", "after-question", "by-coordinator",
                                         "not-routed", "answered", "in-time")] == [
            "2", "1", "1", "0", "1", "1"
        ]
        assert "Администрация города Саратова" in page and 'href="/console/export.csv?"' in page
        # The same page for a period with no tickets.
        status, page = await visitor.get("/console/dashboard?from=2026-01-01&to=2026-01-31")
        assert status == 200 and figure(page, "received") == "0"
        assert "За этот период обращений у органов нет." in page


async def test_a_body_administrator_sees_only_its_body_and_no_foreign_filter() -> None:
    async with console_world() as (world, visitor):
        await four_appeals(world)
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/dashboard")
        assert status == 200
        # The pothole and the trash went to the city; the unclear one to transport.
        assert figure(page, "received") == "2" and figure(page, "answered") == "1"
        assert "Транспорт" not in page.split('id="bodies"')[1]
        status, page = await visitor.get("/console/dashboard?body=transport")
        assert status == 400 and "вы администратор другого органа" in page


async def test_bad_filters_get_a_russian_message() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/dashboard?from=31/03/2026")
        assert status == 400 and "Дата «31/03/2026» не распознана" in page
        status, page = await visitor.get("/console/export.csv?from=2024-01-01&to=2026-03-01")
        assert status == 400 and "Период длиннее 366 дней" in page


async def test_csv_and_xlsx_downloads_have_russian_headers_and_the_scope() -> None:
    async with console_world() as (world, visitor):
        numbers = await four_appeals(world)
        await sign_in(world, visitor, COORDINATOR_ID)
        status, headers, data = await _download(visitor, "/console/export.csv")
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        assert headers["X-Content-Type-Options"] == "nosniff"  # streamed, still sent
        assert headers["Cache-Control"] == "no-store"
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == list(texts.EXPORT_HEADERS) and rows[0][0] == "Номер"
        assert [r[0] for r in rows[1:]] == list(numbers.values())
        status, headers, data = await _download(visitor, "/console/export.xlsx?body=city")
        assert status == 200 and headers["Content-Type"].startswith(
            "application/vnd.openxmlformats"
        )
        sheet = load_workbook(io.BytesIO(data)).active
        lines = [[c.value for c in row] for row in sheet.iter_rows()]
        assert lines[0][:3] == ["Номер", "Поступило", "Канал"]
        assert {line[0] for line in lines[1:]} == {numbers["pothole"], numbers["trash"]}
        # An administrator's download never carries another body's tickets.
        visitor.cookie = ""
        await sign_in(world, visitor, CITY_ADMIN)
        _, _, data = await _download(visitor, "/console/export.csv")
        text = data.decode("utf-8-sig")
        assert numbers["pothole"] in text and numbers["unclear"] not in text


async def test_the_map_page_carries_markers_and_the_tile_server_in_its_csp() -> None:
    async with console_world(map_tiles="https://tiles.example.ru/{z}/{x}/{y}.png") as (
        world, visitor
    ):
        numbers = await four_appeals(world)
        await sign_in(world, visitor, COORDINATOR_ID)
        status, headers, body = await _download(visitor, "/console/map")
        page = body.decode()
        assert status == 200 and "Обращений с геопозицией: 1" in page
        assert "/console/static/vendor/leaflet/leaflet.js" in page and "unpkg" not in page
        assert "img-src 'self' data: https://tiles.example.ru" in headers[
            "Content-Security-Policy"
        ]
        assert 'data-tiles="https://tiles.example.ru/{z}/{x}/{y}.png"' in page
        data = json.loads(re.search(
            r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S
        ).group(1))
        [point] = data["points"]
        assert (point["number"], point["lat"], point["lon"]) == (numbers["pothole"], 51.53, 46.03)
        status, headers, _ = await _download(visitor, "/console/static/map.js")
        assert status == 200
        # Every other page keeps the strict CSP.
        _, headers, _ = await _download(visitor, "/console/dashboard")
        assert headers["Content-Security-Policy"].startswith("default-src 'self'; frame")


def _table_rows(page: str, table_id: str) -> list[list[str]]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [re.findall(r"<td>([^<]*)</td>", r) for r in rows if "<td>" in r]


def _bars(page: str, chart_id: str) -> list[dict[str, str]]:
    svg = page.split(f'id="{chart_id}"', 1)[1].split("</svg>", 1)[0]
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', rect)) | {"title": title}
            for rect, title in re.findall(r"<rect ([^>]*)><title>([^<]*)</title>", svg)]


async def test_the_dashboards_charts_draw_the_numbers_of_its_tables() -> None:
    async with console_world() as (world, visitor):
        await four_appeals(world)  # the week of 2 March: 4 received, 1 answered in time
        world.clock.advance(days=9)  # the week of 9 March: 2 more, never answered
        for chat, text in ((611, "яма на дороге у школы"), (612, "больница не принимает")):
            await world.core.handle(world.citizen(text, chat=chat))
        world.clock.advance(days=60)  # every unanswered deadline has passed
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/dashboard?from=2026-03-01&to=2026-03-31")
        assert status == 200

        weeks = _table_rows(page, "weeks")
        assert [w[0] for w in weeks] == ["02.03.2026", "09.03.2026"]
        bars = _bars(page, "weeks-chart")
        assert len(bars) == 3 * len(weeks)
        for i, (_week, received, _answered, in_time, overdue) in enumerate(weeks):
            drawn = {b["data-series"]: b["data-value"] for b in bars[3 * i: 3 * i + 3]}
            assert drawn == {"received": received, "in-time": in_time, "overdue": overdue}
        assert [int(x) for x in weeks[1][1:]] == [2, 0, 0, 2]
        # Bar heights are the numbers to one scale; each says its number in its <title>.
        scales = {round(float(b["height"]) / int(b["data-value"]), 6)
                  for b in bars if b["data-value"] != "0"}
        assert len(scales) == 1
        assert "Неделя с 09.03.2026: просрочено — 2" in [b["title"] for b in bars]
        assert '<title id="weeks-chart-title">Обращения по неделям' in page

        # The overdue share of each body: the bar's number is the body table's, its length
        # the share of the full width.
        by_body = {r[0]: r[4] for r in _table_rows(page, "bodies")}
        shares = _bars(page, "overdue-chart")
        assert shares
        full = max(float(b["width"]) / (int(b["data-value"]) / _with_deadline(b["title"]))
                   for b in shares if b["data-value"] != "0")
        for bar in shares:
            name = bar["title"].split(": просрочено", 1)[0]
            assert by_body[name].startswith(bar["data-value"] + " ("), name
            share = int(bar["data-value"]) / _with_deadline(bar["title"])
            assert abs(float(bar["width"]) - share * full) < 0.05
        lengths = [float(b["width"]) for b in shares]
        assert lengths == sorted(lengths, reverse=True)


def _with_deadline(title: str) -> int:
    return int(re.search(r"из (\d+)", title).group(1))
