"""Calibrated confidence, the route threshold for a target precision, and questions that pay."""

from __future__ import annotations

import pytest

from routing.calibration import Calibration
from routing.classify import Candidate, Classifier, Decision
from routing.model import Body, Level, Municipality, RoutingTable, Topic
from routing.questions import place_question_gain, question_gain

REGION = "Саратовская область"


def test_isotonic_map_is_monotone_and_reads_the_held_out_rate():
    # Raw 0.9 was right only half the time, raw 0.6 always: the map must not promise 0.9.
    raw = [0.2] * 10 + [0.6] * 10 + [0.9] * 10
    right = [False] * 10 + [True] * 10 + [True] * 5 + [False] * 5
    calibration = Calibration.fit(raw, right)
    values = [calibration.probability(x) for x in (0.0, 0.2, 0.5, 0.6, 0.9, 1.0)]
    assert values == sorted(values)
    assert calibration.probability(0.2) == 0.0
    assert calibration.probability(0.9) == pytest.approx(0.75)  # pooled with 0.6


def test_threshold_routes_the_most_appeals_at_the_target_precision():
    raw = [i / 100 for i in range(100)]
    right = [i >= 40 for i in range(100)]  # above 0.4 always right, below never
    calibration = Calibration.fit(raw, right)
    point = calibration.threshold_for(0.88)
    assert point.precision >= 0.88
    assert point.coverage == pytest.approx(0.6)
    curve = calibration.curve()
    assert [p.threshold for p in curve] == sorted((p.threshold for p in curve), reverse=True)


def test_unreachable_precision_takes_the_most_precise_point():
    raw = [i / 100 for i in range(100)]
    right = [i % 2 == 0 for i in range(100)]  # a coin whatever the score
    point = Calibration.fit(raw, right).threshold_for(0.95)
    assert point.precision < 0.95 and point.coverage > 0


def test_calibration_needs_pairs():
    with pytest.raises(ValueError, match="пары"):
        Calibration.fit([], [])


def test_topic_question_whose_topics_lead_to_one_body_gains_nothing():
    candidates = [Candidate("a", None, "admin", 0.4), Candidate("b", None, "admin", 0.3),
                  Candidate("b", None, "roads", 0.3)]
    handles = {("admin", "a"), ("admin", "b"), ("roads", "b")}
    gain = question_gain(("a", "b"), {"a": 0.5, "b": 0.5}, candidates,
                         lambda b, t: (b, t) in handles)
    assert gain == pytest.approx(0.0)


def test_topic_question_that_separates_two_bodies_pays():
    candidates = [Candidate("a", None, "admin", 0.5), Candidate("b", None, "roads", 0.5)]
    handles = {("admin", "a"), ("roads", "b")}
    gain = question_gain(("a", "b"), {"a": 0.5, "b": 0.5}, candidates,
                         lambda b, t: (b, t) in handles)
    assert gain == pytest.approx(0.5)


def test_place_question_among_region_wide_bodies_gains_nothing():
    territory = {"min-health": "region", "min-social": "region"}.__getitem__
    gain = place_question_gain({"min-health": 0.6, "min-social": 0.4}, territory,
                               region_wide="region")
    assert gain == 0.0


def test_place_question_between_two_towns_pays_and_an_unknown_place_must_be_asked():
    territory = {"saratov": ("63701000",), "engels": ("63650101",)}.__getitem__
    assert place_question_gain({"saratov": 0.5, "engels": 0.5}, territory) == pytest.approx(0.5)
    assert place_question_gain({None: 1.0}, territory) == 1.0


# -- in the classifier --------------------------------------------------------------------------
def body(id, topics, territory, level=Level.MUNICIPAL):
    return Body(id=id, name=f"Орган {id}", level=level, topics=tuple(topics), territory=territory)


