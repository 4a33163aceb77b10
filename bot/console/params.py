"""The forms, read into checked values; anything malformed or oversized is `BadInput` with the
Russian reason, before anything is looked up or changed. (Filters — the queue's and the report
pages' — are `bot.core.console_filters`'.)"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.core.console_desk import BULK_LIMIT
from bot.domain import texts

#: The longest query string, and the longest text of a form.
MAX_QUERY = 2000
MAX_TEXT = 4000
_NUMBER = re.compile(r"^\d{2}-\d{6,}$")


class BadInput(Exception):
    """A parameter the page cannot take: ``message`` says which and why, in Russian."""

    def __init__(self, name: str, why: str):
        super().__init__(texts.CONSOLE_BAD_PARAMETER.format(name=name, why=why))
        self.message = str(self)


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
