"""Hand-written Saratov appeals: the place is right when routed, never a confident wrong place.

Written the way residents write: adjective forms («Балаковская больница»), villages below the
municipal formation («в селе Усть-Курдюм»), streets named after towns («ул. Новая Саратовская»
in Энгельс), typos, and regional matters inside a town. Each appeal names one place, given by
its OKTMO code; a route is right when its place is that code or a formation enclosing it (an
OKTMO code's first 8 digits are its formation, its first 5 digits + «000» its district), and its
body's territory covers the place (or the whole region).

Two checks per appeal: classified freely, a route never names a wrong place (a question is
fine); classified with the topic given (as after the citizen's answer), it routes to the right
place without asking where.
"""

from __future__ import annotations

import pytest

from routing.classify import Classifier, Decision
from routing.tablefile import load_table
from routing.text import analyse

SARATOV = "63701000"
ENGELS = "63650101"
BALAKOVO = "63607101"
VOLSK = "63611101"
MARKS = "63626101"
PUGACHEV = "63637101"
RTISHCHEVO = "63641101"
BALASHOV = "63608101"
KHVALYNSK = "63649101"
ATKARSK = "63604101"
PETROVSK = "63635101"
KRASNOARMEYSK = "63622101"
KRASNY_KUT = "63623101"
SHIKHANY = "63746000"

APPEALS: list[tuple[str, str, str]] = [
    # adjective and other derived forms of a town
    ("Балаковская больница №1 не принимает без записи, врача нет", "health", BALAKOVO),
    ("В вольской школе №3 холодно в классах, дети сидят в куртках", "schools", VOLSK),
    ("Энгельсские дороги в ужасном состоянии, яма на яме", "roads", ENGELS),
    ("Марксовская администрация не убирает снег с тротуаров", "snow", MARKS),
    ("Возле Пугачевского рынка свалка мусора, не вывозят неделю", "waste", PUGACHEV),
    ("Ртищевские улицы не освещаются, фонари не горят", "lighting", RTISHCHEVO),
    ("В Балашовской аптеке нет льготных лекарств", "medicines", BALASHOV),
    ("В хвалынском парке всё в мусоре, лавочки сломаны", "improvement", KHVALYNSK),
    ("Аткарская детская площадка сломана, качели оторваны", "improvement", ATKARSK),
    ("Петровская районная больница: нет терапевта второй месяц", "health", PETROVSK),
    ("Красноармейский детский сад №5 переполнен, очередь", "kindergartens", KRASNOARMEYSK),
    ("Краснокутская дорога к вокзалу разбита, ямы", "roads", KRASNY_KUT),
    ("Шиханская школа: в спортзале холодно, не топят", "schools", SHIKHANY),
    # villages and other settlements below the municipal formation
    ("Нет света на улицах в селе Усть-Курдюм, фонари не горят", "lighting", "63643496101"),
    ("Яма на дороге в Шумейке, Энгельсский район", "roads", "63650440161"),
    ("В посёлке Дубки не вывозят мусор, контейнеры переполнены", "waste", "63643440101"),
    ("Багаевка, не горят фонари на улице Центральной", "lighting", "63643412101"),
    ("В селе Генеральское нет уличного освещения", "lighting", "63650440111"),
    ("Терновка Энгельсского района: на кладбище свалка", "cemeteries", "63650460101"),
    ("В хуторе Сысоев нет уличного освещения", "lighting", "63602405166"),
    ("Пристанное, Саратовский район: яма на дороге", "roads", "63643496121"),
    ("Широкий Буерак Вольского района, нет воды в колонках", "water", "63611480101"),
    ("В с. Квасниковка не горят фонари", "lighting", "63650101103"),
    ("В посёлке Приволжский яма на дороге", "roads", "63650101055"),
    ("Сокур Татищевского района, трава по пояс, не косят", "greenery", "63646405118"),
    ("с. Усть-Курдюм, стая бездомных собак на остановке", "stray-animals", "63643496101"),
    ("В Усть-Курдюме не горят фонари", "lighting", "63643496101"),
    # typos and grammatical cases
    ("в Саротове яма на дороге по улице Чернышевского", "roads", SARATOV),
    ("Балоково, не горят фонари во дворе", "lighting", BALAKOVO),
    ("в Ртищеве не вывозят мусор", "waste", RTISHCHEVO),
    ("Аткорск, яма на дороге у школы", "roads", ATKARSK),
    # streets named after towns
    ("Энгельс, ул. Новая Саратовская, д. 5 — разбита детская площадка", "improvement", ENGELS),
    ("Саратов, улица Вольская 10, не вывозят мусор", "waste", SARATOV),
    ("г. Саратов, Саратовский проезд, не горят фонари", "lighting", SARATOV),
    ("пр. Энгельса в Саратове, яма на дороге", "roads", SARATOV),
    ("г. Энгельс, ул. Ленина 5, нет отопления в квартире", "heating", ENGELS),
    ("Балаково, Саратовское шоссе, яма на дороге", "roads", BALAKOVO),
    ("Маркс, Вольская улица: во дворе сломаны качели", "improvement", MARKS),
    ("Вольск, ул. Большая Балаковская, не вывозят мусор", "waste", VOLSK),
    ("В Энгельсе на Саратовской улице огромная яма на дороге", "roads", ENGELS),
    ("Ртищево, улица Красноармейская, не горят фонари", "lighting", RTISHCHEVO),
    ("Пугачев, ул. Ершовская, не убран снег", "snow", PUGACHEV),
    ("Саратов, ул. Большая Марксовская, во дворе не вывозят мусор", "waste", SARATOV),
    # regional matters inside a town
    ("В Балаковской больнице нет лекарств для льготников", "medicines", BALAKOVO),
    ("Энгельс: не начисляют детское пособие третий месяц", "social-support", ENGELS),
    ("Вольская ЦРБ, нет врача-педиатра", "health", VOLSK),
    ("Саратов, Заводской район, плохая мобильная связь, нет интернета", "communications",
     SARATOV),
]


