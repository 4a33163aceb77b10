"""The core's ports: what the channel adapters may call on it, and what it is given from outside.

`Core` lists every call the Telegram and VK handlers make (`handlers.telegram`, `handlers.vk`),
so an adapter depends on these few methods and not on `bot.core.appeals.AppealCore` with all of
its use cases; a test may hand an adapter anything with the same methods. `Classifies` and
`Addressee` are what the core takes in: the routing classifier and the coordinators of
`config.Settings`, described by what the core reads of them; `AddressService` is the optional
address service (DaData) that reads a shared location when the text names no place.
`Observer` is who hears what the core and the outbox did (`bot.metrics.Metrics` counts it for
Prometheus), so that neither imports a metrics library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.comments import CommentRef, IncomingComment
from bot.domain.messages import IncomingMessage
from bot.domain.wire import Outcome


class Core(Protocol):
    """What the channels' handlers call on the core (`AppealCore` provides it)."""

    async def handle(self, message: IncomingMessage) -> Outcome:
        """Everything a person writes or presses; the core decides what it means."""
        ...

    async def invite(
        self,
        message: IncomingMessage,
        query: str,
        *,
        links: Callable[[str], str] | None = None,
    ) -> Outcome:
        """A coordinator's ``/invite <body>``; ``links`` renders the channel's invite links."""
        ...

    async def redeem(
        self,
        channel: str,
        chat_id: int,
        user_id: int,
        token: str,
        *,
        forum: bool,
        name: str = "",
        message_id: int | None = None,
    ) -> Outcome:
        """An administrator came by an invite (Telegram ``/start <code>``, VK ``ref``)."""
        ...

    async def comment_posted(self, comment: IncomingComment) -> Outcome:
        """A new comment under a post (VK ``wall_reply_new``, a Telegram discussion group)."""
        ...

    async def comment_edited(self, comment: IncomingComment) -> Outcome: ...

    async def comment_deleted(self, ref: CommentRef) -> Outcome: ...

    async def citizen_reachable(self, channel: str, user_id: int) -> int:
        """The citizen allowed messages again (VK ``message_allow``)."""
        ...

    async def access_changed(
        self, channel: str, chat_id: int, *, allowed: bool, reason: str = "left"
    ) -> int:
        """The platform says whether the bot may write to a chat now: Telegram
        ``my_chat_member`` (member/administrator, or left/kicked), VK ``message_allow`` or
        ``message_deny``. The core knows whose chat it is (a body's, a citizen's)."""
        ...


class Classifies(Protocol):
    """`routing.classify.Classifier` or a stand-in with the same ``classify``."""

    def classify(
        self,
        text: str,
        lat: float | None = None,
        lon: float | None = None,
        *,
        topic: str | None = None,
        municipality: str | None = None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class Address:
    """What an address service says of a place: its codes and name, no coordinates kept."""

    value: str  # «г Саратов, ул Чернышевского, д 1», as the service writes it
    fias_id: str | None = None
    oktmo: str | None = None  # 8 or 11 digits; what the routing table's municipalities use


class AddressService(Protocol):
    """An optional address service (`bot.addresses.dadata.DaDataAddresses`): reverse geocoding
    of a shared location and suggestions for a written address. Without one the offline
    gazetteer of the routing table is all there is. Failures are ``None`` / ``[]``: an address
    service that is down must never hold an appeal."""

    async def geolocate(self, lat: float, lon: float) -> Address | None: ...

    async def suggest(self, query: str) -> list[Address]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Community:
    """A VK community as its own access token shows it (`CommunityLookup`)."""

    group_id: int
    name: str


class TokenRefused(Exception):
    """The platform refused the token: wrong, revoked, or not a community's token."""


class CommunityUnavailable(Exception):
    """The platform did not answer (or answered an error unrelated to the token)."""


class CommunityLookup(Protocol):
    """Checks a community access token before a page is connected (VK ``groups.getById``;
    `handlers.vk.pages.VKCommunityLookup`). Never puts the token in an error's text."""

    async def community_of(self, token: str) -> Community:
        """The community the token belongs to; `TokenRefused` when it is no community's."""
        ...

    async def named(self, token: str, address: str) -> Community | None:
        """The community at ``address`` (``club123``, a short name), looked up with the
        token; ``None`` when VK knows no such community."""
        ...


class Addressee(Protocol):
    """`config.Coordinator`: a user reached in a private chat whose id equals the user id."""

    channel: str
    user_id: int


class Observer(Protocol):
    """Told what happened, as it happens: on the hot path, so an implementation only counts
    (no I/O, no waiting). Labels are short fixed words, never a person's data."""

    def update_received(self, channel: str) -> None:
        """A message or a button press reached the core."""

    def update_processed(self, channel: str) -> None:
        """…and the core handled it (whatever it decided, a refusal included)."""

    def update_failed(self, channel: str, error: str) -> None:
        """…and handling it raised ``error`` (an exception's class name)."""

    def classified(self, decision: str) -> None:
        """The classifier decided: ``route``, ``ask_topic``, ``ask_municipality`` or
        ``to_coordinator``."""

    def send_ended(self, channel: str, result: str) -> None:
        """A platform call of the outbox ended with ``result``
        (`bot.delivery.outbox.SendResult`)."""


class Unobserved:
    """The `Observer` when nobody listens (tests, tools): every report is dropped."""

    def update_received(self, channel: str) -> None:
        pass

    def update_processed(self, channel: str) -> None:
        pass

    def update_failed(self, channel: str, error: str) -> None:
        pass

    def classified(self, decision: str) -> None:
        pass

    def send_ended(self, channel: str, result: str) -> None:
        pass


UNOBSERVED = Unobserved()
