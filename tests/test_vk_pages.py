"""Many state pages on one bot (issue 18), end to end: the whole bot (`bot.serve.serve`) with real
aiogram and vkbottle against both emulators, the VK one with several communities.

Three bodies, each with a VK page: the city administration (Саратов), the regional ministry of
health and the ministry of transport. A coordinator connects the pages from Telegram with
``/page``; a citizen who writes about a street lamp to the ministry of health's page reaches the
city administration, is told so from that page and answered from it; the ministry hears of it;
``/stats`` counts the misdirected appeal. Bad tokens store nothing; a forged callback for one
page signed with another's secret is refused; 50 pages × 5 appeals in a burst leave VK without
a single "too many requests".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.core.sealing import Sealer
from bot.domain.pages import ConnectedPage
from bot.storage import repository_from_url
from routing.model import RoutingTable
from tests.app_world import (
    APPEAL,
    CITY,
    NUMBER,
    TG_ADMIN,
    free_port,
    running,
    saratov,
    saratov_built_outside_the_deadline,  # noqa: F401  (autouse: the classifier built first)
    settings_for,
)
from tests.emulators.aio import run_async
from tests.emulators.telegram import Limits, TelegramEmulator
from tests.emulators.vk import VKEmulator

COORDINATOR, VK_COORDINATOR = 9001, 9002
CODE = re.compile(r"Код приглашения: (\S+)")
HEALTH_ADMIN, TRANSPORT_ADMIN = 2101, 2102
CITIZEN = 500_600
KEY = Fernet.generate_key().decode()
CITY_PAGE, HEALTH_PAGE, TRANSPORT_PAGE = 229_100_001, 229_100_002, 229_100_003


def story(deadline: float):
    """`run_async` with a longer deadline: these stories start the whole bot and go far."""
    return lambda test: run_async(test, deadline=deadline)


def with_body_chats(table: RoutingTable, chats: dict[str, int]) -> RoutingTable:
    bodies = tuple(
        dataclasses.replace(b, telegram_chat=str(chats[b.id])) if b.id in chats else b
        for b in table.bodies
    )
    return RoutingTable(table.region, table.municipalities, table.topics, bodies)


@dataclasses.dataclass
class Region:
    tg: TelegramEmulator
    vk: VKEmulator  # the bot's own community
    pages: dict[str, VKEmulator]  # body id → its page
    chats: dict[str, int]  # body id → its Telegram group

    async def ask(self, text: str, user: int = COORDINATOR) -> str:
        """What the bot answers ``user`` in their private chat to ``text`` (all its messages)."""
        seen = len(self.tg.sent)
        self.tg.user_sends_text(user, text)
        first = await self.tg.wait_for(lambda c: c.chat_id == user and c.body, since=seen)
        await asyncio.sleep(0.3)  # the rest of a multi-message answer
        return "\n".join(c.body for c in self.tg.sent[self.tg.sent.index(first):]
                         if c.chat_id == user and c.body)


@contextlib.asynccontextmanager
async def region(tmp_path: Path, **extra: Any) -> AsyncIterator[Region]:
    shipped, _ = saratov()
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        chats = {
            CITY: tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация"),
            "min-health": tg.create_group(admin_user_id=HEALTH_ADMIN, title="Минздрав"),
            "min-transport": tg.create_group(admin_user_id=TRANSPORT_ADMIN, title="Минтранс"),
        }
        pages = {
            CITY: vk.add_community(CITY_PAGE, "Администрация города Саратова"),
            "min-health": vk.add_community(HEALTH_PAGE, "Минздрав Саратовской области",
                                           screen_name="minzdrav64"),
            "min-transport": vk.add_community(TRANSPORT_PAGE, "Минтранс Саратовской области"),
        }
        coordinators = f"tg:{COORDINATOR},vk:{VK_COORDINATOR}"
        options = {"secrets_key": KEY, "coordinators": coordinators, **extra}
        settings = settings_for(tmp_path, tg, vk, **options)
        async with running(settings, with_body_chats(shipped, chats)):
            if settings.vk_callback_confirmation is None:
                await vk.wait_for_listener()
            yield Region(tg, vk, pages, chats)


@story(40)
async def test_a_message_to_the_wrong_page_reaches_the_right_body_and_is_answered_from_it(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as r:
        # The coordinator connects the three pages; each message with a token is deleted.
        for body, name in ((CITY, CITY), ("min-health", "Министерство здрав"),
                           ("min-transport", "Министерство транс")):
            page = r.pages[body]
            seen = len(r.tg.sent)
            answer = await r.ask(f"/page {page.token} орган: {name}")
            assert f"Страница «{page.group_name}» (vk.com/club{page.group_id}) подключена" \
                in answer
            assert "Long Poll API" in answer and "Сообщение с ключом удалено" in answer
            assert any(c.method == "deleteMessage" and c.chat_id == COORDINATOR
                       for c in r.tg.sent[seen:])
        for page in r.pages.values():  # each page's long poll is up
            await page.wait_for_listener()

        # A citizen writes about a street lamp in Saratov to the ministry of health's page.
        health = r.pages["min-health"]
        await health.user_sends_text(CITIZEN, APPEAL)
        accepted = await health.wait_for_sent(lambda m: m.peer_id == CITIZEN, timeout=10)
        number = NUMBER.search(accepted.text).group()
        assert accepted.text.startswith(
            "Вы написали на страницу «Минздрав Саратовской области». Ваш вопрос решает "
            "другой орган — Администрация"
        )
        card = await r.tg.wait_for(
            lambda c: c.chat_id == r.chats[CITY] and number in (c.body or ""), timeout=10
        )
        notice = await r.tg.wait_for(lambda c: c.chat_id == r.chats["min-health"], timeout=10)
        assert notice.body.startswith(f"№ {number}: житель написал на вашу страницу "
                                      "«Минздрав Саратовской области», но вопрос не ваш")
        assert not r.tg.sent_to(r.chats["min-transport"])

        # The city administration answers the card: the citizen hears it from the same page.
        r.tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=r.chats[CITY],
                             reply_to=card.message_id, thread_id=card.thread_id)
        answer = await health.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and "Фонарь заменим" in m.text, timeout=10
        )
        assert number in answer.text
        assert not r.vk.sent_to(CITIZEN) and not r.pages[CITY].sent_to(CITIZEN)

        # The same citizen writes to the right page: no word about pages there.
        city = r.pages[CITY]
        await city.user_sends_text(CITIZEN, "В Саратове на ул. Чапаева не горит фонарь у дома 5")
        right = await city.wait_for_sent(lambda m: m.peer_id == CITIZEN, timeout=10)
        assert NUMBER.search(right.text) and "Вы написали на страницу" not in right.text

        # The statistics count the appeals per page and the misdirected ones.
        stats = await r.ask("/stats")
        assert "Страницы ВКонтакте (обращений / не по адресу):" in stats
        assert "• «Минздрав Саратовской области» — 1 / 1" in stats
        assert "• «Администрация города Саратова» — 1 / 0" in stats
        pages = await r.ask("/pages")
        assert "vk.com/club229100002) — Министерство здравоохранения Саратовской области; " \
               "работает; обращений: 1, из них не по адресу: 1" in pages

        # /forget from the page's dialogue: confirmed there, both appeals anonymised.
        await health.user_sends_text(CITIZEN, "/forget")
        ask = await health.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and m.text.startswith("Удалить ваши данные?"),
            timeout=10,
        )
        yes = next(b["action"] for row in ask.keyboard["buttons"] for b in row
                   if "Да" in b["action"].get("label", ""))
        await health.user_presses_callback_button(CITIZEN, ask.conversation_message_id,
                                                  yes.get("payload"))
        await health.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and m.text.startswith("Ваши данные удалены."),
            timeout=10,
        )
        assert not r.vk.sent_to(CITIZEN)
        assert "Вы написали на страницу" not in str(await r.ask("/stats"))


@story(30)
async def test_bad_tokens_and_strangers_store_nothing_and_are_told_why(tmp_path: Path) -> None:
    async with region(tmp_path) as r:
        health, city = r.pages["min-health"], r.pages[CITY]
        refused = "ВКонтакте не принял этот ключ"
        assert refused in await r.ask("/page vk1.a.not-a-token орган: Министерство здрав")
        assert refused in await r.ask(f"/page {r.vk.user_token()} орган: Министерство здрав")
        wrong = await r.ask(f"/page {health.token} vk.com/club{CITY_PAGE} орган: Министерство з")
        assert wrong.startswith("Этот ключ — от сообщества «Минздрав Саратовской области» "
                                f"(vk.com/club{HEALTH_PAGE}), а не от указанного.")
        assert "Это сообщество самого бота" in await r.ask(f"/page {r.vk.token} орган: {CITY}")
        # Someone who is neither a coordinator nor an administrator; the body's admin of
        # another body.
        assert "Подключать страницы могут координаторы" in await r.ask(
            f"/page {city.token} орган: {CITY}", user=777)
        assert "Подключать страницы могут координаторы" in await r.ask("/pages", user=777)
        assert "Подключённых страниц нет" in await r.ask("/pages")
        # A coordinator who names no body is asked to; an ambiguous name offers the bodies.
        assert "Укажите, чья это страница" in await r.ask(f"/page {city.token}")
        seen = len(r.tg.sent)
        choice = await r.ask(f"/page {health.token} орган: Министерство")
        assert choice.startswith("Ключ подходит к сообществу «Минздрав Саратовской области». "
                                 "Чья это страница?")
        offer = next(c for c in r.tg.sent[seen:] if c.chat_id == COORDINATOR and c.reply_markup)
        buttons = [b for row in offer.reply_markup["inline_keyboard"] for b in row]
        health_button = next(b for b in buttons if "здравоохранения" in b["text"])
        r.tg.user_presses_button(COORDINATOR, offer.message_id, health_button["callback_data"])
        connected = await r.tg.wait_for(
            lambda c: c.chat_id == COORDINATOR and "подключена к органу «Министерство "
            "здравоохранения" in (c.body or ""), since=seen, timeout=5,
        )
        assert connected is not None
        assert "«Минздрав Саратовской области»" in await r.ask("/pages")
        assert "отключена" in await r.ask(f"/unpage {HEALTH_PAGE}")
        assert "не подключена" in await r.ask("/unpage 42")


@story(30)
async def test_a_bodys_administrator_connects_their_own_page_and_a_vk_coordinator_any(
    tmp_path: Path,
) -> None:
    async with region(tmp_path) as r:
        # The ministry of health's administrator joins by an invite, in their private chat.
        code = CODE.search(await r.ask("/invite min-health")).group(1)
        assert "Министерство здравоохранения" in await r.ask(f"/start {code}", user=HEALTH_ADMIN)
        health, transport = r.pages["min-health"], r.pages["min-transport"]
        mine = await r.ask(f"/page {health.token}", user=HEALTH_ADMIN)
        assert "подключена к органу «Министерство здравоохранения Саратовской области»" in mine
        theirs = await r.ask(f"/page {transport.token} орган: min-transport", user=HEALTH_ADMIN)
        assert theirs.startswith("Вы администратор другого органа")
        assert "Минтранс" not in await r.ask("/pages", user=HEALTH_ADMIN)
        # A coordinator in VK connects the ministry of transport's page from the bot's dialogue.
        await r.vk.user_sends_text(VK_COORDINATOR, f"/page {transport.token} орган: min-transport")
        answer = await r.vk.wait_for_sent(
            lambda m: m.peer_id == VK_COORDINATOR and "подключена" in m.text, timeout=10
        )
        assert "«Минтранс Саратовской области» (vk.com/club229100003)" in answer.text
        await transport.wait_for_listener()  # its long poll started
        await transport.user_sends_text(CITIZEN, "В Саратове на ул. Чапаева не горит фонарь")
        accepted = await transport.wait_for_sent(lambda m: m.peer_id == CITIZEN, timeout=10)
        assert accepted.text.startswith("Вы написали на страницу «Минтранс Саратовской области»")


@run_async
async def test_without_secrets_key_connecting_is_refused_in_russian(tmp_path: Path) -> None:
    async with region(tmp_path, secrets_key=None) as r:
        answer = await r.ask(f"/page {r.pages[CITY].token} орган: Администрация")
        assert answer.startswith("Подключать страницы пока нельзя: в настройках бота не задан "
                                 "ключ шифрования SECRETS_KEY")


def callback_extra(port: int) -> dict[str, Any]:
    return {"vk_callback_confirmation": "main-confirm", "vk_callback_secret": "main-secret",
            "webhook_host": "127.0.0.1", "webhook_port": port}


@story(30)
async def test_one_callback_endpoint_serves_every_page_with_its_own_secret(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/vk/callback"
    async with region(tmp_path, **callback_extra(port)) as r:
        city, health = r.pages[CITY], r.pages["min-health"]
        usage = await r.ask(f"/page {city.token} орган: Администрация")
        assert "строку подтверждения и секретный ключ" in usage
        connecting = ((city, "c0ffee01", "city-secret", CITY),
                      (health, "c0ffee02", "health-secret", "Министерство з"))
        for page, confirm, secret, name in connecting:
            answer = await r.ask(f"/page {page.token} {confirm} {secret} орган: {name}")
            assert "подключена" in answer and "/vk/callback" in answer
        city_server = city.callback_server(url, "city-secret")
        assert await city_server.confirm() == "c0ffee01"
        assert await health.callback_server(url, "health-secret").confirm() == "c0ffee02"

        # A forged event for the city's page, signed with the ministry's secret: refused.
        await city.user_sends_text(CITIZEN, APPEAL)
        assert await city_server.deliver(secret="health-secret") == [(403, "wrong secret")]
        assert await city_server.deliver(secret="main-secret") == [(403, "wrong secret")]
        assert not city.sent_to(CITIZEN)
        # The real one goes through and is answered from the city's page.
        assert await city_server.deliver() == [(200, "ok")]
        accepted = await city.wait_for_sent(lambda m: m.peer_id == CITIZEN, timeout=10)
        assert NUMBER.search(accepted.text)
        # A community that is not connected is not taken.
        stranger = r.pages["min-transport"]
        assert await stranger.callback_server(url, "x").confirm() == "HTTP 403"


async def _fifty_pages_in_a_burst(tmp_path: Path, comments: bool = False) -> None:
    """50 pages × 5 citizens each, all at once through the Callback endpoint: every citizen is
    answered from their page (``comments``: under their comment on its wall), and VK never
    says "too many requests" (6) or "flood" (9)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/vk/callback"
    shipped, _ = saratov()
    sealer = Sealer(KEY)
    async with TelegramEmulator(limits=Limits(enabled=False)) as tg, VKEmulator() as vk:
        chats = {CITY: tg.create_forum_group(admin_user_id=TG_ADMIN, title="Администрация")}
        pages = [vk.add_community(229_200_000 + i, f"Страница {i}") for i in range(50)]
        settings = settings_for(tmp_path, tg, vk, secrets_key=KEY, **callback_extra(port))
        # Connected beforehand (as /page would have stored them): sealed, the city's.
        repo = repository_from_url(settings.database_url)
        await repo.open()
        async with repo.transaction() as tx:
            for page in pages:
                await tx.pages.save(ConnectedPage(
                    page.group_id, CITY, page.group_name, sealer.seal(page.token),
                    f"confirm{page.group_id}", sealer.seal(f"secret{page.group_id}"),
                    f"tg:{COORDINATOR}", tg_now(),
                ))
        await repo.close()
        async with running(settings, with_body_chats(shipped, chats)):
            servers = [p.callback_server(url, f"secret{p.group_id}") for p in pages]
            citizens = {p.group_id: [10_000 + 10 * i + c for c in range(5)]
                        for i, p in enumerate(pages)}  # 250 people, 5 to a page
            for page in pages:
                post = page.add_post()
                for citizen in citizens[page.group_id]:
                    if comments:
                        await page.user_comments(citizen, post, APPEAL)
                    else:
                        await page.user_sends_text(citizen, APPEAL)
            results = await asyncio.gather(*(s.deliver() for s in servers))
            assert all(len(r) >= 5 and set(r) == {(200, "ok")} for r in results)

            def answered(page: VKEmulator) -> list[tuple[int, str]]:
                """(citizen, text) of each answer the page gave: replies or messages."""
                if not comments:
                    return [(m.peer_id, m.text) for m in page.sent]
                return [(page.comments[c.reply_to_comment].from_id, c.text)
                        for c in page.community_comments()]

            while not all(len(answered(p)) >= 5 for p in pages):
                await asyncio.sleep(0.5)  # the test's deadline bounds the wait
            for page in pages:
                assert sorted(who for who, _ in answered(page)) == citizens[page.group_id]
                assert all(NUMBER.search(text) for _, text in answered(page))
            assert vk.errors_everywhere(6) == 0 and vk.errors_everywhere(9) == 0
            assert not vk.sent and not vk.community_comments()  # nothing from the bot's own


