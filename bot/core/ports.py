"""What the core expects from the world around it, as Protocols: the classifier it asks, the
coordinators it writes to, and — the other way round — what the channel adapters may call on
the core (`Core`). Storage has its own ports in `bot.storage.base`, delivery in
`bot.delivery.transport`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from bot.domain.messages import IncomingMessage
from bot.domain.wire import Outcome


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


class Addressee(Protocol):
    """`config.Coordinator`: a user reached in a private chat whose id equals the user id."""

    channel: str
    user_id: int


class Core(Protocol):
    """What the Telegram and VK adapters call: `bot.core.appeals.AppealCore` is one."""

    async def handle(self, message: IncomingMessage) -> Outcome: ...

    async def invite(
        self,
        message: IncomingMessage,
        query: str,
        *,
        links: Callable[[str], str] | None = None,
    ) -> Outcome: ...

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
    ) -> Outcome: ...

    async def citizen_reachable(self, channel: str, user_id: int) -> int: ...
