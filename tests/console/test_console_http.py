"""The console's HTTP rules, on a real aiohttp server over the real core (SQLite in memory):
sign-in by a /web link, who gets a link, single use, cookies, CSRF, roles, bad parameters."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import texts
from tests.console.console_world import (
    CITY_ADMIN,
    COORDINATOR_ID,
    LINK,
    TRANSPORT_ADMIN,
    console_world,
    sign_in,
    web_link,
)
from tests.core.core_world import CITIZEN_TG


async def _ticket(world, text: str) -> str:
    outcome = await world.core.handle(world.citizen(text))
    return outcome.number


async def test_web_gives_staff_a_link_and_refuses_everyone_else() -> None:
    async with console_world() as (world, _visitor):
        assert "Ссылка для входа в веб-консоль" in await web_link(world, "tg", COORDINATOR_ID)
        assert LINK.search(await web_link(world, "tg", CITY_ADMIN))
        refused = await web_link(world, "tg", CITIZEN_TG)
        assert refused == "Веб-консоль доступна только координаторам и администраторам органов."
        in_group = await web_link(world, "tg", CITY_ADMIN, chat_id=-1001)
        assert "только в личные сообщения" in in_group and not LINK.search(in_group)


async def test_a_link_signs_in_once_with_a_secure_httponly_lax_cookie() -> None:
    async with console_world() as (world, visitor):
        path = await sign_in(world, visitor, COORDINATOR_ID)
        cookie = visitor.set_cookie
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
        assert "Path=/console" in cookie
        status, page = await visitor.get("/console/")
        assert status == 200 and "Очередь обращений" in page and "Координатор" in page
        # The same link again, from another browser: refused, whichever step.
        visitor.cookie = ""
        status, page = await visitor.get(path)
        assert status == 403 and "уже использована" in page
        status, page = await visitor.post(path, {}, csrf=False)
        assert status == 403 and "Получите новую" in page
        status, _ = await visitor.get("/console/")
        assert status == 401


async def test_a_forged_or_expired_link_is_refused() -> None:
    async with console_world() as (world, visitor):
        status, page = await visitor.get("/console/login/forged-token-forged-token")
        assert status == 403 and "недействительна" in page
        path = LINK.search(await web_link(world, "tg", COORDINATOR_ID)).group(1)
        world.clock.advance(minutes=11)
        status, page = await visitor.post(path, {}, csrf=False)
        assert status == 403 and "недействительна" in page


async def test_a_session_expires_and_logout_ends_it() -> None:
    async with console_world(session_lifetime=timedelta(hours=1)) as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        world.clock.advance(minutes=61)
        status, page = await visitor.get("/console/")
        assert status == 401 and "срок входа истёк" in page
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get("/console/")  # the new session's page and its CSRF token
        kept = visitor.cookie
        status, page = await visitor.post("/console/logout", {})
        assert status == 200 and "Вы вышли" in page
        visitor.cookie = kept  # the old cookie, kept by someone: dead all the same
        assert (await visitor.get("/console/"))[0] == 401


async def test_a_post_without_the_csrf_token_changes_nothing() -> None:
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге")
        await sign_in(world, visitor, COORDINATOR_ID)
        await visitor.get(f"/console/ticket/{number}")
        status, page = await visitor.post(
            f"/console/ticket/{number}", {"action": "close", "text": "дубль"}, csrf=False
        )
        assert status == 403 and "ничего не изменено" in page
        visitor.csrf = "x" * 32
        status, _ = await visitor.post(
            f"/console/ticket/{number}", {"action": "close", "text": "дубль"}
        )
        assert status == 403
        assert (await world.ticket(number)).state == "routed"


async def test_an_administrator_sees_only_the_tickets_of_their_body() -> None:
    async with console_world() as (world, visitor):
        city = await _ticket(world, "яма на дороге")  # routed to the city
        health = await _ticket(world, "больница не принимает")  # to the health ministry
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/")
        assert status == 200 and city in page and health not in page
        status, page = await visitor.get(f"/console/ticket/{health}")
        assert status == 403 and "недоступно" in page
        assert health not in page and "больница" not in page
        status, page = await visitor.get(f"/console/ticket/{city}")
        assert status == 200 and "яма на дороге" in page
        # Nor may a form act on it.
        status, _ = await visitor.post(f"/console/ticket/{health}", {"action": "take"})
        assert status == 403
        assert (await world.ticket(health)).state == "routed"


async def test_malformed_or_huge_parameters_are_a_russian_400() -> None:
    """The queue's filter is the report pages' (`bot.core.console_filters`): the same
    parameters and the same messages."""
    async with console_world() as (world, visitor):
        await sign_in(world, visitor, COORDINATOR_ID)
        for query, words in (
            ("page=abc", "Номер страницы «abc» не распознан"),
            ("page=0", "нужно целое число от 1 до 500"),
            ("from=2026-13-45", "Дата «2026-13-45» не распознана"),
            ("from=2026-03-10&to=2026-03-01", "Начало периода (10.03.2026) позже его конца"),
            ("body=nobody", "Органа с кодом «nobody» нет в таблице"),
            ("view=everything", "Неизвестная вкладка очереди «everything»"),
            ("q=" + "я" * 300, "Запрос для поиска слишком длинный: 300 символов"),
            ("q=ям", "хотя бы 3 символа"),
            ("page=7", "Страницы 7 нет"),
            ("q=" + "a" * 190 + "&" + "&".join(f"x{i}=1" for i in range(400)),
             "«адрес»: слишком длинно"),
        ):
            status, page = await visitor.get("/console/?" + query)
            assert status == 400, query
            assert words in page, query
        numbers = [("n", f"26-{i:06d}") for i in range(101)]
        status, page = await visitor.post(
            "/console/bulk", [*numbers, ("action", "close"), ("reason", "дубль")]
        )
        assert status == 400 and "не больше 100" in page


async def test_answer_from_the_page_reaches_the_citizen_as_from_the_chat() -> None:
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге")
        await world.flush()
        await sign_in(world, visitor, CITY_ADMIN)
        await visitor.get(f"/console/ticket/{number}")
        status, page = await visitor.post(
            f"/console/ticket/{number}", {"action": "answer", "text": "Яму заделаем до пятницы"}
        )
        assert status == 200 and "отправлен заявителю" in page
        await world.flush()
        told = [m.text for m in world.tg.sent if m.chat_id == CITIZEN_TG]
        assert any("Яму заделаем до пятницы" in t and number in t for t in told)
        assert (await world.ticket(number)).state == "answered"
        status, page = await visitor.post(
            f"/console/ticket/{number}", {"action": "note", "text": "проверить в пятницу"}
        )
        assert "Заметка к обращению" in page and "проверить в пятницу" in page


def test_the_console_needs_a_public_url() -> None:
    import pytest
    from pydantic import ValidationError

    from config import Settings

    with pytest.raises(ValidationError, match=r"PUBLIC_URL=https://bot\.example\.ru"):
        Settings(_env_file=None, console_enabled=True)
    on = Settings(_env_file=None, console_enabled=True, public_url="https://bot.example.ru")
    assert str(on.public_url) == "https://bot.example.ru/"


async def test_the_queue_pages_by_25_and_keeps_the_filters() -> None:
    async with console_world() as (world, visitor):
        for i in range(27):
            await world.core.handle(world.citizen(f"яма номер {i}", chat=9000 + i))
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/?body=city")
        assert status == 200 and "Найдено: 27" in page and "Страница 1 из 2" in page
        assert page.count('class="number"') == 25
        assert 'href="?body=city&amp;page=2"' in page
        status, page = await visitor.get("/console/?body=city&page=2")
        assert status == 200 and page.count('class="number"') == 2
        assert "Страница 2 из 2" in page
        assert 'href="?body=city&amp;page=1"' in page


async def test_an_administrators_queue_is_what_their_body_holds_now() -> None:
    """Pinned when the queue moved onto the read model: an administrator's queue shows the
    tickets whose current body is theirs — one they refused to the coordinators included (the
    ticket still names them), one they passed on to another body not (that body's now; its
    page still opens for them from the history)."""
    async with console_world() as (world, visitor):
        number = await _ticket(world, "яма на дороге")
        await world.flush()
        await sign_in(world, visitor, CITY_ADMIN)
        status, page = await visitor.get("/console/")
        assert status == 200 and number in page and "Найдено: 1" in page
        await visitor.post(f"/console/ticket/{number}", {"action": "redirect", "text": "трасса"})
        assert (await world.ticket(number)).body == "transport"
        status, page = await visitor.get("/console/")
        assert number not in page and "Найдено: 0" in page
        status, page = await visitor.get(f"/console/ticket/{number}")
        assert status == 200 and "яма на дороге" in page

        await sign_in(world, visitor, TRANSPORT_ADMIN)
        status, page = await visitor.get("/console/")
        assert number in page and "Найдено: 1" in page
        await visitor.post(f"/console/ticket/{number}", {"action": "redirect", "text": "не наше"})
        ticket = await world.ticket(number)
        assert (ticket.state, ticket.body) == ("redirected", "transport")
        status, page = await visitor.get("/console/")
        assert number in page and "Найдено: 1" in page
        assert texts.STATE_NAMES["redirected"] in page
        status, page = await visitor.get("/console/?view=redirected")
        assert number in page and 'id="view-redirected"' in page


async def test_the_queue_counts_each_tab_and_says_how_far_back_text_is_searched() -> None:
    async with console_world() as (world, visitor):
        old = await _ticket(world, "яма на дороге у школы")
        world.clock.advance(days=40)
        new = await _ticket(world, "яма на дороге у рынка")
        await sign_in(world, visitor, COORDINATOR_ID)
        status, page = await visitor.get("/console/?q=яма+на+дороге")
        assert status == 200 and new in page and old not in page
        assert "Найдено: 1" in page and "текст искали за последние 31 дн." in page
        assert 'id="view-all">Все <span class="tab-count">1</span>' in page
        since = (world.clock.now() - timedelta(days=60)).date().isoformat()
        status, page = await visitor.get(f"/console/?q=яма+на+дороге&from={since}")
        assert old in page and new in page and "Найдено: 2" in page
        assert "искали за последние" not in page
        status, page = await visitor.get(f"/console/?q={old}")  # a number: any time
        assert old in page and "Найдено: 1" in page and "искали за последние" not in page
