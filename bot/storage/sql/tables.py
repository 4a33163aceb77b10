"""Stored routing tables (`bot.storage.base.TablesTx`) and the counts `/stats` and `/metrics`
read (`StatsTx`).

Why tables are in the database and not only in the ``ROUTING_TABLE`` file: a coordinator
changes the table from a chat while the bot runs, and the bot must come back after a restart
with the table the coordinator applied — and be able to roll back to any earlier one. Versions
are append-only (a rollback is a new version that copies an old one), so the history reads as a
straight line.

A table is kept as its canonical YAML (`routing.tablefile.table_to_bytes(table, "yaml")`): text
both SQLite and PostgreSQL store, readable by a person, and identical for identical tables, so
its hash tells whether anything changed. The schema is migration 6 in `bot.storage.migrations`.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.records import ModelVersion, TableProposal, TableVersion
from bot.domain.states import ProposalState
from bot.storage.sql import values
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import from_db_time, to_db_time


class TablesSql(Facet):
    __slots__ = ()

    # -- versions ------------------------------------------------------------------------------
    async def add_version(
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
        return await self._value(
            "INSERT INTO routing_versions (content, content_hash, source, seed_hash, restores,"
            " applied_by, applied_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                *(content, content_hash, source, seed_hash, restores, applied_by),
                *(to_db_time(now), summary),
            ),
            int,
        )

    async def latest(self) -> TableVersion | None:
        """The table in force."""
        latest = await self.versions(1)
        return latest[0] if latest else None

    async def version(self, version_id: int) -> TableVersion | None:
        sql = "SELECT * FROM routing_versions WHERE id = ?"
        return await self._record(values.version, sql, (version_id,))

    async def versions(self, limit: int) -> list[TableVersion]:
        """The latest ``limit`` versions, the newest first."""
        sql = "SELECT * FROM routing_versions ORDER BY id DESC LIMIT ?"
        return await self._records(values.version, sql, (limit,))

    async def latest_seed_hash(self) -> str | None:
        """The hash of the ``ROUTING_TABLE`` content most recently recorded as a version."""
        return await self._value(
            "SELECT seed_hash FROM routing_versions WHERE seed_hash IS NOT NULL"
            " ORDER BY id DESC LIMIT 1"
        )

    # -- proposals -----------------------------------------------------------------------------
    async def add_proposal(
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
        return await self._value(
            "INSERT INTO routing_proposals (content, content_hash, base_version, kind, restores,"
            " proposed_by, created_at, summary, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                *(content, content_hash, base_version, kind, restores, proposed_by),
                *(to_db_time(now), summary, ProposalState.PENDING),
            ),
            int,
        )

    async def proposal(self, proposal_id: int) -> TableProposal | None:
        sql = "SELECT * FROM routing_proposals WHERE id = ?"
        return await self._record(values.proposal, sql, (proposal_id,))

    async def settle_proposal(self, proposal_id: int, state: str) -> bool:
        """Pending → ``state``; ``False`` if it was no longer pending (pressed twice)."""
        row = await self.db.one(
            "UPDATE routing_proposals SET state = ? WHERE id = ? AND state = ? RETURNING id",
            (state, proposal_id, ProposalState.PENDING),
        )
        return row is not None


class StatsSql(Facet):
    __slots__ = ()

    async def by_state(self) -> dict[str, int]:
        rows = await self.db.all("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    async def by_body(self) -> dict[str, int]:
        rows = await self.db.all(
            "SELECT body, COUNT(*) AS n FROM tickets WHERE body IS NOT NULL GROUP BY body"
        )
        return {r["body"]: int(r["n"]) for r in rows}

    async def overdue(self, states: tuple[str, ...], now: datetime) -> list[tuple]:
        """``(number, body, due_at)`` of tickets in ``states`` whose deadline has passed."""
        where, params = _overdue(states, now)
        rows = await self.db.all(
            f"SELECT number, body, due_at FROM tickets WHERE {where} ORDER BY due_at", params
        )
        return [(r["number"], r["body"], from_db_time(r["due_at"])) for r in rows]

    async def overdue_count(self, states: tuple[str, ...], now: datetime) -> int:
        where, params = _overdue(states, now)
        return int(await self._value(f"SELECT COUNT(*) FROM tickets WHERE {where}", params))

    async def unsent(self) -> dict[str, int]:
        rows = await self.db.all(
            f"SELECT state, COUNT(*) AS n FROM outbox WHERE {_UNSENT} GROUP BY state"
        )
        return {r["state"]: int(r["n"]) for r in rows}

    async def oldest_unsent_at(self) -> datetime | None:
        """By the lowest id (ids grow with time): found in the ``outbox_due`` index, where
        the earliest ``created_at`` would read every unsent row."""
        return await self._value(
            f"SELECT created_at FROM outbox WHERE id = (SELECT MIN(id) FROM outbox"
            f" WHERE {_UNSENT})",
            (),
            from_db_time,
        )

    async def first_answer_delays(self) -> list[float]:
        """Seconds from a ticket's creation to its first answer, for every answered ticket."""
        rows = await self.db.all(
            "SELECT t.created_at AS created, MIN(e.at) AS answered FROM tickets t"
            " JOIN ticket_events e ON e.ticket_id = t.id AND e.to_state = 'answered'"
            " GROUP BY t.id"
        )
        return [
            (from_db_time(r["answered"]) - from_db_time(r["created"])).total_seconds()
            for r in rows
        ]


_UNSENT = "state IN ('pending', 'sending')"


def _overdue(states: tuple[str, ...], now: datetime) -> tuple[str, tuple]:
    """Tickets in ``states`` whose deadline has passed (served by ``tickets_state_due``)."""
    marks = ", ".join("?" for _ in states)
    return f"state IN ({marks}) AND due_at IS NOT NULL AND due_at < ?", (*states, to_db_time(now))


class ModelsSql(Facet):
    """Trained model versions (migration 13): append-only, the latest swapped one serves."""

    __slots__ = ()

    async def add(self, version: ModelVersion) -> int:
        """Store ``version`` (its ``id`` is ignored) and return the id it got."""
        return await self._value(
            "INSERT INTO model_versions (at, source, path, swapped, trained_on, tested_on,"
            " current_right, candidate_right, restores, applied_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                *(to_db_time(version.at), version.source, version.path, int(version.swapped)),
                *(version.trained_on, version.tested_on, version.current_right),
                *(version.candidate_right, version.restores, version.applied_by),
            ),
            int,
        )

    async def in_force(self) -> ModelVersion | None:
        sql = "SELECT * FROM model_versions WHERE swapped = 1 ORDER BY id DESC LIMIT 1"
        return await self._record(values.model_version, sql)

    async def version(self, version_id: int) -> ModelVersion | None:
        sql = "SELECT * FROM model_versions WHERE id = ?"
        return await self._record(values.model_version, sql, (version_id,))

    async def versions(self, limit: int) -> list[ModelVersion]:
        sql = "SELECT * FROM model_versions ORDER BY id DESC LIMIT ?"
        return await self._records(values.model_version, sql, (limit,))
