"""What the web console reads: the queue, the dashboard, the export and the map, as typed values.

Why a read model of its own: the console's pages ask questions the chat never asks — "every
overdue ticket of these bodies, newest first, page 3", "the median first answer per body in
March" — over a whole region's history. They are answered by a few bounded queries
(`bot.storage.base.ReportsTx`), never by loading tickets; the records below are what those
queries give, and `bot.core.console_reports` is what a page calls with a `Viewer` and a
`TicketFilter` parsed by `bot.core.console_filters`.

Times are UTC-aware datetimes like everywhere in the domain; a period is ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.states import ACTIVE, TicketState

#: The audit-log kinds of a question to the citizen before routing (`bot.core.desk.Desk.ask`,
#: `bot.core.intake.ask_address`, the request for words under a bare photo).
QUESTION_EVENTS = ("asked_topic", "asked_place", "asked_address", "requested_text")
#: Where a body holds the ticket and its deadline runs (`bot.domain.states.ACTIVE`), sorted so
#: that a statement built from it is always the same text.
ACTIVE_STATES = tuple(sorted(s.value for s in ACTIVE))


def fold(text: str) -> str:
    """What a case-insensitive search compares: lower case, ё as е. Stored with each ticket
    (``tickets.search_text``, migration 19), so a search is a plain LIKE on both databases."""
    return text.lower().replace("ё", "е")


class QueueView(StrEnum):
    """The queue's tabs."""

    UNROUTED = "unrouted"  # with the coordinators: nothing fits or the bot was unsure
    REDIRECTED = "redirected"  # every candidate body said «не наше»
    OVERDUE = "overdue"  # a body holds it and its deadline has passed
    DUE_SOON = "due_soon"  # a body holds it and its deadline comes within `DUE_SOON`
    ALL = "all"


#: The state a tab shows, for the tabs that are one state.
VIEW_STATE = {
    QueueView.UNROUTED: TicketState.WITH_COORDINATOR.value,
    QueueView.REDIRECTED: TicketState.REDIRECTED.value,
}


@dataclass(frozen=True)
class Viewer:
    """Who looks: a coordinator sees every ticket; a body's administrator only the tickets of
    the bodies in ``bodies`` (those it is bound to). The console maps its session to this."""

    coordinator: bool
    bodies: frozenset[str] = frozenset()

    @property
    def scope(self) -> frozenset[str] | None:
        """The bodies whose tickets may be shown; ``None``: all of them."""
        return None if self.coordinator else self.bodies


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; built from local calendar days by `bot.core.console_filters`."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class TicketFilter:
    """Validated filter values (`bot.core.console_filters.parse_filter`). ``bodies`` is the set
    the tickets' current body must be in (a body filter, a body administrator's scope, or
    both intersected); ``None``: any body, including none yet. ``text`` is already folded
    (lower case, ё → е) and bounded; ``number`` is a full ticket number."""

    bodies: frozenset[str] | None = None
    topic: str | None = None
    municipality: str | None = None
    state: str | None = None
    channel: str | None = None
    period: Period | None = None
    number: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue: what a coordinator sees on a card, cut to a line."""

    id: int
    number: str
    channel: str
    state: str
    topic: str | None
    municipality: str | None
    body: str | None
    created_at: datetime
    due_at: datetime | None
    excerpt: str  # the appeal's first `EXCERPT` characters


@dataclass(frozen=True)
class QueuePage:
    view: QueueView
    rows: tuple[QueueRow, ...]
    page: int
    pages: int  # at least 1
    total: int  # tickets in this view with these filters
    counts: dict[QueueView, int]  # per tab, with the same filters


@dataclass(frozen=True)
class RouteCounts:
    """How the tickets received in a period reached a body (the first routing of each)."""

    automatic: int = 0  # routed by the bot straight away
    after_question: int = 0  # routed by the bot after asking the citizen something
    by_coordinator: int = 0  # a coordinator picked the body
    not_routed: int = 0  # never routed (yet): with coordinators, collecting, rejected


@dataclass(frozen=True)
class BodyFigures:
    """One body's line of the dashboard, over the tickets received in the period that it holds
    (or held last). See `bot.storage.sql.reports` for how each figure is counted."""

    body: str
    received: int
    answered: int
    answered_in_time: int
    overdue: int
    with_deadline: int
    median_first_answer: float | None  # seconds
    rated: int
    rating_sum: int

    @property
    def overdue_share(self) -> float | None:
        return self.overdue / self.with_deadline if self.with_deadline else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None


@dataclass(frozen=True)
class Totals:
    """The period's figures over all bodies in scope."""

    received: int = 0
    answered: int = 0
    answered_in_time: int = 0
    overdue: int = 0
    with_deadline: int = 0
    solved_yes: int = 0
    solved_no: int = 0
    rated: int = 0
    rating_sum: int = 0


@dataclass(frozen=True)
class WeekFigures:
    """Tickets received in a week (Monday, local calendar): how many of them have an answer,
    how many were answered in time and how many are overdue (as in `Totals`)."""

    week: datetime  # Monday 00:00 in the region's time zone
    received: int
    answered: int
    answered_in_time: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class TopicCount:
    municipality: str | None
    topic: str | None
    count: int
    municipality_total: int


@dataclass(frozen=True)
class Dashboard:
    period: Period
    totals: Totals
    routes: RouteCounts
    bodies: tuple[BodyFigures, ...]
    weeks: tuple[WeekFigures, ...]
    top_topics: tuple[TopicCount, ...]


@dataclass(frozen=True)
class ExportRow:
    """One ticket in an export: what a coordinator sees on its card in the chat, no chat or
    account ids."""

    number: str
    created_at: datetime
    channel: str
    state: str
    topic: str | None
    municipality: str | None
    body: str | None
    due_at: datetime | None
    first_answer_at: datetime | None
    solved: bool | None
    rating: int | None
    text: str


#: Where the next batch of an export starts: the last row's stored receipt time and id.
ExportCursor = tuple[str, int]


@dataclass(frozen=True)
class MapPoint:
    number: str
    lat: float
    lon: float
    state: str
    topic: str | None
    body: str | None
    created_at: datetime


@dataclass(frozen=True)
class MunicipalityMarker:
    """A municipality's centroid (from the routing table) and its tickets in the filter."""

    municipality: str
    name: str
    lat: float
    lon: float
    count: int


@dataclass(frozen=True)
class MapData:
    points: tuple[MapPoint, ...]
    truncated: bool  # more tickets with coordinates matched than `MAP_POINTS`
    municipalities: tuple[MunicipalityMarker, ...] = field(default=())
