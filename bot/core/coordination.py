"""Coordinators manage the routing table from a chat: upload, review the diff, apply, roll back.

Channel-agnostic: adapters hand in bytes and a file name (or a button's data) and send back the
`Reply` they get. Nothing is applied on upload: the validated table is stored as a *proposal*
(so a restart between the upload and «Применить» loses nothing) and only the button applies it.
A proposal remembers the version it was compared with; if another version was applied since,
«Применить» is refused — the coordinator would otherwise apply a diff they never saw.

Versions (``tx.tables``, `bot.storage.sql.tables`) are append-only; the latest one is the table
in force.
On start (`sync_with_file`): the first start records the ``ROUTING_TABLE`` file as version 1;
later starts record it again as a new version only if its content changed since it was last
recorded (compared by the hash of its canonical YAML), so an edited file wins over a table
applied from the chat, and an untouched file does not undo what coordinators applied.

`/rollback` proposes the version that was in force before the current one, as a new version
(history stays linear); a second `/rollback` goes one step further back, not forth again.

Parsing, validation, XLSX writing and building the classifier are CPU work: they run in
``asyncio.to_thread``. An upload is parsed in a child process with memory and time limits
(`routing.sandbox`), so a hostile file ends in one Russian message, not in the bot's memory.
The swap itself (`AppealCore.replace_table`) is synchronous, after the version is committed, so
a crash in between only means the next start reads the new version.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from bot import heap
from bot.core.appeals import AppealCore
from bot.core.ports import Classifies
from bot.domain import texts
from bot.domain.messages import Button, Clock, split_text
from bot.domain.records import FROM_EDIT, FROM_FILE, FROM_ROLLBACK, FROM_UPLOAD, TableVersion
from bot.domain.states import ProposalState
from bot.storage.base import Repository
from routing.diff import TableDiff, diff_tables
from routing.errors import TableError
from routing.model import RoutingTable
from routing.sandbox import parse_upload
from routing.sheets import SHEETS
from routing.tablefile import parse_table, table_to_bytes

log = logging.getLogger("bot.coordination")

#: The largest table file taken, in any channel: Telegram's Bot API lets a bot download files up
#: to 20 MB (getFile), and a routing table is far smaller (under a megabyte).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TABLE_SUFFIXES = (".xlsx", ".yaml", ".yml", ".zip", ".csv")
#: Problems listed in the chat; the rest is counted ("…и ещё N").
MAX_PROBLEMS_SHOWN = 60
MAX_TEXT = 4096
#: Button data: ``tbl:apply:17`` — well under Telegram's 64 bytes.
BUTTON_PREFIX = "tbl:"
SYSTEM = "system"


@dataclass(frozen=True)
class TableFile:
    """The current table as a file to send back (`/table`)."""

    data: bytes
    filename: str
    caption: str


@dataclass(frozen=True)
class Reply:
    """What to tell the coordinator: messages in order, buttons under the last one, and a short
    ``notice`` for the button press that caused it (callback alert / snackbar). A ``document``
    (`/table`) and a ``photo`` (the PNG chart of `/stats`) go before the messages."""

    messages: tuple[str, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    notice: str | None = None
    document: TableFile | None = None
    photo: bytes | None = None
    #: The proposal this reply offers to apply, and what it changes: for a page, which shows
    #: the diff its own way and applies by number (`bot.core.table_console`).
    proposal: int | None = None
    diff: TableDiff | None = None

    @property
    def settles_proposal(self) -> bool:
        """A press that decided a proposal (applied, cancelled, refused as stale) answers with
        messages: the buttons under the proposal are spent and are taken away. A press that
        only gets a notice (already applied, unknown) leaves the message as it is."""
        return bool(self.messages)


def canonical(table: RoutingTable) -> str:
    """The form a table is stored and compared in."""
    return table_to_bytes(table, "yaml").decode()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def from_stored(text: str) -> RoutingTable:
    return parse_table(text.encode(), "version.yaml")


def model_misfit(model: object, table: RoutingTable) -> str | None:
    """Why a trained `routing.learn.AppealModel` must not be used with ``table`` (``None``: it
    fits). It fits when it was trained for the same region and every topic and body it can
    predict still exists: a model predicting removed ids would steer appeals to nobody, while
    added topics are still found by the table's keywords."""
    if getattr(model, "region", None) != table.region:
        return texts.TABLE_MODEL_OTHER_REGION
    known: set[str] = set()
    for head, ids in (("topic_head", table.topic_by_id), ("body_head", table.body_by_id)):
        classes = getattr(getattr(model, head, None), "classes_", ())
        known.update(str(c) for c in classes if str(c) not in ids)
    return texts.TABLE_MODEL_UNKNOWN_IDS if known else None


