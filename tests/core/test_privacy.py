"""A citizen's data: export everything, anonymise on request; logs never carry personal data."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from core_world import CITIZEN_TG, CITY_CHAT

from bot.domain.messages import Attachment, Location


def mentions(dump: str, value: object) -> bool:
    """Whether ``value`` stands in ``dump`` as a whole number or word, not as digits inside a
    longer token: the outbox key of the "data deleted" notice ends in 16 random hex digits,
    which contained "555" (the citizen's id) in about one run in 300."""
    whole = rf"(?<![0-9A-Za-z]){re.escape(str(value))}(?![0-9A-Za-z])"
    return re.search(whole, dump) is not None


async def test_export_contains_every_ticket_with_messages_and_history(world):
    await world.start()
    first = await world.core.handle(
        world.citizen(
            "яма у дома 5",
            location=Location(51.5, 46.0),
            attachments=(Attachment("photo", "AgAD1"),),
        )
    )
    await world.core.handle(world.citizen("больница"))
    await world.core.handle(world.citizen("яма", channel="tg", chat=999))  # someone else
    await world.flush()
    async with world.repo.transaction() as tx:
        row = await tx.sql.one(
            "SELECT platform_message_id FROM outbox WHERE chat_id = ?", (CITIZEN_TG,)
        )
    await world.core.handle(world.citizen("ещё фото", reply_to=row[0]))

    data = await world.core.export_citizen("tg", CITIZEN_TG)
    text = json.dumps(data, ensure_ascii=False)  # must be plain JSON
    assert [t["number"] for t in data["tickets"]] == [first.number, "26-000002"]
    one = data["tickets"][0]
    assert one["text"] == "яма у дома 5" and one["location"] == [51.5, 46.0]
    assert one["attachments"] == [["photo", "AgAD1"]]
    assert [m["text"] for m in one["messages"]] == ["ещё фото"]
    assert [e["kind"] for e in one["events"]][:3] == ["created", "classified", "routed"]
    assert "26-000003" not in text


async def test_forget_removes_text_and_ids_but_keeps_the_audit(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5, звоните 89991234567"))).number
    # Leaves a training example with the text, and a reason that quotes the citizen.
    await world.core.redirect(number, by="city", reason="звонили на 89991234567")
    assert await world.core.forget_citizen("tg", CITIZEN_TG) == 1

    ticket = await world.ticket(number)
    assert ticket.chat_id is None and ticket.user_id is None and ticket.source_message_id is None
    assert "8999" not in ticket.text and ticket.anonymised_at is not None
    assert ticket.body == "transport"  # the route stays for statistics
    events = await world.events(number)
    assert events[:3] == ["created", "classified", "routed"] and events[-1] == "anonymised"
    assert await world.core.export_training_examples(only_labelled=False) == []
    # Nothing queued is sent any more: not to the citizen, not the text to a body; only the
    # confirmation that the data is gone.
    await world.flush()
    assert world.vk.sent == []
    assert [(m.chat_id, m.text) for m in world.tg.sent] == [
        (CITIZEN_TG, "Ваши данные удалены. Номера обращений сохранены без текста и контактов.")
    ]
    # And after it went, no trace of the person in the outbox or the audit log.
    async with world.repo.transaction() as tx:
        dump = json.dumps(
            [dict(r) for r in await tx.sql.all("SELECT * FROM outbox")], ensure_ascii=False
        )
        events_dump = json.dumps(await tx.tickets.events(ticket.id), ensure_ascii=False)
    assert not mentions(dump, "89991234567") and not mentions(dump, CITIZEN_TG)
    assert "8999" not in events_dump
    assert (await world.core.export_citizen("tg", CITIZEN_TG))["tickets"] == []


async def test_forget_also_blanks_messages_outside_tickets(world):
    await world.start()
    await world.core.handle(world.citizen("   "))  # "write it as text": no ticket
    await world.flush()
    await world.core.forget_citizen("tg", CITIZEN_TG)
    await world.flush()
    async with world.repo.transaction() as tx:
        rows = await tx.sql.all("SELECT chat_id, payload FROM outbox")
    assert [r["chat_id"] for r in rows] == [None, None]
    assert all("Напишите" not in r["payload"] for r in rows)


async def test_forgotten_words_are_not_left_in_the_database_file(file_world):
    """Read back from the file itself, not through SQL: a citizen who asked to be forgotten is
    not in the database file once the bot has closed it (``secure_delete`` is on: freed space
    is zeroed, see tests/core/test_storage.py)."""
    world = await file_world.start()
    words = "Пржевальского 17, кв. 4, звоните 89991234567"
    await world.core.handle(world.citizen("не горит фонарь у школы", chat=7001))
    await world.core.handle(world.citizen(f"яма у дома, {words}"))
    await world.core.handle(world.citizen("мусор не вывозят", chat=7002))  # same pages
    await world.flush()  # the cards with the texts went to the body
    async with world.repo.transaction() as tx:
        assert (await tx.sql.one("PRAGMA secure_delete"))[0] == 1
    assert await world.core.forget_citizen("tg", CITIZEN_TG) == 1
    await world.flush()
    await world.stop()  # the last connection checkpoints the WAL into the file

    stored = b"".join(
        path.read_bytes() for path in Path(world.path).parent.glob("bot.sqlite3*")
    )
    for part in ("Пржевальского", "89991234567"):
        assert part.encode() not in stored, part


async def test_logs_carry_ticket_numbers_not_people(world, caplog):
    caplog.set_level(logging.DEBUG)
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома Иванова, тел 89991234567"))).number
    await world.flush()
    await world.core.redirect(number, by="city")
    await world.core.forget_citizen("tg", CITIZEN_TG)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert number in logged
    for secret in ("Иванова", "8999", str(CITIZEN_TG), str(CITY_CHAT)):
        assert secret not in logged
