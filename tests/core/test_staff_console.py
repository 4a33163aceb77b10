"""Staff from the console, on the core alone and on both storage backends: the lists a
coordinator and a body's administrator see, revoking through the chat's path (audited, the
chat told, no more cards), and invites that redeem like ``/invite``'s."""

from __future__ import annotations

import pytest
from core_world import CITY_CHAT, COORDINATOR_ID, START, TRANSPORT_PEER
from test_staff import ADMIN, FORUM, OTHER_ADMIN, STRANGER, bind, said

from bot.domain import texts
from bot.domain.staff import INVITE_TTL
from bot.domain.viewer import NotAllowed, Viewer

COORDINATOR = Viewer("tg", COORDINATOR_ID)


async def test_a_coordinator_sees_every_body_with_its_chats(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "city", FORUM, OTHER_ADMIN, forum=True)
    listing = world.core.console_staff(COORDINATOR)
    assert [b.body_id for b in listing] == ["city", "transport", "health"]
    city, transport, health = listing
    assert [(e.channel, e.chat_id, e.where, e.user_id, e.from_table) for e in city.entries] == [
        ("tg", CITY_CHAT, "Telegram, группа", None, True),
        ("tg", ADMIN, "Telegram, личный чат", ADMIN, False),
        ("tg", FORUM, "Telegram, группа с темами", OTHER_ADMIN, False),
    ]
    assert city.entries[1].since == START and city.entries[1].token  # bound before flushing
    assert [(e.chat_id, e.where) for e in transport.entries] == [
        (TRANSPORT_PEER, "ВКонтакте, группа"),
    ]
    assert health.entries == () and health.body_name == "Министерство здравоохранения"
    (only,) = world.core.console_staff(COORDINATOR, "transport")
    assert only.body_id == "transport"


async def test_an_administrator_sees_only_their_body_and_a_stranger_nothing(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    admin = Viewer("tg", ADMIN)
    assert [b.body_id for b in world.core.console_staff(admin)] == ["city"]
    with pytest.raises(NotAllowed) as other:
        world.core.console_staff(admin, "health")
    assert str(other.value) == texts.CONSOLE_STAFF_OTHER_BODY
    with pytest.raises(NotAllowed) as stranger:
        world.core.console_staff(Viewer("tg", STRANGER))
    assert str(stranger.value) == texts.CONSOLE_STAFF_NOT_ALLOWED
    with pytest.raises(NotAllowed):
        await world.core.console_revoke(admin, world.core.console_staff(admin)[0].entries[1].token)
    with pytest.raises(NotAllowed):
        await world.core.console_invite(admin, "city")


async def test_a_coordinator_revokes_through_the_chat_path(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "city", FORUM, OTHER_ADMIN, forum=True)
    (city,) = world.core.console_staff(COORDINATOR, "city")
    token = city.entries[1].token
    revoked = await world.core.console_revoke(COORDINATOR, token)
    assert revoked.kind == "revoked" and revoked.notice == texts.STAFF_REVOKED_NOTICE
    again = await world.core.console_revoke(COORDINATOR, token)
    assert again.notice == texts.STAFF_REVOKE_GONE
    await world.flush()
    assert said(world, ADMIN)[-1].startswith("Координатор отключил этот чат")
    (city,) = world.core.console_staff(COORDINATOR, "city")
    assert [e.chat_id for e in city.entries] == [CITY_CHAT, FORUM]
    # The administrator has lost the list with the binding.
    with pytest.raises(NotAllowed):
        world.core.console_staff(Viewer("tg", ADMIN))
    before = len(said(world, ADMIN))
    number = (await world.core.handle(world.citizen("яма во дворе"))).number
    await world.flush()
    assert len(said(world, ADMIN)) == before
    assert any(number in t for t in said(world, FORUM))
    async with world.repo.transaction() as tx:
        audit = await tx.sql.all("SELECT kind, actor, chat_id, body FROM staff_audit")
    assert [tuple(r) for r in audit] == [
        ("revoked", f"coordinator:tg:{COORDINATOR_ID}", ADMIN, "city"),
    ]


async def test_an_invite_from_the_console_redeems_like_the_chat_s(world):
    await world.start()
    made = await world.core.console_invite(COORDINATOR, "health", links=lambda t: f"LINK {t}\n")
    assert made.invite.body == "health"
    assert made.invite.expires_at == world.clock.now() + INVITE_TTL
    assert f"LINK {made.invite.token}" in made.text and made.invite.token in made.text
    assert "Министерство здравоохранения" in made.text
    outcome = await world.core.redeem("vk", 4242, 4242, made.invite.token, forum=False,
                                      name="Ольга")
    assert outcome.kind == "bound"
    await world.flush()
    # The coordinator who made it in the console is told in their chat with the bot.
    assert "Ольга" in said(world, COORDINATOR_ID)[-1]
    (health,) = world.core.console_staff(COORDINATOR, "health")
    assert [(e.channel, e.chat_id, e.where) for e in health.entries] == [
        ("vk", 4242, "ВКонтакте, личный чат"),
    ]
    with pytest.raises(LookupError, match="пожарные"):
        await world.core.console_invite(COORDINATOR, "пожарные")
