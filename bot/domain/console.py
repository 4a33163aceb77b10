"""The web console's sign-in records, as plain values (no I/O).

A login link and a session are kept in the database only as the SHA-256 of their secret
(`secret_hash`): a copy of the database does not let anyone in. The queue and the report
pages read `bot.domain.reports` (the read model, which applies a body administrator's scope).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

#: How long a /web link can be opened.
LOGIN_LINK_LIFETIME = timedelta(minutes=10)


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
