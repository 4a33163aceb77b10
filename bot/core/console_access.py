"""Who may use the web console, and how they get in without a password.

``/web`` (Telegram or VK, in a private chat with the bot) sends a coordinator or a bound
administrator of a body a single-use link valid `LOGIN_LINK_LIFETIME`, bound to that account.
Opening it makes a session: a random secret in an HttpOnly cookie, its SHA-256 in the database
with a CSRF token and an expiry. A link is never sent into a group (everyone there could open
it and be that person), and only the hash of a link or a session is stored.

The role is read from the live staff directory on every request (`role_of`), never frozen in
the session: a coordinator removed from ``COORDINATORS`` or an administrator whose binding was
revoked loses the console at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.desk import COORDINATOR, Desk
from bot.core.telegram_login import MAX_AGE, LoginRefused, verify_widget
from bot.domain import texts
from bot.domain.console import LOGIN_LINK_LIFETIME, ConsoleSession, secret_hash
from bot.domain.messages import IncomingMessage
from bot.domain.phrases import staff_command
from bot.domain.wire import Outcome, OutcomeKind, Payload, Purpose
from bot.storage.base import Tx

log = logging.getLogger("bot.core")

K = OutcomeKind
#: The path a login link opens (the console's route has the same).
LOGIN_PATH = "/console/login/"
#: Prefixed to a widget answer's hash before it is kept among the used logins: never a link's.
WIDGET_MARK = "telegram-widget:"


@dataclass(frozen=True)
class Role:
    """What a signed-in account may see: every ticket (a coordinator) or its bodies' tickets."""

    channel: str
    user_id: int
    coordinator: bool
    bodies: frozenset[str]

    def sees(self, bodies: set[str]) -> bool:
        return self.coordinator or bool(self.bodies & bodies)

    def acts_for(self, body: str | None) -> str | None:
        """``"coordinator"``, the body's id when the account administers it, or ``None``."""
        if self.coordinator:
            return COORDINATOR
        return body if body is not None and body in self.bodies else None


def role_of(desk: Desk, channel: str, user_id: int) -> Role | None:
    if desk.staff.is_coordinator(channel, user_id):
        return Role(channel, user_id, True, frozenset())
    bodies = desk.staff.user_bodies.get((channel, user_id), frozenset())
    return Role(channel, user_id, False, frozenset(bodies)) if bodies else None


# -- /web ----------------------------------------------------------------------------------------
def asked(desk: Desk, message: IncomingMessage, payload: Payload | None) -> bool:
    """``/web`` while the console is on (off, it is an unknown command like any other)."""
    if desk.console_url is None or message.payload:
        return False
    command = staff_command(message.text)
    return command is not None and command[0] == "web"


async def send_link(desk: Desk, message: IncomingMessage, payload: Payload | None) -> Outcome:
    assert desk.console_url is not None  # `asked`
    role = role_of(desk, message.channel, message.user_id)
    if role is None:
        await desk.reply_in_chat(message, texts.WEB_ONLY_STAFF, "web", purpose=Purpose.CITIZEN)
        return Outcome(K.IGNORED)
    if message.chat_id != message.user_id:
        await desk.reply_in_chat(message, texts.WEB_ONLY_PRIVATE, "web")
        return Outcome(K.IGNORED)
    token = secrets.token_urlsafe(32)
    now = desk.clock.now()
    url = desk.console_url.rstrip("/") + LOGIN_PATH + token
    async with desk.repo.transaction() as tx:
        await tx.console.add_login(
            secret_hash(token), message.channel, message.user_id, now, now + LOGIN_LINK_LIFETIME
        )
        await desk.reply_in_chat(
            message, texts.WEB_LINK.format(url=url), "web", tx=tx,
            purpose=Purpose.STAFF_TRANSIENT,
        )
    desk.wake()
    log.info("console: a login link sent (%s)", "coordinator" if role.coordinator else "body")
    return Outcome(K.SHOWN)


# -- sessions ------------------------------------------------------------------------------------
async def open_session(
    desk: Desk, token: str, lifetime: timedelta
) -> tuple[str, ConsoleSession] | None:
    """A new session for a link not used and not expired (the link is used up), with the
    cookie's secret; ``None`` for a forged, used or expired link or an account without a role."""
    now = desk.clock.now()
    async with desk.repo.transaction() as tx:
        account = await tx.console.use_login(secret_hash(token), now)
        if account is None or role_of(desk, *account) is None:
            log.info("console: a login link refused")
            return None
        opened = await _new_session(tx, account, now, lifetime)
    log.info("console: signed in")
    return opened


async def widget_session(
    desk: Desk, fields: Mapping[str, str], bot_token: str, lifetime: timedelta
) -> tuple[str, ConsoleSession]:
    """A new session for what the Telegram Login Widget brought back (`verify_widget`), for a
    Telegram account with a role, as `open_session` makes for a /web link; `LoginRefused` with
    the Russian reason otherwise. Signed data opens one session only: its ``hash`` is kept as a
    used login (until it is stale anyway), so a replay of the same redirect is refused."""
    now = desk.clock.now()
    login = verify_widget(fields, bot_token, now)
    account = ("tg", login.user_id)
    if role_of(desk, *account) is None:
        log.info("console: a Telegram widget sign-in refused: no role")
        raise LoginRefused(texts.WIDGET_NO_ROLE)
    async with desk.repo.transaction() as tx:
        spent = await tx.console.add_used_login(
            secret_hash(WIDGET_MARK + fields["hash"].lower()), *account, now,
            login.auth_date + MAX_AGE,
        )
        if not spent:
            log.info("console: a Telegram widget sign-in replayed")
            raise LoginRefused(texts.WIDGET_REPLAYED)
        opened = await _new_session(tx, account, now, lifetime)
    log.info("console: signed in with the Telegram widget")
    return opened


async def _new_session(
    tx: Tx, account: tuple[str, int], now: datetime, lifetime: timedelta
) -> tuple[str, ConsoleSession]:
    secret = secrets.token_urlsafe(32)
    session = ConsoleSession(account[0], account[1], secrets.token_urlsafe(24), now, now + lifetime)
    await tx.console.add_session(secret_hash(secret), session)
    return secret, session


async def session_of(desk: Desk, secret: str) -> ConsoleSession | None:
    """The live session of a cookie: not ended, not expired."""
    if not secret or len(secret) > 128:
        return None
    async with desk.repo.transaction() as tx:
        session = await tx.console.session(secret_hash(secret))
    now = desk.clock.now()
    if session is None or session.ended_at is not None or session.expires_at <= now:
        return None
    return session


async def end_session(desk: Desk, secret: str) -> None:
    async with desk.repo.transaction() as tx:
        await tx.console.end_session(secret_hash(secret), desk.clock.now())
