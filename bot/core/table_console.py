"""The routing table from the console: browse, edit one row, upload, download, apply, roll back.

The console's pages call these; they are the chat's table commands (`bot.core.coordination`)
seen from a form. An edited row becomes a whole new table (`routing.edit`), judged by the same
validator as an upload, and is stored as the same kind of *proposal*: the page shows its diff
and «Применить» applies it through `Coordination.apply` — the version is recorded, the
classifier swapped and a stale proposal refused exactly as after an upload; «Отмена» and the
rollback are the chat's own paths too. A form with mistakes gets Russian messages per field and
nothing is stored; another row the change would break is named by its id.

Only coordinators change the table (as in the chat); anyone signed in may not even read it
here unless they are one — a body's administrator has no table page. Every refusal is
`NotAllowed` with the reason. Validation and XLSX work run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.coordination import (
    MAX_UPLOAD_BYTES,
    Coordination,
    Reply,
    TableFile,
    from_stored,
)
from bot.core.table_browse import Listing, browse
from bot.domain import texts
from bot.domain.records import TableVersion
from bot.domain.states import ProposalState
from bot.domain.viewer import NotAllowed, Viewer
from routing.diff import diff_tables
from routing.edit import EDITABLE, RowChange, RowEditError, UnknownRow, current_cells, edited

log = logging.getLogger("bot.coordination")

#: A form field longer than this is refused (a topic's examples are the longest real cells,
#: a few thousand characters).
MAX_CELL = 20_000


@dataclass(frozen=True)
class RowEdit:
    """What the form gets back: a proposal (``reply``: the diff, the buttons and the proposal's
    number, as in the chat), or messages per field and about other rows, and nothing stored."""

    reply: Reply | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def proposal(self) -> int | None:
        return self.reply.proposal if self.reply is not None else None


class TableConsole:
    """The table use cases a page calls, over the chat's `Coordination`."""

    #: The largest upload taken: a web server reads no more than this (the chat's limit).
    max_upload_bytes = MAX_UPLOAD_BYTES

    def __init__(self, coordination: Coordination) -> None:
        self.coordination = coordination

    def _require(self, viewer: Viewer) -> None:
        if not viewer.is_coordinator(self.coordination.core.staff):
            raise NotAllowed(texts.CONSOLE_TABLE_ONLY_COORDINATORS)

    # -- reading ---------------------------------------------------------------------------------
    def browse(
        self, viewer: Viewer, section: str = "bodies", query: str = "", page: int = 1,
        per_page: int = 50,
    ) -> Listing:
        self._require(viewer)
        return browse(self.coordination.core.table, section, query, page, per_page)

    def row(self, viewer: Viewer, section: str, ident: str) -> dict[str, str] | None:
        """The row's fields as the edit form shows them; ``None`` if it is gone."""
        self._require(viewer)
        if section not in EDITABLE:
            return None
        try:
            return current_cells(self.coordination.core.table, section, ident)
        except UnknownRow:
            return None

    async def download(self, viewer: Viewer) -> TableFile | None:
        """The table in force as XLSX, named by its version (the chat's ``/table``)."""
        self._require(viewer)
        return await self.coordination.current_file()

    async def versions(self, viewer: Viewer, limit: int = 20) -> list[TableVersion]:
        """The latest versions, newest first (the first one is in force)."""
        self._require(viewer)
        async with self.coordination.repo.transaction() as tx:
            return await tx.tables.versions(min(max(limit, 1), 100))

    async def proposal(self, viewer: Viewer, proposal_id: int) -> Reply:
        """A proposal shown again (a page reloaded before «Применить»): its summary and its
        diff against the version in force now, with its number while it can still be applied;
        a settled, stale or unknown one gets only a ``notice`` saying so."""
        self._require(viewer)
        async with self.coordination.repo.transaction() as tx:
            found = await tx.tables.proposal(proposal_id)
            current = await tx.tables.latest()
        if found is None or current is None:
            return Reply(notice=texts.TABLE_PROPOSAL_UNKNOWN)
        if found.state != ProposalState.PENDING:
            return Reply(notice=Coordination.settled_notice(found.state))
        if found.base_version != current.id:
            return Reply(notice=texts.TABLE_STALE.format(version=current.id))
        old, new = await asyncio.gather(
            asyncio.to_thread(from_stored, current.content),
            asyncio.to_thread(from_stored, found.content),
        )
        diff = await asyncio.to_thread(diff_tables, old, new)
        message = texts.CONSOLE_PROPOSAL_SHOWN.format(
            summary=found.summary, version=current.id, diff=diff.render_ru()
        )
        return Reply((message,), proposal=found.id, diff=diff)

    # -- proposing -------------------------------------------------------------------------------
    async def edit_row(
        self, viewer: Viewer, section: str, ident: str | None, cells: Mapping[str, str]
    ) -> RowEdit:
        """Add (``ident`` ``None``) or change a row from the form's fields."""
        self._require(viewer)
        too_long = {
            name: (texts.CONSOLE_CELL_TOO_LONG.format(length=len(v), limit=MAX_CELL),)
            for name, v in cells.items() if len(str(v)) > MAX_CELL
        }
        if too_long:
            return RowEdit(fields=too_long)
        return await self._propose(viewer, RowChange(section, ident, dict(cells)))

    async def delete_row(self, viewer: Viewer, section: str, ident: str) -> RowEdit:
        self._require(viewer)
        return await self._propose(viewer, RowChange(section, ident, None))

    async def _propose(self, viewer: Viewer, change: RowChange) -> RowEdit:
        if change.section not in EDITABLE:
            return RowEdit(errors=(texts.CONSOLE_UNKNOWN_SECTION,))
        table = self.coordination.core.table
        try:
            new = await asyncio.to_thread(edited, table, change)
        except UnknownRow:
            return RowEdit(errors=(texts.CONSOLE_ROW_GONE.format(id=change.ident),))
        except RowEditError as error:
            log.info("routing table: a console edit of %s refused", change.section)
            return RowEdit(fields=error.problems.fields, errors=error.problems.elsewhere)
        if new == table:
            return RowEdit(errors=(texts.CONSOLE_EDIT_UNCHANGED,))
        what = self._what(change, table if change.deletes else new)
        reply = await self.coordination.propose_edit(new, viewer.ref, what=what)
        if reply.proposal is None:  # unchanged after all, or no version yet: say why
            return RowEdit(errors=reply.messages)
        return RowEdit(reply=reply)

    @staticmethod
    def _what(change: RowChange, table) -> str:
        """«изменён орган «…» (id)»: for the proposal's message and the version's summary."""
        ident = change.ident if change.deletes else str((change.cells or {}).get("id")
                                                         or change.ident)
        index = {"bodies": table.body_by_id, "topics": table.topic_by_id,
                 "municipalities": table.municipality_by_id}[change.section]
        entry = index.get(ident)
        how = "delete" if change.deletes else "add" if change.ident is None else "change"
        return texts.CONSOLE_EDIT_WHAT[change.section][how].format(
            name=entry.name if entry is not None else ident, id=ident
        )

    async def upload(self, viewer: Viewer, data: bytes, filename: str) -> Reply:
        """An uploaded file, as in the chat: the same formats, limits and Russian errors."""
        self._require(viewer)
        return await self.coordination.propose_upload(data, filename, viewer.ref)

    def too_large(self, filename: str, size: int) -> Reply:
        """What to say when the web server stopped reading a body over `MAX_UPLOAD_BYTES`."""
        return self.coordination.too_large(filename, size)

    async def rollback(self, viewer: Viewer) -> Reply:
        self._require(viewer)
        return await self.coordination.propose_rollback(viewer.ref)

    # -- deciding --------------------------------------------------------------------------------
    async def apply(self, viewer: Viewer, proposal_id: int) -> Reply:
        """«Применить»: the chat's path — a version recorded, the classifier swapped."""
        self._require(viewer)
        return await self.coordination.apply(proposal_id, viewer.ref)

    async def cancel(self, viewer: Viewer, proposal_id: int) -> Reply:
        self._require(viewer)
        return await self.coordination.cancel(proposal_id)
