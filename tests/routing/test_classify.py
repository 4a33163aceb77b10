"""The four decisions, and that a question is asked only when its answer matters."""

from __future__ import annotations

import pytest

from routing.classify import Classifier, Decision
from routing.model import Body, Level, Municipality, RoutingTable, Topic
from routing.tablefile import load_table

REGION = "Саратовская область"


def body(id, topics, territory, level=Level.MUNICIPAL, priority=0):
    return Body(id=id, name=f"Орган {id}", level=level, topics=tuple(topics),
                territory=territory, priority=priority)


@pytest.fixture(scope="module")
def small():
    """Two towns, a district with a village; water is ambiguous between two topics."""
    table = RoutingTable(
        region=REGION,
        municipalities=(
            Municipality("63701000", "город Саратов", "городской округ", aliases=("Саратов",),
                         lat=51.533, lon=46.034),
            Municipality("63650000", "Энгельсский муниципальный район", "муниципальный район",
                         aliases=("Энгельсский район",)),
            Municipality("63650101", "город Энгельс", "городское поселение", parent="63650000",
                         aliases=("Энгельс",), lat=51.485, lon=46.126),
        ),
        topics=(
            Topic("lighting", "Уличное освещение", keywords=("фонарь", "освещение", "гореть")),
            Topic("cold-water", "Холодная вода", keywords=("вода", "водопровод")),
            Topic("hot-water", "Горячая вода", keywords=("вода", "батарея")),
            Topic("health", "Здравоохранение", keywords=("врач", "поликлиника"),
                  level=Level.REGIONAL),
        ),
        bodies=(
            body("saratov", ["lighting", "cold-water"], ("63701000",)),
            body("engels-district", ["lighting", "cold-water"], ("63650000",)),
            body("engels-town", ["lighting"], ("63650101",)),
            body("heat-company", ["hot-water"], "region", level=Level.REGIONAL),
            body("min-health", ["health"], "region", level=Level.REGIONAL),
        ),
    )
    return Classifier(table)


def test_clear_topic_and_place_route_to_the_most_specific_body(small):
    result = small.classify("Не горит фонарь в Энгельсе")
    assert result.decision == Decision.ROUTE
    assert (result.topic, result.municipality, result.body) == (
        "lighting", "63650101", "engels-town")
    assert "фонарь" in result.why and "город Энгельс" in result.why


def test_a_village_without_its_own_body_goes_to_its_district(small):
    result = small.classify("Нет воды в водопроводе, Энгельсский район", topic="cold-water")
    assert result.decision == Decision.ROUTE
    assert result.body == "engels-district"


def test_region_wide_topic_needs_no_place(small):
    result = small.classify("Не могу попасть к врачу в поликлинику")
    assert result.decision == Decision.ROUTE
    assert result.body == "min-health"
    assert result.municipality is None


def test_ambiguous_topic_that_changes_the_body_is_asked(small):
    result = small.classify("Третий день нет воды в Саратове")
    assert result.decision == Decision.ASK_TOPIC
    assert set(result.topic_options) == {"cold-water", "hot-water"}


def test_answering_the_topic_question_routes(small):
    result = small.classify("Третий день нет воды в Саратове", topic="hot-water")
    assert result.decision == Decision.ROUTE
    assert result.body == "heat-company"


def test_municipal_topic_without_a_place_asks_where(small):
    result = small.classify("Не горит фонарь у подъезда")
    assert result.decision == Decision.ASK_MUNICIPALITY
    assert result.topic == "lighting"
    assert result.body is None


def test_answering_the_place_question_routes(small):
    result = small.classify("Не горит фонарь у подъезда", municipality="63701000")
    assert result.decision == Decision.ROUTE
    assert result.body == "saratov"


def test_shared_location_answers_the_place_question(small):
    result = small.classify("Не горит фонарь у подъезда", lat=51.534, lon=46.035)
    assert result.decision == Decision.ROUTE
    assert result.body == "saratov"
    assert "геометка" in result.why


def test_nothing_in_the_table_fits_goes_to_coordinators(small):
    result = small.classify("Хочу поблагодарить всех за праздник")
    assert result.decision == Decision.TO_COORDINATOR
    assert result.body is None


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\x00\x01", "12345"])
def test_empty_or_meaningless_text_goes_to_coordinators(small, text):
    assert small.classify(text).decision == Decision.TO_COORDINATOR


def test_candidates_are_ranked_and_serialisable(small):
    result = small.classify("Не горит фонарь в Энгельсе")
    confidences = [c.confidence for c in result.candidates]
    assert confidences == sorted(confidences, reverse=True)
    payload = result.to_json()
    assert payload["decision"] == "route" and payload["candidates"][0]["body"] == "engels-town"


# -- on the shipped Saratov table: what a citizen of the region would see ----------------------
@pytest.fixture(scope="module")
def saratov():
    return Classifier(load_table("routing/tables/saratov.yaml"))


@pytest.mark.parametrize(
    ("text", "body_name_part"),
    [
        ("в Саратове на ул. Московской не горит фонарь уже неделю", "«Город Саратов»"),
        ("Огромные ямы на дорогах Энгельсского района", "Энгельсского муниципального района"),
        ("не могу записаться к врачу в поликлинику", "Министерство здравоохранения"),
    ],
)
def test_shipped_table_routes_plain_appeals(saratov, text, body_name_part):
    result = saratov.classify(text)
    assert result.decision == Decision.ROUTE, result.why
    assert body_name_part in saratov.table.body_by_id[result.body].name


def test_shipped_table_asks_where_for_a_local_problem_without_a_place(saratov):
    result = saratov.classify("Во дворе не вывозят мусор, контейнеры переполнены")
    assert result.decision == Decision.ASK_MUNICIPALITY


def test_shipped_table_offers_namesakes_when_a_settlement_name_is_shared(saratov):
    result = saratov.classify("В Октябрьском МО не вывозят мусор")
    assert result.decision == Decision.ASK_MUNICIPALITY
    named = {saratov.table.municipality_by_id[m].name for m in result.municipality_options}
    assert named == {"Октябрьское"} and len(result.municipality_options) > 1
