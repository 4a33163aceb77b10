"""Routing with a body hierarchy (issue 17): back off to the parent instead of asking when the
doubt is only between its units, and count such a route as right in the parent-aware figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.classify import Classifier, Decision
from routing.dataset import LabelledAppeal
from routing.evaluate import evaluate
from routing.hierarchy import dispatcher_for
from routing.model import Body, Level, Municipality, RoutingTable, Topic

SARATOV = "63701000"


def body(id, topics, territory=(SARATOV,), parent=None, level=Level.MUNICIPAL):
    return Body(id=id, name=f"Орган {id}", level=level, topics=tuple(topics),
                territory=territory, parent=parent)


def city(*, hierarchy: bool) -> RoutingTable:
    """Water is ambiguous between two topics, each answered by a committee of the city; a
    doctor is a regional matter; roads belong to the city's road committee and its department."""
    under = (lambda parent: parent) if hierarchy else (lambda parent: None)
    return RoutingTable(
        region="Саратовская область",
        municipalities=(Municipality(SARATOV, "город Саратов", "городской округ",
                                     aliases=("Саратов",)),),
        topics=(
            Topic("cold-water", "Холодная вода", keywords=("вода", "водопровод")),
            Topic("hot-water", "Горячая вода", keywords=("вода", "батарея")),
            Topic("sick-water", "Вода и здоровье", keywords=("вода", "отравление")),
            Topic("lighting", "Уличное освещение", keywords=("фонарь",)),
        ),
        bodies=(
            body("city", ["lighting"]),
            body("water-committee", ["cold-water"], parent=under("city")),
            body("heat-committee", ["hot-water"], parent=under("city")),
            body("min-health", ["sick-water"], "region", level=Level.REGIONAL),
        ),
    )


def test_no_hierarchy_or_a_sure_body_leaves_the_decision_alone() -> None:
    flat, tree = city(hierarchy=False), city(hierarchy=True)
    assert dispatcher_for(flat, {"water-committee": 0.4, "heat-committee": 0.4}, 0.55) is None
    assert dispatcher_for(tree, {"water-committee": 0.6, "heat-committee": 0.3}, 0.55) is None
    assert dispatcher_for(tree, {}, 0.55) is None


def test_doubt_between_siblings_goes_to_their_parent() -> None:
    found = dispatcher_for(city(hierarchy=True),
                           {"heat-committee": 0.25, "water-committee": 0.35, "min-health": 0.4},
                           0.55)
    assert found is not None
    assert (found.body, found.units) == ("city", ("water-committee", "heat-committee"))
    assert found.confidence == pytest.approx(0.6)


def test_doubt_reaching_outside_the_family_is_not_settled_by_it() -> None:
    tree = city(hierarchy=True)
    assert dispatcher_for(tree, {"heat-committee": 0.2, "water-committee": 0.3,
                                 "min-health": 0.5}, 0.55) is None


def test_the_deepest_sure_family_wins() -> None:
    table = city(hierarchy=True)
    table = replace(table, bodies=(*table.bodies,
                                   body("pipes", ["cold-water"], parent="water-committee"),
                                   body("meters", ["cold-water"], parent="water-committee")))
    found = dispatcher_for(table, {"pipes": 0.3, "meters": 0.3, "heat-committee": 0.3}, 0.55)
    assert found is not None and found.body == "water-committee"
    found = dispatcher_for(table, {"pipes": 0.2, "meters": 0.2, "heat-committee": 0.3}, 0.55)
    assert found is not None and found.body == "city"


def test_classifier_routes_to_the_parent_instead_of_asking_the_topic() -> None:
    text = "В Саратове нет воды"
    flat = Classifier(city(hierarchy=False)).classify(text)
    assert flat.decision == Decision.ASK_TOPIC
    assert set(flat.topic_options) == {"cold-water", "hot-water", "sick-water"}
    tree = Classifier(city(hierarchy=True)).classify(text)
    assert flat.candidates == tree.candidates
    assert (tree.decision, tree.body, tree.municipality) == (Decision.ROUTE, "city", SARATOV)
    assert tree.topic in ("cold-water", "hot-water")
    assert tree.confidence >= Classifier(city(hierarchy=True)).thresholds.route
    assert tree.why.startswith("сомнение только между подразделениями органа «Орган city»")


def test_classifier_still_asks_when_the_doubt_leaves_the_family() -> None:
    table = city(hierarchy=True)
    table = replace(table, bodies=tuple(  # heating is a company's, not the city's unit
        replace(b, parent=None) if b.id == "heat-committee" else b for b in table.bodies))
    result = Classifier(table).classify("В Саратове нет воды")
    assert result.decision == Decision.ASK_TOPIC


def test_evaluate_counts_a_route_to_the_dispatching_parent_in_the_second_figures() -> None:
    classifier = Classifier(city(hierarchy=True))
    appeals = [LabelledAppeal(str(i), "В Саратове нет воды",
                              None, None, None, None) for i in range(2)]
    result = classifier.classify(appeals[0].text)
    assert result.decision == Decision.ROUTE and result.body == "city"
    report = evaluate(classifier, appeals, [None, None], ["water-committee", "heat-committee"])
    assert (report.routed, report.routed_precision) == (1.0, 0.0)
    assert report.routed_precision_dispatch == 1.0
    assert report.top3 == report.top3_dispatch == 1.0  # both committees rank in the top three
    assert report.routed_wrong_dispatch == 0.0
    assert report.final_right_dispatch == 1.0 and report.final_wrong_dispatch == 0.0
    assert "считая верным вышестоящий орган" in "\n".join(report.lines())
    flat = evaluate(Classifier(city(hierarchy=False)), appeals, [None, None],
                    ["water-committee", "heat-committee"])
    assert flat.routed_precision_dispatch is None
