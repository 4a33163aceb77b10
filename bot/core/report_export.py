"""A period's tickets as CSV or XLSX, for the monthly reports a regional centre sends on.

Why streamed in batches: a month of a large region is tens of thousands of tickets, and the
console runs in the bot's own process. Rows come from the database in keyset batches of
`BATCH` in the order received (`bot.storage.sql.reports.ReportsSql.export_batch`), each in a
short transaction of its own so a long download never holds one open; CSV goes out batch by
batch, each formatted off the event loop; XLSX is written by openpyxl's write-only workbook
(rows are not kept as cells) off the event loop. What a person waits for is the first chunk:
the browser starts the download then, and the rest follows at the pace it is written.
An export is refused above `EXPORT_LIMIT` tickets with a message asking for a shorter period.

Columns: what a coordinator sees on a ticket's card in the chat — number, times, state, topic,
place, body, the verdict and score, the appeal's text — with names from the routing table;
never the citizen's chat or account ids.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, tzinfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bot.core.console_filters import FilterError
from bot.core.console_reports import scoped
from bot.domain import texts
from bot.domain.reports import ExportCursor, ExportRow, TicketFilter, Viewer
from bot.storage.base import Repository
from routing.model import RoutingTable

BATCH = 2000
EXPORT_LIMIT = 200_000
#: Longest text in a cell: Excel's own limit is 32,767 characters.
CELL_LIMIT = 32_000


async def export_rows(
    repo: Repository, viewer: Viewer, flt: TicketFilter
) -> AsyncIterator[list[ExportRow]]:
    """The filter's tickets in batches, oldest first; `FilterError` before the first batch if
    there are more than `EXPORT_LIMIT`."""
    flt = scoped(flt, viewer)
    async with repo.transaction() as tx:
        count = await tx.reports.export_count(flt)
    if count > EXPORT_LIMIT:
        raise FilterError({"from": texts.EXPORT_TOO_MANY.format(
            count=count, limit=EXPORT_LIMIT
        )})
    after: ExportCursor | None = None
    while True:
        async with repo.transaction() as tx:
            batch, after = await tx.reports.export_batch(flt, after, BATCH)
        if batch:
            yield batch
        if after is None:
            return


def _local(value: datetime | None, zone: tzinfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def cells(row: ExportRow, table: RoutingTable, zone: tzinfo) -> list[str | int]:
    """One ticket as the export's cells, in the order of `texts.EXPORT_HEADERS`."""
    body = table.body_by_id.get(row.body or "")
    topic = table.topic_by_id.get(row.topic or "")
    place = table.municipality_by_id.get(row.municipality or "")
    return [
        row.number,
        _local(row.created_at, zone),
        texts.CHANNEL_NAMES.get(row.channel, row.channel),
        texts.STATE_NAMES.get(row.state, row.state),
        topic.name if topic else (row.topic or ""),
        place.name if place else (row.municipality or ""),
        body.name if body else (row.body or ""),
        _local(row.due_at, zone),
        _local(row.first_answer_at, zone),
        texts.EXPORT_SOLVED[row.solved],
        "" if row.rating is None else row.rating,
        row.text[:CELL_LIMIT],
    ]


#: A cell starting with one of these is a formula to a spreadsheet: a citizen's text
#: «=HYPERLINK(…)» must stay text (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str | int) -> str | int:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_line(values: list) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow([_csv_cell(v) for v in values])
    return out.getvalue()


async def export_csv(
    repo: Repository, viewer: Viewer, flt: TicketFilter, table: RoutingTable, zone: tzinfo
) -> AsyncIterator[bytes]:
    """CSV for Excel: UTF-8 with a BOM, ``;`` between fields (what a Russian Excel opens by a
    double click). The first chunk is produced only after the size check, so a page can still
    answer with the error instead of a file."""
    rows = export_rows(repo, viewer, flt)
    first = await anext(rows, None)
    yield ("\ufeff" + _csv_line(list(texts.EXPORT_HEADERS))).encode("utf-8")
    batch = first
    while batch is not None:
        yield await asyncio.to_thread(_csv_batch, batch, table, zone)
        batch = await anext(rows, None)


def _csv_batch(batch: list[ExportRow], table: RoutingTable, zone: tzinfo) -> bytes:
    """A batch as CSV lines: ~40 ms of Python for 2,000 rows, so off the event loop (the
    webhooks and the other pages share it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in batch:
        writer.writerow([_csv_cell(v) for v in cells(row, table, zone)])
    return out.getvalue().encode("utf-8")


async def export_xlsx(
    repo: Repository, viewer: Viewer, flt: TicketFilter, table: RoutingTable, zone: tzinfo
) -> bytes:
    """The same rows as an XLSX workbook (one sheet «Обращения»)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Обращения")
    sheet.append(list(texts.EXPORT_HEADERS))
    async for batch in export_rows(repo, viewer, flt):
        lines = [cells(row, table, zone) for row in batch]
        await asyncio.to_thread(_append, sheet, lines)
    return await asyncio.to_thread(_save, book)


def _append(sheet, lines: list[list]) -> None:
    for line in lines:
        sheet.append([_xlsx_cell(sheet, value) for value in line])


def _xlsx_cell(sheet, value: str | int) -> str | int | WriteOnlyCell:
    """openpyxl writes a string starting with ``=`` as a formula: such a text is typed as text."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
