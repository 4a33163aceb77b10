"""Intake: numbering, routing, questions, hand-over to coordinators, duplicate deliveries."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID

from bot.domain.messages import Attachment, IncomingMessage, Location
from bot.domain.states import TicketState
from bot.domain.wire import Payload


async def test_routed_appeal_gets_a_number_a_deadline_and_two_messages(world):
    await world.start()
    outcome = await world.core.handle(
        world.citizen("Яма на Московской", location=Location(51.5, 46.0))
    )
    assert (outcome.kind, outcome.number, outcome.state) == ("created", "26-000001", "routed")
    ticket = await world.ticket("26-000001")
    assert ticket.body == "city" and ticket.topic == "roads" and ticket.route_round == 1
    # 10 working days from Wednesday 4 March 2026 (9 March is a holiday): end of 19 March.
    assert ticket.due_at == datetime(2026, 3, 19, 20, 0, tzinfo=UTC)  # midnight in Saratov
    assert [c["body"] for c in ticket.candidates] == ["city", "transport"]
    assert world.classifier.calls[0][1:3] == (51.5, 46.0)

    await world.flush()
    (ack,) = [m for m in world.tg.sent if m.chat_id == CITIZEN_TG]
    assert "№ 26-000001" in ack.text and "19.03.2026 включительно" in ack.text
    assert ack.reply_to == 1
    (to_body,) = [m for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert "Яма на Московской" in to_body.text and "город Саратов" in to_body.text
    actions = [Payload.unpack(b.payload).action for row in to_body.buttons for b in row]
    assert actions == ["take", "redirect", "close", "reject", "interim", "extend"]
    assert await world.events("26-000001") == ["created", "classified", "routed"]
    await world.stop()


async def test_numbers_follow_each_other_and_restart_each_year(world, clock):
    await world.start()
    first = await world.core.handle(world.citizen("яма 1"))
    second = await world.core.handle(world.citizen("яма 2"))
    clock.current = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)  # already 2027 in Saratov
    third = await world.core.handle(world.citizen("яма 3"))
    assert [first.number, second.number, third.number] == ["26-000001", "26-000002", "27-000001"]
    await world.stop()


async def test_the_same_delivery_twice_makes_one_ticket(world):
    await world.start()
    message = world.citizen("яма у дома", message_id=77)
    results = await asyncio.gather(*(world.core.handle(message) for _ in range(5)))
    assert sorted(r.kind for r in results) == ["created"] + ["duplicate"] * 4
    assert {r.number for r in results} == {"26-000001"}
    again = await world.core.handle(message)
    assert again.kind == "duplicate"
    async with world.repo.transaction() as tx:
        assert len(await tx.sql.all("SELECT id FROM tickets")) == 1
    # One acknowledgement, not five.
    assert len([r for r in await world.outbox_rows() if r["purpose"] == "citizen"]) == 1
    await world.stop()


async def test_topic_question_then_answer_routes(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("мусор во дворе"))
    assert outcome.state == TicketState.COLLECTING
    await world.flush()
    (question,) = world.tg.sent
    labels = [row[0].text for row in question.buttons]
    assert labels == ["Мусор", "Дороги", "Другое"]
    press = IncomingMessage(
        "tg", CITIZEN_TG, CITIZEN_TG, 99, payload=question.buttons[0][0].payload
    )
    answered = await world.core.handle(press)
    assert answered.state == TicketState.ROUTED
    assert world.classifier.calls[-1][3] == "trash"
    ticket = await world.ticket(outcome.number)
    assert (ticket.topic, ticket.body) == ("trash", "city")
    # A second tap on the old button changes nothing.
    assert (await world.core.handle(press)).kind == "ignored"
    await world.stop()


async def test_someone_else_cannot_answer_the_question(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("мусор"))
    stranger = IncomingMessage(
        "tg", 999, 999, 5, payload=Payload("topic", outcome.number, "trash").pack()
    )
    assert (await world.core.handle(stranger)).kind == "ignored"
    assert (await world.ticket(outcome.number)).state == TicketState.COLLECTING
    await world.stop()


async def test_other_goes_to_coordinators(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("мусор"))
    press = world.citizen("", payload=Payload("topic", outcome.number, "-").pack())
    assert (await world.core.handle(press)).state == TicketState.WITH_COORDINATOR
    await world.flush()
    assert any("№ 26-000001" in t and "Другое" in t for t in world.tg.texts(COORDINATOR_ID))
    await world.stop()


async def test_nothing_fits_goes_to_coordinators_with_the_text(world):
    await world.start()
    outcome = await world.core.handle(
        world.citizen("Непонятно что", attachments=(Attachment("photo", "AgAD1"),))
    )
    assert outcome.state == TicketState.WITH_COORDINATOR
    await world.flush()
    (to_coordinator,) = [m for m in world.tg.sent if m.chat_id == COORDINATOR_ID]
    assert "Непонятно что" in to_coordinator.text
    assert to_coordinator.attachments == (Attachment("photo", "AgAD1"),)  # same channel
    assert any("принято" in t for t in world.tg.texts(CITIZEN_TG))
    await world.stop()


async def test_body_without_chat_reaches_coordinators_and_topic_deadline_wins(world, clock):
    await world.start()
    outcome = await world.core.handle(world.citizen("Больница не принимает"))
    ticket = await world.ticket(outcome.number)
    assert ticket.state == TicketState.ROUTED and ticket.body == "health"
    assert ticket.due_at == clock.now().replace(day=7)  # the topic's 72h, not the body's 10wd
    await world.flush()
    (note,) = world.tg.texts(COORDINATOR_ID)
    assert "не настроен чат" in note and "Министерство здравоохранения" in note
    await world.stop()


async def test_vk_body_gets_the_telegram_photo_marked_for_fetching(world):
    await world.start()
    # Roads chosen by the citizen go to the transport ministry, which sits in VK.
    outcome = await world.core.handle(
        world.citizen("мусор", attachments=(Attachment("photo", "AgAD1"),))
    )
    press = world.citizen("", payload=Payload("topic", outcome.number, "roads").pack())
    await world.core.handle(press)
    await world.flush()
    (to_body,) = world.vk.sent
    # A Telegram file id means nothing to VK: it goes marked with its channel, and the VK
    # transport fetches and uploads it (bot/delivery/files.py); no "files elsewhere" note any more.
    assert to_body.attachments == (Attachment("photo", "AgAD1", channel="tg"),)
    assert "Вложений" not in to_body.text
    await world.stop()


async def test_empty_message_is_answered_without_a_ticket(world):
    await world.start()
    assert (await world.core.handle(world.citizen("   "))).kind == "ignored"
    await world.flush()
    assert world.tg.texts(CITIZEN_TG) == ["Напишите, пожалуйста, что случилось и где — текстом."]
    await world.stop()


async def test_outbox_payload_is_plain_json(world):
    await world.start()
    await world.core.handle(world.citizen("яма"))
    for row in await world.outbox_rows():
        assert isinstance(json.loads(row["payload"])["text"], str)
    await world.stop()


async def test_a_failing_classifier_hands_the_appeal_to_coordinators(world, caplog):
    await world.start()

    def broken(text, *args, **kwargs):
        raise KeyError(text)

    world.classifier.classify = broken
    outcome = await world.core.handle(world.citizen("секретный текст"))
    assert (outcome.kind, outcome.state) == ("created", TicketState.WITH_COORDINATOR)
    assert "KeyError" in caplog.text and "секретный" not in caplog.text


async def test_place_asked_in_words_then_answered_in_words(world):
    from routing.classify import Classification, Decision

    await world.start()
    world.classifier.script["двор"] = Classification(
        Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, ()
    )
    outcome = await world.core.handle(world.citizen("Двор завален"))
    assert outcome.state == TicketState.COLLECTING
    await world.flush()
    question, location_button = world.tg.sent
    assert question.buttons == () and "геопозицию" in question.text
    assert location_button.request_location and location_button.buttons == ()
    # The next plain message is the answer, read together with the appeal.
    world.classifier.script["двор"] = routed_to_city = world.classifier.script["яма"]
    answer = await world.core.handle(world.citizen("Саратов, Московская 5"))
    assert (answer.kind, answer.number, answer.state) == ("clarified", outcome.number, "routed")
    assert world.classifier.calls[-1][0] == "Двор завален\nСаратов, Московская 5"
    assert routed_to_city.body == (await world.ticket(outcome.number)).body


async def test_a_location_answers_the_place_question(world):
    from routing.classify import Classification, Decision

    await world.start()
    world.classifier.script["двор"] = Classification(
        Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, ()
    )
    outcome = await world.core.handle(world.citizen("Двор завален"))
    answer = await world.core.handle(world.citizen("", location=Location(51.53, 46.03)))
    assert answer.kind == "clarified"
    assert world.classifier.calls[-1][1:3] == (51.53, 46.03)
    ticket = await world.ticket(outcome.number)
    assert (ticket.lat, ticket.lon) == (51.53, 46.03)


async def test_questions_stop_after_two_and_a_person_takes_over(world):
    from routing.classify import Classification, Decision

    await world.start()
    world.classifier.script["двор"] = Classification(
        Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, ()
    )
    number = (await world.core.handle(world.citizen("Двор завален"))).number
    assert (await world.core.handle(world.citizen("не знаю"))).state == "collecting"
    assert (await world.core.handle(world.citizen("где-то"))).state == "with_coordinator"
    await world.flush()
    assert len([t for t in world.tg.texts(CITIZEN_TG) if "В каком населённом пункте" in t]) == 2
    assert number


async def test_an_old_question_does_not_swallow_a_new_appeal(world, clock):
    await world.start()
    await world.core.handle(world.citizen("мусор"))
    clock.advance(days=2)
    assert (await world.core.handle(world.citizen("яма"))).kind == "created"


async def test_only_the_citizens_answers_are_passed_on_as_facts(world):
    from core_world import SARATOV, routed

    from routing.classify import Candidate, Classification, Decision

    class TwoQuestions:
        def __init__(self):
            self.calls = []

        def classify(self, text, lat=None, lon=None, *, topic=None, municipality=None):
            self.calls.append((topic, municipality))
            if topic is None:  # guesses a place it is not sure of, asks the topic
                return Classification(
                    Decision.ASK_TOPIC,
                    "trash",
                    "63602000",
                    None,
                    0.3,
                    (Candidate("trash", SARATOV, "city", 0.3),),
                    topic_options=("trash", "roads"),
                )
            if municipality is None:
                return Classification(
                    Decision.ASK_MUNICIPALITY,
                    topic,
                    None,
                    None,
                    0.3,
                    (),
                    municipality_options=(SARATOV, "63602000"),
                )
            return routed("city", topic)

    world.classifier = TwoQuestions()
    await world.start()
    number = (await world.core.handle(world.citizen("Что-то во дворе"))).number
    tap = world.citizen("", payload=Payload("topic", number, "trash").pack())
    assert (await world.core.handle(tap)).state == TicketState.COLLECTING
    tap = world.citizen("", payload=Payload("place", number, SARATOV).pack())
    assert (await world.core.handle(tap)).state == TicketState.ROUTED
    # The classifier's own guess of the place ("63602000") was never given back as a fact.
    assert world.classifier.calls == [(None, None), ("trash", None), ("trash", SARATOV)]


def test_split_text_respects_the_limit_and_breaks_at_words():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.domain.messages import split_text

    assert split_text("коротко") == ["коротко"]
    assert split_text("слово " * 5, limit=12) == ["слово слово", "слово слово", "слово "]

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet="аб \n", max_size=300), st.integers(8, 50))
    def check(text, limit):
        parts = split_text(text, limit)
        assert all(len(p) <= limit for p in parts)
        assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
            "\n", ""
        )

    check()


async def test_a_long_appeal_reaches_the_body_in_pieces_with_buttons_last(world):
    await world.start()
    long_text = "яма " + ("очень длинное описание проблемы. " * 200)
    number = (await world.core.handle(world.citizen(long_text))).number
    await world.flush()
    cards = [m for m in world.tg.sent if m.chat_id == CITY_CHAT]
    assert len(cards) == 2 and all(len(m.text) <= 4096 for m in cards)
    assert cards[0].buttons == () and cards[1].buttons != ()
    assert number in cards[0].text