def tg_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


test_fifty_pages_times_five_appeals_in_a_burst_make_no_limit_violation = run_async(
    _fifty_pages_in_a_burst, deadline=110
)


@functools.partial(run_async, deadline=110)
async def test_fifty_pages_times_five_comments_in_a_burst_make_no_limit_violation(
    tmp_path: Path,
) -> None:
    await _fifty_pages_in_a_burst(tmp_path, comments=True)


@story(40)
async def test_a_complaint_under_a_connected_pages_post_is_answered_there_and_from_that_page(
    tmp_path: Path,
) -> None:
    """Comments under posts (issue 18) on a page connected by /page, not only the bot's own
    community: the public reply and the administrator's answer appear under the comment,
    written by that page, and the private copy comes from the same page."""
    async with region(tmp_path) as r:
        health = r.pages["min-health"]
        answer = await r.ask(f"/page {health.token} орган: Министерство здрав")
        assert "подключена" in answer
        await health.wait_for_listener()
        post = health.add_post("Минздрав: график работы поликлиник")
        await health.user_allows_messages(CITIZEN)

        comment = await health.user_comments(CITIZEN, post, APPEAL)
        public = await health.wait_for(lambda: health.replies_to(comment.id), timeout=10)
        number = NUMBER.search(public[0].text).group()
        assert "Администрация" in public[0].text  # where it went, said on the page's wall
        assert not r.vk.community_comments()  # the bot's own community wrote nothing
        card = await r.tg.wait_for(
            lambda c: c.chat_id == r.chats[CITY] and number in (c.body or ""), timeout=10
        )

        r.tg.user_sends_text(TG_ADMIN, "Фонарь заменим до пятницы.", chat_id=r.chats[CITY],
                             reply_to=card.message_id, thread_id=card.thread_id)
        await health.wait_for(
            lambda: any("Фонарь заменим" in c.text for c in health.replies_to(comment.id)),
            timeout=10,
        )
        privately = await health.wait_for_sent(
            lambda m: m.peer_id == CITIZEN and "Фонарь заменим" in m.text, timeout=10
        )
        assert number in privately.text
        assert not r.vk.sent_to(CITIZEN)
