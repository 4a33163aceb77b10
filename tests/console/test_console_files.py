"""A ticket's files through the console: downloaded through the bot from the channel they
came through, for those who may see the ticket; an image shown, anything else downloaded."""

from __future__ import annotations

from bot.delivery.files import FetchedFile
from bot.delivery.transport import PermanentError
from bot.domain.messages import Attachment
from tests.console.console_world import CITY_ADMIN, TRANSPORT_ADMIN, console_world, sign_in

FILES = {"photo-1": FetchedFile(b"\xff\xd8jpeg", "photo.jpg"),
         "doc-1": FetchedFile(b"<script>alert(1)</script>", "page.html")}
ASKED: list[Attachment] = []


async def fetch(attachment: Attachment) -> FetchedFile:
    ASKED.append(attachment)
    if attachment.ref not in FILES:
        raise PermanentError("gone")
    return FILES[attachment.ref]


async def test_files_are_served_through_the_bot_to_those_who_may_see_them() -> None:
    async with console_world(files=fetch) as (world, visitor):
        files = (Attachment("photo", "photo-1"), Attachment("document", "doc-1"),
                 Attachment("photo", "gone-1"))
        number = (await world.core.handle(world.citizen("яма на дороге", attachments=files))
                  ).number
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get(f"/console/ticket/{number}")
        assert f"/console/ticket/{number}/file/1" in page
        async with visitor.http.get(visitor.base + f"/console/ticket/{number}/file/0",
                                    headers=visitor._headers()) as photo:
            assert photo.status == 200 and await photo.read() == b"\xff\xd8jpeg"
            assert photo.headers["Content-Type"] == "image/jpeg"
            assert photo.headers["Content-Disposition"].startswith("inline")
        assert ASKED[-1] == Attachment("photo", "photo-1", "tg")
        async with visitor.http.get(visitor.base + f"/console/ticket/{number}/file/1",
                                    headers=visitor._headers()) as document:
            assert document.headers["Content-Type"] == "application/octet-stream"
            assert document.headers["Content-Disposition"].startswith("attachment")
            assert document.headers["X-Content-Type-Options"] == "nosniff"
        status, page = await visitor.get(f"/console/ticket/{number}/file/2")
        assert status == 502 and "не удаётся получить" in page
        status, page = await visitor.get(f"/console/ticket/{number}/file/9")
        assert status == 404 and "Такого файла" in page

        asked = len(ASKED)
        await sign_in(world, visitor, TRANSPORT_ADMIN)
        status, page = await visitor.get(f"/console/ticket/{number}/file/0")
        assert status == 403 and len(ASKED) == asked  # nothing fetched for a stranger
