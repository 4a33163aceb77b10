"""The console's read model (`bot.storage.base.ReportsTx`): the queue, the dashboard, the export
and the map, each a bounded query over ``tickets`` alone.

How each figure is derived from what the core writes (`bot.core.desk.Desk.move` records every
move in the audit log ``ticket_events`` with ``from_state``/``to_state`` and its ``actor``;
`bot.storage.sql.tickets.TicketsSql.add_event` keeps the two milestones the dashboard needs on
the ticket as the log grows — ``routed_how`` and ``first_answer_at``, migration 19, which also
derived them from the log of the tickets stored before — so no report reads the log):

- *received*: tickets whose ``created_at`` is in the period (the moment the appeal was stored).
- *first routing* (``routed_how``): the ticket's earliest event whose ``to_state`` is
  ``routed``. By a coordinator when that event's actor starts with ``coordinator`` (a
  coordinator's body choice goes through «redirect» with the coordinator as actor); after a
  question when an event of `bot.domain.reports.QUESTION_EVENTS` came before it; automatic
  otherwise. Never routed (NULL): no such event.
- *first answer* (``first_answer_at``): the earliest event whose ``to_state`` is ``answered``
  (a body's or a coordinator's answer passed on to the citizen).
- *in time*: the first answer came no later than the ticket's ``due_at`` — the deadline of its
  current routing round (extended, if it was). For a ticket reopened after that answer the
  deadline is the reopened round's, so such a ticket counts as in time: the stored schema keeps
  no earlier deadlines.
- *overdue*: answered after ``due_at``, or not answered and still held by a body
  (`ACTIVE_STATES`) with ``due_at`` passed. The share is over the tickets with a deadline.
- *body*: the ticket's current body (after a redirect, the last one it was sent to).
- *rating*, *solved*: the columns the citizen's «Проблема решена?» and 1–5 score write
  (`bot.core.verdicts`); the latest verdict and score of a ticket.

Median first answer: seconds from ``created_at`` to the first answer (``first_answer_seconds``,
kept beside ``first_answer_at``, migration 21), the middle value per body (the mean of the two
middle ones for an even count), by window functions both databases have.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import texts
from bot.domain.reports import (
    ACTIVE_STATES,
    VIEW_STATE,
    BodyFigures,
    ExportCursor,
    ExportRow,
    MapPoint,
    QueueRow,
    QueueView,
    RouteCounts,
    TicketFilter,
    TopicCount,
    Totals,
)
from bot.storage.sql.driver import Driver, Facet, Row
from bot.storage.sql.values import from_db_time, to_db_time

#: Characters of the appeal a queue line shows.
EXCERPT = 160
_ACTIVE = "(" + ", ".join(f"'{s}'" for s in ACTIVE_STATES) + ")"


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%``, ``_`` and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ReportsSql(Facet):
    __slots__ = ()

    # -- filters ----------------------------------------------------------------------------
    def _where(self, flt: TicketFilter, alias: str = "") -> tuple[list[str], list]:
        """The filter as conditions on ``tickets`` (every value a parameter)."""
        a = f"{alias}." if alias else ""
        where: list[str] = []
        params: list = []
        if flt.bodies is not None:
            if not flt.bodies:
                return ["1 = 0"], []
            where.append(f"{a}body IN ({', '.join('?' * len(flt.bodies))})")
            params += sorted(flt.bodies)
        for column in ("topic", "municipality", "state", "channel", "number"):
            value = getattr(flt, column)
            if value is not None:
                where.append(f"{a}{column} = ?")
                params.append(value)
        if flt.period is not None:
            where.append(f"{a}created_at >= ? AND {a}created_at < ?")
            params += [to_db_time(flt.period.start), to_db_time(flt.period.end)]
        if flt.text:
            where.append(f"{a}search_text LIKE ? ESCAPE '\\'")
            params.append(_like(flt.text))
        return where, params

    @staticmethod
    def _view(view: QueueView, now: datetime, soon: datetime) -> tuple[str, list]:
        if view in VIEW_STATE:
            return "state = ?", [VIEW_STATE[view]]
        if view == QueueView.OVERDUE:
            return f"state IN {_ACTIVE} AND due_at < ?", [to_db_time(now)]
        if view == QueueView.DUE_SOON:
            return (
                f"state IN {_ACTIVE} AND due_at >= ? AND due_at < ?",
                [to_db_time(now), to_db_time(soon)],
            )
        return "", []

    # -- the queue --------------------------------------------------------------------------
    async def queue(
        self, view: QueueView, flt: TicketFilter, now: datetime, soon: datetime,
        limit: int, offset: int,
    ) -> list[QueueRow]:
        """A page of a tab: deadline tabs by deadline (soonest first), the others newest first."""
        where, params = self._where(flt)
        condition, more = self._view(view, now, soon)
        if condition:
            where.append(condition)
            params += more
        order = (
            "due_at, id" if view in (QueueView.OVERDUE, QueueView.DUE_SOON)
            else "created_at DESC, id DESC"  # `tickets_created`, `tickets_body_created` backwards
        )
        sql = (
            "SELECT id, number, channel, state, topic, municipality, body, created_at, due_at,"
            f" substr(text, 1, {EXCERPT}) AS excerpt FROM tickets"
            f" WHERE {' AND '.join(where) or '1 = 1'} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        return await self._records(_queue_row, sql, (*params, limit, offset))

    async def view_counts(
        self, flt: TicketFilter, now: datetime, soon: datetime
    ) -> dict[QueueView, int]:
        """Every tab's count with the same filters, in one round trip: one sub-query per tab,
        so each can use its own index (``tickets_state_due`` for all but «все»). With a text
        search, one pass over the tickets found instead: each sub-query would read the
        trigram index's list of every ticket holding the words again (20–25 ms each at 1M)."""
        where, params = self._where(flt)
        if flt.text:
            return await self._counts_of_found(where, params, now, soon)
        parts: list[str] = []
        values: list = []
        for view in QueueView:
            condition, more = self._view(view, now, soon)
            conditions = [*where, condition] if condition else where
            parts.append(
                f"(SELECT COUNT(*) FROM tickets WHERE {' AND '.join(conditions) or '1 = 1'})"
                f" AS n_{view.value}"
            )
            values += [*params, *more]
        row = await self.db.one(f"SELECT {', '.join(parts)}", tuple(values))
        assert row is not None
        return {view: int(row[f"n_{view.value}"]) for view in QueueView}

    async def _counts_of_found(
        self, where: list[str], params: list, now: datetime, soon: datetime
    ) -> dict[QueueView, int]:
        sums: list[str] = []
        values: list = []
        for view in QueueView:
            condition, more = self._view(view, now, soon)
            sums.append(
                f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS n_{view.value}" if condition
                else f"COUNT(*) AS n_{view.value}"
            )
            values += more
        row = await self.db.one(
            f"SELECT {', '.join(sums)} FROM tickets WHERE {' AND '.join(where)}",
            (*values, *params),
        )
        assert row is not None
        return {view: int(row[f"n_{view.value}"] or 0) for view in QueueView}

    # -- the dashboard ----------------------------------------------------------------------
    async def figures(
        self, flt: TicketFilter, now: datetime
    ) -> tuple[Totals, RouteCounts, list[BodyFigures]]:
        """The period's totals, how its tickets were first routed, and each body's line: one
        statement grouped by body (the tickets without a body are a group too; the totals are
        the groups' sums) and one for the bodies' medians. Both read only the period's index
        entries in PostgreSQL (`tickets_created` carries these columns, migration 21)."""
        where, params = self._where(flt)
        condition = " AND ".join(where) or "1 = 1"
        rows = await self.db.all(
            f"""
            SELECT body, COUNT(*) AS received, COUNT(first_answer_at) AS answered,
              SUM(CASE WHEN due_at IS NOT NULL AND first_answer_at <= due_at THEN 1 ELSE 0 END)
                AS answered_in_time,
              SUM(CASE WHEN due_at IS NOT NULL AND (first_answer_at > due_at
                         OR (first_answer_at IS NULL AND state IN {_ACTIVE} AND due_at < ?))
                       THEN 1 ELSE 0 END) AS overdue,
              COUNT(due_at) AS with_deadline,
              SUM(CASE WHEN solved = 1 THEN 1 ELSE 0 END) AS solved_yes,
              SUM(CASE WHEN solved = 0 THEN 1 ELSE 0 END) AS solved_no,
              COUNT(rating) AS rated, COALESCE(SUM(rating), 0) AS rating_sum,
              SUM(CASE WHEN routed_how = 'automatic' THEN 1 ELSE 0 END) AS automatic,
              SUM(CASE WHEN routed_how = 'after_question' THEN 1 ELSE 0 END) AS after_question,
              SUM(CASE WHEN routed_how = 'coordinator' THEN 1 ELSE 0 END) AS by_coordinator,
              SUM(CASE WHEN routed_how IS NULL THEN 1 ELSE 0 END) AS not_routed
            FROM tickets WHERE {condition}
            GROUP BY body ORDER BY body
            """,
            (to_db_time(now), *params),
        )
        medians = {
            r["body"]: float(r["median"])
            for r in await self.db.all(
                f"""
                SELECT body, AVG(first_answer_seconds) AS median FROM (
                  SELECT body, first_answer_seconds,
                    ROW_NUMBER() OVER (PARTITION BY body ORDER BY first_answer_seconds) AS k,
                    COUNT(*) OVER (PARTITION BY body) AS n
                  FROM tickets
                  WHERE {condition} AND body IS NOT NULL AND first_answer_seconds IS NOT NULL
                ) ranked WHERE k = (n + 1) / 2 OR k = (n + 2) / 2 GROUP BY body
                """,
                tuple(params),
            )
        }
        sums: dict[str, int] = dict.fromkeys(
            (*Totals.__dataclass_fields__, *RouteCounts.__dataclass_fields__), 0
        )
        bodies = []
        for r in rows:
            for name in sums:
                sums[name] += int(r[name])
            if r["body"] is not None:
                bodies.append(BodyFigures(
                    body=r["body"], received=int(r["received"]), answered=int(r["answered"]),
                    answered_in_time=int(r["answered_in_time"]), overdue=int(r["overdue"]),
                    with_deadline=int(r["with_deadline"]),
                    median_first_answer=medians.get(r["body"]),
                    rated=int(r["rated"]), rating_sum=int(r["rating_sum"]),
                ))
        totals = Totals(**{name: sums[name] for name in Totals.__dataclass_fields__})
        routes = RouteCounts(**{name: sums[name] for name in RouteCounts.__dataclass_fields__})
        return totals, routes, bodies

    async def hourly(
        self, flt: TicketFilter, now: datetime
    ) -> list[tuple[datetime, int, int, int, int]]:
        """``(hour, received, answered, answered in time, overdue)`` by the UTC hour of receipt
        (*in time* and *overdue* as in `figures`): the use case folds hours into the region's
        local weeks (an hour is the finest step a time zone shifts by)."""
        where, params = self._where(flt)
        rows = await self.db.all(
            "SELECT substr(created_at, 1, 13) AS hour, COUNT(*) AS received,"
            " COUNT(first_answer_at) AS answered,"
            " SUM(CASE WHEN due_at IS NOT NULL AND first_answer_at <= due_at THEN 1 ELSE 0 END)"
            " AS in_time,"
            " SUM(CASE WHEN due_at IS NOT NULL AND (first_answer_at > due_at OR"
            f" (first_answer_at IS NULL AND state IN {_ACTIVE} AND due_at < ?)) THEN 1 ELSE 0 END)"
            " AS overdue"
            f" FROM tickets WHERE {' AND '.join(where) or '1 = 1'}"
            " GROUP BY substr(created_at, 1, 13) ORDER BY hour",
            (to_db_time(now), *params),
        )
        return [
            (from_db_time(r["hour"] + ":00:00.000000Z"), int(r["received"]), int(r["answered"]),
             int(r["in_time"]), int(r["overdue"]))
            for r in rows
        ]

    async def top_topics(self, flt: TicketFilter, per_municipality: int) -> list[TopicCount]:
        """The ``per_municipality`` commonest topics of each municipality, with its total."""
        where, params = self._where(flt)
        rows = await self.db.all(
            f"""
            SELECT municipality, topic, n, total FROM (
              SELECT municipality, topic, n,
                SUM(n) OVER (PARTITION BY municipality) AS total,
                ROW_NUMBER() OVER (PARTITION BY municipality ORDER BY n DESC, topic) AS k
              FROM (SELECT municipality, topic, COUNT(*) AS n FROM tickets
                    WHERE {' AND '.join(where) or '1 = 1'} GROUP BY municipality, topic) g
            ) r WHERE k <= ? ORDER BY total DESC, municipality, n DESC, topic
            """,
            (*params, per_municipality),
        )
        return [
            TopicCount(r["municipality"], r["topic"], int(r["n"]), int(r["total"])) for r in rows
        ]

    # -- the export -------------------------------------------------------------------------
    async def export_count(self, flt: TicketFilter) -> int:
        where, params = self._where(flt)
        sql = f"SELECT COUNT(*) FROM tickets WHERE {' AND '.join(where) or '1 = 1'}"
        return int(await self._value(sql, tuple(params)))

    async def export_batch(
        self, flt: TicketFilter, after: ExportCursor | None, limit: int
    ) -> tuple[list[ExportRow], ExportCursor | None]:
        """The next ``limit`` tickets in the order received, after ``after`` (``None``: from the
        first), and where the next batch starts (``None``: none left). Keyset on
        ``(created_at, id)``: a batch reads its own rows from ``tickets_created`` whatever its
        depth (by ids alone, PostgreSQL read the whole month for every batch)."""
        where, params = self._where(flt)
        if after is not None:
            where.append("created_at >= ? AND (created_at > ? OR id > ?)")
            params += [after[0], after[0], after[1]]
        rows = await self.db.all(
            "SELECT id, number, created_at, channel, state, topic, municipality, body, due_at,"
            " solved, rating, text, first_answer_at"
            f" FROM tickets WHERE {' AND '.join(where) or '1 = 1'}"
            " ORDER BY created_at, id LIMIT ?",
            (*params, limit),
        )
        if len(rows) < limit:
            return [_export_row(r) for r in rows], None
        last = rows[-1]
        return [_export_row(r) for r in rows], (last["created_at"], int(last["id"]))

    # -- the map ----------------------------------------------------------------------------
    async def map_points(self, flt: TicketFilter, limit: int) -> list[MapPoint]:
        """The newest ``limit`` tickets with coordinates (anonymised tickets have none)."""
        where, params = self._where(flt)
        rows = await self.db.all(
            "SELECT number, lat, lon, state, topic, body, created_at FROM tickets"
            f" WHERE {' AND '.join([*where, 'lat IS NOT NULL'])}"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            MapPoint(r["number"], float(r["lat"]), float(r["lon"]), r["state"], r["topic"],
                     r["body"], from_db_time(r["created_at"]))
            for r in rows
        ]

    async def by_municipality(self, flt: TicketFilter) -> dict[str, int]:
        where, params = self._where(flt)
        rows = await self.db.all(
            "SELECT municipality, COUNT(*) AS n FROM tickets"
            f" WHERE {' AND '.join([*where, 'municipality IS NOT NULL'])} GROUP BY municipality",
            tuple(params),
        )
        return {r["municipality"]: int(r["n"]) for r in rows}


