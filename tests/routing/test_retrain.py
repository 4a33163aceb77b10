"""`routing.retrain`: a candidate learnt from answered tickets, judged on the newest ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import routing
from routing.classify import Classifier
from routing.retrain import Example, recency_weights, retrain, split_recent
from routing.tablefile import load_table

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STREETS = ("Московской", "Чапаева", "Радищева", "Вольской", "Горького", "Рахова", "Кутякова",
           "Зарубина", "Соколовой", "Астраханской", "Мичурина", "Провиантской")
LAMP = "Не горит фонарь у дома на улице {street} в Саратове, темно вечером"
PIT = "Яма на дороге на улице {street} в Саратове, колесо пробил"


def labelled(pattern: str, body: str, start: int) -> list[Example]:
    return [
        Example(pattern.format(street=s), body, NOW - timedelta(days=60 - start - i))
        for i, s in enumerate(STREETS)
    ]


@pytest.fixture(scope="module")
def saratov():
    table = load_table(Path(routing.__file__).parent / "tables" / "saratov.yaml")
    return table, Classifier(table)


def test_answers_by_another_body_teach_the_candidate(saratov):
    table, current = saratov
    lamp = "Не горит фонарь на улице Шелковичной в Саратове"
    assert current.classify(lamp).ranked_bodies()[0] != "min-construction"
    examples = labelled(LAMP, "min-construction", 0) + labelled(PIT, "min-transport", 1)
    verdict = retrain(table, current, examples, NOW)
    assert verdict.not_worse and verdict.candidate_right > verdict.current_right
    assert verdict.trained_on + verdict.tested_on == len(examples)
    learnt = Classifier(table, verdict.model)
    assert learnt.classify(lamp).ranked_bodies()[0] == "min-construction"


def test_a_candidate_worse_on_the_newest_tickets_is_refused(saratov):
    table, current = saratov
    # Old answers said lamps are the ministry's; the newest ones, the city's (as today's model).
    examples = labelled(LAMP, "min-construction", -40) + labelled(PIT, "min-transport", -40)
    examples += labelled(LAMP, "adm-63701000", 0)[:6]
    verdict = retrain(table, current, examples, NOW)
    assert verdict.model is not None and verdict.tested_on == 6
    assert verdict.candidate_right < verdict.current_right and not verdict.not_worse


def test_too_few_or_unknown_labels_train_nothing(saratov):
    table, current = saratov
    unknown = [Example("Яма", "no-such-body", NOW), Example("Свет", "no-such-body-2", NOW)]
    assert retrain(table, current, unknown, NOW).model is None
    one_body = labelled(PIT, "min-transport", 0)
    assert retrain(table, current, one_body, NOW).model is None


def test_newest_examples_judge_and_recent_weigh_more():
    examples = [Example(str(i), "b", NOW - timedelta(days=i)) for i in range(10)]
    train, test = split_recent(examples)
    assert [e.text for e in test] == ["1", "0"] and len(train) == 8
    fresh, old = recency_weights([NOW, NOW - timedelta(days=90)], NOW)
    assert fresh == 1.0 and old == pytest.approx(0.5)
