"""The web console's records and the queue's question, as plain values (no I/O).

A login link and a session are kept in the database only as the SHA-256 of their secret
(`secret_hash`): a copy of the database does not let anyone in. The queue's question
(`QueueQuery`) is what the page's filters mean, already checked; the storage answers it
(`bot.storage.base.ConsoleTx.queue`) and the role's restriction (``only_bodies``) is part of it,
so a body's administrator can never be shown another body's ticket by a filter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: How long a /web link can be opened, and how many tickets a queue page shows.
LOGIN_LINK_LIFETIME = timedelta(minutes=10)
PAGE_SIZE = 25
#: «Срок скоро»: the deadline falls within this much from now.
DUE_SOON = timedelta(hours=24)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ConsoleSession:
    """Who is signed in (the account the /web link was sent to) and the session's CSRF token."""

    channel: str
    user_id: int
    csrf: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None


class QueueView(StrEnum):
    UNROUTED = "unrouted"  # with the coordinators: nothing in the table fits
    REDIRECTED = "redirected"  # every candidate said «не наше»
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ALL = "all"


@dataclass(frozen=True)
class QueueQuery:
    """One page of the queue. ``only_bodies``: the role's restriction (``None``: every ticket,
    a coordinator); the other fields are the page's filters."""

    now: datetime
    view: QueueView = QueueView.ALL
    only_bodies: frozenset[str] | None = None
    body: str | None = None
    topic: str | None = None
    municipality: str | None = None
    state: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE
