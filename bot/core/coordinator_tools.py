"""A coordinator's tools as a chat sees them, whichever channel: a table file sent as a document,
«Применить» / «Отмена» under the proposal, ``/table``, ``/versions``, ``/rollback``, ``/stats``,
``/model`` (`bot.core.learning`) and ``/tools`` (their list), a CSV of labelled appeals, with
the same refusal for anyone who is not a coordinator.

The adapters only translate. They ask `command_of` whether a text is one of these commands
(a slash command from anyone, the words of VK's menu from coordinators only), `owns` whether a
button's data is a proposal's, and hand over a document's name, its declared size and a way to
fetch its bytes (`upload`); they get back a `bot.core.coordination.Reply` to send as it is.
The table logic itself is in `bot.core.coordination`, the numbers in `bot.core.stats`.

Who may: the coordinators of ``COORDINATORS`` (``tg:123``, ``vk:456``), checked here for every
command, upload and press, so no adapter can forget it. What is refused is refused in words
(`texts.ONLY_COORDINATORS`), as a message or as the press's notice.

A document is checked before it is fetched (its name and declared size), and its size once more
after: a file of the wrong kind or too big costs no download.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath

from bot.core import stats
from bot.core.coordination import (
    BUTTON_PREFIX,
    MAX_UPLOAD_BYTES,
    TABLE_SUFFIXES,
    Coordination,
    Reply,
    coordinator_ref,
)
from bot.core.labels import looks_labelled
from bot.core.learning import Learning
from bot.domain import texts
from bot.domain.phrases import coordinator_command_of
from routing.sheets import SHEETS

log = logging.getLogger("bot.coordination")

#: The adapter's way to get a document's bytes: raises `DownloadFailed` when the platform does
#: not give them; ``limit`` is the most it needs to read (one byte more tells "too big").
Fetch = Callable[[int], Awaitable[bytes]]


class DownloadFailed(Exception):
    """The platform did not give the file (network, an expired link): the coordinator is asked
    to send it again."""


class CoordinatorTools:
    """The coordinator's commands, uploads and presses, for both channels."""

    def __init__(self, coordination: Coordination, learning: Learning | None = None) -> None:
        self.coordination = coordination
        self.learning = learning or Learning(coordination, Path("models"))

    def is_coordinator(self, channel: str, user_id: int) -> bool:
        return self.coordination.is_coordinator(channel, user_id)

    def command_of(
        self, channel: str, user_id: int, text: str | None, *, reply: bool
    ) -> str | None:
        """Which tool a message asks for, or ``None``. A slash command counts from anyone (the
        rest are refused by `command`); the menu's words only from a coordinator and not in a
        reply, where they would be an answer to a citizen."""
        words = not reply and self.is_coordinator(channel, user_id)
        return coordinator_command_of(text, words=words)

    @staticmethod
    def owns(payload: str | None) -> bool:
        """Whether a button's data is under a table proposal («Применить» / «Отмена»)."""
        return (payload or "").startswith(BUTTON_PREFIX)

    async def command(self, channel: str, user_id: int, name: str) -> Reply:
        if not self.is_coordinator(channel, user_id):
            log.info("coordinator command refused: not a coordinator (%s)", channel)
            return Reply((texts.ONLY_COORDINATORS,))
        coordination = self.coordination
        if name == "table":
            current = await coordination.current_file()
            return Reply(document=current) if current else Reply((texts.TABLE_NONE_YET,))
        if name == "versions":
            return await coordination.versions()
        if name == "rollback":
            return await coordination.propose_rollback(coordinator_ref(channel, user_id))
        if name == "model":
            return await self.learning.versions()
        if name == "stats":
            lines, png = await stats.report(coordination.core)
            return Reply(tuple(lines), photo=png)
        return Reply((texts.COORDINATOR_TOOLS,))

    async def upload(
        self, channel: str, user_id: int, name: str, size: int | None, fetch: Fetch
    ) -> Reply:
        """A coordinator's document: checked by name and size, fetched, then proposed as the
        new table (`Coordination.propose_upload`). Only coordinators' documents come here; the
        adapters pass anyone else's on as an appeal."""
        name = PurePosixPath(name or "").name or "file"
        if not self.is_coordinator(channel, user_id):
            return Reply((texts.ONLY_COORDINATORS,))
        if PurePosixPath(name.lower()).suffix not in TABLE_SUFFIXES:
            return Reply((texts.TABLE_UNKNOWN_FORMAT.format(name=name),))
        if size and size > MAX_UPLOAD_BYTES:
            return self.coordination.too_large(name, size)
        try:
            data = await fetch(MAX_UPLOAD_BYTES + 1)
        except DownloadFailed as error:
            log.warning("table upload: download failed in %s (%s)", channel, error)
            where = texts.WHERE_NO_CHAT.get(channel, channel)
            return Reply((texts.TABLE_DOWNLOAD_FAILED.format(name=name, where=where),))
        stem = PurePosixPath(name.lower()).stem
        if name.lower().endswith(".csv") and stem not in SHEETS and looks_labelled(data):
            return await self.learning.upload_labels(data, name)  # appeals, not a table sheet
        who = coordinator_ref(channel, user_id)
        return await self.coordination.propose_upload(data, name, who)

    async def press(self, channel: str, user_id: int, payload: str) -> Reply:
        """«Применить» / «Отмена» under a proposal; anyone else gets the refusal as the notice."""
        if not self.is_coordinator(channel, user_id):
            log.info("table button refused: not a coordinator (%s)", channel)
            return Reply(notice=texts.ONLY_COORDINATORS)
        who = coordinator_ref(channel, user_id)
        if self.learning.owns(payload):
            return await self.learning.rollback(payload, who)
        return await self.coordination.press(payload, who)
