"""The citizen's commands and the details a topic asks for, in the core (fake transports)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from core_world import CITIZEN_TG, CITIZEN_VK, CITY_CHAT

from bot.core.citizen import PAGE
from bot.domain import texts
from bot.domain.messages import Attachment, IncomingMessage, Location
from bot.domain.phrases import command_of, has_address
from bot.domain.states import TicketState
from bot.domain.wire import Payload
from routing.model import RoutingTable


def command(world, name: str, *, channel: str = "tg", chat: int | None = None):
    return dataclasses.replace(world.citizen(f"/{name}", channel=channel, chat=chat), command=name)


def press(world, payload: str, *, channel: str = "tg", user: int | None = None):
    user = user if user is not None else (CITIZEN_TG if channel == "tg" else CITIZEN_VK)
    world.message_ids += 1
    return IncomingMessage(channel, user, user, world.message_ids, payload=payload)  # type: ignore[arg-type]


def to_citizen(world, chat: int = CITIZEN_TG):
    return [m for m in world.tg.sent + world.vk.sent if m.chat_id == chat]


def with_asks(table: RoutingTable, **asks: tuple[str, ...]) -> RoutingTable:
    topics = tuple(dataclasses.replace(t, asks=asks.get(t.id, t.asks)) for t in table.topics)
    return RoutingTable(table.region, table.municipalities, topics, table.bodies)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("/my", "my"),
        ("/MY@saratov_bot", "my"),
        ("/start inv_123", "start"),
        ("/stats", "stats"),
        ("Мои обращения", "my"),
        ("  мои   ОБРАЩЕНИЯ ", "my"),
        ("Помощь", "help"),
        ("Начать", "start"),
        ("Яма на дороге", None),
        ("мои обращения не рассмотрены", None),
        ("", None),
        ("/", None),
    ],
)
def test_commands_are_recognised_in_slash_and_word_form(text, name):
    assert command_of(text) == name


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Яма на ул. Московской", True),
        ("яма у дома 5", True),
        ("Не горит фонарь, проспект Кирова", True),
        ("Пр-т Строителей, 12", True),
        ("Мусор во дворе, д.7", True),
        ("мкр. Солнечный, мусор", True),
        ("Не горит фонарь уже 3 дня", False),
        ("В Саратове яма", False),
        ("Улыбка и пруд", False),  # "ул" and "пр" inside words are not a street
    ],
)
def test_an_address_is_a_street_or_a_house(text, found):
    assert has_address(text) is found


async def test_start_help_and_an_unknown_command_answer_without_making_a_ticket(world):
    await world.start()
    for name in ("start", "help", "frobnicate"):
        await world.core.handle(command(world, name))
    await world.flush()
    start, help_, unknown = world.tg.texts(CITIZEN_TG)
    assert start == texts.START and start.endswith(texts.NOT_A_FORMAL_APPEAL)
    assert "/my" in help_ and "/forget" in help_ and "/cancel" in help_
    # Writing here is not a formal appeal under 59-ФЗ, and both say where to file one.
    for text in (start, help_):
        assert "59-ФЗ" in text and "имя и почтовый адрес" in text and "pos.gosuslugi.ru" in text
    assert "/frobnicate" in unknown and "/help" in unknown
    async with world.repo.transaction() as tx:
        assert await tx.tickets.of_citizen("tg", CITIZEN_TG) == []


async def test_a_command_delivered_twice_is_answered_once(world):
    await world.start()
    message = command(world, "help")
    await world.core.handle(message)
    await world.core.handle(message)
    await world.flush()
    assert len(world.tg.texts(CITIZEN_TG)) == 1


async def test_commands_in_a_group_chat_are_not_served(world):
    """/my in a body's group would show one person's appeals to the whole group."""
    await world.start()
    await world.core.handle(world.citizen("яма у дома 5"))
    await world.flush()
    seen = len(world.tg.sent)
    group_message = IncomingMessage("tg", CITY_CHAT, CITIZEN_TG, 900, "/my", command="my")
    assert (await world.core.handle(group_message)).kind == "ignored"
    await world.flush()
    assert world.tg.sent[seen:] == []


async def test_a_coordinator_unknown_command_is_not_answered_as_unknown(world):
    from core_world import COORDINATOR_ID

    await world.start()
    stats = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 901, "/stats", command="stats")
    assert (await world.core.handle(stats)).kind == "ignored"
    mine = IncomingMessage("tg", COORDINATOR_ID, COORDINATOR_ID, 902, "/help", command="help")
    assert (await world.core.handle(mine)).kind == "command"


async def test_my_lists_newest_first_in_pages_with_a_history_button_each(world):
    await world.start()
    assert (await world.core.handle(command(world, "my"))).kind == "command"
    await world.flush()
    assert world.tg.texts(CITIZEN_TG) == [texts.MY_EMPTY]

    numbers = []
    for i in range(PAGE + 2):
        numbers.append((await world.core.handle(world.citizen(f"яма у дома {i}"))).number)
    await world.core.handle(world.citizen("яма чужая", chat=999))  # someone else's
    await world.flush()
    seen = len(world.tg.sent)
    await world.core.handle(command(world, "my"))
    await world.flush()
    (page,) = world.tg.sent[seen:]
    assert len(page.text) <= 4096
    newest = list(reversed(numbers))
    listed = [b.payload for row in page.buttons for b in row]
    assert listed[:PAGE] == [Payload("history", n).pack() for n in newest[:PAGE]]
    assert page.text.index(newest[0]) < page.text.index(newest[1])
    assert numbers[0] not in page.text and "26-000008" not in page.text
    assert "Администрация города Саратова" in page.text
    assert texts.STATE_NAMES["routed"] in page.text and "яма у дома 6" in page.text
    more = page.buttons[-1][0]
    assert more.text == texts.MY_MORE_BUTTON

    await world.core.handle(press(world, more.payload))
    await world.flush()
    second = world.tg.sent[-1]
    assert numbers[0] in second.text and numbers[1] in second.text
    assert newest[0] not in second.text and all(len(row) == 1 for row in second.buttons)
    assert [b.text for row in second.buttons for b in row] == [
        texts.MY_HISTORY_BUTTON.format(number=n) for n in (numbers[1], numbers[0])
    ]


async def test_lists_and_histories_are_not_kept_in_the_outbox_once_delivered(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5, звоните 89991234567"))).number
    await world.core.handle(command(world, "my"))
    await world.core.handle(press(world, Payload("history", number).pack()))
    await world.flush()
    assert sum("8999" in m.text for m in world.tg.sent) == 2  # the citizen did get them
    copies = [r for r in await world.outbox_rows() if "8999" in str(r["payload"])]
    assert len(copies) == 1  # only the card in the body's chat, which the body needs


async def test_history_tells_what_happened_in_order_and_only_to_the_author(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5"))).number
    await world.flush()
    clock.advance(hours=1)
    await world.core.handle(
        IncomingMessage("tg", CITY_CHAT, 1, 600, payload=Payload("take", number).pack())
    )
    card = next(r for r in await world.outbox_rows("sent") if r["chat_id"] == CITY_CHAT)
    clock.advance(hours=1)
    await world.core.handle(
        IncomingMessage("tg", CITY_CHAT, 1, 601, "Засыпали щебнем.",
                        reply_to=card["platform_message_id"])
    )
    clock.advance(minutes=5)
    await world.core.handle(press(world, Payload("solved", number, "yes").pack()))
    await world.core.handle(press(world, Payload("rate", number, "5@1").pack()))
    await world.flush()

    stranger = await world.core.handle(press(world, Payload("history", number).pack(), user=999))
    assert stranger.notice == texts.MY_UNKNOWN_TICKET
    seen = len(world.tg.sent)
    await world.core.handle(press(world, Payload("history", number).pack()))
    await world.flush()
    (history,) = world.tg.sent[seen:]
    assert history.chat_id == CITIZEN_TG and number in history.text
    lines = history.text.splitlines()[1:]
    expected = [
        "обращение принято",
        "передано: Администрация города Саратова",
        "взято в работу",
        "получен ответ",
        "ответ: Засыпали щебнем.",
        "вы подтвердили, что проблема решена",
        "ваша оценка: 5",
    ]
    assert [line.split(" — ", 1)[1] for line in lines] == expected
    assert lines[0].startswith("04.03.2026 10:00")  # Saratov time
    assert "classified" not in history.text


async def test_forget_needs_the_confirmation_of_the_same_person_in_time(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5"))).number
    await world.core.handle(command(world, "forget"))
    await world.flush()
    question = world.tg.sent[-1]
    assert question.text == texts.FORGET_CONFIRM
    (yes, no), = question.buttons
    assert (yes.text, no.text) == (texts.FORGET_YES, texts.FORGET_NO)
    assert (await world.ticket(number)).text == "яма у дома 5"  # nothing happened yet

    other = await world.core.handle(press(world, yes.payload, user=999))
    assert other.notice == texts.NOT_YOUR_BUTTON
    await world.core.handle(press(world, no.payload))
    await world.flush()
    assert world.tg.sent[-1].text == texts.FORGET_KEPT
    clock.advance(minutes=20)
    stale = await world.core.handle(press(world, yes.payload))
    assert stale.notice == texts.FORGET_STALE
    assert (await world.ticket(number)).anonymised_at is None

    await world.core.handle(command(world, "forget"))
    await world.flush()
    fresh_yes = world.tg.sent[-1].buttons[0][0]
    outcome = await world.core.handle(press(world, fresh_yes.payload))
    assert outcome.kind == "forgotten"
    await world.flush()
    assert (await world.ticket(number)).text == texts.ANONYMISED
    assert world.tg.sent[-1].text == texts.DATA_DELETED


async def test_payloads_fit_telegram_callback_data(world):
    await world.start()
    big_user = 9_999_999_999
    await world.core.handle(command(world, "forget", chat=big_user))
    await world.flush()
    for row in world.tg.sent[-1].buttons:
        assert all(len(b.payload.encode()) <= 64 for b in row)


async def test_cancel_abandons_the_draft_and_says_so(world):
    await world.start()
    await world.core.handle(command(world, "cancel"))
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == texts.NOTHING_TO_CANCEL

    draft = await world.core.handle(world.citizen("мусор"))  # the bot asks the topic
    assert draft.state == TicketState.COLLECTING
    outcome = await world.core.handle(command(world, "cancel"))
    assert (outcome.kind, outcome.state) == ("cancelled", TicketState.CLOSED)
    assert (await world.events(draft.number))[-1] == "cancelled"
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == texts.CANCELLED.format(number=draft.number)
    # The old question's button no longer does anything.
    late = await world.core.handle(press(world, Payload("topic", draft.number, "trash").pack()))
    assert late.kind == "ignored"


async def test_cancel_leaves_a_routed_appeal_alone(world):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5"))).number
    await world.core.handle(command(world, "cancel"))
    await world.flush()
    assert world.tg.texts(CITIZEN_TG)[-1] == texts.NOTHING_TO_CANCEL
    assert (await world.ticket(number)).state == TicketState.ROUTED


async def test_a_missing_address_is_asked_once_then_the_appeal_is_routed(world):
    world.table = with_asks(world.table, roads=("address",))
    await world.start()
    draft = await world.core.handle(world.citizen("яма на дороге, третий месяц"))
    assert draft.state == TicketState.COLLECTING
    await world.flush()
    question, location = world.tg.sent
    assert question.text == texts.ASK_ADDRESS.format(number=draft.number)
    assert location.request_location and not location.buttons

    answer = await world.core.handle(world.citizen("яма напротив Ленина 5"))  # still no street
    assert (answer.kind, answer.state) == ("clarified", TicketState.ROUTED)  # asked once only
    await world.flush()
    accepted = world.tg.sent[-1]
    assert draft.number in accepted.text and accepted.remove_keyboard
    assert (await world.events(draft.number)).count("asked_address") == 1


async def test_an_appeal_with_an_address_or_a_location_is_routed_at_once(world):
    world.table = with_asks(world.table, roads=("address",))
    await world.start()
    with_street = await world.core.handle(world.citizen("яма на ул. Чапаева"))
    located = await world.core.handle(world.citizen("яма тут", location=Location(51.5, 46.0)))
    assert with_street.state == located.state == TicketState.ROUTED


async def test_a_location_answers_the_address_question(world):
    world.table = with_asks(world.table, roads=("address",))
    await world.start()
    draft = await world.core.handle(world.citizen("яма на дороге"))
    answer = await world.core.handle(world.citizen("", location=Location(51.53, 46.02)))
    assert (answer.number, answer.state) == (draft.number, TicketState.ROUTED)
    assert (await world.ticket(draft.number)).lat == 51.53


async def test_a_topic_that_wants_a_photo_invites_one_without_waiting(world):
    world.table = with_asks(world.table, roads=("address", "photo"))
    await world.start()
    outcome = await world.core.handle(world.citizen("яма у дома 5"))
    assert outcome.state == TicketState.ROUTED
    await world.flush()
    accepted = world.tg.sent[0]
    assert accepted.chat_id == CITIZEN_TG and texts.ASK_PHOTO.strip() in accepted.text
    ((skip,),) = accepted.buttons
    assert skip.text == texts.SKIP_BUTTON
    skipped = await world.core.handle(press(world, skip.payload))
    assert skipped.notice == texts.PHOTO_SKIPPED

    # The photo sent next goes to the body's chat, as a reply to the card.
    photo = await world.core.handle(
        world.citizen("", attachments=(Attachment("photo", "AgADpit"),))
    )
    assert (photo.kind, photo.number) == ("follow_up", outcome.number)
    await world.flush()
    assert [m.attachments for m in world.tg.sent if m.chat_id == CITY_CHAT][-1] == (
        Attachment("photo", "AgADpit"),
    )

    with_photo = await world.core.handle(
        world.citizen("яма у дома 7", attachments=(Attachment("photo", "AgAD2"),))
    )
    await world.flush()
    accepted = next(m for m in to_citizen(world) if with_photo.number in m.text)
    assert texts.ASK_PHOTO.strip() not in accepted.text and not accepted.buttons


async def test_the_place_question_offers_a_location_button_removed_once_answered(world):
    from routing.classify import Classification, Decision

    world.classifier.script["двор"] = Classification(
        Decision.ASK_MUNICIPALITY, "trash", None, None, 0.3, ()
    )
    await world.start()
    draft = await world.core.handle(world.citizen("Двор завален"))
    await world.flush()
    assert [m.request_location for m in world.tg.sent] == [False, True]
    world.classifier.script["двор"] = world.classifier.script["яма"]
    await world.core.handle(world.citizen("", location=Location(51.53, 46.02)))
    await world.flush()
    accepted = world.tg.sent[-1]
    assert draft.number in accepted.text and accepted.remove_keyboard


async def test_closed_tickets_are_anonymised_after_the_retention_period(world, clock):
    await world.start({"retention": timedelta(days=30)})
    old = (await world.core.handle(world.citizen("яма у дома 5"))).number
    still_open = (await world.core.handle(world.citizen("яма у дома 6"))).number
    abandoned = (await world.core.handle(world.citizen("мусор", chat=888))).number  # a question
    await world.core.close(old)
    clock.advance(days=20)
    recent = (await world.core.handle(world.citizen("яма у дома 7"))).number
    await world.core.close(recent)
    assert await world.core.anonymise_expired() == 0
    clock.advance(days=11)
    assert await world.core.anonymise_expired() == 2
    assert (await world.ticket(old)).text == texts.ANONYMISED
    assert (await world.ticket(abandoned)).text == texts.ANONYMISED
    assert (await world.events(old))[-1] == "anonymised"
    assert (await world.ticket(still_open)).text == "яма у дома 6"
    assert (await world.ticket(recent)).text == "яма у дома 7"
    assert await world.core.anonymise_expired() == 0  # once


async def test_privacy_states_the_configured_retention(world):
    await world.start({"retention": timedelta(days=1095)})
    await world.core.handle(command(world, "privacy"))
    await world.flush()
    (text,) = world.tg.texts(CITIZEN_TG)
    assert "1095 дн." in text and "/forget" in text


async def test_a_long_history_is_split_within_the_platform_limit(world, clock):
    await world.start()
    number = (await world.core.handle(world.citizen("яма у дома 5"))).number
    await world.flush()
    accepted = next(r for r in await world.outbox_rows("sent") if r["chat_id"] == CITIZEN_TG)
    for i in range(6):
        clock.advance(minutes=1)
        await world.core.handle(
            world.citizen(f"дополнение {i}: " + "очень подробно " * 60,
                          reply_to=accepted["platform_message_id"])
        )
    await world.flush()
    seen = len(world.tg.sent)
    await world.core.handle(press(world, Payload("history", number).pack()))
    await world.flush()
    parts = world.tg.sent[seen:]
    assert len(parts) > 1 and all(len(p.text) <= 4096 for p in parts)
    whole = "\n".join(p.text for p in parts)
    assert all(f"дополнение {i}:" in whole for i in range(6))


async def test_after_forget_the_text_is_nowhere_in_the_database_files(file_world):
    """/forget promises the text is gone: not in the table, and not in the bytes SQLite keeps
    on disk either — the freed pages (`secure_delete`) and the WAL's older page images."""
    world = await file_world.start()
    secret = "Секретная-яма-у-дома-17 Пупкин Василий"
    await world.core.handle(world.citizen(secret))
    await world.flush()
    await world.core.forget_citizen("tg", CITIZEN_TG)
    await world.flush()
    files = [Path(world.path), Path(world.path + "-wal")]
    stored = b"".join(f.read_bytes() for f in files if f.exists())
    assert secret.encode("utf-8") not in stored
    assert "Пупкин".encode() not in stored
    await world.stop()
