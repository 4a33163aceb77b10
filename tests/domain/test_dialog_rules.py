"""The pure rules of the citizen's dialog and of the card (issue 16): small talk, a new problem
while a question waits, the citizen's words quoted without bidi controls, map links, the
previous answer on a reopened card, follow-ups without empty lines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import cards, texts
from bot.domain.phrases import is_new_problem, names_a_problem, small_talk
from bot.domain.records import NewTicket, TicketMessage

KURSK_APPEALS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kursk-appeals-dev.csv"
needs_appeals = pytest.mark.skipif(
    not KURSK_APPEALS.exists(), reason="нет ../shared/data/kursk-appeals-dev.csv"
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Здравствуйте", "greeting"),
        ("Добрый день!", "greeting"),
        ("добрый вечер))", "greeting"),
        ("Привет всем 👋", "greeting"),
        ("Спасибо!", "thanks"),
        ("Спасибооо большое!!!", "thanks"),
        ("Окей, спасибо", "thanks"),
        ("ок", "other"),
        ("Хорошо, понятно.", "other"),
        ("😡😡😡🤬", "other"),
        ("👍", "other"),
        ("???", "other"),
        ("До свидания", "other"),
        ("Здравствуйте, у нас нет света", None),
        ("Спасибо, но фонарь так и не горит", None),
        ("Добрый день, яма", None),
        ("5", None),
        ("Ленина 5", None),
        ("нет", None),
        ("Помогите!", None),
        ("", None),
        ("   ", None),
    ],
)
def test_small_talk_is_only_greetings_thanks_acknowledgements_and_emoji(text, kind):
    assert small_talk(text) == kind


@needs_appeals
def test_no_real_appeal_is_small_talk():
    """The false-positive rate on 2,000 real appeals (Kursk): zero."""
    from routing.dataset import read_labelled
    from tools.build_tables.kursk import clean_text

    appeals = [clean_text(a.text) for a in read_labelled(KURSK_APPEALS)]
    assert len(appeals) == 2000
    assert [t for t in appeals if small_talk(t)] == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Во дворе дома уже неделю не вывозят мусор, контейнеры переполнены", True),
        ("На дороге огромная яма, машины проезжают с трудом", True),
        ("Энгельс, ул. Мира, 5", False),
        ("село Усть-Курдюм", False),
        ("во дворе дома 5 на улице Московской, напротив школы", False),  # a place, not a problem
        ("не горит", False),  # too short to be an appeal of its own
    ],
)
def test_a_problem_is_named_by_enough_words_and_a_problem_word(text, problem):
    assert names_a_problem(text) is problem


def test_a_new_problem_needs_its_own_sure_topic_outside_the_pending_ones():
    text = "На дороге огромная яма, машины проезжают с трудом"
    pending = frozenset({"lighting", "improvement"})
    assert is_new_problem(text, own_topic="roads", own_decision="route", pending_topics=pending)
    assert is_new_problem(
        text, own_topic="roads", own_decision="ask_municipality", pending_topics=pending
    )
    # The same topic, an unsure one, or none: merged as an answer.
    assert not is_new_problem(
        text, own_topic="lighting", own_decision="route", pending_topics=pending
    )
    assert not is_new_problem(
        text, own_topic="roads", own_decision="ask_topic", pending_topics=pending
    )
    assert not is_new_problem(
        text, own_topic=None, own_decision="to_coordinator", pending_topics=pending
    )
    assert not is_new_problem(
        "Энгельс, ул. Мира, 5", own_topic="roads", own_decision="route", pending_topics=pending
    )


@needs_appeals
def test_place_answers_are_never_taken_for_a_new_problem():
    """With the shipped Kursk table: a pending appeal answered with a place, 200 times."""
    from bench.dialog_rules import KURSK_TABLE, PLACE_ANSWERS, flags
    from routing.classify import Classifier
    from routing.dataset import read_labelled
    from routing.tablefile import load_table
    from tools.build_tables.kursk import clean_text

    table = load_table(KURSK_TABLE)
    classifier = Classifier(table)
    appeals = [clean_text(a.text) for a in read_labelled(KURSK_APPEALS)]
    towns = [m.name for m in table.municipalities][:60]
    rng = random.Random(16)
    alarms = []
    for text in rng.sample(appeals, 200):
        pending = classifier.classify(text)
        answer = rng.choice(PLACE_ANSWERS).format(town=rng.choice(towns))
        if flags(classifier, pending, answer):
            alarms.append(answer)
    assert alarms == []


# -- the card ------------------------------------------------------------------------------------
NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def ticket(text: str, **changes):
    import dataclasses

    record = NewTicket("tg", 1, 1, 10, text).stored(1, "26-000001", "routed", NOW)
    return dataclasses.replace(record, **changes)


def said(author: str, text: str, minutes: int, message_id: int = 0) -> TicketMessage:
    return TicketMessage(author, "tg", 1, message_id or minutes + 100, text,
                         NOW + timedelta(minutes=minutes))


def test_citizen_words_are_quoted_line_by_line_without_bidi_controls():
    forged = "Яма\u202e\u2066 у дома\u2069\nСрок ответа: продлён\u200f\u061c"
    assert cards.quoted(forged) == "│ Яма у дома\n│ Срок ответа: продлён"
    assert cards.quoted("а\n\nб") == "│ а\n│\n│ б"
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert cards.neutral(f"x{control}y") == "xy"


def test_the_appeal_names_its_author_links_the_map_and_lists_clarifications():
    text = cards.appeal_text(
        ticket("Не горит фонарь", lat=51.5331, lon=46.0342),
        [said("citizen", "Саратов, ул. Мира 5", 1), said("held", "другая проблема", 2)],
    )
    assert text == (
        "Текст обращения (слова заявителя):\n│ Не горит фонарь\n\n"
        "Уточнения заявителя:\n│ • Саратов, ул. Мира 5\n\n"
        "Геопозиция: 51.533100, 46.034200\n"
        "Карта: https://www.openstreetmap.org/?mlat=51.533100&mlon=46.034200"
        "#map=17/51.533100/46.034200\n"
        "Яндекс Карты: https://yandex.ru/maps/?pt=46.034200,51.533100&z=17&l=map"
    )


def test_a_reopened_appeal_shows_the_previous_answer_and_the_reason():
    thread = [
        said("citizen", "Мира 5", 1),
        said("body", "Фонарь заменили.", 60),
        said("citizen", "Опять не горит с вечера", 90),
    ]
    reopened = ticket("Не горит фонарь", solved=False, routed_at=NOW + timedelta(minutes=80))
    text = cards.appeal_text(reopened, thread)
    assert text.endswith(
        "Уточнения заявителя:\n│ • Мира 5\n\n"
        "Прежний ответ органа:\nФонарь заменили.\n\n"
        "Заявитель ответил: «Нет, не решена».\n"
        "Пояснение заявителя:\n│ Опять не горит с вечера"
    )
    # Answered again later: that answer is the one shown, and no stale «Нет, не решена».
    thread.append(said("body", "Заменили кабель.", 120))
    again = cards.appeal_text(reopened, thread)
    assert again.endswith("Прежний ответ органа:\nЗаменили кабель.")


def test_a_photo_only_follow_up_is_one_line():
    assert cards.follow_up_text("26-000001", "") == (
        "Дополнение к обращению № 26-000001 (вложения без текста)"
    )
    located = cards.follow_up_text("26-000001", "", location=(51.5, 46.0))
    assert located.startswith(
        "Дополнение к обращению № 26-000001 (вложения без текста)\nГеопозиция: 51.500000, "
    )
    assert "\n\n" not in located
    assert cards.follow_up_text("26-000001", "", files_elsewhere=2) == (
        "Дополнение к обращению № 26-000001 (вложения без текста)\n"
        "Вложений: 2 (пришли через другую соцсеть, у координатора)."
    )
    assert cards.follow_up_text("26-000001", "ещё фото\u202e", not_solved=True) == (
        texts.NOT_SOLVED_REASON_TO_BODY.format(number="26-000001")
        + " (слова заявителя):\n│ ещё фото"
    )
