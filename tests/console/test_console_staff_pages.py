"""The staff page: a coordinator sees every body's chats, revokes one (the chat is told, and
the administrator loses the console at once) and makes an invite; a body's administrator sees
only its body and has no buttons; a revoke without the form's token changes nothing."""

from __future__ import annotations

import html
import json
import re

from tests.console.console_world import (
    CITY_ADMIN,
    COORDINATOR_ID,
    TRANSPORT_ADMIN,
    console_world,
    sign_in,
)


def _token(page: str, body: str) -> str:
    section = page.split(f'id="body-{body}"')[1].split("</section>")[0]
    return re.search(r'name="token" value="([^"]+)"', section).group(1)


async def test_a_coordinator_revokes_a_binding_and_the_chat_is_told() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, TRANSPORT_ADMIN)
        revoked_admin = visitor.cookie
        visitor.cookie = ""
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/staff")
        page = html.unescape(page)
        assert status == 200 and 'id="body-city"' in page and 'id="body-transport"' in page
        assert "из таблицы маршрутизации" in page and "Telegram, личный чат" in page
        token = _token(page, "transport")
        # Without the form's token: refused, nothing revoked.
        status, page = await visitor.post("/console/staff/revoke", {"token": token}, csrf=False)
        assert status == 403 and f"tg:{TRANSPORT_ADMIN}" in html.unescape(
            (await visitor.get("/console/staff"))[1]
        )
        status, page = await visitor.post("/console/staff/revoke", {"token": token})
        page = html.unescape(page)
        assert status == 200 and 'id="notice">Отозвано' in page
        assert f"tg:{TRANSPORT_ADMIN}" not in page
        told = [json.loads(r["payload"])["text"] for r in await world.outbox_rows()
                if r["chat_id"] == TRANSPORT_ADMIN]
        assert any("Координатор отключил этот чат" in t for t in told)
        status, page = await visitor.post("/console/staff/revoke", {"token": token})
        assert "Этого подключения уже нет." in html.unescape(page)
        # The revoked administrator's console is gone with the binding.
        visitor.cookie = revoked_admin
        status, _ = await visitor.get("/console/")
        assert status == 403


async def test_a_coordinator_makes_an_invite_for_a_body() -> None:
    async with console_world(telegram_bot="saratov_bot", vk_group=42) as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/staff")
        status, page = await visitor.post("/console/staff/invite", {"body": "health"})
        page = html.unescape(page)
        assert status == 200
        assert re.search(r'id="invite">Приглашение администратора органа «[^»]+» \(health\)', page)
        code = re.search(r"Код приглашения: ([\w-]+)", page).group(1)
        assert f"https://t.me/saratov_bot?start={code}" in page
        assert f"https://t.me/saratov_bot?startgroup={code}" in page
        assert f"https://vk.me/club42?ref={code}" in page
        status, page = await visitor.post("/console/staff/invite", {"body": "nope"})
        assert status == 400 and "nope" in html.unescape(page)


async def test_an_administrator_sees_only_its_body_without_buttons() -> None:
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/staff")
        assert status == 200 and 'id="body-city"' in page and 'id="body-transport"' not in page
        assert "Отозвать" not in page and "Пригласить" not in page
        status, page = await visitor.post("/console/staff/invite", {"body": "city"})
        assert status == 403
