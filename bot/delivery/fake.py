"""An in-memory `Transport` for tests and dry runs: records what was sent, fails on request.

Kept in the package (not in tests) because adapters and local experiments use it too, the way
aiogram's own test-suite uses a mocked bot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from bot.delivery.transport import NotEditable
from bot.domain.messages import Channel, OutgoingMessage, SentMessage


class FakeTransport:
    """Sends succeed with increasing message ids unless an error was queued with `fail_next`.

    ``dedup_by_id=True`` imitates VK: a second send with the same non-zero ``dedup_id`` to the
    same chat returns the first message id and is not delivered again.
    """

    def __init__(self, channel: Channel = "tg", *, dedup_by_id: bool = False, first_id: int = 1000):
        self.channel = channel
        self.sent: list[OutgoingMessage] = []  # what actually reached a chat
        self.calls: list[OutgoingMessage] = []  # every attempt, failed ones included
        self.dedup_by_id = dedup_by_id
        self._next_id = first_id
        self._failures: deque[BaseException | Callable[[], BaseException]] = deque()
        self._seen: dict[tuple[int, int], int] = {}
        # Runs after the message reached the chat and before `send` returns: a test raises
        # from here to imitate a crash between delivery and recording.
        self.after_delivery: Callable[[OutgoingMessage], None] | None = None
        self.delay = 0.0  # seconds each send takes, for concurrency tests
        self.edited: list[tuple[int, OutgoingMessage]] = []
        self.not_editable: set[int] = set()

    def fail_next(self, *errors: BaseException) -> None:
        self._failures.extend(errors)

    async def send(self, message: OutgoingMessage) -> SentMessage:
        self.calls.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._failures:
            raise self._failures.popleft()
        key = (message.chat_id, message.dedup_id)
        if self.dedup_by_id and message.dedup_id and key in self._seen:
            return SentMessage(self._seen[key])
        self._next_id += 1
        self.sent.append(message)
        if self.dedup_by_id and message.dedup_id:
            self._seen[key] = self._next_id
        if self.after_delivery is not None:
            self.after_delivery(message)
        return SentMessage(self._next_id)

    async def edit(self, message: OutgoingMessage, message_id: int) -> SentMessage:
        """Edits are recorded in ``edited`` (message id, new message); ``not_editable`` holds
        ids the platform refuses to edit (`NotEditable`)."""
        self.calls.append(message)
        if self._failures:
            raise self._failures.popleft()
        if message_id in self.not_editable:
            raise NotEditable(f"message {message_id} can't be edited")
        self.edited.append((message_id, message))
        if self.after_delivery is not None:
            self.after_delivery(message)
        return SentMessage(message_id)

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.text for m in self.sent if chat_id is None or m.chat_id == chat_id]