def acceptable(place: str) -> set[str]:
    """The place and the formations enclosing it, from the OKTMO code itself."""
    return {place, place[:8], place[:5] + "000"}


@pytest.fixture(scope="module")
def saratov():
    return load_table("routing/tables/saratov.yaml")


@pytest.fixture(scope="module")
def classifier(saratov):
    return Classifier(saratov)


def wrong_place(saratov, result, place: str) -> str | None:
    """Why a route names a wrong place, or None if it does not."""
    right = acceptable(place)
    if result.municipality is not None and result.municipality not in right:
        return f"место {saratov.display_name(result.municipality)}"
    body = saratov.body_by_id[result.body]
    if not body.covers_whole_region and right.isdisjoint(body.territory):
        return f"орган {body.name}"
    return None


def test_there_are_enough_appeals():
    assert len(APPEALS) >= 40
    assert len({text for text, _, _ in APPEALS}) == len(APPEALS)


@pytest.mark.parametrize(("text", "topic", "place"), APPEALS, ids=[a[0][:40] for a in APPEALS])
def test_never_a_confident_wrong_place(saratov, classifier, text, topic, place):
    result = classifier.classify(text)
    if result.decision is Decision.ROUTE:
        assert wrong_place(saratov, result, place) is None, result.why


@pytest.mark.parametrize(("text", "topic", "place"), APPEALS, ids=[a[0][:40] for a in APPEALS])
def test_the_place_is_found_once_the_topic_is_known(saratov, classifier, text, topic, place):
    result = classifier.classify(text, topic=topic)
    assert result.decision is Decision.ROUTE, result.why
    assert wrong_place(saratov, result, place) is None, result.why
    if not saratov.body_by_id[result.body].covers_whole_region:
        assert result.municipality in acceptable(place), result.why


ATKARSK_PIN = (51.8736, 45.0003)
BALAKOVO_PIN = (52.0224, 47.7828)


def test_namesake_villages_are_asked_about_with_their_districts(saratov, classifier):
    result = classifier.classify("Нет света на улицах в Михайловке, фонари не горят")
    assert result.decision is Decision.ASK_MUNICIPALITY
    shown = [saratov.display_name(m) for m in result.municipality_options]
    assert len(shown) > 1 and all(s.startswith(("село Михайловка (", "деревня Михайловка ("))
                                  and "район" in s for s in shown)


def test_the_shared_location_settles_namesakes_before_any_question(saratov, classifier):
    text = "Нет света на улицах в Михайловке, фонари не горят"
    result = classifier.classify(text, *ATKARSK_PIN, topic="lighting")
    assert result.decision is Decision.ROUTE
    assert result.municipality in acceptable("63604481116")  # деревня Михайловка, Аткарский р-н


def test_the_shared_location_places_an_appeal_that_names_no_place(classifier):
    result = classifier.classify("Во дворе не горят фонари", *BALAKOVO_PIN, topic="lighting")
    assert result.decision is Decision.ROUTE and result.municipality == BALAKOVO


def test_a_location_elsewhere_does_not_override_the_named_place(classifier):
    result = classifier.classify("В Усть-Курдюме не горят фонари", *BALAKOVO_PIN, topic="lighting")
    assert result.decision is not Decision.ROUTE or result.municipality in acceptable(
        "63643496101"
    )


def test_a_surname_is_not_a_village(saratov, classifier):
    found = classifier.gazetteer.find(analyse("Обращается Сысоев Иван Петрович, Балаково"))
    assert [m.municipality_id for m in found] == [BALAKOVO]


def test_a_formation_named_by_its_word_is_not_the_village_of_that_name(classifier):
    found = classifier.gazetteer.find(analyse("в Октябрьском МО не вывозят мусор"))
    assert found and all(len(m.municipality_id) == 8 for m in found)


def test_the_district_is_meant_when_the_adjective_says_district(classifier):
    found = classifier.gazetteer.find(analyse("в Балаковском районе яма на дороге"))
    assert [m.municipality_id for m in found] == ["63607000"]
