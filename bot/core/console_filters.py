"""The console's filter parameters, from the strings of a query string to a typed `TicketFilter`.

Why here and pure: every page (queue, dashboard, export, map) takes the same parameters, and a
malformed one must give the same clear Russian message wherever it is typed — so parsing is
one function over plain values (no request, no database), and the page shows
`FilterError.errors` next to the fields. Nothing a viewer types reaches SQL as text: ids are
checked against the routing table in force (`Catalogue`), dates are parsed, the search is
bounded and becomes a parameter (`bot.storage.sql.reports` escapes ``%`` and ``_``).

Parameters (all optional; an empty value is no value): ``view`` (a `QueueView`), ``body``,
``topic``, ``municipality`` (ids of the routing table), ``state`` (a `TicketState`),
``channel`` (``tg``/``vk``), ``from`` and ``to`` (local calendar days, both included:
``2026-03-31`` or ``31.03.2026``), ``q`` (a ticket number such as ``26-000123``, or words of
the appeal), ``page`` (from 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain import texts
from bot.domain.messages import CHANNELS
from bot.domain.reports import Period, QueueView, TicketFilter, Viewer, fold
from bot.domain.states import TicketState
from routing.model import RoutingTable

#: Longest search a viewer may type (a number or words; longer is surely pasted by mistake).
SEARCH_LIMIT = 100
#: Shortest words to search for: one or two letters match half the region.
SEARCH_MINIMUM = 3
#: A text search without a period looks at the last this many days (it reads every text in
#: the period: 90 days of a 1M-ticket region took 0.3–0.4 s; the number search is unbounded).
TEXT_SEARCH_DAYS = 31
#: Longest period of a text search, a dashboard or an export.
MAX_PERIOD_DAYS = 366
#: Deepest queue page (50 lines each): a deeper look wants a filter.
MAX_PAGE = 500
#: Longest id a field may hold (the table's ids are much shorter).
MAX_VALUE = 64
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

_NUMBER = re.compile(r"^(?:№|#)?\s*(\d{2})-(\d{1,9})$")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


class FilterError(ValueError):
    """Malformed parameters: ``errors`` maps a parameter's name to its Russian message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Catalogue:
    """The ids a filter may name, with their names: the routing table in force."""

    bodies: Mapping[str, str]
    topics: Mapping[str, str]
    municipalities: Mapping[str, str]

    @classmethod
    def of(cls, table: RoutingTable) -> Catalogue:
        return cls(
            {b.id: b.name for b in table.bodies},
            {t.id: t.name for t in table.topics},
            {m.id: m.name for m in table.municipalities},
        )


@dataclass(frozen=True)
class QueueQuery:
    view: QueueView
    filter: TicketFilter
    page: int


def _shown(value: str) -> str:
    """A typed value quoted in a message: never a screenful."""
    return value if len(value) <= 40 else value[:40] + "…"


def _day(value: str) -> date:
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(texts.FILTER_DATE_RANGE.format(
                value=_shown(value), first=FIRST_DAY.year, last=LAST_DAY.year,
            ))
        return day
    raise ValueError(texts.FILTER_BAD_DATE.format(value=_shown(value)))


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), zone)


def last_days(now: datetime, zone: tzinfo, days: int) -> Period:
    """The last ``days`` local calendar days, today included."""
    today = now.astimezone(zone).date()
    return Period(
        _midnight(today - timedelta(days=days - 1), zone), _midnight(today + timedelta(1), zone)
    )


def _period(
    raw: Mapping[str, str], now: datetime, zone: tzinfo, errors: dict[str, str]
) -> Period | None:
    start = end = None
    for name in ("from", "to"):
        value = raw.get(name, "").strip()
        if not value:
            continue
        try:
            day = _day(value)
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        if name == "from":
            start = day
        else:
            end = day
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        errors["to"] = texts.FILTER_PERIOD_REVERSED.format(
            start=start.strftime("%d.%m.%Y"), end=end.strftime("%d.%m.%Y")
        )
        return None
    first = _midnight(start or FIRST_DAY, zone)
    last = _midnight(end + timedelta(1), zone) if end else last_days(now, zone, 1).end
    return Period(first, max(first, last))


def _search(raw: Mapping[str, str], errors: dict[str, str]) -> tuple[str | None, str | None]:
    """``(number, folded text)`` of ``q``."""
    value = " ".join(raw.get("q", "").split())
    if not value:
        return None, None
    if len(value) > SEARCH_LIMIT:
        errors["q"] = texts.FILTER_SEARCH_TOO_LONG.format(length=len(value), limit=SEARCH_LIMIT)
        return None, None
    number = _NUMBER.match(value)
    if number:
        return f"{number[1]}-{int(number[2]):06d}", None
    if len(value) < SEARCH_MINIMUM:
        errors["q"] = texts.FILTER_SEARCH_TOO_SHORT.format(limit=SEARCH_MINIMUM)
        return None, None
    return None, fold(value)