def build_classifier(
    table: RoutingTable, model_path: Path | None, route_precision: float | None = None
) -> tuple[Classifies, str | None]:
    """The classifier for ``table`` (blocking: call in a thread) and, if the trained model had to
    be left out, the reason to tell the coordinator."""
    from routing.classify import DEFAULT_ROUTE_PRECISION, Classifier
    from routing.errors import RoutingError

    precision = DEFAULT_ROUTE_PRECISION if route_precision is None else route_precision
    if model_path is None:
        return Classifier(table), None
    from routing.learn import AppealModel

    try:
        model = AppealModel.load(model_path, table)  # refuses a model for another region
    except RoutingError as error:
        return Classifier(table), str(error)
    reason = model_misfit(model, table)
    return Classifier(table, None if reason else model, route_precision=precision), reason


def _chunks(header: str, lines: list[str], more: str | None) -> tuple[str, ...]:
    text = "\n".join([header, *lines, *([more] if more else [])])
    return tuple(split_text(text, MAX_TEXT))


class _Stale(Exception):
    """Another version was applied since the proposal was made: undo the claim, say so."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


class Coordination:
    """The routing table's versions and the coordinator's commands about it."""

    def __init__(
        self,
        repo: Repository,
        core: AppealCore,
        clock: Clock,
        *,
        model_path: Path | None = None,
        route_precision: float | None = None,
        coordinators: tuple = (),
    ):
        self.repo = repo
        self.core = core
        self.clock = clock
        self.model_path = model_path
        self.route_precision = route_precision
        self.coordinators = {(c.channel, c.user_id) for c in coordinators}

    def is_coordinator(self, channel: str, user_id: int) -> bool:
        return (channel, user_id) in self.coordinators

    def _when(self, moment: datetime) -> str:
        return texts.WHEN.format(date=moment.astimezone(self.core.calendar.timezone))

    async def _swap(self, table: RoutingTable) -> str | None:
        classifier, dropped = await asyncio.to_thread(
            build_classifier, table, self.model_path, self.route_precision
        )
        self.core.replace_table(table, classifier)
        return dropped

    # == start ==================================================================================
    async def sync_with_file(self, file_table: RoutingTable) -> int:
        """Record the ``ROUTING_TABLE`` file as a version when it is new or changed, then put the
        latest version in force; returns its number. See the module docstring for the rule."""
        text = await asyncio.to_thread(canonical, file_table)
        seed = content_hash(text)
        async with self.repo.transaction() as tx:
            if await tx.tables.latest_seed_hash() != seed:
                number = await tx.tables.add_version(
                    content=text,
                    content_hash=seed,
                    source=FROM_FILE,
                    applied_by=SYSTEM,
                    now=self.clock.now(),
                    summary=texts.TABLE_SUMMARY_FILE.format(summary=file_table.summary()),
                    seed_hash=seed,
                )
                log.info("routing table: the ROUTING_TABLE file is recorded as version %d", number)
            current = await tx.tables.latest()
        assert current is not None
        in_force = seed
        if self.core.table is not file_table:
            in_force = content_hash(await asyncio.to_thread(canonical, self.core.table))
        if current.content_hash != in_force:
            table = await asyncio.to_thread(from_stored, current.content)
            if await self._swap(table):
                log.warning("routing table: the trained model does not fit version %d, unused",
                            current.id)
            log.info("routing table: version %d from the database is in force", current.id)
        return current.id

    # == proposals ==============================================================================
    async def propose_upload(self, data: bytes, filename: str, by: str) -> Reply:
        """Validate an uploaded table and, if it is fine and different, store it as a proposal."""
        name = PurePosixPath(filename or "").name or "file"
        suffix = PurePosixPath(name.lower()).suffix
        if suffix not in TABLE_SUFFIXES:
            return Reply((texts.TABLE_UNKNOWN_FORMAT.format(name=name),))
        if len(data) > MAX_UPLOAD_BYTES:
            return self.too_large(name, len(data))
        if suffix == ".csv" and PurePosixPath(name.lower()).stem not in SHEETS:
            return Reply((texts.TABLE_CSV_SHEET_UNKNOWN.format(name=name),))
        current_table = self.core.table
        try:
            table = await asyncio.to_thread(self._parse_upload, data, name, current_table)
        except TableError as error:
            shown = [f"• {p}" for p in error.problems[:MAX_PROBLEMS_SHOWN]]
            hidden = error.total - len(shown)
            more = texts.TABLE_MORE_PROBLEMS.format(count=hidden) if hidden else None
            header = texts.TABLE_INVALID.format(name=name, count=error.total)
            return Reply(_chunks(header, shown, more))
        summary = texts.TABLE_SUMMARY_UPLOAD.format(name=name, summary=table.summary())
        return await self._propose(table, FROM_UPLOAD, by, name=name, summary=summary)

    async def propose_edit(self, table: RoutingTable, by: str, *, what: str) -> Reply:
        """A table with one row edited in the console (`bot.core.table_console`), already
        validated: proposed like an upload, ``what`` says which row and how."""
        summary = texts.TABLE_SUMMARY_EDIT.format(what=what)
        return await self._propose(table, FROM_EDIT, by, name=what, summary=summary)

    @staticmethod
    def _parse_upload(data: bytes, name: str, current: RoutingTable) -> RoutingTable:
        """A single CSV sheet replaces that sheet of the current table; the rest as uploaded.
        Parsed in a child process with limits (`routing.sandbox`): this thread only waits."""
        if not name.lower().endswith(".csv"):
            return parse_upload(data, name)
        sheet = PurePosixPath(name.lower()).stem
        files = zipfile.ZipFile(io.BytesIO(table_to_bytes(current, "zip")))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as merged:
            for member in files.namelist():
                content = data if PurePosixPath(member).stem == sheet else files.read(member)
                merged.writestr(member, content)
        try:
            return parse_upload(buffer.getvalue(), name + ".zip")
        except TableError as error:
            # Point at the file the coordinator sent, not at the archive built here.
            raise TableError(
                [dataclasses.replace(p, file=name) for p in error.problems], error.total
            ) from None

    def too_large(self, name: str, size: int) -> Reply:
        return Reply(
            (
                texts.TABLE_TOO_LARGE.format(
                    name=name, size_mb=size / 1024 / 1024, limit_mb=MAX_UPLOAD_BYTES // 1024 // 1024
                ),
            )
        )

    async def propose_rollback(self, by: str) -> Reply:
        async with self.repo.transaction() as tx:
            current = await tx.tables.latest()
            if current is None:
                return Reply((texts.TABLE_NONE_YET,))
            target_id = await self._predecessor(tx, current)
            target = await tx.tables.version(target_id) if target_id else None
        if target is None:
            return Reply((texts.TABLE_NO_PREVIOUS.format(version=current.id),))
        if target.content_hash == current.content_hash:
            text = texts.TABLE_ROLLBACK_UNCHANGED.format(target=target.id, version=current.id)
            return Reply((text,))
        table = await asyncio.to_thread(from_stored, target.content)
        summary = texts.TABLE_SUMMARY_ROLLBACK.format(target=target.id, summary=table.summary())
        return await self._propose(
            table, FROM_ROLLBACK, by, summary=summary, restores=target.id, when=target.applied_at
        )

    @staticmethod
    async def _predecessor(tx, version: TableVersion) -> int | None:
        """The version in force before ``version``: for a rollback, the one before the version it
        restored, so repeated /rollback walks back through history instead of flip-flopping."""
        seen = set()
        while version.restores is not None and version.id not in seen:
            seen.add(version.id)
            restored = await tx.tables.version(version.restores)
            if restored is None:
                break
            version = restored
        return version.id - 1 if version.id > 1 else None

    async def _propose(
        self,
        table: RoutingTable,
        kind: str,
        by: str,
        *,
        summary: str,
        name: str = "",
        restores: int | None = None,
        when: datetime | None = None,
    ) -> Reply:
        text = await asyncio.to_thread(canonical, table)
        digest = content_hash(text)
        async with self.repo.transaction() as tx:
            current = await tx.tables.latest()
        if current is None:
            return Reply((texts.TABLE_NONE_YET,))
        if digest == current.content_hash:
            return Reply((texts.TABLE_UNCHANGED.format(name=name, version=current.id),))
        old = await asyncio.to_thread(from_stored, current.content)
        diff = await asyncio.to_thread(diff_tables, old, table)  # O(table): not on the loop
        if diff.is_empty:
            return Reply((texts.TABLE_UNCHANGED.format(name=name, version=current.id),))
        async with self.repo.transaction() as tx:
            proposal = await tx.tables.add_proposal(
                content=text,
                content_hash=digest,
                base_version=current.id,
                kind=kind,
                proposed_by=by,
                now=self.clock.now(),
                summary=summary,
                restores=restores,
            )
        if kind == FROM_EDIT:
            message = texts.TABLE_EDIT_PROPOSED.format(
                what=name, version=current.id, diff=diff.render_ru()
            )
        elif kind == FROM_ROLLBACK:
            message = texts.TABLE_ROLLBACK_PROPOSED.format(
                target=restores,
                when=self._when(when) if when else "",
                version=current.id,
                diff=diff.render_ru(),
            )
        else:
            message = texts.TABLE_PROPOSED.format(
                name=name, version=current.id, diff=diff.render_ru()
            )
        buttons = (
            (
                Button(texts.TABLE_APPLY_BUTTON, f"{BUTTON_PREFIX}apply:{proposal}"),
                Button(texts.TABLE_CANCEL_BUTTON, f"{BUTTON_PREFIX}cancel:{proposal}"),
            ),
        )
        log.info("routing table: proposal %d (%s) against version %d", proposal, kind, current.id)
        return Reply(tuple(split_text(message, MAX_TEXT)), buttons, proposal=proposal, diff=diff)

    # == buttons ================================================================================
    async def press(self, data: str, by: str) -> Reply:
        """«Применить» / «Отмена» under a proposal; anything else with our prefix is stale."""
        action, _, ident = data.removeprefix(BUTTON_PREFIX).partition(":")
        if not ident.isdigit() or action not in ("apply", "cancel"):
            return Reply(notice=texts.TABLE_PROPOSAL_UNKNOWN)
        if action == "cancel":
            return await self.cancel(int(ident))
        return await self.apply(int(ident), by)

    async def cancel(self, proposal_id: int) -> Reply:
        async with self.repo.transaction() as tx:
            proposal = await tx.tables.proposal(proposal_id)
            current = await tx.tables.latest()
            if proposal is None:
                return Reply(notice=texts.TABLE_PROPOSAL_UNKNOWN)
            if not await tx.tables.settle_proposal(proposal_id, ProposalState.CANCELLED):
                return Reply(notice=self.settled_notice(proposal.state))
        version = current.id if current else 0
        return Reply(
            (texts.TABLE_CANCELLED.format(version=version),), notice=texts.TABLE_CANCELLED_NOTICE
        )

    @staticmethod
    def settled_notice(state: str) -> str:
        """What a press on a proposal already applied or cancelled is told (the chat's buttons
        and the console's proposal page alike)."""
        if state == ProposalState.APPLIED:
            return texts.TABLE_ALREADY_APPLIED
        return texts.TABLE_ALREADY_CANCELLED

    async def apply(self, proposal_id: int, by: str) -> Reply:
        async with self.repo.transaction() as tx:
            proposal = await tx.tables.proposal(proposal_id)
            current = await tx.tables.latest()
        if proposal is None or current is None:
            return Reply(notice=texts.TABLE_PROPOSAL_UNKNOWN)
        if proposal.state != ProposalState.PENDING:
            return Reply(notice=self.settled_notice(proposal.state))
        if proposal.base_version != current.id:
            # Read once more: on PostgreSQL the two reads above may straddle the commit of a
            # double tap's other half, which makes this very proposal look stale.
            async with self.repo.transaction() as tx:
                fresh = await tx.tables.proposal(proposal_id)
            if fresh is not None and fresh.state != ProposalState.PENDING:
                return Reply(notice=self.settled_notice(fresh.state))
            stale = texts.TABLE_STALE.format(version=current.id)
            return Reply((stale,), notice=stale[: stale.index(":")])
        # Build everything before committing: the commit and the swap then happen back to back.
        table = await asyncio.to_thread(from_stored, proposal.content)
        classifier, dropped = await asyncio.to_thread(
            build_classifier, table, self.model_path, self.route_precision
        )
        try:
            async with self.repo.transaction() as tx:
                # The proposal is claimed first, by one conditional UPDATE: of two presses at
                # once (a double tap, two coordinators) exactly one gets it, on PostgreSQL too,
                # where the second waits for the first to commit and then finds it settled.
                if not await tx.tables.settle_proposal(proposal_id, ProposalState.APPLIED):
                    fresh = await tx.tables.proposal(proposal_id)
                    settled = fresh.state if fresh else ProposalState.CANCELLED
                    return Reply(notice=self.settled_notice(settled))
                latest = await tx.tables.latest()
                if latest is None or latest.id != proposal.base_version:
                    raise _Stale(latest.id if latest else 0)  # rolls the claim back
                version = await tx.tables.add_version(
                    content=proposal.content,
                    content_hash=proposal.content_hash,
                    source=proposal.kind,
                    applied_by=by,
                    now=self.clock.now(),
                    summary=proposal.summary,
                    restores=proposal.restores,
                )
        except _Stale as stale_version:
            stale = texts.TABLE_STALE.format(version=stale_version.version)
            return Reply((stale,), notice=stale[: stale.index(":")])
        self.core.replace_table(table, classifier)
        # The new table out of the collector's full passes like the first one, and the old one
        # let go: one full collection per swap, the cost of any of the passes it spares. (A
        # swap at start, `sync_with_file`, needs none of its own: `bot.serve.serve` settles
        # once everything is loaded.)
        heap.settle()
        log.info("routing table: version %d applied (proposal %d)", version, proposal_id)
        messages = [texts.TABLE_APPLIED.format(version=version)]
        if dropped:
            messages.append(texts.TABLE_MODEL_DROPPED.format(reason=dropped))
        return Reply(tuple(messages), notice=texts.TABLE_APPLIED_NOTICE.format(version=version))

    # == reading ================================================================================
    async def current_file(self) -> TableFile | None:
        """The table in force as XLSX, with a caption saying which version it is."""
        async with self.repo.transaction() as tx:
            current = await tx.tables.latest()
        if current is None:
            return None
        table = self.core.table
        data = await asyncio.to_thread(table_to_bytes, table, "xlsx")
        caption = texts.TABLE_CURRENT_CAPTION.format(
            version=current.id, when=self._when(current.applied_at), summary=table.summary()
        )
        return TableFile(data, f"routing-table-v{current.id}.xlsx", caption[:1024])

    async def versions(self, limit: int = 10) -> Reply:
        async with self.repo.transaction() as tx:
            rows = await tx.tables.versions(limit)
        if not rows:
            return Reply((texts.TABLE_NONE_YET,))
        lines = [
            texts.TABLE_VERSION_LINE.format(
                version=v.id,
                when=self._when(v.applied_at),
                who=texts.TABLE_WHO_SYSTEM if v.applied_by == SYSTEM else v.applied_by,
                summary=v.summary,
            )
            + (texts.TABLE_VERSION_CURRENT if index == 0 else "")
            for index, v in enumerate(rows)
        ]
        return Reply(_chunks(texts.TABLE_VERSIONS_TITLE.format(count=len(rows)), lines, None))


def coordinator_ref(channel: str, user_id: int) -> str:
    """Who applied a version, as stored: ``tg:123`` (coordinators are staff, not citizens)."""
    return f"{channel}:{user_id}"
