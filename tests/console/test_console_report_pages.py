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
