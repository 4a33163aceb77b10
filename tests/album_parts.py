"""Album parts as Telegram delivers them, and a stand-in core that records what reaches it:
shared by the in-process (`handlers.telegram.albums`) and redis (`..._redis`) collector tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram.types import Chat, Message, PhotoSize, User

from bot.domain.messages import IncomingMessage

CITIZEN = 1001


class RecordingCore:
    """Stands in for `AppealCore` (only ``handle`` is called): records what it is given."""

    def __init__(self) -> None:
        self.handled: list[IncomingMessage] = []
        self.arrived = asyncio.Event()

    async def handle(self, message: IncomingMessage) -> None:
        self.handled.append(message)
        self.arrived.set()


def part(message_id: int, group: str, caption: str | None = None, chat: int = CITIZEN) -> Message:
    return Message(
        message_id=message_id,
        date=datetime(2026, 3, 4, tzinfo=UTC),
        chat=Chat(id=chat, type="private"),
        from_user=User(id=chat, is_bot=False, first_name="Иван"),
        photo=[PhotoSize(file_id=f"photo-{message_id}", file_unique_id=f"u{message_id}",
                         width=1280, height=960)],
        caption=caption,
        media_group_id=group,
    )
