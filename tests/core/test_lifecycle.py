"""After intake: "не наше", answers from bodies, citizens' follow-ups, closing."""

from __future__ import annotations

import pytest
from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID, TRANSPORT_PEER

from bot.domain.messages import IncomingMessage
from bot.domain.prompts import Asked, Choice
from bot.domain.states import InvalidTransition, TicketState
from bot.domain.wire import Payload


def staff(channel, chat, message_id, text="", **extra) -> IncomingMessage:
    return IncomingMessage(channel, chat, 1, message_id, text, **extra)


async def sent_to(world, chat):
    return [m for m in world.tg.sent + world.vk.sent if m.chat_id == chat]


async def platform_id(world, purpose, chat):
    for row in await world.outbox_rows("sent"):
        if row["purpose"] == purpose and row["chat_id"] == chat:
            return row["platform_message_id"]
    raise AssertionError("nothing sent there")


async def test_not_ours_goes_to_the_next_candidate_and_the_citizen_is_told(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у школы"))).number
    await world.flush()
    clock.advance(days=2)
    press = staff("tg", CITY_CHAT, 500, payload=Payload("redirect", number).pack())
    assert (await world.core.handle(press)).kind == "asked"  # «Не наше» asks why first
    why = Payload("confirm", number, Choice(Asked.REDIRECT, 1, "territory").pack())
    outcome = await world.core.handle(staff("tg", CITY_CHAT, 500, payload=why.pack()))
    assert (outcome.kind, outcome.state) == ("redirected", TicketState.ROUTED)
    ticket = await world.ticket(number)
    assert ticket.body == "transport" and ticket.tried_bodies == ("city",)
    assert ticket.route_round == 2 and ticket.routed_at == clock.now()
    await world.flush()
    assert "Министерство транспорта" in world.tg.texts(CITIZEN_TG)[-1]
    (to_vk,) = world.vk.sent
    assert to_vk.chat_id == TRANSPORT_PEER and "яма у школы" in to_vk.text
    # The next body reads who refused it and why.
    assert to_vk.text.startswith(
        "Орган «Администрация города Саратова» вернул обращение: не их вопрос. "
        "Причина: Другая территория\n\nОбращение № "
    )
    # Not labelled yet: we only know which body was wrong, and why.
    assert await world.core.export_training_examples() == []
    (example,) = await world.core.export_training_examples(only_labelled=False)
    assert example["wrong_body"] == "city" and example["body"] is None
    assert example["reason"] == "Другая территория"

    # The second body answers: now the example is labelled.
    reply_to = await platform_id(world, "body", TRANSPORT_PEER)
    answer = staff("vk", TRANSPORT_PEER, 900, "Яму заделаем до пятницы.", reply_to=reply_to)
    assert (await world.core.handle(answer)).state == TicketState.ANSWERED
    labelled = await world.core.export_training_examples()
    assert labelled == [
        {
            "text": "яма у школы",
            "topic": "roads",
            "body": "transport",
            "wrong_body": None,
            "ticket": number,
            "source": "answered_after_redirect",
            "reason": None,
        }
    ]
    await world.flush()
    answer_text, question = world.tg.texts(CITIZEN_TG)[-2:]
    assert "Яму заделаем до пятницы." in answer_text and "Министерство транспорта" in answer_text
    assert question == f"Обращение № {number}. Проблема решена?"


async def test_when_everyone_refuses_coordinators_decide(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.core.redirect(number, by="city")
    outcome = await world.core.redirect(number, by="transport", reason="это федеральная трасса")
    assert outcome.state == TicketState.REDIRECTED
    await world.flush()
    assert any("не наше" in t and "федеральная трасса" in t for t in world.tg.texts(COORDINATOR_ID))
    assert "уточняем" in world.tg.texts(CITIZEN_TG)[-1]
    # A coordinator names the right body: routed, and a labelled example is kept.
    routed = await world.core.redirect(number, by="coordinator", correct_body="city")
    assert routed.state == TicketState.ROUTED
    examples = await world.core.export_training_examples()
    assert [(e["text"], e["topic"], e["body"], e["source"]) for e in examples] == [
        ("яма", "roads", "city", "coordinator")
    ]


async def test_only_the_body_holding_the_appeal_can_refuse_it(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    foreign = staff("vk", TRANSPORT_PEER, 1, payload=Payload("redirect", number).pack())
    assert (await world.core.handle(foreign)).kind == "ignored"
    assert (await world.ticket(number)).body == "city"
    # A citizen pressing a forged button is not staff: ignored too.
    forged = world.citizen("", payload=Payload("redirect", number).pack())
    assert (await world.core.handle(forged)).kind == "ignored"


async def test_body_answer_reaches_the_citizen_with_files_in_the_same_channel(world):
    from bot.domain.messages import Attachment

    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    reply_to = await platform_id(world, "body", CITY_CHAT)
    photo = (Attachment("photo", "AgADdone"),)
    answer = staff("tg", CITY_CHAT, 600, "Сделано", reply_to=reply_to, attachments=photo)
    outcome = await world.core.handle(answer)
    assert (outcome.number, outcome.state) == (number, TicketState.ANSWERED)
    await world.flush()
    (delivered,) = [m for m in world.tg.sent if m.chat_id == CITIZEN_TG and "Сделано" in m.text]
    assert delivered.attachments == photo
    # The first choice was right: the answer labels the appeal for the model's retrain, once.
    (example,) = await world.core.export_training_examples()
    assert (example["body"], example["source"], example["ticket"]) == ("city", "answered", number)
    # A second answer is passed on too, without changing the state.
    more = staff("tg", CITY_CHAT, 601, "Фото после ремонта", reply_to=reply_to)
    assert (await world.core.handle(more)).state == TicketState.ANSWERED
    assert (await world.events(number))[-1] == "answer_added"
    assert len(await world.core.export_training_examples()) == 1
    # Unrelated messages in the staff chat are not answers.
    assert (await world.core.handle(staff("tg", CITY_CHAT, 602, "обед"))).kind == "ignored"


async def test_citizen_reply_is_a_follow_up_forwarded_to_the_body(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    ack_id = await platform_id(world, "citizen", CITIZEN_TG)
    outcome = await world.core.handle(world.citizen("И вторая рядом", reply_to=ack_id))
    assert (outcome.kind, outcome.number) == ("follow_up", number)
    await world.flush()
    forwarded = [m for m in world.tg.sent if m.chat_id == CITY_CHAT][-1]
    assert "И вторая рядом" in forwarded.text
    assert forwarded.reply_to == await platform_id(world, "body", CITY_CHAT)  # under the card
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        assert [m.author for m in await tx.tickets.messages(ticket.id)] == ["citizen"]
    # A reply to something that is not ours is a new appeal.
    other = await world.core.handle(world.citizen("яма другая", reply_to=123456))
    assert other.kind == "created"


async def test_closed_is_final(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.core.close(number)
    with pytest.raises(InvalidTransition):
        await world.core.close(number)
    assert (await world.core.redirect(number, by="city")).kind == "ignored"


async def test_a_photo_right_after_the_text_joins_the_appeal(world, clock):
    from bot.domain.messages import Attachment

    await world.start()
    number = (await world.core.handle(world.citizen("Яма у дома 5"))).number
    clock.advance(minutes=2)
    photo = (Attachment("photo", "AgADpit"),)
    outcome = await world.core.handle(world.citizen("", attachments=photo))
    assert (outcome.kind, outcome.number) == ("follow_up", number)
    await world.flush()
    (extra,) = [m for m in world.tg.sent if m.chat_id == CITY_CHAT and m.attachments]
    assert extra.attachments == photo and number in extra.text
    # Much later, a photo alone is a new appeal, which waits for words: the next text is its
    # description, not a third appeal.
    clock.advance(minutes=30)
    started = await world.core.handle(world.citizen("", attachments=photo))
    assert (started.kind, started.state) == ("created", "collecting") and started.number != number
    await world.flush()
    assert "Опишите, пожалуйста, словами" in world.tg.sent[-1].text
    described = await world.core.handle(world.citizen("яма ещё одна у дома 7"))
    assert (described.kind, described.number) == ("clarified", started.number)


async def test_every_kind_of_message_delivered_twice_counts_once(world):
    """Polling restarts and webhook retries repeat updates: follow-ups, answers to the bot's
    question and body answers must not be doubled, nor turn into new tickets."""
    from routing.classify import Classification, Decision

    await world.start()
    world.classifier.script["двор"] = Classification(
        Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, ()
    )
    asked = (await world.core.handle(world.citizen("Двор завален"))).number
    world.classifier.script["двор"] = world.classifier.script["яма"]
    place = world.citizen("Саратов, Московская 5")
    assert (await world.core.handle(place)).kind == "clarified"
    assert (await world.core.handle(place)).kind == "duplicate"  # not a new ticket

    await world.flush()
    ack_id = next(
        r["platform_message_id"]
        for r in await world.outbox_rows("sent")
        if r["purpose"] == "citizen" and r["chat_id"] == CITIZEN_TG
    )
    extra = world.citizen("ещё деталь", reply_to=ack_id)
    assert (await world.core.handle(extra)).kind == "follow_up"
    assert (await world.core.handle(extra)).kind == "duplicate"

    card = await platform_id(world, "body", CITY_CHAT)
    reply = staff("tg", CITY_CHAT, 700, "Вывезем завтра", reply_to=card)
    assert (await world.core.handle(reply)).kind == "answer"
    assert (await world.core.handle(reply)).kind == "duplicate"

    async with world.repo.transaction() as tx:
        assert len(await tx.sql.all("SELECT id FROM tickets")) == 1
        ticket = await tx.tickets.by_number(asked)
        authors = [m.author for m in await tx.tickets.messages(ticket.id)]
    assert authors == ["citizen", "citizen", "body"]
    await world.flush()
    assert len([t for t in world.tg.texts(CITIZEN_TG) if "Вывезем завтра" in t]) == 1


def test_not_ours_reason_is_read_from_a_typed_reply():
    from bot.domain.phrases import not_ours_reason

    assert not_ours_reason("Не наше: это федеральная трасса") == "это федеральная трасса"
    assert not_ours_reason("не наша, пишите в минтранс") == "пишите в минтранс"
    assert not_ours_reason("НЕ НАШЕ") == ""
    assert not_ours_reason("Не нашел такой адрес, уточните") is None
    assert not_ours_reason("Заделаем яму, это не наше упущение") is None


async def test_a_typed_not_ours_reply_redirects_instead_of_answering(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    card = await platform_id(world, "body", CITY_CHAT)
    reply = staff("tg", CITY_CHAT, 800, "Не наше: это региональная дорога", reply_to=card)
    outcome = await world.core.handle(reply)
    assert (outcome.kind, outcome.state) == ("redirected", TicketState.ROUTED)
    ticket = await world.ticket(number)
    async with world.repo.transaction() as tx:
        (event,) = [e for e in await tx.tickets.events(ticket.id) if e["kind"] == "redirected"]
    assert event["detail"]["reason"] == "это региональная дорога"
    await world.flush()
    assert all("региональная" not in t for t in world.tg.texts(CITIZEN_TG))


async def test_coordinator_names_the_body_in_a_reply(world):
    await world.start()
    number = (await world.core.handle(world.citizen("непонятно что"))).number
    await world.flush()
    note = await platform_id(world, "coordinator", COORDINATOR_ID)

    def reply(text, message_id):
        return staff("tg", COORDINATOR_ID, message_id, text, reply_to=note)

    assert (await world.core.handle(reply("Орган: министерство", 901))).kind == "ignored"
    assert (await world.core.handle(reply("орган: пожарные", 902))).kind == "ignored"
    await world.flush()
    ambiguous, unknown = world.tg.texts(COORDINATOR_ID)[-2:]
    assert "(transport)" in ambiguous and "(health)" in ambiguous
    assert "«пожарные» не найден" in unknown
    outcome = await world.core.handle(reply("Орган: транспорта", 903))
    assert (outcome.kind, outcome.state) == ("redirected", TicketState.ROUTED)
    ticket = await world.ticket(number)
    assert ticket.body == "transport"
    (example,) = await world.core.export_training_examples()
    assert (example["text"], example["body"], example["source"]) == (
        "непонятно что",
        "transport",
        "coordinator",
    )
    await world.flush()
    assert all("Орган" not in t for t in world.tg.texts(CITIZEN_TG))
    # /to with an id works too, and a body's chat cannot use it.
    await world.core.handle(reply("/to city", 904))
    assert (await world.ticket(number)).body == "city"
    await world.flush()
    card = await platform_id(world, "body", CITY_CHAT)
    taken_over = staff("tg", CITY_CHAT, 905, "/to transport", reply_to=card)
    assert (await world.core.handle(taken_over)).kind == "answer"  # just an answer from a body