@pytest.fixture(scope="module")
def table():
    return RoutingTable(
        region=REGION,
        municipalities=(
            Municipality("63701000", "город Саратов", "городской округ", aliases=("Саратов",)),
            Municipality("63650101", "город Энгельс", "городское поселение",
                         aliases=("Энгельс",)),
        ),
        topics=(
            Topic("cold-water", "Холодная вода", keywords=("вода", "водопровод")),
            Topic("hot-water", "Горячая вода", keywords=("вода", "кран")),
            Topic("test", "Тестовая категория", keywords=("вода", "тестовый")),
            Topic("roads", "Дороги", keywords=("яма", "дорога", "трасса")),
            Topic("payments", "Выплаты", keywords=("выплата", "пособие"), level=Level.REGIONAL),
            Topic("benefits", "Льготы", keywords=("выплата", "льгота"), level=Level.REGIONAL),
        ),
        bodies=(
            body("saratov", ["cold-water", "hot-water", "roads"], ("63701000",)),
            body("engels", ["cold-water", "roads"], ("63650101",)),
            body("heat", ["hot-water"], "region", level=Level.REGIONAL),
            body("min-roads", ["roads"], "region", level=Level.REGIONAL),
            body("min-social", ["payments", "benefits"], "region", level=Level.REGIONAL),
        ),
    )


def test_a_category_no_body_handles_is_never_offered(table):
    # Before: «Холодная вода», «Горячая вода», «Тестовая категория».
    result = Classifier(table).classify("Нет воды в Энгельсе")
    assert result.decision == Decision.ASK_TOPIC
    assert result.topic_options == ("cold-water", "hot-water")


def test_no_topic_question_when_every_option_leads_to_the_same_body(table):
    # Both water topics are the city's in Saratov: asking which would change nothing.
    result = Classifier(table).classify("Нет воды, течёт из крана в Саратове")
    assert result.decision == Decision.ROUTE and result.body == "saratov"
    assert result.topic_options == ()


def test_no_place_question_when_the_likely_bodies_cover_the_region(table):
    result = Classifier(table).classify("Не пришла выплата, обещали льготу")
    assert result.decision == Decision.ROUTE and result.body == "min-social"
    assert result.municipality_options == ()


def test_a_regional_road_is_the_region_s_even_in_a_named_town(table):
    plain = Classifier(table).classify("Яма на дороге в Энгельсе")
    cued = Classifier(table).classify("Яма на региональной трассе у Энгельса")
    share = lambda r, b: r.body_totals().get(b, 0.0) / sum(r.body_totals().values())  # noqa: E731
    assert share(cued, "min-roads") > share(plain, "min-roads")


class _Headless:
    """A trained model's calibration without its heads: the table alone scores."""

    def __init__(self, calibration: Calibration):
        self.calibration = calibration
        self.words = type("Words", (), {"vocabulary_": {}})()

    def predict(self, text, places):
        return {}, {}


def test_a_calibrated_model_routes_by_the_threshold_for_its_target_precision(table):
    raw = [i / 100 for i in range(100)]
    calibration = Calibration.fit(raw, [i >= 70 for i in range(100)])
    model = _Headless(calibration)
    strict = Classifier(table, model, route_precision=0.99)
    assert strict.route_point is not None and strict.route_point.precision >= 0.99
    assert strict.thresholds.route == pytest.approx(calibration.probability(0.70))
    result = strict.classify("Не пришла выплата на ребёнка")
    assert result.confidence == pytest.approx(calibration.probability(
        sum(result.body_totals().values()) and max(result.body_totals().values())))


def test_an_unsure_appeal_no_question_settles_goes_to_the_coordinators_not_a_guessed_page(table):
    # Both water topics are the city's in Saratov, so no question helps; what is left is how sure
    # the model is. Here it is right only above a raw 0.75, which this appeal does not reach.
    unsure = Calibration.fit([i / 100 for i in range(100)], [i >= 75 for i in range(100)])
    result = Classifier(table, _Headless(unsure)).classify("Нет воды, течёт из крана в Саратове")
    assert result.decision == Decision.TO_COORDINATOR, (result, result.body_totals())
    assert result.body == "saratov" and "вопрос жителю не поможет" in result.why
    # The same appeal, with a model whose scores at that level are right 9 times in 10: routed.
    sure = Calibration.fit([i / 100 for i in range(100)], [i % 10 != 0 for i in range(100)])
    routed = Classifier(table, _Headless(sure)).classify("Нет воды, течёт из крана в Саратове")
    assert routed.decision == Decision.ROUTE and routed.body == "saratov"
