"""Connecting state pages from the chat: ``/page``, ``/pages``, ``/unpage`` and the body choice.

A region has hundreds of official VK communities; the people who can connect one are the
coordinators (any body's page) and a body's administrators (their own body's page). Both send
the community's access token in a chat with the bot (and, when the bot takes VK events by the
Callback API, the community's confirmation string and secret):

    /page <ключ> [<строка подтверждения> <секрет>] [vk.com/<адрес>] [орган: <название>]

The token is checked with VK before anything is stored (`ports.CommunityLookup`: whose token
it is, and that it is a community's), sealed (`bot.core.sealing`) and linked to the body. A
coordinator who names a body ambiguously chooses it by a button, as in `bot.core.body_choice`;
the checked page waits, disabled and sealed, for that press. Whoever connects is answered with
the page's name and what happens next; the adapters delete the message that carried the token
where the platform lets them (Telegram).

The adapters call `PageTools.command` for the three commands and `PageTools.press` for a
button whose data `PageTools.owns`; the answer is a `bot.core.coordination.Reply`, sent
directly like the coordinator tools' answers. ``on_change`` hands the VK adapter the stored
pages after every change (and `PageTools.hand_over` at start): its Callback endpoint, its long
polls and its senders follow them. With several processes, each learns of a change made in
another on its next start only (noted in the README).

Logs name community ids and body ids only; a token or a secret never reaches a log or a reply.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.coordination import Reply
from bot.core.desk import Desk
from bot.core.ports import Community, CommunityLookup, CommunityUnavailable, TokenRefused
from bot.core.sealing import Sealer
from bot.domain import texts
from bot.domain.messages import Button
from bot.domain.pages import MAX_PAGE_GROUP_ID, ConnectedPage
from routing.model import Body

log = logging.getLogger("bot.pages")

#: The commands, as the adapters recognise them (``/page`` … ``/unpage``).
PAGE_COMMANDS = ("page", "pages", "unpage")
#: A body-choice button's data: ``pg:<community id>:<body id>``.
BUTTON_PREFIX = "pg:"
MAX_CHOICES = 8
_COMMAND = re.compile(r"^/(page|pages|unpage)(?:@\w+)?(?:\s+|$)", re.IGNORECASE)
_BODY_MARK = re.compile(r"\bорган\s*:", re.IGNORECASE)
_ADDRESS = re.compile(r"^(?:https?://)?(?:m\.)?vk\.(?:com|ru)/([\w.]+)/?$|^(club\d+)$", re.I)


def page_command_of(text: str | None) -> str | None:
    """``"page"``, ``"pages"`` or ``"unpage"`` for those commands; ``None`` otherwise."""
    match = _COMMAND.match((text or "").strip())
    return match.group(1).lower() if match else None


def community_address(text: str) -> str | None:
    """A community's address as ``/page`` takes it (``vk.com/name``, ``club123``, a link),
    reduced to what ``groups.getById`` takes; ``None`` if it is none of those."""
    found = _ADDRESS.match(text.strip())
    return (found.group(1) or found.group(2)) if found else None


@dataclass(frozen=True)
class ConnectRequest:
    """What ``/page`` carried: the token, the Callback pair, a community address, a body."""

    token: str | None
    confirmation: str | None = None
    secret: str | None = None
    address: str | None = None
    body_query: str | None = None
    #: The body's exact id (the console's list of bodies), instead of a name to look up.
    body_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> ConnectRequest:
        rest = _COMMAND.sub("", text.strip(), count=1)
        body_query = None
        mark = _BODY_MARK.search(rest)
        if mark is not None:
            body_query = rest[mark.end():].strip() or None
            rest = rest[: mark.start()]
        words, address = [], None
        for word in rest.split():
            found = _ADDRESS.match(word)
            if found is not None:
                address = found.group(1) or found.group(2)
            else:
                words.append(word)
        token = words[0] if words else None
        confirmation, secret = (words[1], words[2]) if len(words) >= 3 else (None, None)
        return cls(token, confirmation, secret, address, body_query)


@dataclass(frozen=True)
class PageLine:
    """A connected page as ``/pages`` and the console list it: the page, its body's name,
    the appeals that came through it and how many of them were another body's."""

    page: ConnectedPage
    body_name: str
    appeals: int
    misdirected: int


