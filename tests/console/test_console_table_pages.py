"""The routing table's pages as a coordinator uses them: search, a row edited in a form → the
diff → «Применить» (a new version routes), per-field Russian errors, XLSX download and upload
(a file over 20 MB gets the chat's message), versions and the rollback; nobody else gets in."""

from __future__ import annotations

import html
import io
import re

from aiohttp import ClientSession, FormData
from openpyxl import load_workbook

from bot.core.coordination import MAX_UPLOAD_BYTES
from routing.model import Deadline
from tests.console.console_world import CITY_ADMIN, COORDINATOR_ID, console_world, sign_in


async def _upload(visitor, name: str, data: bytes) -> tuple[int, str]:
    form = FormData()
    form.add_field("csrf", visitor.csrf)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    async with ClientSession() as http, http.post(
        visitor.base + "/console/table/upload", data=form, headers=visitor._headers()
    ) as response:
        return response.status, html.unescape(await response.text())


async def _versions(world) -> list[int]:
    async with world.repo.transaction() as tx:
        return [v.id for v in await tx.tables.versions(100)]


async def test_a_row_edited_in_the_form_shows_the_diff_and_applies_as_a_new_version() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/table?section=bodies&q=саратов")
        assert status == 200 and 'data-id="city"' in page and 'data-id="transport"' not in page
        status, page = await visitor.get("/console/table/bodies/row?id=city")
        assert status == 200 and 'name="deadline" value="10wd"' in page
        cells = dict(re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', page))
        cells = {k: html.unescape(v) for k, v in cells.items()}
        status, page = await visitor.post(
            "/console/table/bodies/row", {**cells, "ident": "city", "deadline": "5wd",
                                          "action": "save"}
        )
        page = html.unescape(page)
        assert status == 200, page
        assert "Правка проверена, ошибок нет: изменён орган «Администрация города Саратова»" in page
        assert "~ Администрация города Саратова (city): deadline" in page
        assert "Применить" in page and "Отмена" in page
        assert world.core.table.body_by_id["city"].deadline == Deadline.parse("10wd")
        number = re.search(r'/console/table/proposal/(\d+)"', page).group(1)
        status, page = await visitor.post(f"/console/table/proposal/{number}",
                                          {"action": "apply"})
        assert status == 200 and "версия 2" in html.unescape(page).lower()
        assert world.core.table.body_by_id["city"].deadline == Deadline.parse("5wd")
        assert await _versions(world) == [2, 1]
        # The versions page, and a rollback proposed with the same buttons.
        status, page = await visitor.get("/console/table/versions")
        assert status == 200 and "(действует)" in page and "изменён орган" in html.unescape(page)
        status, page = await visitor.post("/console/table/rollback", {})
        assert status == 200 and 'id="apply"' in page
        number = re.search(r'/console/table/proposal/(\d+)"', page).group(1)
        status, page = await visitor.post(f"/console/table/proposal/{number}",
                                          {"action": "cancel"})
        assert status == 200 and world.core.table.body_by_id["city"].deadline == Deadline.parse(
            "5wd"
        )


async def test_a_form_with_mistakes_gets_a_message_at_each_field_and_stores_nothing() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/table/bodies/row?id=city")
        status, page = await visitor.post("/console/table/bodies/row", {
            "ident": "city", "id": "city", "name": "", "deadline": "две недели",
            "topics": "snow", "territory": "region", "level": "municipal", "action": "save",
        })
        page = html.unescape(page)
        assert status == 400
        assert re.search(r'id="error-name">обязательное поле не заполнено', page)
        assert re.search(r'id="error-deadline">срок ответа «две недели» не понят', page)
        assert re.search(r'id="error-topics">тема «snow» не найдена', page)
        assert 'value="две недели"' in page  # what was typed stays in the form
        async with world.repo.transaction() as tx:
            found = await tx.sql.one("SELECT COUNT(*) AS n FROM routing_proposals")
        assert found["n"] == 0 and await _versions(world) == [1]


async def test_xlsx_download_and_upload_and_a_too_large_file() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/table")
        async with ClientSession() as http, http.get(
            visitor.base + "/console/table.xlsx", headers=visitor._headers()
        ) as response:
            assert response.status == 200
            assert 'filename="routing-table-v1.xlsx"' in response.headers["Content-Disposition"]
            data = await response.read()
        book = load_workbook(io.BytesIO(data))
        assert "bodies" in book.sheetnames
        sheet = book["bodies"]
        header = [c.value for c in sheet[1]]
        deadline = header.index("deadline") + 1
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == "city":
                row[deadline - 1].value = "7wd"
        out = io.BytesIO()
        book.save(out)
        status, page = await _upload(visitor, "таблица.xlsx", out.getvalue())
        assert status == 200 and "(city): deadline" in page and 'id="apply"' in page
        status, page = await _upload(visitor, "таблица.txt", b"x")
        assert status == 400 and "таблица.txt" in page
        status, page = await _upload(visitor, "большая.xlsx", b"0" * (MAX_UPLOAD_BYTES + 2**20))
        assert status == 413 and "слишком большой" in page and "20 МБ" in page
        # The server is still fine and the session too.
        status, _ = await visitor.get("/console/table")
        assert status == 200


async def test_only_coordinators_see_the_table_and_a_form_needs_its_token() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/table")
        assert status == 403 and "только координаторы" in html.unescape(page)
        assert 'id="nav-table"' not in page
        visitor.cookie = ""
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/table")
        status, page = await visitor.post("/console/table/rollback", {}, csrf=False)
        assert status == 403 and "Форма устарела" in page


async def test_deleting_a_row_others_use_names_them_and_a_reload_shows_the_proposal() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/table/topics/row?id=trash")
        status, page = await visitor.post("/console/table/topics/row",
                                          {"ident": "trash", "action": "delete"})
        page = html.unescape(page)
        assert status == 400 and "(city), поле «topics»: тема «trash» не найдена" in page
        # A new topic through «Добавить», then the proposal page reloaded before deciding.
        await visitor.get("/console/table/topics/row")
        status, page = await visitor.post("/console/table/topics/row", {
            "id": "ice", "name": "Наледь", "keywords": "наледь; сосульки", "action": "save",
        })
        page = html.unescape(page)
        assert status == 200, page
        assert "добавлена тема «Наледь» (ice)" in page
        number = re.search(r'/console/table/proposal/(\d+)"', page).group(1)
        status, page = await visitor.get(f"/console/table/proposal/{number}")
        assert status == 200 and "добавлена тема «Наледь» (ice)" in html.unescape(
            page
        ) and "+ Наледь (ice)" in html.unescape(page) and 'id="apply"' in page
        await visitor.post(f"/console/table/proposal/{number}", {"action": "cancel"})
        status, page = await visitor.get(f"/console/table/proposal/{number}")
        assert 'id="apply"' not in page and await _versions(world) == [1]
