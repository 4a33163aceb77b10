"""A body's chat the bot cannot write to: marked, the coordinators told at once, the body's
cards to the coordinators meanwhile, and the undelivered cards sent again when it is back."""

from __future__ import annotations

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID

from bot.delivery.transport import RecipientUnreachable
from bot.domain.messages import IncomingMessage

CITY = "Администрация города Саратова"


async def started(world):
    return await world.start(on_unreachable=lambda row: world.core.delivery_refused(row))


def refuse(transport, chats: set[int], error: str) -> None:
    """From now on ``transport`` refuses every send to a chat in ``chats`` (a test empties
    the set when the bot is back there)."""
    send = transport.send

    async def refusing(message):
        if message.chat_id in chats:
            transport.calls.append(message)
            raise RecipientUnreachable(error)
        return await send(message)

    transport.send = refusing


async def unreachable(world) -> dict:
    async with world.repo.transaction() as tx:
        return await tx.staff.unreachable_chats()


def coordinator_texts(world) -> list[str]:
    return world.tg.texts(COORDINATOR_ID)


async def test_a_refused_card_marks_the_chat_and_the_coordinators_get_the_card(world, clock):
    await started(world)
    kicked = {CITY_CHAT}
    refuse(world.tg, kicked, "Forbidden: bot was kicked from the supergroup chat")
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    assert list(await unreachable(world)) == [("tg", CITY_CHAT)]
    told = coordinator_texts(world)
    assert told[0] == (
        f"Бот не может писать в чат органа «{CITY}» (группа Telegram): бота удалили из чата "
        "или заблокировали. Пока у органа нет доступного чата, карточки его обращений приходят "
        "вам. Когда бота вернут в чат, открытые обращения будут отправлены туда снова."
    )
    assert told[1].startswith(f"Обращение № {number} направлено органу «{CITY}», но бот не "
                              "может писать в его чат")
    assert "яма" in told[1]

    # The next appeal to the body goes to the coordinators straight away, nothing to the chat.
    second = (await world.core.handle(world.citizen("яма у дома 5"))).number
    await world.flush()
    assert any(t.startswith(f"Обращение № {second} направлено органу") for t in
               coordinator_texts(world))
    assert world.tg.texts(CITY_CHAT) == []
    # A second refusal (a row queued before the mark) tells nobody again.
    assert sum("Бот не может писать" in t for t in coordinator_texts(world)) == 1

    # The bot is back in the group: both cards go there, the coordinators are told.
    kicked.clear()
    assert await world.core.access_changed("tg", CITY_CHAT, allowed=True) == 2
    await world.flush()
    cards = world.tg.texts(CITY_CHAT)
    assert [c.split("\n")[0] for c in cards] == [f"Обращение № {number}",
                                                 f"Обращение № {second}"]
    assert coordinator_texts(world)[-1] == (
        f"Чат органа «{CITY}» (группа Telegram) снова доступен. Карточки открытых обращений "
        "отправлены туда: 2."
    )
    assert await unreachable(world) == {}
    # Pressing again changes nothing.
    assert await world.core.access_changed("tg", CITY_CHAT, allowed=True) == 0


async def test_removed_then_back_resends_only_what_the_chat_lacks(world, clock):
    await started(world)
    delivered = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    assert len(world.tg.texts(CITY_CHAT)) == 1

    # Telegram says the bot was removed (my_chat_member): the coordinators get the open card.
    await world.core.access_changed("tg", CITY_CHAT, allowed=False)
    await world.core.access_changed("tg", CITY_CHAT, allowed=False)  # said twice: told once
    await world.flush()
    assert sum("Бот не может писать" in t for t in coordinator_texts(world)) == 1
    assert coordinator_texts(world)[-1].startswith(f"Обращение № {delivered} направлено органу")
    missed = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()

    await world.core.access_changed("tg", CITY_CHAT, allowed=True)
    await world.flush()
    cards = world.tg.texts(CITY_CHAT)
    assert len(cards) == 2 and cards[-1].startswith(f"Обращение № {missed}\n")
    assert coordinator_texts(world)[-1].endswith("отправлены туда: 1.")
    assert "card_resent" in await world.events(missed)


async def test_a_message_from_a_marked_chat_means_it_is_back(world, clock):
    await started(world)
    await world.core.access_changed("tg", CITY_CHAT, allowed=False)
    assert ("tg", CITY_CHAT) in world.core.staff.unreachable
    await world.core.handle(world.citizen("Коллеги, бот снова с нами", chat=CITY_CHAT))
    assert await unreachable(world) == {}
    assert world.core.staff.chats_of("city") == [("tg", CITY_CHAT)]


async def test_the_mark_survives_a_restart(file_world, clock):
    world = await started(file_world)
    await world.core.access_changed("tg", CITY_CHAT, allowed=False)
    await world.stop()
    await started(world)
    await world.core.load_staff()
    assert world.core.staff.chats_of("city") == []
    assert world.core.staff.all_chats_of("city") == [("tg", CITY_CHAT)]


async def test_a_citizens_chat_is_not_a_body_chat(world, clock):
    """Telegram: a citizen blocked the bot and unblocked it. Blocking marks nothing; the
    message refused meanwhile is queued again on unblocking."""
    await started(world)
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.core.access_changed("tg", CITIZEN_TG, allowed=False)
    assert await unreachable(world) == {}
    blocked = {CITIZEN_TG}
    refuse(world.tg, blocked, "Forbidden: bot was blocked by the user")
    await world.flush()
    blocked.clear()
    assert any("заблокировал бота" in t and number in t for t in world.tg.texts(CITY_CHAT))
    assert await world.core.access_changed("tg", CITIZEN_TG, allowed=True) == 1
    await world.flush()
    assert any(number in t and "принято" in t for t in world.tg.texts(CITIZEN_TG))


async def test_a_bound_chat_shows_the_mark_on_its_bindings(world, clock):
    """A chat bound by invite: every binding in it carries ``unreachable_since``, in the
    database and in the desk's list (what a list of bindings shows)."""
    from bot.domain.records import StaffBinding

    await started(world)
    group = -2002
    async with world.repo.transaction() as tx:
        await tx.staff.add_binding(StaffBinding("tg", group, 7, "transport"), clock.now())
    await world.core.load_staff()
    await world.core.access_changed("tg", group, allowed=False)
    assert [b.unreachable_since for b in world.core.desk.bindings] == [clock.now()]
    async with world.repo.transaction() as tx:
        assert [b.unreachable_since for b in await tx.staff.bindings()] == [clock.now()]
    await world.flush()
    assert "«Министерство транспорта» (группа Telegram)" in world.tg.texts(COORDINATOR_ID)[0]
    # /staff shows the coordinator which chat is cut off, and since when.
    world.message_ids += 1
    await world.core.handle(IncomingMessage(
        "tg", COORDINATOR_ID, COORDINATOR_ID, world.message_ids, "/staff transport"
    ))
    await world.flush()
    listing = world.tg.texts(COORDINATOR_ID)[-1]
    assert f"{group} — подключил(а) tg 7" in listing
    assert "⚠️ бот не может сюда писать с 04.03.2026" in listing

    await world.core.access_changed("tg", group, allowed=True)
    assert [b.unreachable_since for b in world.core.desk.bindings] == [None]
