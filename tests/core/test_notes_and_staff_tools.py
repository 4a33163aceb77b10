"""Issue 16, staff side: internal notes never reach the citizen, ``/ticket`` shows a ticket to
whoever may see it, ``/staff`` lists and revokes bindings, reply templates are sent as answers.
Every flow runs on SQLite and PostgreSQL (the ``world`` fixture)."""

from __future__ import annotations

import dataclasses
import json

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID, make_table
from test_staff import ADMIN, FORUM, OTHER_ADMIN, STRANGER, bind, said

from bot.domain import texts
from bot.domain.messages import IncomingMessage
from bot.domain.wire import Action, Payload
from routing.model import ReplyTemplate


async def card_id(world, chat: int, number: str) -> int:
    rows = [
        r["platform_message_id"] for r in await world.outbox_rows("sent")
        if r["chat_id"] == chat and r["idempotency_key"].startswith(f"{number}:body:")
    ]
    return rows[-1]


def write(chat: int, user: int, message_id: int, text: str, **extra) -> IncomingMessage:
    return IncomingMessage("tg", chat, user, message_id, text, **extra)


async def appeal(world) -> str:
    number = (await world.core.handle(world.citizen("яма на Московской, дом 5"))).number
    await world.flush()
    return number


async def test_a_note_is_stored_once_acknowledged_and_never_reaches_the_citizen(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    number = await appeal(world)
    card = await card_id(world, ADMIN, number)
    before = len(said(world, CITIZEN_TG))

    note = write(ADMIN, ADMIN, 501, "/note Вася, глянь: это у школы", reply_to=card)
    assert (await world.core.handle(note)).kind == "note"
    assert (await world.core.handle(note)).kind == "duplicate"  # a redelivery
    await world.flush()
    assert said(world, ADMIN)[-1] == texts.NOTE_SAVED.format(number=number)
    assert len(said(world, CITIZEN_TG)) == before
    # A plain reply to the card is still the answer.
    answer = write(ADMIN, ADMIN, 502, "Заделаем до пятницы.", reply_to=card)
    assert (await world.core.handle(answer)).kind == "answer"
    await world.flush()
    to_citizen = "\n".join(said(world, CITIZEN_TG))
    assert "Заделаем до пятницы." in to_citizen and "глянь" not in to_citizen

    # Nothing a citizen can open shows the note: the history button, /my, the export.
    history = await world.core.handle(
        world.citizen("", payload=Payload(Action.HISTORY, number).pack())
    )
    assert history.kind == "history"
    await world.core.handle(world.citizen("/my", command="my"))
    await world.flush()
    assert not any("глянь" in t for t in said(world, CITIZEN_TG))
    exported = await world.core.export_citizen("tg", CITIZEN_TG)
    assert "глянь" not in json.dumps(exported, ensure_ascii=False)
    # Staff see it in /ticket, with who wrote it.
    await world.core.handle(write(ADMIN, ADMIN, 503, f"/ticket {number}"))
    await world.flush()
    shown = said(world, ADMIN)[-1]
    assert "📝 заметка (Администрация города Саратова, tg 3003): Вася, глянь" in shown
    assert "ответ заявителю: Заделаем до пятницы." in shown
    assert "взято" not in shown and "История:" in shown


async def test_in_a_forum_topic_only_a_reply_to_the_card_or_answer_goes_out(world):
    await world.start()
    await bind(world, "city", FORUM, ADMIN, forum=True)
    number = await appeal(world)
    async with world.repo.transaction() as tx:
        await tx.staff.set_forum_thread("tg", FORUM, number, 55, world.clock.now())
    card = await card_id(world, FORUM, number)
    (card_text,) = [m.text for m in world.tg.sent if m.chat_id == FORUM and number in m.text]
    assert texts.ANSWER_HINT_FORUM.strip() in card_text

    chatter = write(FORUM, OTHER_ADMIN, 601, "Вася, глянь", reply_to=55, thread_id=55)
    assert (await world.core.handle(chatter)).kind == "note"
    again = write(FORUM, ADMIN, 602, "Гляну после обеда", reply_to=601, thread_id=55)
    assert (await world.core.handle(again)).kind == "note"
    await world.flush()
    hints = [m for m in world.tg.sent if m.chat_id == FORUM and m.text.startswith("📝")]
    assert len(hints) == 1 and hints[0].topic_key == number  # once, in the topic
    explicit = write(FORUM, ADMIN, 603, "/answer Бригада выехала.", reply_to=55, thread_id=55)
    assert (await world.core.handle(explicit)).kind == "answer"
    reply = write(FORUM, ADMIN, 604, "Яму заделали.", reply_to=card, thread_id=55)
    assert (await world.core.handle(reply)).kind == "answer"
    await world.flush()
    to_citizen = "\n".join(said(world, CITIZEN_TG))
    assert "Бригада выехала." in to_citizen and "/answer" not in to_citizen
    assert "Яму заделали." in to_citizen
    assert "глянь" not in to_citizen and "после обеда" not in to_citizen


async def test_note_commands_need_the_card_and_notes_are_blanked_by_forget(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    number = await appeal(world)
    card = await card_id(world, ADMIN, number)
    assert (await world.core.handle(write(ADMIN, ADMIN, 701, "/note без карточки"))).kind == (
        "ignored"
    )
    await world.flush()
    assert said(world, ADMIN)[-1] == texts.NOTE_NEEDS_TICKET.format(command="/note")
    await world.core.handle(write(ADMIN, ADMIN, 702, "/note звонила, дом 5", reply_to=card))
    await world.core.forget_citizen("tg", CITIZEN_TG)
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        (note,) = await tx.tickets.notes(ticket.id)
    assert note.text == texts.ANONYMISED and note.author == "body:city:tg:3003"


async def test_ticket_lookup_is_refused_alike_for_strangers_and_unknown_numbers(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "transport", OTHER_ADMIN, OTHER_ADMIN)
    number = await appeal(world)
    # The coordinator: any ticket, by a bare number too.
    await world.core.handle(write(COORDINATOR_ID, COORDINATOR_ID, 801, number))
    # Another body's administrator: the same refusal as for a number that does not exist.
    await world.core.handle(write(OTHER_ADMIN, OTHER_ADMIN, 802, f"/ticket {number}"))
    await world.core.handle(write(OTHER_ADMIN, OTHER_ADMIN, 803, "/ticket 26-999999"))
    await world.flush()
    assert said(world, COORDINATOR_ID)[-1].startswith(f"Обращение № {number} — ")
    refused, unknown = said(world, OTHER_ADMIN)[-2:]
    assert refused == texts.TICKET_REFUSED.format(number=number)
    assert unknown == texts.TICKET_REFUSED.format(number="26-999999")
    # A citizen: /ticket is refused; a bare number stays what it always was (an appeal here).
    assert (await world.core.handle(write(STRANGER, STRANGER, 804, f"/ticket {number}"))).kind == (
        "ignored"
    )
    bare = await world.core.handle(write(STRANGER, STRANGER, 805, number))
    assert bare.kind != "shown"
    await world.flush()
    assert said(world, STRANGER)[0] == texts.TICKET_ONLY_STAFF
    assert not any("История:" in t for t in said(world, STRANGER))
    # After «Не наше» the city still sees the ticket that was with it.
    await world.core.redirect(number, by="city")
    await world.core.handle(write(ADMIN, ADMIN, 806, number))
    await world.flush()
    shown = said(world, ADMIN)[-1]
    assert "«Не наше» — передано: Министерство транспорта" in shown
    rows = [r for r in await world.outbox_rows("sent") if r["chat_id"] == ADMIN]
    assert "История:" not in rows[-1]["payload"]  # a copy of stored data is not kept


async def test_staff_lists_bindings_and_a_coordinator_revokes_one(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    await bind(world, "city", FORUM, OTHER_ADMIN, forum=True)
    # An administrator sees their own body, without buttons.
    await world.core.handle(write(ADMIN, ADMIN, 901, "/staff"))
    await world.flush()
    own = [m for m in world.tg.sent if m.chat_id == ADMIN][-1]
    assert "Кто подключён к органу «Администрация города Саратова»" in own.text
    assert f"Telegram, чат {CITY_CHAT} — из таблицы" in own.text
    assert "1. Telegram, личный чат 3003" in own.text and "2. Telegram, группа с темами" in own.text
    assert not own.buttons
    # A stranger may not look.
    await world.core.handle(write(STRANGER, STRANGER, 902, "/staff city"))
    # The coordinator sees buttons and revokes the private chat.
    await world.core.handle(write(COORDINATOR_ID, COORDINATOR_ID, 903, "/staff Администрация"))
    await world.flush()
    assert said(world, STRANGER)[-1] == texts.STAFF_LIST_NOT_ALLOWED
    listing = [m for m in world.tg.sent if m.chat_id == COORDINATOR_ID][-1]
    revoke_first = listing.buttons[0][0]
    assert revoke_first.text == "Отозвать 1"
    by_admin = IncomingMessage("tg", ADMIN, ADMIN, 5, payload=revoke_first.payload)
    assert (await world.core.handle(by_admin)).notice == texts.ONLY_COORDINATORS
    press = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 60,
                            payload=revoke_first.payload)
    assert (await world.core.handle(press)).kind == "shown"
    await world.flush()
    confirm = [m for m in world.tg.sent if m.chat_id == COORDINATOR_ID][-1]
    assert "Отозвать подключение 1" in confirm.text
    yes = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 61,
                          payload=confirm.buttons[0][0].payload)
    revoked = await world.core.handle(yes)
    assert revoked.kind == "revoked" and revoked.notice == texts.STAFF_REVOKED_NOTICE
    assert (await world.core.handle(yes)).notice == texts.STAFF_REVOKE_GONE
    await world.flush()
    assert said(world, ADMIN)[-1].startswith("Координатор отключил этот чат")
    # From now on the private chat gets no card; the forum still does.
    before = len(said(world, ADMIN))
    number = await appeal(world)
    assert len(said(world, ADMIN)) == before
    assert any(number in t for t in said(world, FORUM))
    async with world.repo.transaction() as tx:
        audit = await tx.sql.all("SELECT kind, actor, chat_id, body FROM staff_audit")
    assert [tuple(r) for r in audit] == [("revoked", f"coordinator:tg:{COORDINATOR_ID}", ADMIN,
                                          "city")]


async def test_a_reply_template_is_sent_as_the_answer_once(world):
    world.table = dataclasses.replace(make_table(), templates=(
        ReplyTemplate("done", "Яма заделана", "Яму заделали, спасибо за обращение.", "city"),
        ReplyTemplate("wait", "Передано подрядчику", "Передали подрядчику."),
    ))
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    number = await appeal(world)
    card = [m for m in world.tg.sent if m.chat_id == ADMIN and number in m.text][-1]
    assert card.buttons[-1][0].text == texts.TEMPLATES_BUTTON

    def tap(button, message_id: int, user: int = ADMIN) -> IncomingMessage:
        return IncomingMessage("tg", ADMIN, user, message_id, payload=button.payload)

    assert (await world.core.handle(tap(card.buttons[-1][0], 1))).kind == "shown"
    await world.flush()
    listing = [m for m in world.tg.sent if m.chat_id == ADMIN][-1]
    assert [row[0].text for row in listing.buttons] == ["Яма заделана", "Передано подрядчику"]
    await world.core.handle(tap(listing.buttons[0][0], 2))
    await world.flush()
    preview = [m for m in world.tg.sent if m.chat_id == ADMIN][-1]
    assert "Яму заделали, спасибо за обращение." in preview.text
    assert [b.text for b in preview.buttons[0]] == ["Отправить гражданину", "Отмена"]
    cancel = await world.core.handle(tap(preview.buttons[0][1], 3))
    assert cancel.notice == texts.TEMPLATE_CANCELLED
    stranger = await world.core.handle(
        IncomingMessage("tg", STRANGER, STRANGER, 3, payload=preview.buttons[0][0].payload)
    )
    assert stranger.notice == texts.STAFF_NOT_ALLOWED
    sent = await world.core.handle(tap(preview.buttons[0][0], 3))
    assert (sent.kind, sent.notice) == ("answer", texts.TEMPLATE_SENT)
    assert (await world.core.handle(tap(preview.buttons[0][0], 3))).kind == "duplicate"
    await world.flush()
    answers = [t for t in said(world, CITIZEN_TG) if "Яму заделали, спасибо" in t]
    assert len(answers) == 1 and "Администрация города Саратова" in answers[0]


async def test_retention_blanks_the_notes_of_an_ended_ticket(world):
    await world.start()
    await bind(world, "city", ADMIN, ADMIN)
    number = await appeal(world)
    card = await card_id(world, ADMIN, number)
    await world.core.handle(write(ADMIN, ADMIN, 751, "/note Иванов, дом 5", reply_to=card))
    await world.core.close(number)
    world.clock.advance(days=1096)
    assert await world.core.anonymise_expired() == 1
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        assert [n.text for n in await tx.tickets.notes(ticket.id)] == [texts.ANONYMISED]