#: A row when PostgreSQL has no trigram index for the search (migration 20), saying why.
_SEARCH_INDEX_MISSING = """
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS extension,
      (SELECT datctype FROM pg_database WHERE datname = current_database()) AS ctype
    WHERE NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'tickets_search_trgm')
"""


async def search_advice(db: Driver, dialect: str) -> str | None:
    """What the operator should do for a fast text search, or ``None``: nothing (SQLite reads
    a bounded period of texts fast enough; PostgreSQL has its trigram index)."""
    if dialect != "postgresql":
        return None
    row = await db.one(_SEARCH_INDEX_MISSING)
    if row is None:
        return None
    if not row["extension"]:
        return texts.SEARCH_INDEX_NO_EXTENSION
    return texts.SEARCH_INDEX_C_LOCALE.format(ctype=row["ctype"])


def _queue_row(r: Row) -> QueueRow:
    return QueueRow(
        id=int(r["id"]), number=r["number"], channel=r["channel"], state=r["state"],
        topic=r["topic"], municipality=r["municipality"], body=r["body"],
        created_at=from_db_time(r["created_at"]), due_at=from_db_time(r["due_at"]),
        excerpt=r["excerpt"],
    )


def _export_row(r: Row) -> ExportRow:
    return ExportRow(
        number=r["number"], created_at=from_db_time(r["created_at"]), channel=r["channel"],
        state=r["state"], topic=r["topic"], municipality=r["municipality"], body=r["body"],
        due_at=from_db_time(r["due_at"]), first_answer_at=from_db_time(r["first_answer_at"]),
        solved=None if r["solved"] is None else bool(r["solved"]),
        rating=None if r["rating"] is None else int(r["rating"]), text=r["text"],
    )
