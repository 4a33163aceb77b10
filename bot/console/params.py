"""The queue's query string and the forms, read into checked values; anything malformed or
oversized is `BadInput` with the Russian reason, before anything is looked up or changed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.console_desk import BULK_LIMIT
from bot.domain import texts
from bot.domain.console import QueueQuery, QueueView
from bot.domain.messages import CHANNELS
from bot.domain.states import TicketState
from routing.model import RoutingTable

#: The longest value of one filter or search, and of the whole query string.
MAX_VALUE = 200
MAX_QUERY = 2000
MAX_TEXT = 4000
MAX_PAGE = 100_000
_NUMBER = re.compile(r"^\d{2}-\d{6,}$")


class BadInput(Exception):
    """A parameter the page cannot take: ``message`` says which and why, in Russian."""

    def __init__(self, name: str, why: str):
        super().__init__(texts.CONSOLE_BAD_PARAMETER.format(name=name, why=why))
        self.message = str(self)


def _value(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    if len(value) > MAX_VALUE:
        raise BadInput(name, texts.CONSOLE_TOO_LONG.format(limit=MAX_VALUE))
    return value or None


def _choice(params: Mapping[str, str], name: str, allowed: Mapping | tuple) -> str | None:
    value = _value(params, name)
    if value is not None and value not in allowed:
        raise BadInput(name, texts.CONSOLE_BAD_CHOICE)
    return value


def _day(params: Mapping[str, str], name: str, tz: tzinfo) -> datetime | None:
    value = _value(params, name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(name, texts.CONSOLE_BAD_DATE) from None
    return datetime.combine(day, time(), tz)


def queue_query(
    params: Mapping[str, str], query_string: str, table: RoutingTable, tz: tzinfo, now: datetime
) -> QueueQuery:
    """The queue page's filters (``view``, ``body``, ``topic``, ``municipality``, ``state``,
    ``channel``, ``since``, ``until`` — days, both included —, ``q``, ``page``)."""
    if len(query_string) > MAX_QUERY:
        raise BadInput("адрес", texts.CONSOLE_TOO_LONG.format(limit=MAX_QUERY))
    view = _choice(params, "view", tuple(QueueView)) or QueueView.ALL
    page_text = _value(params, "page") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        raise BadInput("page", texts.CONSOLE_BAD_NUMBER)
    until = _day(params, "until", tz)
    return QueueQuery(
        now=now,
        view=QueueView(view),
        body=_choice(params, "body", table.body_by_id),
        topic=_choice(params, "topic", table.topic_by_id),
        municipality=_choice(params, "municipality", table.municipality_by_id),
        state=_choice(params, "state", tuple(TicketState)),
        channel=_choice(params, "channel", CHANNELS),
        since=_day(params, "since", tz),
        until=until + timedelta(days=1) if until is not None else None,
        search=_value(params, "q"),
        page=int(page_text),
    )


def text_field(form: Mapping[str, str], name: str, *, required: bool) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise BadInput(name, texts.CONSOLE_TOO_LONG.format(limit=MAX_TEXT))
    if required and not value:
        raise BadInput(name, texts.CONSOLE_EMPTY_TEXT)
    return value


def ticket_numbers(values: list[str]) -> list[str]:
    """The tickets a bulk form chose: at most `BULK_LIMIT`, each shaped like a number."""
    if not values:
        raise BadInput("n", texts.CONSOLE_NOTHING_CHOSEN)
    if len(values) > BULK_LIMIT:
        raise BadInput("n", texts.CONSOLE_TOO_MANY.format(limit=BULK_LIMIT))
    if not all(_NUMBER.match(v) for v in values):
        raise BadInput("n", texts.CONSOLE_BAD_CHOICE)
    return list(dict.fromkeys(values))
