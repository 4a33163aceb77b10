"""Stored routing tables: every applied version, pending proposals, and the numbers `/stats` needs.

Why in the database and not only in the ``ROUTING_TABLE`` file: a coordinator changes the table
from a chat while the bot runs, and the bot must come back after a restart with the table the
coordinator applied — and be able to roll back to any earlier one. Versions are append-only
(a rollback is a new version that copies an old one), so the history reads as a straight line.

A table is kept as its canonical YAML (`routing.tablefile.table_to_bytes(table, "yaml")`): text
both SQLite and PostgreSQL store, readable by a person, and identical for identical tables, so
its hash tells whether anything changed.

The schema is migration 6 in `bot.storage.migrations`. `TableVersionsTx` is mixed into
`bot.storage.sqlite.SqliteTx` and `bot.storage.postgres.PostgresTx`; it reads and writes only
through their `_one` and `_all` (``?`` placeholders, writes with ``RETURNING``), so both
databases run the same SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.records import TableProposal, TableVersion
from bot.domain.states import ProposalState


def _times():
    # Imported late: sqlite.py imports this module to mix the class in.
    from bot.storage.sqlite import from_db_time, to_db_time

    return from_db_time, to_db_time


def _version(row: Any) -> TableVersion:
    from_db_time, _ = _times()
    return TableVersion(
        id=row["id"],
        content=row["content"],
        content_hash=row["content_hash"],
        source=row["source"],
        seed_hash=row["seed_hash"],
        restores=row["restores"],
        applied_by=row["applied_by"],
        applied_at=from_db_time(row["applied_at"]),
        summary=row["summary"],
    )


def _proposal(row: Any) -> TableProposal:
    from_db_time, _ = _times()
    return TableProposal(
        id=row["id"],
        content=row["content"],
        content_hash=row["content_hash"],
        base_version=row["base_version"],
        kind=row["kind"],
        restores=row["restores"],
        proposed_by=row["proposed_by"],
        created_at=from_db_time(row["created_at"]),
        summary=row["summary"],
        state=ProposalState(row["state"]),
    )


class TableVersionsTx:
    """Table versions, proposals and statistics queries inside one transaction."""

    # Provided by the backend's transaction class (`SqliteTx`, `PostgresTx`), as for `SharedSql`.
    async def _one(self, sql: str, params: tuple = ()) -> Any: ...

    async def _all(self, sql: str, params: tuple = ()) -> list[Any]: ...

    # -- versions ------------------------------------------------------------------------------
    async def add_table_version(
        self,
        *,
        content: str,
        content_hash: str,
        source: str,
        applied_by: str,
        now: datetime,
        summary: str,
        seed_hash: str | None = None,
        restores: int | None = None,
    ) -> int:
        _, to_db_time = _times()
        row = await self._one(
            "INSERT INTO routing_versions (content, content_hash, source, seed_hash, restores,"
            " applied_by, applied_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                content,
                content_hash,
                source,
                seed_hash,
                restores,
                applied_by,
                to_db_time(now),
                summary,
            ),
        )
        return int(row[0])

    async def latest_table_version(self) -> TableVersion | None:
        row = await self._one("SELECT * FROM routing_versions ORDER BY id DESC LIMIT 1")
        return _version(row) if row is not None else None

    async def table_version(self, version_id: int) -> TableVersion | None:
        row = await self._one("SELECT * FROM routing_versions WHERE id = ?", (version_id,))
        return _version(row) if row is not None else None

    async def latest_seed_hash(self) -> str | None:
        """The hash of the ``ROUTING_TABLE`` content most recently recorded as a version."""
        row = await self._one(
            "SELECT seed_hash FROM routing_versions WHERE seed_hash IS NOT NULL"
            " ORDER BY id DESC LIMIT 1"
        )
        return row["seed_hash"] if row is not None else None

    async def table_versions(self, limit: int) -> list[TableVersion]:
        rows = await self._all(
            "SELECT * FROM routing_versions ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_version(r) for r in rows]

    # -- proposals -----------------------------------------------------------------------------
    async def add_table_proposal(
        self,
        *,
        content: str,
        content_hash: str,
        base_version: int,
        kind: str,
        proposed_by: str,
        now: datetime,
        summary: str,
        restores: int | None = None,
    ) -> int:
        _, to_db_time = _times()
        row = await self._one(
            "INSERT INTO routing_proposals (content, content_hash, base_version, kind, restores,"
            " proposed_by, created_at, summary, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                content,
                content_hash,
                base_version,
                kind,
                restores,
                proposed_by,
                to_db_time(now),
                summary,
                ProposalState.PENDING,
            ),
        )
        return int(row[0])

    async def table_proposal(self, proposal_id: int) -> TableProposal | None:
        row = await self._one("SELECT * FROM routing_proposals WHERE id = ?", (proposal_id,))
        return _proposal(row) if row is not None else None

    async def settle_table_proposal(self, proposal_id: int, state: str) -> bool:
        """Pending → ``state``; ``False`` if it was no longer pending (pressed twice)."""
        row = await self._one(
            "UPDATE routing_proposals SET state = ? WHERE id = ? AND state = ? RETURNING id",
            (state, proposal_id, ProposalState.PENDING),
        )
        return row is not None

    # -- statistics ----------------------------------------------------------------------------
    async def ticket_counts_by_state(self) -> dict[str, int]:
        rows = await self._all("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    async def ticket_counts_by_body(self) -> dict[str, int]:
        rows = await self._all(
            "SELECT body, COUNT(*) AS n FROM tickets WHERE body IS NOT NULL GROUP BY body"
        )
        return {r["body"]: int(r["n"]) for r in rows}

    async def overdue_tickets(self, states: tuple[str, ...], now: datetime) -> list[tuple]:
        """``(number, body, due_at)`` of tickets in ``states`` whose deadline has passed."""
        from_db_time, to_db_time = _times()
        marks = ", ".join("?" for _ in states)
        rows = await self._all(
            f"SELECT number, body, due_at FROM tickets WHERE state IN ({marks})"
            " AND due_at IS NOT NULL AND due_at < ? ORDER BY due_at",
            (*states, to_db_time(now)),
        )
        return [(r["number"], r["body"], from_db_time(r["due_at"])) for r in rows]

    async def first_answer_delays(self) -> list[float]:
        """Seconds from a ticket's creation to its first answer, for every answered ticket."""
        from_db_time, _ = _times()
        rows = await self._all(
            "SELECT t.created_at AS created, MIN(e.at) AS answered FROM tickets t"
            " JOIN ticket_events e ON e.ticket_id = t.id AND e.to_state = 'answered'"
            " GROUP BY t.id"
        )
        return [
            (from_db_time(r["answered"]) - from_db_time(r["created"])).total_seconds()
            for r in rows
        ]
