"""Files across channels: a Telegram photo shown to a VK administrator, and the other way round.

A file reference means something only to the platform that issued it (a Telegram ``file_id``,
a VK ``photo123_456_key``). When the core sends a ticket's files to a chat in the other channel
it marks them with their origin (`bot.domain.messages.carried`); the receiving transport asks the
bridge for the bytes, and the bridge asks the origin channel's `FileSource` to download them
(Telegram ``getFile``; VK the photo's size URL). The receiving transport then uploads them its
own way (VK ``photos.getMessagesUploadServer`` → upload → ``photos.saveMessagesPhoto``; Telegram
a multipart ``sendPhoto``).

The sources are given to the bridge when it is built, and the bridge to the transports when they
are built: a source needs only the platform's client, not the transport.

Nothing is cached on disk: the file stays on the platforms, and a delivery retried by the outbox
simply downloads it again. A download that fails for the network is a `TransientError` (the
outbox retries); a file the origin cannot give any more is a `PermanentError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.delivery.transport import PermanentError
from bot.domain.messages import Attachment


@dataclass(frozen=True, slots=True)
class FetchedFile:
    data: bytes
    name: str  # a file name with an extension: VK and Telegram guess the type from it


class FileSource(Protocol):
    """Downloads the files of its own channel (`handlers.telegram.transport.TelegramFiles`,
    `handlers.vk.transport.VKFiles`)."""

    async def fetch(self, attachment: Attachment) -> FetchedFile: ...


class FileBridge:
    """Fetches a file from the channel it belongs to; one bridge shared by all transports."""

    def __init__(self, sources: Mapping[str, FileSource]) -> None:
        self._sources = dict(sources)  # channel → where its files come from

    async def fetch(self, attachment: Attachment) -> FetchedFile:
        source = self._sources.get(attachment.channel or "")
        if source is None:
            raise PermanentError(f"no channel {attachment.channel!r} to fetch a file from")
        return await source.fetch(attachment)


def default_name(attachment: Attachment) -> str:
    return {"photo": "photo.jpg", "video": "video.mp4", "voice": "voice.ogg"}.get(
        attachment.kind, "file.bin"
    )
