"""The citizen's dialog in the core (issue 16): small talk makes no ticket, «Это новое
обращение?» while a question waits, the reason after «Нет, не решена» reaches the body, and the
card quotes the citizen with map links and the previous answer."""

from __future__ import annotations

from core_world import CITIZEN_TG, CITY_CHAT, COORDINATOR_ID
from test_states import answer, press

from bot.domain import texts
from bot.domain.messages import Location
from bot.domain.wire import Payload
from routing.classify import Candidate, Classification, Decision

#: The scripted classifier answers by the first word: "двор" asks the place of a trash problem.
ASKS_PLACE = Classification(
    Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, (Candidate("trash", None, None, 0.3),)
)
SECOND_PROBLEM = "Яма на дороге у школы, машины не могут проехать уже месяц"


async def tickets_of_citizen(world) -> list[str]:
    async with world.repo.transaction() as tx:
        return [t.number for t in await tx.tickets.of_citizen("tg", CITIZEN_TG)]


async def test_small_talk_gets_a_hint_and_makes_no_ticket(world):
    await world.start()
    for text in ("Здравствуйте", "Добрый день!", "Спасибо!", "ок", "😡😡😡🤬"):
        assert (await world.core.handle(world.citizen(text))).kind == "small_talk"
    await world.flush()
    hello, good_day, thanks, ok, angry = world.tg.texts(CITIZEN_TG)
    assert hello == texts.SMALL_TALK_GREETING + texts.SMALL_TALK_HINT == good_day
    assert thanks == texts.SMALL_TALK_THANKS + texts.SMALL_TALK_HINT
    assert ok == angry == texts.SMALL_TALK_HINT and "/my" in ok
    assert await tickets_of_citizen(world) == []
    assert world.tg.texts(COORDINATOR_ID) == [] and world.tg.texts(CITY_CHAT) == []
    assert world.classifier.calls == []  # not even read as an appeal


async def test_a_greeting_with_a_problem_is_an_appeal(world):
    await world.start()
    outcome = await world.core.handle(world.citizen("Яма во дворе. Здравствуйте!"))
    assert outcome.kind == "created"


async def test_thanks_after_an_answer_opens_nothing(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await answer(world, number)
    assert (await world.core.handle(world.citizen("Спасибо большое!!!"))).kind == "small_talk"
    assert await tickets_of_citizen(world) == [number]


async def test_small_talk_while_a_question_waits_recalls_it(world):
    await world.start()
    world.classifier.script["двор"] = ASKS_PLACE
    number = (await world.core.handle(world.citizen("Двор завален"))).number
    assert (await world.core.handle(world.citizen("Здравствуйте!"))).kind == "small_talk"
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1].endswith(
        texts.SMALL_TALK_PENDING.format(number=number)
    )
    assert (await world.ticket(number)).state == "collecting"


async def pending_and_second(world):
    """A place question waits for ticket 1; a different problem arrives: the question."""
    world.classifier.script["двор"] = ASKS_PLACE
    first = (await world.core.handle(world.citizen("Двор завален"))).number
    second = world.citizen(SECOND_PROBLEM)
    asked = await world.core.handle(second)
    assert (asked.kind, asked.number) == ("asked_if_new", first)
    await world.flush()
    question = world.tg.sent[-1]
    assert question.text == texts.ASK_IF_NEW.format(number=first)
    assert question.reply_to == second.message_id
    labels = [b.text for row in question.buttons for b in row]
    assert labels == [texts.NEW_APPEAL_YES, texts.NEW_APPEAL_NO]
    payloads = {b.text: Payload.unpack(b.payload) for row in question.buttons for b in row}
    return first, payloads


async def test_a_new_problem_while_a_question_waits_becomes_its_own_appeal_on_yes(world):
    await world.start()
    first, buttons = await pending_and_second(world)
    assert await tickets_of_citizen(world) == [first]  # nothing made before the answer
    yes = buttons[texts.NEW_APPEAL_YES]
    outcome = await world.core.handle(press(world, CITIZEN_TG, yes.action, first, yes.value))
    assert outcome.kind == "created" and outcome.notice == texts.NEW_APPEAL_MADE
    second = outcome.number
    assert second != first and (await world.ticket(second)).text == SECOND_PROBLEM
    assert (await world.ticket(second)).body == "city"  # «яма»: roads, routed
    # The first appeal does not wait for an answer that will not come: coordinators decide.
    assert (await world.ticket(first)).state == "with_coordinator"
    await world.flush()
    (note,) = world.tg.texts(COORDINATOR_ID)
    assert texts.REASON_CITIZEN_MOVED_ON in note and SECOND_PROBLEM not in note
    # A second press changes nothing.
    again = await world.core.handle(press(world, CITIZEN_TG, yes.action, first, yes.value))
    assert again.kind == "ignored" and len(await tickets_of_citizen(world)) == 2


