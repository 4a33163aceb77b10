"""Hand-written Saratov appeals on the shipped table, no model: routed right or not routed.

Written the way residents write: adjective forms («Балаковская больница»), villages below the
municipal formation («в селе Усть-Курдюм»), streets named after towns («ул. Новая Саратовская»
in Энгельс), typos («в Саротове», «Балашев», «Марск»), and regional matters inside a town (a
regional road, a regional hospital, a social payment, a management company named with its
town). Each appeal names one place, given by its OKTMO code, and the body that must answer it
for each topic that fits its words (``adm-<OKTMO>`` is that municipality's administration); a
route's place is right when it is that code or a formation enclosing it (an OKTMO code's first
8 digits are its formation, its first 5 digits + «000» its district).

The promise of issue 17: classified freely, an appeal is either asked about (or handed to the
coordinators) or routed to the right body, with a right topic and place — never a confident
wrong route. And once the citizen has chosen the topic, the place is found without asking where.
What the router still gets wrong is kept below as a strict xfail with the reason, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

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
HEALTH, LABOUR, ROADS = "min-health", "min-labour", "min-transport"
HOUSING, BUILDING, DIGITAL = "gzhi", "min-construction", "min-digital"


def adm(oktmo: str) -> str:
    """The administration of a municipality, as the shipped table names it."""
    return f"adm-{oktmo}"


@dataclass(frozen=True)
class Appeal:
    text: str
    place: str  # OKTMO code of the place the appeal is about
    right: dict[str, str]  # topic → the body right for it here; the first is the citizen's
    wrong_today: str = ""  # why the router routes it wrongly today (a strict xfail)
    unplaced_today: str = ""  # why, with the topic given, it still asks where (a strict xfail)


GARBLED = "a typo past the fuzzy cutoff (85): the town is asked, not guessed"

APPEALS: list[Appeal] = [
    # adjective and other derived forms of a town
    Appeal("Балаковская больница №1 не принимает без записи, врача нет", BALAKOVO,
           {"health": HEALTH}),
    Appeal("В вольской школе №3 холодно в классах, дети сидят в куртках", VOLSK,
           {"schools": adm("63611000")}),
    Appeal("Энгельсские дороги в ужасном состоянии, яма на яме", ENGELS, {"roads": adm(ENGELS)}),
    Appeal("Марксовская администрация не убирает снег с тротуаров", MARKS, {"snow": adm(MARKS)}),
    Appeal("Возле Пугачевского рынка свалка мусора, не вывозят неделю", PUGACHEV,
           {"waste": adm("63637000")}),
    Appeal("Ртищевские улицы не освещаются, фонари не горят", RTISHCHEVO,
           {"lighting": adm(RTISHCHEVO)}),
    Appeal("В Балашовской аптеке нет льготных лекарств", BALASHOV, {"medicines": HEALTH}),
    Appeal("В хвалынском парке всё в мусоре, лавочки сломаны", KHVALYNSK,
           {"improvement": adm(KHVALYNSK)}),  # district 0.36, town 0.35: to the coordinators
    Appeal("Аткарская детская площадка сломана, качели оторваны", ATKARSK,
           {"improvement": adm(ATKARSK)}),
    Appeal("Петровская районная больница: нет терапевта второй месяц", PETROVSK,
           {"health": HEALTH}),
    Appeal("Красноармейский детский сад №5 переполнен, очередь", KRASNOARMEYSK,
           {"kindergartens": adm("63622000")}),
    Appeal("Краснокутская дорога к вокзалу разбита, ямы", KRASNY_KUT, {"roads": adm(KRASNY_KUT)}),
    Appeal("Шиханская школа: в спортзале холодно, не топят", SHIKHANY,
           {"schools": adm(SHIKHANY), "heating": adm(SHIKHANY)}),
    # villages and other settlements below the municipal formation
    Appeal("Нет света на улицах в селе Усть-Курдюм, фонари не горят", "63643496101",
           {"lighting": adm("63643496")}),
    Appeal("Яма на дороге в Шумейке, Энгельсский район", "63650440161",
           {"roads": adm("63650000")}),
    Appeal("В посёлке Дубки не вывозят мусор, контейнеры переполнены", "63643440101",
           {"waste": adm("63643000")}),
    Appeal("Багаевка, не горят фонари на улице Центральной", "63643412101",
           {"lighting": adm("63643412")}),
    Appeal("В селе Генеральское нет уличного освещения", "63650440111",
           {"lighting": adm("63650440")}),
    # a dump at a cemetery: the cemetery's keeper (the settlement) or dumps (the district)
    Appeal("Терновка Энгельсского района: на кладбище свалка", "63650460101",
           {"cemeteries": adm("63650460"), "waste": adm("63650000")}),
    Appeal("В хуторе Сысоев нет уличного освещения", "63602405166",
           {"lighting": adm("63602000")}),
    Appeal("Пристанное, Саратовский район: яма на дороге", "63643496121",
           {"roads": adm("63643000")}),
    Appeal("Широкий Буерак Вольского района, нет воды в колонках", "63611480101",
           {"water": adm("63611000")}),
    Appeal("В с. Квасниковка не горят фонари", "63650101103", {"lighting": adm(ENGELS)}),
    Appeal("В посёлке Приволжский яма на дороге", "63650101055", {"roads": adm(ENGELS)}),
    Appeal("Сокур Татищевского района, трава по пояс, не косят", "63646405118",
           {"greenery": adm("63646405")}),
    Appeal("с. Усть-Курдюм, стая бездомных собак на остановке", "63643496101",
           {"stray-animals": adm("63643000")}),
    Appeal("В Усть-Курдюме не горят фонари", "63643496101", {"lighting": adm("63643496")}),
    # typos and grammatical cases
    Appeal("в Саротове яма на дороге по улице Чернышевского", SARATOV, {"roads": adm(SARATOV)}),
    Appeal("Балоково, не горят фонари во дворе", BALAKOVO, {"lighting": adm(BALAKOVO)}),
    Appeal("в Ртищеве не вывозят мусор", RTISHCHEVO, {"waste": adm("63641000")}),
    Appeal("Аткорск, яма на дороге у школы", ATKARSK, {"roads": adm(ATKARSK)}),
    Appeal("в Энгелсе на улице Тельмана яма на дороге", ENGELS, {"roads": adm(ENGELS)}),
    Appeal("Балашев, не горят фонари на улице Гагарина", BALASHOV, {"lighting": adm(BALASHOV)}),
    Appeal("Хвалынкс, снег не убирают с тротуаров", KHVALYNSK, {"snow": adm(KHVALYNSK)}),
    Appeal("в саратове во дворе не горят фанари", SARATOV, {"lighting": adm(SARATOV)}),
    Appeal("в Пугочеве не вывозят мусор с улицы Топорковской", PUGACHEV,
           {"waste": adm("63637000")}, unplaced_today=GARBLED),
    Appeal("Марск, сломаны качели во дворе дома 7", MARKS, {"improvement": adm(MARKS)},
           unplaced_today=GARBLED),
    Appeal("Вальск, нет воды в колонке на улице Революционной", VOLSK,
           {"water": adm("63611000")}, unplaced_today=GARBLED),
    # streets named after towns
    Appeal("Энгельс, ул. Новая Саратовская, д. 5 — разбита детская площадка", ENGELS,
           {"improvement": adm(ENGELS)}),
    Appeal("Саратов, улица Вольская 10, не вывозят мусор", SARATOV, {"waste": adm(SARATOV)}),
    Appeal("г. Саратов, Саратовский проезд, не горят фонари", SARATOV,
           {"lighting": adm(SARATOV)}),
    Appeal("пр. Энгельса в Саратове, яма на дороге", SARATOV, {"roads": adm(SARATOV)}),
    Appeal("г. Энгельс, ул. Ленина 5, нет отопления в квартире", ENGELS,
           {"heating": adm("63650000")}),
    Appeal("Балаково, Саратовское шоссе, яма на дороге", BALAKOVO, {"roads": adm(BALAKOVO)}),
    Appeal("Маркс, Вольская улица: во дворе сломаны качели", MARKS, {"improvement": adm(MARKS)}),
    Appeal("Вольск, ул. Большая Балаковская, не вывозят мусор", VOLSK,
           {"waste": adm("63611000")}),
    Appeal("В Энгельсе на Саратовской улице огромная яма на дороге", ENGELS,
           {"roads": adm(ENGELS)}),
    Appeal("Ртищево, улица Красноармейская, не горят фонари", RTISHCHEVO,
           {"lighting": adm(RTISHCHEVO)}),
    Appeal("Пугачев, ул. Ершовская, не убран снег", PUGACHEV, {"snow": adm(PUGACHEV)}),
    Appeal("Саратов, ул. Большая Марксовская, во дворе не вывозят мусор", SARATOV,
           {"waste": adm(SARATOV)}),
    # regional matters inside a town: the region's, not the town's
    Appeal("В Балаковской больнице нет лекарств для льготников", BALAKOVO,
           {"medicines": HEALTH}),
    Appeal("Энгельс: не начисляют детское пособие третий месяц", ENGELS,
           {"social-support": LABOUR}),
    Appeal("Вольская ЦРБ, нет врача-педиатра", VOLSK, {"health": HEALTH}),
    Appeal("Саратов, Заводской район, плохая мобильная связь, нет интернета", SARATOV,
           {"communications": DIGITAL}),
    Appeal("Областная клиническая больница в Саратове: к кардиологу запись на два месяца "
           "вперёд", SARATOV, {"health": HEALTH}),
    Appeal("Энгельсская городская больница №1: нет хирурга, больных отправляют в Саратов",
           ENGELS, {"health": HEALTH}),
    Appeal("Ртищевская районная больница: закрыли детское отделение", RTISHCHEVO,
           {"health": HEALTH}),
    Appeal("Областная дорога возле Энгельса: разбито покрытие", ENGELS, {"roads": ROADS}),
    Appeal("Областная дорога у Маркса: ямы по всей трассе", MARKS, {"roads": ROADS}),
    Appeal("Региональная трасса возле Аткарска вся в ямах, колёса пробиваем", ATKARSK,
           {"roads": ROADS}),
    Appeal("Дорога регионального значения через Красный Кут вся в ямах", KRASNY_KUT,
           {"roads": ROADS}),
    Appeal("В Балакове не выплачивают пособие по уходу за ребёнком до полутора лет", BALAKOVO,
           {"social-support": LABOUR}),
    Appeal("Вольск, соцзащита отказала в субсидии на оплату ЖКУ пенсионерке", VOLSK,
           {"social-support": LABOUR}),
    Appeal("Маркс: многодетным задерживают выплату за третий квартал", MARKS,
           {"social-support": LABOUR}),
    Appeal("Саратов, ул. Чапаева 20: управляющая компания не убирает подъезд", SARATOV,
           {"housing": HOUSING}),
    Appeal("Энгельс, капремонт крыши дома на улице Полтавской сорвали сроки", ENGELS,
           {"capital-repair": BUILDING}),
    Appeal("В Балашове на улице Карла Маркса отключают электричество каждый день", BALASHOV,
           {"electricity": BUILDING}),
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


def wrong_route(saratov, result, appeal: Appeal) -> str | None:
    """Why a route is wrong (its topic, its body or its place), or None if it is right."""
    if result.topic not in appeal.right:
        return f"тема {result.topic}"
    if result.body != appeal.right[result.topic]:
        return f"орган {saratov.body_by_id[result.body].name}"
    return wrong_place(saratov, result, appeal.place)


def each_appeal(known_failure) -> list:
    """The appeals as test parameters, those with a known failure (``known_failure(appeal)``:
    its reason) as strict xfails: a fix makes them pass, and then they must be unmarked."""
    return [
        pytest.param(appeal, id=appeal.text[:40], marks=[
            pytest.mark.xfail(strict=True, reason=reason)
        ] if (reason := known_failure(appeal)) else [])
        for appeal in APPEALS
    ]


def test_there_are_enough_appeals():
    assert len(APPEALS) >= 40
    assert len({appeal.text for appeal in APPEALS}) == len(APPEALS)


@pytest.mark.parametrize("appeal", each_appeal(lambda a: a.wrong_today))
def test_routed_right_or_not_routed(saratov, classifier, appeal):
    """Never a confident wrong route: routed means the right body, topic and place."""
    result = classifier.classify(appeal.text)
    if result.decision is Decision.ROUTE:
        assert wrong_route(saratov, result, appeal) is None, result.why


@pytest.mark.parametrize("appeal", each_appeal(lambda a: a.unplaced_today))
def test_the_place_is_found_once_the_topic_is_known(saratov, classifier, appeal):
    result = classifier.classify(appeal.text, topic=next(iter(appeal.right)))
    assert result.decision is Decision.ROUTE, result.why
    assert wrong_route(saratov, result, appeal) is None, result.why
    if not saratov.body_by_id[result.body].covers_whole_region:
        assert result.municipality in acceptable(appeal.place), result.why


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


def test_a_road_named_regional_is_the_regions_and_a_plain_road_the_towns(classifier):
    """The level named with the object (`routing/data/level_names.txt`) outweighs the town;
    without it the same words go to the town's administration, as the table orders."""
    regional = classifier.classify("Областная дорога возле Энгельса: разбито покрытие")
    plain = classifier.classify("Дорога возле Энгельса: разбито покрытие")
    assert (regional.decision, regional.body) == (Decision.ROUTE, ROADS)
    assert (plain.decision, plain.body) == (Decision.ROUTE, adm(ENGELS))
