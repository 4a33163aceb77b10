"""The inbox's rows (`bot.storage.base.InboxTx`): every incoming update, stored before the
platform is told it arrived, then handled from here (`bot.delivery.inbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.records import InboxDraft, InboxRow
from bot.storage.sql import values
from bot.storage.sql.driver import Facet
from bot.storage.sql.values import from_db_time, to_db_time

_COLUMNS = "(update_key, channel, chat_id, payload, state, attempts, held_until, received_at)"
_ROW = "(?, ?, ?, ?, 'pending', 0, ?, ?)"

#: Rows still to handle whose hold has run out, oldest first (``{held}``: the hold condition).
_WAITING = (
    "SELECT * FROM inbox WHERE state = 'pending'{held} ORDER BY held_until, id LIMIT ?"
)


def _marks(items: Sequence[object]) -> str:
    return ", ".join("?" * len(items))


class InboxSql(Facet):
    __slots__ = ()

    async def add(
        self, drafts: Sequence[InboxDraft], now: datetime, held_until: datetime
    ) -> dict[str, int]:
        """Store the drafts in one statement; the ids of the rows that are new, by key (a key
        already stored, or twice among the drafts, is stored once)."""
        if not drafts:
            return {}
        received, held = to_db_time(now), to_db_time(held_until)
        params: list[object] = []
        for d in drafts:
            params += (d.key, d.channel, d.chat_id, d.payload, held, received)
        rows = await self.db.all(
            f"INSERT INTO inbox {_COLUMNS} VALUES {', '.join([_ROW] * len(drafts))}"
            " ON CONFLICT DO NOTHING RETURNING id, update_key",
            tuple(params),
        )
        return {row[1]: int(row[0]) for row in rows}

    async def done(self, row_ids: Sequence[int], now: datetime) -> None:
        """Handled: the raw update goes (it may carry what the citizen wrote), the key stays
        to recognise a re-delivery until `prune`. A row already dead stays dead. Possibly
        written with the transaction's next statement (`Driver.run_later`)."""
        if row_ids:
            await self.db.run_later(
                "UPDATE inbox SET state = 'done', payload = NULL, handled_at = ?"
                f" WHERE state = 'pending' AND id IN ({_marks(row_ids)})",
                (to_db_time(now), *row_ids),
            )

    async def failed(self, row_id: int, attempts: int, error: str) -> None:
        await self.db.run(
            "UPDATE inbox SET attempts = ?, last_error = ? WHERE id = ?",
            (attempts, error, row_id),
        )

    async def hold(self, row_ids: Sequence[int], until: datetime) -> None:
        """Keep these rows from other processes until ``until`` (they wait in this one)."""
        if row_ids:
            await self.db.run(
                f"UPDATE inbox SET held_until = ? WHERE state = 'pending'"
                f" AND id IN ({_marks(row_ids)})",
                (to_db_time(until), *row_ids),
            )

    async def dead(self, row_id: int, attempts: int, error: str, now: datetime) -> None:
        await self.db.run(
            "UPDATE inbox SET state = 'dead', attempts = ?, last_error = ?, handled_at = ?"
            " WHERE id = ?",
            (attempts, error, to_db_time(now), row_id),
        )

    async def waiting(
        self, now: datetime | None, channels: Sequence[str], limit: int
    ) -> list[InboxRow]:
        """Rows of ``channels`` still to handle whose hold ran out by ``now`` (``None``: held
        or not), oldest hold first."""
        if not channels:
            return []
        held = f" AND channel IN ({_marks(channels)})"
        params: tuple = tuple(channels)
        if now is not None:
            held += " AND held_until <= ?"
            params += (to_db_time(now),)
        return await self._records(values.inbox, _WAITING.format(held=held), (*params, limit))

    async def take(
        self, row_ids: Sequence[int], now: datetime | None, held_until: datetime
    ) -> list[InboxRow]:
        """Hold `waiting` rows for this process, counting the attempt about to begin (an
        update that kills the process is counted too); only those still pending and free by
        ``now`` (of two processes that saw a row, one gets it). In id order."""
        if not row_ids:
            return []
        free = "" if now is None else " AND held_until <= ?"
        params = (to_db_time(held_until), *row_ids, *([] if now is None else [to_db_time(now)]))
        rows = await self._records(
            values.inbox,
            "UPDATE inbox SET held_until = ?, attempts = attempts + 1"
            f" WHERE state = 'pending' AND id IN ({_marks(row_ids)}){free} RETURNING *",
            params,
        )
        return sorted(rows, key=lambda row: row.id)

    async def depth_and_age(self) -> tuple[int, datetime | None]:
        """How many updates wait to be handled, and when the oldest of them arrived."""
        row = await self.db.one(
            "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state = 'pending'"
        )
        return int(row[0]), from_db_time(row[1])

    async def prune(self, before: datetime) -> int:
        """Forget handled rows that arrived before ``before``: no platform re-delivers so late."""
        return await self.db.run(
            "DELETE FROM inbox WHERE received_at < ? AND state = 'done'", (to_db_time(before),)
        )

    async def scrub_chat(self, channel: str, chat_id: int) -> None:
        """Drop the raw updates of dead rows from a chat (/forget); pending ones lose theirs
        when handled, moments later."""
        await self.db.run(
            "UPDATE inbox SET payload = NULL WHERE state = 'dead' AND channel = ?"
            " AND chat_id = ?",
            (channel, chat_id),
        )

    async def row(self, row_id: int) -> InboxRow | None:
        return await self._record(values.inbox, "SELECT * FROM inbox WHERE id = ?", (row_id,))

    async def in_state(self, state: str) -> list[InboxRow]:
        sql = "SELECT * FROM inbox WHERE state = ? ORDER BY id"
        return await self._records(values.inbox, sql, (state,))
