"""The routing table's pages (coordinators only): browse and search, edit or delete a row, the
diff with «Применить»/«Отмена», XLSX download and upload, versions and the rollback.

Every decision is `bot.core.table_console.TableConsole`'s (the chat's proposal, validation and
versions); a page reads the form, calls it and renders what it says.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import aiohttp_jinja2
from aiohttp import web

from bot.console.common import FORM, ROLE, TABLE, message_page
from bot.core.coordination import Reply
from bot.core.table_console import RowEdit, TableConsole
from bot.domain import texts
from bot.domain.viewer import NotAllowed, Viewer
from routing.edit import EDITABLE
from routing.validate import COLUMNS

SECTIONS = {"bodies": "Органы", "topics": "Темы", "municipalities": "Муниципальные образования"}
#: Fields typed as several lines (the rest are one line).
_LONG = {"examples"}
UPLOAD_PATH = "/console/table/upload"


def _tools(request: web.Request) -> tuple[TableConsole, Viewer]:
    role = request[ROLE]
    console = request.app.get(TABLE)
    if console is None:
        raise NotAllowed(texts.CONSOLE_TABLE_ONLY_COORDINATORS)
    return console, Viewer(role.channel, role.user_id)


def _section(request: web.Request) -> str:
    section = request.match_info.get("section") or request.query.get("section", "bodies")
    return section if section in EDITABLE else "bodies"


async def listing(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    page = request.query.get("page", "1")
    found = console.browse(viewer, _section(request), request.query.get("q", ""),
                           int(page) if page.isdigit() and len(page) < 6 else 1)
    return aiohttp_jinja2.render_template("table.html", request, {
        "listing": found, "sections": SECTIONS, "labels": texts.CONSOLE_FIELD_LABELS,
        "max_mb": console.max_upload_bytes // 1024 // 1024,
    })


def _form(request: web.Request, section: str, cells: dict[str, str], ident: str | None,
          edit: RowEdit | None = None, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("table_row.html", request, {
        "section": section, "section_name": SECTIONS[section], "ident": ident,
        "columns": COLUMNS[section], "cells": cells, "labels": texts.CONSOLE_FIELD_LABELS,
        "long": _LONG, "edit": edit,
    }, status=status)


async def row_form(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    section = _section(request)
    ident = request.query.get("id") or None
    if ident is None:
        return _form(request, section, {}, None)
    cells = console.row(viewer, section, ident)
    if cells is None:
        return message_page(request, texts.CONSOLE_ROW_GONE.format(id=ident), 404)
    return _form(request, section, cells, ident)


async def row_save(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    section = _section(request)
    form = request[FORM]
    ident = str(form.get("ident") or "") or None
    if form.get("action") == "delete" and ident is not None:
        edit = await console.delete_row(viewer, section, ident)
    else:
        cells = {c: str(form.get(c, "")) for c in COLUMNS[section]}
        edit = await console.edit_row(viewer, section, ident, cells)
        if edit.reply is None:
            return _form(request, section, cells, ident, edit, status=400)
    if edit.reply is None:
        return message_page(request, " ".join(edit.errors), 400)
    return _proposal(request, edit.reply)


def _proposal(request: web.Request, reply: Reply, status: int = 200) -> web.Response:
    """The chat's answer on a page: its messages, and «Применить»/«Отмена» for a proposal."""
    messages = reply.messages or ((reply.notice,) if reply.notice else ())
    return aiohttp_jinja2.render_template("table_proposal.html", request, {
        "messages": messages, "proposal": reply.proposal,
    }, status=status)


async def proposal(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    number = request.match_info["number"]
    return _proposal(request, await console.proposal(viewer, int(number)))


async def decide(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    number = int(request.match_info["number"])
    if request[FORM].get("action") == "apply":
        reply = await console.apply(viewer, number)
    else:
        reply = await console.cancel(viewer, number)
    return _proposal(request, reply)


async def download(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    file = await console.download(viewer)
    if file is None:
        return message_page(request, texts.CONSOLE_TABLE_NO_VERSION, 404)
    return web.Response(body=file.data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{file.filename}"',
    })


async def upload(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    field = request[FORM].get("file")
    if not isinstance(field, web.FileField):
        return message_page(request, texts.CONSOLE_TABLE_NO_FILE, 400)
    data = await asyncio.to_thread(field.file.read)  # up to 20 MB from a temporary file
    # Browsers send the name as UTF-8, percent-encoding quotes; some clients encode it all.
    reply = await console.upload(viewer, data, unquote(field.filename or ""))
    return _proposal(request, reply, status=200 if reply.proposal is not None else 400)


def too_large(request: web.Request) -> web.Response:
    """The upload was over the limit: the web server stopped reading it (the chat's message)."""
    console = request.app.get(TABLE)
    if console is None:
        return message_page(request, texts.CONSOLE_TABLE_ONLY_COORDINATORS, 403)
    reply = console.too_large(texts.CONSOLE_TABLE_UPLOADED_FILE, request.content_length or 0)
    return message_page(request, " ".join(reply.messages), 413)


async def versions(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    found = await console.versions(viewer)
    return aiohttp_jinja2.render_template("table_versions.html", request, {"versions": found})


async def rollback(request: web.Request) -> web.StreamResponse:
    console, viewer = _tools(request)
    reply = await console.rollback(viewer)
    return _proposal(request, reply)


def routes(app: web.Application) -> None:
    app.router.add_get("/table", listing)
    app.router.add_get("/table.xlsx", download)
    app.router.add_post("/table/upload", upload)
    app.router.add_get("/table/versions", versions)
    app.router.add_post("/table/rollback", rollback)
    app.router.add_get("/table/proposal/{number:\\d{1,9}}", proposal)
    app.router.add_post("/table/proposal/{number:\\d{1,9}}", decide)
    app.router.add_get("/table/{section}/row", row_form)
    app.router.add_post("/table/{section}/row", row_save)

