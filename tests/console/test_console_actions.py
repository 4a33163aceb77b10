"""The ticket page's actions and the bulk forms go through the chat's use cases: the same
states, the same audit log, the same words to the citizen (read from the fake transport)."""

from __future__ import annotations

from tests.console.console_world import CITY_ADMIN, COORDINATOR_ID, console_world, sign_in
from tests.core.core_world import CITIZEN_TG


def _told(world) -> list[str]:
    return [m.text for m in world.tg.sent if m.chat_id == CITIZEN_TG]


async def _ticket(world, text: str) -> str:
    return (await world.core.handle(world.citizen(text))).number


async def test_take_extend_redirect_and_close_as_the_chat_does() -> None:
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге")
        await world.flush()
        await sign_in(world, visitor, CITY_ADMIN)
        path = f"/console/ticket/{number}"
        status, page = await visitor.get(path)
        assert status == 200 and 'value="take"' in page and 'value="extend"' in page

        status, page = await visitor.post(path, {"action": "take"})
        assert "Взято в работу. Заявитель уведомлён." in page
        assert (await world.ticket(number)).state == "in_work"
        status, page = await visitor.post(path, {"action": "take"})
        assert "действие не выполнено" in page  # twice: nothing more happens

        status, page = await visitor.post(path, {"action": "extend", "text": "нужна техника"})
        assert (await world.ticket(number)).extended_at is not None
        status, page = await visitor.post(path, {"action": "extend", "text": "ещё раз"})
        assert 'value="extend"' not in page  # once per round, as in the chat

        status, page = await visitor.post(path, {"action": "redirect", "text": "это трасса"})
        ticket = await world.ticket(number)
        assert ticket.body == "transport" and "city" in ticket.tried_bodies
        assert "Передано: Министерство транспорта" in page
        # Now the ticket is the transport ministry's: the city may read it, not act on it.
        status, page = await visitor.get(path)
        assert status == 200 and 'value="take"' not in page and 'value="close"' not in page
        events = await world.events(number)
        assert "redirected" in events
        await world.flush()
        told = "\n".join(_told(world))
        assert "взято в работу" in told.lower() and "нужна техника" in told


async def test_a_coordinator_assigns_an_unrouted_ticket_and_bulk_closes() -> None:
    async with console_world() as (world, visitor):
        unrouted = await _ticket(world, "непонятно что случилось")
        others = [await _ticket(world, f"яма номер {i}") for i in range(3)]
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/?view=unrouted")
        assert "Найдено: 1" in page and unrouted in page
        status, page = await visitor.post(
            f"/console/ticket/{unrouted}", {"action": "redirect", "body": "health"}
        )
        assert (await world.ticket(unrouted)).body == "health"

        form = [("n", n) for n in others] + [("action", "close"), ("reason", "дубликаты")]
        status, page = await visitor.post("/console/bulk", [*form, ("n", unrouted)])
        assert status == 200 and "Готово: 4 из 4." in page
        assert {(await world.ticket(n)).state for n in [*others, unrouted]} == {"closed"}
        status, page = await visitor.post("/console/bulk", form)
        assert "Готово: 0 из 3." in page and "Не изменены" in page
        status, page = await visitor.post("/console/bulk", [("n", others[0]), ("action", "close")])
        assert status == 400 and "«reason»: текст пустой" in page
        await world.flush()
        assert sum("дубликаты" in t for t in _told(world)) == 4  # one citizen, four tickets


async def test_an_administrator_has_no_bulk_form() -> None:
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге")
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/")
        assert number in page and 'name="n"' not in page
        status, page = await visitor.post(
            "/console/bulk", [("n", number), ("action", "close"), ("reason", "x")]
        )
        assert status == 403 and (await world.ticket(number)).state == "routed"


async def test_the_ticket_page_titles_the_appeal_once() -> None:
    """The chat card's «Текст обращения (слова заявителя):» line is the page's own heading."""
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге у дома 5")
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get(f"/console/ticket/{number}")
        assert status == 200
        assert page.count("Текст обращения") == 1
        appeal = page.split('id="appeal">', 1)[1].split("</blockquote>", 1)[0]
        assert "яма на дороге у дома 5" in appeal and "слова заявителя" not in appeal