async def test_no_merges_the_message_as_an_answer(world):
    await world.start()
    first, buttons = await pending_and_second(world)
    no = buttons[texts.NEW_APPEAL_NO]
    outcome = await world.core.handle(press(world, CITIZEN_TG, no.action, first, no.value))
    assert outcome.kind == "clarified" and outcome.notice == texts.NEW_APPEAL_MERGED.format(
        number=first
    )
    assert await tickets_of_citizen(world) == [first]
    assert world.classifier.calls[-1][0] == "Двор завален\n" + SECOND_PROBLEM
    ticket = await world.ticket(first)
    async with world.repo.transaction() as tx:
        thread = await tx.tickets.messages(ticket.id)
    assert [(m.author, m.text) for m in thread] == [("citizen", SECOND_PROBLEM)]


async def test_an_address_answer_is_never_asked_about(world):
    await world.start()
    world.classifier.script["двор"] = ASKS_PLACE
    world.classifier.script["саратов,"] = ASKS_PLACE
    first = (await world.core.handle(world.citizen("Двор завален"))).number
    outcome = await world.core.handle(world.citizen("Саратов, ул. Мира, д. 5, у подъезда"))
    assert outcome.kind == "clarified" and outcome.number == first


async def test_the_reason_after_not_solved_reaches_the_body_and_no_rating_is_asked(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма на Московской"))).number
    await answer(world, number, text="Засыпали щебнем.")
    await world.core.handle(press(world, CITIZEN_TG, "solved", number, "no"))
    reason = await world.core.handle(world.citizen("Щебень размыло дождём, яма снова"))
    assert (reason.kind, reason.number) == ("follow_up", number)
    await world.flush()
    assert not [t for t in world.tg.texts(CITIZEN_TG) if "Оцените" in t]
    # The «доставлено» acknowledgement of the answer may come at any point after the answer.
    staff_chat = [t for t in world.tg.texts(CITY_CHAT) if "доставлен заявителю" not in t]
    reopened_card, follow = staff_chat[-2:]
    assert reopened_card.startswith(texts.REOPENED_NOTE)
    assert "Прежний ответ органа:\nЗасыпали щебнем." in reopened_card
    assert "«Нет, не решена»" in reopened_card
    assert follow == (
        texts.NOT_SOLVED_REASON_TO_BODY.format(number=number)
        + " (слова заявителя):\n│ Щебень размыло дождём, яма снова"
    )


async def test_the_card_quotes_the_citizen_without_bidi_controls_and_links_the_map(world):
    await world.start()
    text = "яма \u202eпо адресу\u202c\nСрок ответа: вчера"
    await world.core.handle(world.citizen(text, location=Location(51.5331, 46.0342)))
    await world.flush()
    (card,) = world.tg.texts(CITY_CHAT)
    assert "\u202e" not in card and "\u202c" not in card
    assert (
        "Текст обращения (слова заявителя):\n│ яма по адресу\n│ Срок ответа: вчера" in card
    )
    assert "https://www.openstreetmap.org/?mlat=51.533100&mlon=46.034200" in card
    assert "https://yandex.ru/maps/?pt=46.034200,51.533100&z=17" in card


async def test_a_photo_only_follow_up_has_no_empty_lines(world):
    from bot.domain.messages import Attachment

    await world.start()
    number = (await world.core.handle(world.citizen("яма"))).number
    await world.flush()
    photo = world.citizen("", attachments=(Attachment("photo", "file-1"),))
    assert (await world.core.handle(photo)).kind == "follow_up"
    await world.flush()
    follow = world.tg.texts(CITY_CHAT)[-1]
    assert follow == texts.FOLLOW_UP_TO_BODY.format(number=number) + texts.FOLLOW_UP_FILES
    assert "\n\n" not in follow and not follow.endswith("\n")