def parse_filter(
    raw: Mapping[str, str],
    viewer: Viewer,
    catalogue: Catalogue,
    now: datetime,
    zone: tzinfo,
    *,
    default_period: Period | None = None,
    max_days: int | None = None,
) -> TicketFilter:
    """The filter ``raw`` describes, within what ``viewer`` may see; `FilterError` with every
    malformed parameter. ``default_period`` applies when no day is given; ``max_days`` bounds
    the period (a text search is bounded by `MAX_PERIOD_DAYS` anyway)."""
    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name in ("body", "topic", "municipality", "state", "channel"):
        value = raw.get(name, "").strip()
        if len(value) > MAX_VALUE:
            errors[name] = texts.FILTER_TOO_LONG_VALUE.format(field=name)
        values[name] = value or None
    body, topic, municipality = values["body"], values["topic"], values["municipality"]
    state, channel = values["state"], values["channel"]
    bodies = viewer.scope
    if body is not None and "body" not in errors:
        if bodies is not None and body not in bodies:
            name = catalogue.bodies.get(body, _shown(body))
            errors["body"] = texts.FILTER_FOREIGN_BODY.format(name=name)
        elif body not in catalogue.bodies:
            errors["body"] = texts.FILTER_UNKNOWN_BODY.format(value=_shown(body))
        bodies = frozenset({body})
    if topic is not None and topic not in catalogue.topics and "topic" not in errors:
        errors["topic"] = texts.FILTER_UNKNOWN_TOPIC.format(value=_shown(topic))
    if municipality is not None and municipality not in catalogue.municipalities:
        errors.setdefault(
            "municipality", texts.FILTER_UNKNOWN_MUNICIPALITY.format(value=_shown(municipality))
        )
    if state is not None and state not in set(TicketState) and "state" not in errors:
        choices = ", ".join(s.value for s in TicketState if s != TicketState.NEW)
        errors["state"] = texts.FILTER_BAD_STATE.format(value=_shown(state), choices=choices)
    if channel is not None and channel not in CHANNELS and "channel" not in errors:
        errors["channel"] = texts.FILTER_BAD_CHANNEL.format(value=_shown(channel))
    number, text = _search(raw, errors)
    period = _period(raw, now, zone, errors)
    if period is None and "from" not in errors and "to" not in errors:
        period = default_period
        if period is None and text is not None:
            period = last_days(now, zone, TEXT_SEARCH_DAYS)
    limit = max_days if max_days is not None else (MAX_PERIOD_DAYS if text else None)
    if period is not None and limit is not None and period.end - period.start > timedelta(
        days=limit, hours=1  # a day of a DST change is 25 hours long
    ):
        errors["from"] = texts.FILTER_PERIOD_TOO_LONG.format(days=limit)
    if errors:
        raise FilterError(errors)
    return TicketFilter(
        bodies=bodies, topic=topic, municipality=municipality, state=state, channel=channel,
        period=period, number=number, text=text,
    )


def parse_queue(
    raw: Mapping[str, str], viewer: Viewer, catalogue: Catalogue, now: datetime, zone: tzinfo
) -> QueueQuery:
    """The queue's tab, filter and page; `FilterError` with every malformed parameter."""
    errors: dict[str, str] = {}
    view_value = raw.get("view", "").strip() or QueueView.ALL.value
    try:
        view = QueueView(view_value)
    except ValueError:
        view = QueueView.ALL
        errors["view"] = texts.FILTER_BAD_VIEW.format(
            value=_shown(view_value), choices=", ".join(v.value for v in QueueView)
        )
    page_value = raw.get("page", "").strip() or "1"
    page = int(page_value) if page_value.isascii() and page_value.isdigit() else 0
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = texts.FILTER_BAD_PAGE.format(value=_shown(page_value), last=MAX_PAGE)
    try:
        flt = parse_filter(raw, viewer, catalogue, now, zone)
    except FilterError as exc:
        raise FilterError({**errors, **exc.errors}) from None
    if errors:
        raise FilterError(errors)
    return QueueQuery(view, flt, page)


def parse_report(
    raw: Mapping[str, str], viewer: Viewer, catalogue: Catalogue, now: datetime, zone: tzinfo
) -> TicketFilter:
    """The filter of a dashboard, an export or the map: the last 30 days unless days are given,
    never longer than `MAX_PERIOD_DAYS`."""
    return parse_filter(
        raw, viewer, catalogue, now, zone,
        default_period=last_days(now, zone, 30), max_days=MAX_PERIOD_DAYS,
    )
