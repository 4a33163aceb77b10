"""The Telegram Login Widget's answer, checked: who signed in, or why they are refused.

Where a domain is set for the bot (BotFather ``/setdomain``), the console shows Telegram's
Login Widget, and the browser brings back the fields Telegram signed: ``id``, ``first_name``,
``last_name``, ``username``, ``photo_url``, ``auth_date`` and ``hash``. Telegram documents the
check (`/work/shared/PLATFORMS.md`, «Legacy Login Widget»): every received field except
``hash``, sorted by key, as ``key=value`` lines joined by ``\\n``; the key is the raw SHA-256
digest of the bot token; the data is genuine when HMAC-SHA256 of those lines, in hex, equals
``hash``. Every received field takes part, known or not, so nothing can be added to signed data.

Telegram names no freshness window; `MAX_AGE` is ours and matches the single-use login link
(10 minutes): signed data that leaked (a redirect URL in a proxy log, a browser history) stops
opening sessions soon. A replay within that window is the caller's to refuse (the console
remembers used hashes). Pure: no I/O, no clock of its own (the caller passes ``now``); the
token never leaves this function and nothing here is logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain import texts

#: How old signed data may be: the same 10 minutes as the single-use login link.
MAX_AGE = timedelta(minutes=10)
#: A browser's clock and ours may differ a little; more than this ahead is not believed.
CLOCK_SKEW = timedelta(minutes=1)
#: The widget sends seven fields; a form with many more, or huge values, is not from Telegram.
MAX_FIELDS = 20
MAX_VALUE = 2048


@dataclass(frozen=True)
class WidgetLogin:
    """A checked sign-in: the Telegram account (``user_id``) and when Telegram signed it."""

    user_id: int
    auth_date: datetime
    username: str | None = None


class LoginRefused(Exception):
    """The data cannot sign anyone in; ``str(error)`` is the Russian reason for the page."""


def check_string(fields: Mapping[str, str]) -> str:
    """Telegram's data-check-string: every field but ``hash``, sorted, ``key=value`` lines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def signature(fields: Mapping[str, str], bot_token: str) -> str:
    """The hex HMAC-SHA256 Telegram puts in ``hash`` for these fields (also what tests sign
    their widget answers with)."""
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify_widget(
    fields: Mapping[str, str],
    bot_token: str,
    now: datetime,
    *,
    max_age: timedelta = MAX_AGE,
) -> WidgetLogin:
    """The account the widget's ``fields`` sign in, or `LoginRefused` saying why not:
    a field missing or malformed, a hash that does not match (forged or altered data, or
    another bot's), or an ``auth_date`` older than ``max_age`` (or in the future)."""
    if (
        len(fields) > MAX_FIELDS
        or any(not isinstance(v, str) or len(v) > MAX_VALUE for v in fields.values())
        or any(not isinstance(k, str) or not k or "=" in k or "\n" in k for k in fields)
    ):
        raise LoginRefused(texts.WIDGET_MALFORMED)
    received = fields.get("hash", "")
    if not received or "id" not in fields or "auth_date" not in fields:
        raise LoginRefused(texts.WIDGET_INCOMPLETE)
    expected = signature(fields, bot_token)
    if not received.isascii() or not hmac.compare_digest(expected, received.lower()):
        raise LoginRefused(texts.WIDGET_FORGED)
    # Signed by Telegram from here on; still, nothing below trusts a shape it did not check.
    user, stamp = fields["id"], fields["auth_date"]
    if not (user.isascii() and user.isdigit() and stamp.isascii() and stamp.isdigit()):
        raise LoginRefused(texts.WIDGET_MALFORMED)
    try:
        signed_at = datetime.fromtimestamp(int(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise LoginRefused(texts.WIDGET_MALFORMED) from None
    if signed_at > now + CLOCK_SKEW:
        raise LoginRefused(texts.WIDGET_FROM_THE_FUTURE)
    if now - signed_at > max_age:
        raise LoginRefused(texts.WIDGET_STALE.format(minutes=int(max_age.total_seconds() // 60)))
    return WidgetLogin(int(user), signed_at, fields.get("username") or None)