class PageTools:
    """``/page``, ``/pages``, ``/unpage`` and the body choice, for both channels."""

    def __init__(
        self,
        desk: Desk,
        *,
        sealer: Sealer | None,
        lookup: CommunityLookup | None,
        own_group_id: int | None = None,
        callback_path: str | None = None,
        on_change: Callable[[list[ConnectedPage]], None] | None = None,
    ) -> None:
        self.desk = desk
        self.sealer = sealer  # None: SECRETS_KEY is not set, nothing can be connected
        self.lookup = lookup  # None: the VK channel is off
        self.own_group_id = own_group_id
        self.callback_path = callback_path  # set: VK events come by the Callback API
        self.on_change = on_change

    @staticmethod
    def owns(payload: str | None) -> bool:
        return (payload or "").startswith(BUTTON_PREFIX)

    def bodies_of(self, channel: str, user_id: int) -> list[Body] | None:
        """The bodies this person may connect pages for; ``None``: every body (coordinator)."""
        staff = self.desk.staff
        if staff.is_coordinator(channel, user_id):
            return None
        ids = staff.user_bodies.get((channel, user_id), frozenset())
        return [b for b in self.desk.table.bodies if b.id in ids]

    async def command(self, channel: str, user_id: int, text: str) -> Reply:
        name = page_command_of(text)
        allowed = self.bodies_of(channel, user_id)
        if allowed == []:
            log.info("page command refused: not a coordinator or administrator (%s)", channel)
            return Reply((texts.PAGES_NOT_ALLOWED,))
        if name == "pages":
            return await self.listing(allowed)
        if name == "unpage":
            return await self.disconnect(allowed, text)
        return await self.connect(channel, user_id, allowed, ConnectRequest.parse(text))

    async def connect(
        self, channel: str, user_id: int, allowed: list[Body] | None, request: ConnectRequest
    ) -> Reply:
        if self.lookup is None:
            return Reply((texts.PAGES_NO_VK,))
        if self.sealer is None:
            return Reply((texts.PAGES_NO_KEY,))
        callback = self.callback_path is not None
        if request.token is None or (callback and request.secret is None):
            usage = (texts.PAGES_USAGE, texts.PAGES_USAGE_CALLBACK) if callback else (
                texts.PAGES_USAGE,)
            return Reply(usage)
        try:
            community = await self.lookup.community_of(request.token)
            if request.address is not None:
                named = await self.lookup.named(request.token, request.address)
                if named is None or named.group_id != community.group_id:
                    log.info("page refused: the token is another community's (%d)",
                             community.group_id)
                    wrong = texts.PAGES_WRONG_GROUP
                    return Reply((wrong.format(name=community.name,
                                               group_id=community.group_id),))
        except TokenRefused:
            log.info("page refused: VK did not take the token (%s)", channel)
            return Reply((texts.PAGES_TOKEN_REFUSED,))
        except CommunityUnavailable:
            return Reply((texts.PAGES_VK_UNAVAILABLE,))
        if community.group_id == self.own_group_id:
            return Reply((texts.PAGES_OWN_COMMUNITY,))
        if not 0 < community.group_id <= MAX_PAGE_GROUP_ID:
            return Reply((texts.PAGES_TOKEN_REFUSED,))
        candidates = self._candidates(community, allowed, request.body_query, request.body_id)
        if isinstance(candidates, Reply):
            return candidates
        page = ConnectedPage(
            group_id=community.group_id,
            body=candidates[0].id if len(candidates) == 1 else "",
            name=community.name,
            token_sealed=self.sealer.seal(request.token),
            confirmation=request.confirmation if callback else None,
            secret_sealed=self.sealer.seal(request.secret) if callback and request.secret
            else None,
            connected_by=f"{channel}:{user_id}",
            connected_at=self.desk.clock.now(),
            enabled=len(candidates) == 1,
        )
        async with self.desk.repo.transaction() as tx:
            await tx.pages.save(page)
        if len(candidates) > 1:
            return self._choice(community, candidates)
        log.info("page %d connected to body %s", page.group_id, page.body)
        await self._changed()
        return Reply((self._connected_text(page, candidates[0]),))

    def _candidates(
        self, community: Community, allowed: list[Body] | None, query: str | None,
        body_id: str | None = None,
    ) -> list[Body] | Reply:
        """The bodies the page may belong to, or the refusal. One: it is that body's."""
        if body_id is not None:
            body = self.desk.table.body_by_id.get(body_id)
            if body is None:
                return Reply((texts.PAGES_BODY_UNKNOWN.format(query=body_id),))
            if allowed is not None and body not in allowed:
                return Reply((texts.PAGES_BODY_NOT_YOURS.format(body=body.name),))
            return [body]
        if query is None:
            if allowed is None:  # a coordinator must say whose page it is
                return Reply((texts.PAGES_NAME_THE_BODY.format(name=community.name),))
            return allowed
        found = self.desk.find_bodies(query.strip())
        if not found:
            return Reply((texts.PAGES_BODY_UNKNOWN.format(query=query.strip()),))
        if allowed is not None:
            mine = [b for b in found if b in allowed]
            if not mine:
                return Reply((texts.PAGES_BODY_NOT_YOURS.format(body=found[0].name),))
            found = mine
        return found

    def _choice(self, community: Community, bodies: list[Body]) -> Reply:
        rows = []
        for body in bodies[:MAX_CHOICES]:
            data = f"{BUTTON_PREFIX}{community.group_id}:{body.id}"
            if len(data.encode()) <= 64:
                rows.append((Button(body.name, data),))
        text = texts.PAGES_WHICH_BODY.format(name=community.name)
        return Reply((text,), buttons=tuple(rows))

    async def press(self, channel: str, user_id: int, payload: str) -> Reply:
        """A body chosen for a checked page: only by someone who may connect it to that body."""
        group_text, _, body_id = payload[len(BUTTON_PREFIX):].partition(":")
        body = self.desk.table.body_by_id.get(body_id)
        allowed = self.bodies_of(channel, user_id)
        if body is None or not group_text.isdigit():
            return Reply(notice=texts.PAGES_CHOICE_STALE)
        if allowed is not None and body not in allowed:
            return Reply(notice=texts.PAGES_NOT_ALLOWED)
        async with self.desk.repo.transaction() as tx:
            page = await tx.pages.page(int(group_text))
            if page is None or page.body:
                return Reply(notice=texts.PAGES_CHOICE_STALE)
            page = dataclasses.replace(page, body=body.id, enabled=True,
                                       connected_by=f"{channel}:{user_id}")
            await tx.pages.save(page)
        log.info("page %d connected to body %s", page.group_id, body.id)
        await self._changed()
        text = self._connected_text(page, body)
        return Reply((text,), notice=body.name)

    def _connected_text(self, page: ConnectedPage, body: Body) -> str:
        if self.callback_path is not None:
            how = texts.PAGES_HOW_CALLBACK.format(path=self.callback_path)
        else:
            how = texts.PAGES_HOW_LONG_POLL
        return texts.PAGES_CONNECTED.format(
            name=page.name, group_id=page.group_id, body=body.name, how=how
        )

    async def pages_of(self, allowed: list[Body] | None) -> list[PageLine]:
        """The connected pages ``allowed`` covers (``None``: all), with their counts."""
        async with self.desk.repo.transaction() as tx:
            pages = await tx.pages.pages()
            counts = await tx.pages.appeal_counts()
        ids = None if allowed is None else {b.id for b in allowed}
        lines = []
        for page in pages:
            if ids is not None and page.body not in ids:
                continue
            body = self.desk.table.body_by_id.get(page.body)
            appeals, misdirected = counts.get(page.group_id, (0, 0))
            lines.append(PageLine(page, body.name if body else (page.body or "—"), appeals,
                                  misdirected))
        return lines

    async def listing(self, allowed: list[Body] | None) -> Reply:
        shown = await self.pages_of(allowed)
        if not shown:
            return Reply((texts.PAGES_NONE,))
        lines = [texts.PAGES_LIST_HEADER]
        for line in shown:
            page = line.page
            lines.append(texts.PAGES_LIST_LINE.format(
                name=page.name, group_id=page.group_id, body=line.body_name,
                state=texts.PAGES_STATE_ON if page.enabled else texts.PAGES_STATE_OFF,
                appeals=line.appeals, misdirected=line.misdirected,
            ))
        return Reply(("\n".join(lines),))

    async def disconnect(self, allowed: list[Body] | None, text: str) -> Reply:
        words = _COMMAND.sub("", text.strip(), count=1).split()
        number = words[0].removeprefix("club") if words else ""
        if not number.isdigit():
            return Reply((texts.PAGES_UNPAGE_USAGE,))
        return await self.disconnect_page(allowed, int(number))

    async def disconnect_page(self, allowed: list[Body] | None, group_id: int) -> Reply:
        """``/unpage`` and the console's «Отключить»: the page stops being read; only a page
        of a body in ``allowed`` (``None``: any)."""
        async with self.desk.repo.transaction() as tx:
            page = await tx.pages.page(group_id)
            mine = page is not None and (allowed is None or page.body in {b.id for b in allowed})
            if page is None or not mine:
                return Reply((texts.PAGES_NOT_FOUND.format(group_id=group_id),))
            await tx.pages.set_enabled(group_id, False)
        log.info("page %d disconnected", group_id)
        await self._changed()
        return Reply((texts.PAGES_DISCONNECTED.format(name=page.name),))

    async def _changed(self) -> None:
        if self.on_change is not None:
            await self.hand_over()

    async def hand_over(self) -> None:
        """Give ``on_change`` the stored pages (at start, and after every change)."""
        if self.on_change is None:
            return
        async with self.desk.repo.transaction() as tx:
            pages = await tx.pages.pages()
        self.on_change(pages)
