"""Generate the shipped routing tables (Saratov and Kursk oblasts) from the data in ../shared/data.

    python -m tools.build_tables [--data DIR] [--out DIR] [--check]

The generated YAML is committed and is what coordinators edit afterwards; this script exists so
that the first version is reproducible and reviewable, not so that it is re-run over their edits.
``--check`` regenerates in memory and fails if the committed files differ (or the self-check
finds a problem), which is how CI notices a hand edit that should have been made here.

* Saratov: municipalities from the 2019 OKTMO extract, town coordinates from hflabs/city, and a
  hand-written set of topics and regional/municipal bodies (see ``SARATOV_TOPICS``).
* Kursk: topics and bodies exactly as named in ``kursk-appeals-dev.csv``; everything learnt from
  appeals (a body's topics, priorities, keywords, examples) uses only the training part
  (``not in_holdout(id, HOLDOUT)``) so that the held-out figures stay honest.
"""

from __future__ import annotations

import argparse
import csv
import html
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from routing.dataset import in_holdout
from routing.model import ASKABLE, MUNICIPALITY_KINDS, WHOLE_REGION, Deadline, Level

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = REPO / "routing" / "tables"
HOLDOUT = 0.2

OKTMO_FILE = "oktmo-saratov-kursk-2019.csv"
CITIES_FILE = "russian-cities.csv"
APPEALS_FILE = "kursk-appeals-dev.csv"

URBAN_OKRUG = "городской округ"
DISTRICT = "муниципальный район"
URBAN_SETTLEMENT = "городское поселение"
RURAL_SETTLEMENT = "сельское поселение"
CITY_DISTRICT = "внутригородской район"


# -- generic helpers -----------------------------------------------------------------------------
def dump_yaml(table: dict) -> str:
    return yaml.safe_dump(table, allow_unicode=True, sort_keys=False, width=100)


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def parse_word(word: str):
    return _morph().parse(word)[0]


def lemma(word: str) -> str:
    return parse_word(word.lower()).normal_form.replace("ё", "е")


def lemmas_unique(words: Iterable[str]) -> list[str]:
    """Normal forms as the classifier will see them (pymorphy3, ё→е), deduplicated, in order."""
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(lemma(word), None)
    return list(seen)


def genitive_adjective(name: str) -> str:
    """«Энгельсский» → «Энгельсского», «Озерное» → «Озерного» (last word of a compound)."""
    for ending, replacement in (("ий", "ого"), ("ый", "ого"), ("ое", "ого")):
        if name.endswith(ending):
            return name[: -len(ending)] + replacement
    raise ValueError(f"не умею склонять {name!r}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- municipalities ------------------------------------------------------------------------------
@dataclass
class Town:
    name: str
    oktmo8: str
    lat: float
    lon: float


def read_towns(data: Path, region: str) -> list[Town]:
    towns = []
    for row in read_csv(data / CITIES_FILE):
        if row["region"] != region or not row["geo_lat"]:
            continue
        towns.append(
            Town(row["city"], row["oktmo"][:8], float(row["geo_lat"]), float(row["geo_lon"]))
        )
    return towns


def oktmo_rows(data: Path, region_code: str) -> list[dict[str, str]]:
    return [r for r in read_csv(data / OKTMO_FILE) if r["region_code"] == region_code]


def municipality_kind(row: dict[str, str]) -> str:
    name = row["name"]
    if row["kind"] == "MO_level1":
        if name.endswith("муниципальный район"):
            return DISTRICT
        if name.endswith("муниципальный округ"):
            return "муниципальный округ"
        return URBAN_OKRUG  # «город Саратов», «ЗАТО Шиханы», «…городской округ»
    # OKTMO: settlement codes xxxxx1xx are urban settlements, xxxxx4xx rural ones; the grouping
    # rows say the same in words and are checked against it in build_municipalities.
    return URBAN_SETTLEMENT if row["oktmo8"][5] == "1" else RURAL_SETTLEMENT


def town_of(name: str) -> str | None:
    """«город Аткарск» → «Аткарск», «поселок Глушково» → «Глушково», «ЗАТО Шиханы» → «Шиханы»."""
    for prefix in ("город ", "поселок ", "рабочий поселок ", "ЗАТО "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return None


def build_municipalities(
    rows: list[dict[str, str]],
    towns: list[Town],
    extra_aliases: dict[str, list[str]],
    district_centres: dict[str, str],
) -> list[dict]:
    """All MO_level1/MO_level2 rows as table municipalities, with aliases and coordinates.

    ``extra_aliases``: OKTMO id → hand-written aliases (e.g. the village an adjective-named
    settlement is called after). ``district_centres``: district id → the town whose coordinates
    stand for the district when the town is a separate municipality or not in the district.
    """
    level1_by_name = {r["name"]: r["oktmo8"] for r in rows if r["kind"] == "MO_level1"}
    town_by_code = {t.oktmo8: t for t in towns}
    town_by_name = {t.name: t for t in towns}
    group = ""
    out: list[dict] = []
    for row in rows:
        if row["kind"] == "header_group":
            group = row["name"]
            continue
        if row["kind"] not in ("MO_level1", "MO_level2"):
            continue
        kind = municipality_kind(row)
        parent = None
        if row["kind"] == "MO_level2":
            parent = level1_by_name[row["parent_mo_level1"]]
            expected = "Городские" if kind == URBAN_SETTLEMENT else "Сельские"
            if not group.startswith(expected):
                raise SystemExit(f"{row['oktmo8']} {row['name']}: код и группа «{group}» спорят")
        name = row["name"]
        aliases: list[str] = []
        town = town_of(name)
        if kind == DISTRICT:
            stem = name.removesuffix(" муниципальный район")
            aliases += [f"{stem} район", stem]
        elif town:
            aliases.append(town)
        elif kind == RURAL_SETTLEMENT and name.endswith(" сельсовет"):
            aliases.append(name.removesuffix(" сельсовет"))
        aliases += extra_aliases.get(row["oktmo8"], [])
        coords = town_by_code.get(row["oktmo8"])
        if coords is None and kind == DISTRICT:
            centre = district_centres.get(row["oktmo8"])
            if centre:
                coords = town_by_name[centre]
            else:
                inside = [t for t in towns if t.oktmo8[:5] == row["oktmo8"][:5]]
                coords = inside[0] if len(inside) == 1 else None
        out.append(
            {
                "id": row["oktmo8"],
                "name": name,
                "kind": kind,
                "parent": parent,
                "aliases": aliases,
                "lat": coords.lat if coords else None,
                "lon": coords.lon if coords else None,
            }
        )
    _drop_ambiguous_aliases(out)
    return out


def _drop_ambiguous_aliases(municipalities: list[dict]) -> None:
    """An alias naming two places is kept on the larger one (district over its settlement)."""
    rank = {URBAN_OKRUG: 0, "муниципальный округ": 0, DISTRICT: 0, CITY_DISTRICT: 1}
    owners: dict[str, list[dict]] = defaultdict(list)
    for m in municipalities:
        for word in {m["name"], *m["aliases"]}:
            owners[word.lower()].append(m)
    for m in municipalities:
        keep = []
        for alias in m["aliases"]:
            rivals = [o for o in owners[alias.lower()] if o is not m]
            mine = rank.get(m["kind"], 2)
            if alias == m["name"] or any(rank.get(o["kind"], 2) <= mine for o in rivals):
                continue
            if alias not in keep:
                keep.append(alias)
        m["aliases"] = keep


# -- Saratov -------------------------------------------------------------------------------------
SARATOV_REGION = "Саратовская область"

#: Village-named urban settlements: the settlement («Лысогорское») is called after the
#: рабочий посёлок people actually name («Лысые Горы»).
SARATOV_ALIASES: dict[str, list[str]] = {
    "63701000": ["Саратов"],
    "63606151": ["Базарный Карабулак"],
    "63606156": ["Свободный"],
    "63608154": ["Пинеровка"],
    "63611154": ["Сенной"],
    "63613151": ["Дергачи"],
    "63616151": ["Екатериновка"],
    "63622154": ["Каменский"],
    "63624151": ["Горный"],
    "63625151": ["Лысые Горы"],
    "63629151": ["Новые Бурасы"],
    "63632151": ["Озинки"],
    "63639151": ["Ровное"],
    "63640151": ["Романовка"],
    "63642151": ["Самойловка"],
    "63643154": ["Красный Октябрь"],
    "63643158": ["Соколовый"],
    "63644151": ["Степное"],
    "63644155": ["Пушкино"],
    "63646151": ["Татищево"],
    "63647151": ["Турки"],
    "63648151": ["Мокроус"],
    "63602401": ["Александров Гай"],
}

#: Districts whose administrative centre is a town that is its own municipality (so the town's
#: coordinates are not found inside the district by OKTMO code).
SARATOV_DISTRICT_CENTRES: dict[str, str] = {
    "63643000": "Саратов",  # Саратовский район: администрация в Саратове
}

# id, name, level, asks, keywords (any form; lemmatised on output), examples (citizens' voice)
SARATOV_TOPICS: list[tuple[str, str, str, list[str], str, list[str]]] = [
    (
        "housing",
        "Управляющая компания и содержание многоквартирного дома",
        "regional",
        ["address"],
        "управляющая компания ук тсж жэу мкд подъезд крыша протекать подвал лифт домофон "
        "квитанция начисление содержание стояк уборка затопить общедомовой",
        [
            "УК не реагирует на заявки, в подъезде третий месяц не горит свет и воняет из подвала",
            "Течет крыша над пятым этажом, управляющая компания только обещает",
            "почему в квитанции за содержание жилья выросла сумма, никто не предупреждал",
            "Лифт в доме не работает вторую неделю, у нас пожилые люди на 9 этаже",
            "в подвале стоит вода, комары по всему подъезду, ук бездействует",
            "Жэу не убирает подъезд, полы не моют с весны",
        ],
    ),
    (
        "capital-repair",
        "Капитальный ремонт многоквартирного дома",
        "regional",
        ["address"],
        "капремонт капитальный ремонт фонд взнос кровля фасад подрядчик замена программа "
        "перенос аварийный расселение",
        [
            "Когда будет капремонт крыши в нашем доме? Платим взносы много лет",
            "подрядчик по капремонту разворотил фасад и пропал, работы стоят с лета",
            "После капитального ремонта кровли топит верхние этажи",
            "Почему наш дом перенесли в программе капремонта на 2040 год",
            "Начисляют взносы на капремонт хотя дом признан аварийным, когда расселят?",
        ],
    ),
    (
        "roads",
        "Дороги: ямы и ремонт покрытия",
        "municipal",
        ["address", "photo"],
        "яма дорога асфальт выбоина ремонт покрытие колея латка грейдер щебень грунтовка "
        "трасса ямочный провал лужа",
        [
            "Яма на дороге у дома 5 по ул. Московской, уже два колеса пробил",
            "на нашей улице асфальта нет вообще, весной не проехать ни скорой ни такси",
            "после ремонта дороги через месяц опять все в выбоинах, куда смотрят",
            "Прошу отремонтировать дорогу на въезде в село, сплошные ямы",
            "провал асфальта на перекрестке, машины объезжают по встречке",
            "грейдер не проходил по улице с прошлого года, колея по колено",
        ],
    ),
    (
        "road-safety",
        "Светофоры, знаки, разметка и пешеходные переходы",
        "municipal",
        ["address"],
        "светофор знак разметка пешеходный переход зебра лежачий полицейский неровность "
        "ограждение перекресток скорость дтп авария",
        [
            "Не работает светофор на перекрестке Астраханской и Большой Садовой",
            "Просим сделать лежачего полицейского возле школы, гоняют по 80",
            "стерлась разметка на пешеходном переходе, водители не видят зебру",
            "упал знак главной дороги, уже была авария",
            "нужен пешеходный переход к остановке, люди бегают через четыре полосы",
        ],
    ),
    (
        "improvement",
        "Благоустройство дворов, тротуаров и общественных пространств",
        "municipal",
        ["address", "photo"],
        "двор благоустройство тротуар площадка детский скамейка лавочка сквер парк бордюр урна "
        "качели придомовой территория плитка фонтан",
        [
            "во дворе сломаны качели, дети могут травмироваться",
            "Когда благоустроят наш двор, одни лужи и грязь, машины на газонах",
            "на тротуаре вдоль дороги вывернута плитка, бабушки спотыкаются",
            "в сквере нет ни одной лавочки и урны не вывозятся",
            "просим установить детскую площадку, детей в доме много а играть негде",
            "Бордюр разбит, тротуар зарос, пройти с коляской нереально",
        ],
    ),
    (
        "waste",
        "Вывоз мусора и свалки",
        "municipal",
        ["address", "photo"],
        "мусор свалка контейнер вывоз площадка тко отход мусорка бак регоператор навал "
        "строительный пакет мусоровоз крыса",
        [
            "Мусор не вывозят уже неделю, контейнеры переполнены, крысы бегают",
            "За гаражами образовалась свалка, строительный мусор везут машинами",
            "Платим за вывоз ТКО а машина к нам в село не приезжает с мая",
            "Контейнерную площадку убрали, теперь мусор бросают прямо на землю",
            "возле лесополосы стихийная свалка, все горит и дымит",
            "мусоровоз приезжает в 5 утра и гремит баками под окнами",
        ],
    ),
    (
        "transport",
        "Общественный транспорт",
        "municipal",
        [],
        "автобус маршрут маршрутка троллейбус трамвай остановка интервал водитель проезд "
        "расписание перевозчик кондуктор транспортный карта рейс",
        [
            "Маршрутку 6 ждали 40 минут вечером, потом пришла битком",
            "водитель автобуса нагрубил пенсионерке и не остановился на остановке",
            "Верните трамвай на нашу улицу, добираться теперь с двумя пересадками",
            "из села в райцентр автобус ходит два раза в неделю, как быть",
            "почему не принимают транспортную карту в маршрутке",
            "в троллейбусе зимой не работает печка, все мерзнут",
        ],
    ),
    (
        "health",
        "Здравоохранение: поликлиники и больницы",
        "regional",
        [],
        "поликлиника больница врач запись прием терапевт скорая медицинский фельдшер фап талон "
        "очередь обследование узи мрт стационар регистратура",
        [
            "В поликлинике невозможно записаться к терапевту, талонов нет на две недели",
            "Скорая ехала к отцу полтора часа",
            "в нашем селе закрыли ФАП, фельдшер приезжает раз в неделю",
            "Врач не пришел на вызов на дом, ребенок с температурой 39",
            "на МРТ очередь до осени, а направление срочное",
            "В регистратуре хамят и не берут трубку",
        ],
    ),
    (
        "medicines",
        "Лекарственное обеспечение и льготные лекарства",
        "regional",
        [],
        "лекарство льготный препарат аптека рецепт инсулин выписать льготник медикамент "
        "лекарственный таблетка онкология",
        [
            "Третий месяц не могу получить льготный инсулин, в аптеке говорят нет поставки",
            "Врач отказывается выписывать рецепт на бесплатные лекарства инвалиду",
            "в аптеке по льготному рецепту дают замену, от которой аллергия",
            "ребенку-инвалиду положены препараты, а выдают через раз",
            "Нет в наличии лекарств по программе онкологии",
        ],
    ),
    (
        "schools",
        "Школы",
        "municipal",
        [],
        "школа учитель класс урок обучение ученик директор питание учебник школьный подвоз "
        "экзамен смена столовая",
        [
            "Школьный автобус не возит детей из соседнего села, ходим пешком 3 км",
            "В школе нет учителя математики с сентября",
            "Столовая кормит детей холодной едой, платим исправно",
            "Обучение во вторую смену, дети приходят домой в темноте",
            "директор школы собирает деньги на ремонт класса, законно ли это",
            "в спортзале школы протекает крыша",
        ],
    ),
    (
        "kindergartens",
        "Детские сады",
        "municipal",
        [],
        "детский сад садик очередь воспитатель группа дошкольный ясли путевка место заведующая "
        "родительский плата",
        [
            "Стоим в очереди в детский сад два года, места так и нет",
            "в садике группу закрыли на карантин, а плату берут полностью",
            "воспитатель кричит на детей, жалуемся заведующей бесполезно",
            "Не дают путевку в ясли рядом с домом, предлагают на другом конце города",
            "в группе холодно, батареи еле теплые",
        ],
    ),
    (
        "social-support",
        "Социальная поддержка: пособия, выплаты и льготы",
        "regional",
        [],
        "пособие выплата льгота субсидия многодетный инвалид пенсионер малоимущий компенсация "
        "соцзащита ветеран единовременный материнский социальный санаторий",
        [
            "Не пришло пособие на ребенка за прошлый месяц, в соцзащите ничего не объясняют",
            "Многодетной семье отказали в компенсации за коммунальные услуги",
            "как оформить субсидию на оплату ЖКУ пенсионеру",
            "Отказали в статусе малоимущих, хотя доход ниже прожиточного",
            "ветерану труда перестали начислять ежемесячную выплату",
            "Где получить путевку в санаторий для инвалида",
        ],
    ),
    (
        "heating",
        "Отопление и горячая вода",
        "municipal",
        ["address"],
        "отопление батарея тепло горячий холодно котельная теплосеть температура градус "
        "отопительный сезон теплоснабжение опрессовка",
        [
            "В квартире +16, батареи ледяные, дети болеют",
            "Нет горячей воды уже третью неделю, сроки отключения давно прошли",
            "Когда дадут отопление? На улице ноль, а в домах холодно",
            "котельная в селе работает с перебоями, в домах холодина",
            "после опрессовки потекла батарея, теплосеть не едет",
        ],
    ),
    (
        "water",
        "Водоснабжение и канализация",
        "municipal",
        ["address"],
        "вода водопровод канализация колонка напор ржавый водоканал отключение засор колодец "
        "прорыв скважина водоотведение водовозка труба",
        [
            "Из крана идет ржавая вода, пить невозможно",
            "На улице третий день нет воды, водовозку не присылают",
            "канализацию прорвало во дворе, запах на весь квартал",
            "напор воды такой слабый, что на третьем этаже не набрать ванну",
            "Колонка на улице сломана давно, ходим за водой к соседям",
            "течет вода из под асфальта прорыв трубы уже неделю",
        ],
    ),
    (
        "lighting",
        "Уличное освещение",
        "municipal",
        ["address", "photo"],
        "освещение фонарь свет столб лампа темно гореть светильник уличный опора ночь темнота",
        [
            "На улице Мира не горят фонари, вечером идти страшно",
            "во дворе темно, фонарь не работает с зимы",
            "Фонарь горит днем и ночью, кто-то за это платит",
            "Просим установить освещение на дороге к школе",
            "столб освещения наклонился, провода висят",
            "в частном секторе на нашей улице ни одного фонаря",
        ],
    ),
    (
        "stray-animals",
        "Безнадзорные животные",
        "municipal",
        ["address"],
        "собака бездомный стая безнадзорный отлов укусить животное кошка приют напасть бродячий",
        [
            "Во дворе стая бездомных собак, кидаются на детей",
            "Ребенка укусила бродячая собака у школы, кто будет отлавливать",
            "по селу бегают собаки без хозяина, страшно выпустить детей",
            "Просим провести отлов собак возле остановки",
            "на территории больницы живет стая собак",
        ],
    ),
    (
        "ecology",
        "Экология: загрязнение воздуха и воды, неприятные запахи",
        "regional",
        ["address"],
        "запах вонь выброс дым загрязнение воздух река завод экология сброс гарь химия "
        "очистной мазут",
        [
            "По ночам в городе невыносимо воняет химией, дышать нечем",
            "Завод сбрасывает что-то в реку, рыба всплывает",
            "жгут листья и мусор прямо во дворах, дым в окна",
            "От очистных сооружений вонь на весь поселок",
            "на берегу Волги разлили мазут",
        ],
    ),
    (
        "snow",
        "Уборка снега и наледи",
        "municipal",
        ["address", "photo"],
        "снег наледь гололед сугроб уборка сосулька чистить трактор песок посыпать скользко "
        "расчистить метель",
        [
            "Улицу не чистят от снега, машины застревают, скорая не проедет",
            "На тротуаре сплошной лед, никто не посыпает",
            "С крыши свисают сосульки над входом в магазин",
            "трактор почистил дорогу и завалил снегом все ворота",
            "Дорогу на кладбище замело, не пройти",
        ],
    ),
    (
        "greenery",
        "Деревья, газоны и покос травы",
        "municipal",
        ["address", "photo"],
        "дерево аварийный спилить ветка трава покос газон кустарник тополь обрезка сухой вырубка "
        "клумба бурьян амброзия",
        [
            "Сухое дерево нависает над детской площадкой, упадет на кого-нибудь",
            "Трава по пояс вдоль дороги, обещали покос еще в июне",
            "Просим обрезать тополя у дома, ветки бьют по проводам",
            "кто разрешил вырубить деревья в сквере под стройку",
            "амброзия на пустыре, аллергики задыхаются",
        ],
    ),
    (
        "electricity",
        "Электроснабжение",
        "regional",
        ["address"],
        "электричество свет отключение напряжение электроэнергия провод подстанция "
        "трансформатор электросеть скачок россети линия электрик",
        [
            "Отключают свет по несколько раз в день, техника сгорела",
            "Низкое напряжение в сети, холодильник не включается",
            "Оборван провод после ветра, висит над дорогой",
            "В поселке третий день нет электричества",
            "Трансформатор гудит и искрит возле домов",
        ],
    ),
    (
        "gas",
        "Газоснабжение и газификация",
        "regional",
        ["address"],
        "газ газификация газопровод подключение газовый давление плита котел догазификация "
        "баллон утечка газовик",
        [
            "Когда проведут газ в наш поселок, обещают уже десять лет",
            "по программе догазификации подали заявку год назад, тишина",
            "зимой в сети низкое давление газа, котел тухнет",
            "Пахнет газом в подъезде, газовики не приезжают",
            "сколько стоит подключение к газопроводу до участка",
        ],
    ),
    (
        "communications",
        "Связь, интернет и телевидение",
        "regional",
        [],
        "интернет связь сотовый мобильный вышка сигнал оператор телевидение цифровой ловить "
        "скорость почта телефон",
        [
            "В селе не ловит мобильная связь, скорую не вызвать",
            "Интернета нет вообще, дети не могут учиться дистанционно",
            "Когда поставят вышку сотовой связи у нас",
            "пропал цифровой сигнал ТВ, все каналы",
            "Почта в поселке закрыта, пенсию приносят с опозданием",
        ],
    ),
    (
        "culture",
        "Культура: дома культуры, библиотеки, памятники, мероприятия",
        "municipal",
        [],
        "культура клуб библиотека музей концерт мероприятие праздник памятник театр досуг "
        "кружок обелиск",
        [
            "Сельский клуб закрыт, молодежи некуда пойти вечером",
            "В библиотеке протекает крыша, книги портятся",
            "Памятник воинам ВОВ в селе разрушается, нужен ремонт",
            "почему отменили праздник на день села",
            "в доме культуры нет отопления, кружки не работают",
        ],
    ),
    (
        "sport",
        "Спорт и молодёжная политика",
        "municipal",
        [],
        "спорт спортивный стадион секция тренер спортзал каток бассейн футбольный молодежь фок "
        "тренажер",
        [
            "Стадион в поселке разрушен, дети играют в футбол на дороге",
            "в ФОКе секции платные, для многодетных скидок нет",
            "Когда зальют каток в парке",
            "Просим установить уличные тренажеры возле школы",
            "Бассейн закрыт на ремонт уже третий год",
        ],
    ),
    (
        "employment",
        "Трудоустройство и трудовые права",
        "regional",
        [],
        "работа зарплата заработный работодатель трудоустройство вакансия безработный занятость "
        "увольнение задолженность договор сокращение",
        [
            "Работодатель третий месяц задерживает зарплату",
            "Встала на учет в центр занятости, вакансий не предлагают",
            "Работаю без оформления, как добиться трудового договора",
            "уволили без выплаты расчета",
            "Как получить пособие по безработице после сокращения",
        ],
    ),
    (
        "land-property",
        "Земля и муниципальное имущество",
        "municipal",
        ["address"],
        "земля участок земельный аренда межевание кадастровый собственность многодетный ижс "
        "имущество приватизация граница забор",
        [
            "Многодетной семье положен земельный участок, в очереди пятый год",
            "Сосед захватил часть проезда, поставил забор на общей земле",
            "Как продлить аренду участка под огород",
            "не можем приватизировать квартиру, дом не числится в реестре",
            "выделите участок под строительство, заявление подано давно",
        ],
    ),
    (
        "construction",
        "Строительство, самострой и архитектура",
        "municipal",
        ["address", "photo"],
        "строительство стройка самострой разрешение застройщик незаконный пристройка снос "
        "котлован долгострой объект этажность",
        [
            "Возле дома строят магазин без разрешения, вырыли котлован у подъезда",
            "сосед пристроил второй этаж прямо на границе участка",
            "Стройка ведется по ночам, шум до трех часов",
            "Долгострой на углу стоит открытый, туда лазят дети",
            "Застройщик сдал дом, а двор так и не благоустроил",
        ],
    ),
    (
        "cemeteries",
        "Кладбища и ритуальные услуги",
        "municipal",
        ["address"],
        "кладбище захоронение могила ритуальный похороны погост погребение ограда колумбарий "
        "катафалк крематорий надгробие",
        [
            "На кладбище мусор не вывозится, контейнеры переполнены",
            "Дорога к кладбищу разбита, катафалк не проедет",
            "Почему за место для захоронения требуют деньги",
            "сельское кладбище заросло, ограду растащили",
            "Просим провести воду на кладбище для полива",
        ],
    ),
    (
        "parking",
        "Парковки и стоянка автомобилей",
        "municipal",
        ["address", "photo"],
        "парковка машина автомобиль стоянка парковать газон эвакуатор платный автостоянка "
        "брошенный",
        [
            "Машины паркуются на газоне и тротуаре, не пройти",
            "Брошенный автомобиль стоит во дворе два года",
            "нужна парковка у поликлиники, машину негде оставить",
            "платная парковка в центре работает а знаков не видно",
            "маршрутки отстаиваются прямо во дворе жилого дома",
        ],
    ),
    (
        "agriculture",
        "Сельское хозяйство",
        "regional",
        [],
        "сельский хозяйство фермер скот поле урожай посев зерно корова грант пастбище саранча "
        "пчела сельхозпроизводитель",
        [
            "Фермер распахал пастбище, скот пасти негде",
            "Как получить грант начинающему фермеру",
            "Поля обрабатывают химией рядом с домами, пчелы погибли",
            "Закупочные цены на молоко такие, что невыгодно держать корову",
            "саранча на полях, когда будет обработка",
        ],
    ),
]

# id, name, topics, deadline — each topic has at most one region-wide body, so no priorities
SARATOV_REGIONAL_BODIES: list[tuple[str, str, list[str], str]] = [
    (
        "min-health",
        "Министерство здравоохранения Саратовской области",
        ["health", "medicines"],
        "10wd",
    ),
    (
        "min-education",
        "Министерство образования Саратовской области",
        ["schools", "kindergartens"],
        "10wd",
    ),
    (
        "min-labour",
        "Министерство труда и социальной защиты Саратовской области",
        ["social-support", "employment"],
        "10wd",
    ),
    (
        "min-transport",
        "Министерство транспорта и дорожного хозяйства Саратовской области",
        ["roads", "road-safety", "transport", "snow"],
        "10wd",
    ),
    (
        "min-construction",
        "Министерство строительства и жилищно-коммунального хозяйства Саратовской области",
        ["capital-repair", "heating", "water", "electricity", "gas", "construction", "improvement"],
        "10wd",
    ),
    ("gzhi", "Государственная жилищная инспекция Саратовской области", ["housing"], "30d"),
    (
        "min-nature",
        "Министерство природных ресурсов и экологии Саратовской области",
        ["ecology", "waste"],
        "30d",
    ),
    ("min-culture", "Министерство культуры Саратовской области", ["culture"], "10wd"),
    (
        "min-sport",
        "Министерство молодежной политики и спорта Саратовской области",
        ["sport"],
        "10wd",
    ),
    (
        "min-agriculture",
        "Министерство сельского хозяйства Саратовской области",
        ["agriculture"],
        "10wd",
    ),
    (
        "min-digital",
        "Министерство цифрового развития и связи Саратовской области",
        ["communications"],
        "10wd",
    ),
]

#: What a district or urban okrug administration answers (131-ФЗ powers of those levels).
SARATOV_MUNICIPAL_TOPICS = [
    "roads",
    "road-safety",
    "improvement",
    "waste",
    "transport",
    "schools",
    "kindergartens",
    "heating",
    "water",
    "lighting",
    "stray-animals",
    "snow",
    "greenery",
    "culture",
    "sport",
    "land-property",
    "construction",
    "cemeteries",
    "parking",
]
#: Settlements keep the local questions of 131-ФЗ art. 14; urban ones also their streets.
SARATOV_RURAL_TOPICS = ["lighting", "improvement", "greenery", "cemeteries"]
SARATOV_URBAN_TOPICS = [*SARATOV_RURAL_TOPICS, "roads", "snow"]


def administration_name(m: dict, parent: dict | None = None) -> str:
    """Saratov style; a settlement's administration also names its district, because settlement
    names repeat across districts (six «Октябрьское»)."""
    name, kind = m["name"], m["kind"]
    if parent is not None:
        own = administration_name(m)
        district = parent["name"].removesuffix(" муниципальный район")
        return f"{own} {genitive_adjective(district)} муниципального района"
    if name == "город Саратов":
        return "Администрация муниципального образования «Город Саратов»"
    if name.startswith("ЗАТО "):
        return f"Администрация городского округа {name}"
    if kind == DISTRICT:
        adjective = name.removesuffix(" муниципальный район")
        return f"Администрация {genitive_adjective(adjective)} муниципального района"
    if name.startswith("город "):
        return f"Администрация муниципального образования {name}"
    if " " not in name and name.endswith(("ое", "ий", "ый")):
        return f"Администрация {genitive_adjective(name)} муниципального образования"
    return f"Администрация муниципального образования «{name}»"


def build_saratov(data: Path) -> dict:
    rows = oktmo_rows(data, "63")
    municipalities = build_municipalities(
        rows, read_towns(data, "Саратовская"), SARATOV_ALIASES, SARATOV_DISTRICT_CENTRES
    )
    topics = [
        {
            "id": tid,
            "name": name,
            "level": level,
            "keywords": lemmas_unique(words.split()),
            "examples": examples,
            "asks": asks,
            "deadline": None,
        }
        for tid, name, level, asks, words, examples in SARATOV_TOPICS
    ]
    bodies = [
        {
            "id": bid,
            "name": name,
            "level": "regional",
            "topics": topics_,
            "territory": WHOLE_REGION,
            "priority": 0,
            "deadline": deadline,
            "telegram_chat": None,
            "vk_peer": None,
        }
        for bid, name, topics_, deadline in SARATOV_REGIONAL_BODIES
    ]
    by_id = {m["id"]: m for m in municipalities}
    for m in municipalities:
        if m["kind"] in (URBAN_OKRUG, DISTRICT):
            handled = SARATOV_MUNICIPAL_TOPICS
        elif m["kind"] == URBAN_SETTLEMENT:
            handled = SARATOV_URBAN_TOPICS
        else:
            handled = SARATOV_RURAL_TOPICS
        bodies.append(
            {
                "id": f"adm-{m['id']}",
                "name": administration_name(m, by_id.get(m["parent"])),
                "level": "municipal",
                "topics": list(handled),
                "territory": [m["id"]],
                "priority": 0,
                "deadline": "10wd",
                "telegram_chat": None,
                "vk_peer": None,
            }
        )
    return {
        "region": SARATOV_REGION,
        "municipalities": municipalities,
        "topics": topics,
        "bodies": bodies,
    }


# -- Kursk ---------------------------------------------------------------------------------------
KURSK_REGION = "Курская область"
KURSK_CITY = "38701000"

#: Kursk city's administrative okrugs are not municipal formations and have no OKTMO code; these
#: 11-digit ids are ours: the city's code + 9xx (…001 is the OKTMO of the town itself).
KURSK_CITY_DISTRICTS = [
    ("38701000901", "Центральный округ", ["Центральный округ Курска", "Центральный"]),
    ("38701000902", "Сеймский округ", ["Сеймский округ Курска", "Сеймский"]),
    ("38701000903", "Железнодорожный округ", ["Железнодорожный округ Курска", "Железнодорожный"]),
]

KURSK_ALIASES: dict[str, list[str]] = {
    "38701000": ["Курск"],
    "38621153": ["имени Карла Либкнехта", "Либкнехта"],
}

KURSK_DISTRICT_CENTRES: dict[str, str] = {
    "38620000": "Курск",  # Курский район
    "38610000": "Железногорск",
    "38621000": "Курчатов",
    "38622000": "Льгов",
    "38650000": "Щигры",
}

#: Bodies whose name does not say the municipality in a form the rules below understand.
KURSK_BODY_PLACE: dict[str, str] = {
    "Администрация г. Дмитриева": "город Дмитриев",
    "Администрация г. Обояни": "город Обоянь",
    "Администрация города Рыльска": "город Рыльск",
    "Администрация города Железногорска": "город Железногорск",
    "Администрация города Курска": "город Курск",
    "Администрация города Курчатова": "город Курчатов",
    "Администрация города Льгов": "город Льгов",
    "Администрация города Щигры": "город Щигры",
    "Администрация Центрального округа города Курска": "Центральный округ",
    "Администрация Сеймского округа города Курска": "Сеймский округ",
    "Администрация Железнодорожного округа города Курска": "Железнодорожный округ",
    # Management companies of Kursk; «Атомград» manages houses in Kurchatov (its appeals say so).
    "ООО `Атомград`": "город Курчатов",
    "Муниципальное казенное учреждение «Городская инспекция по жилищно-коммунальному "
    "хозяйству и благоустройству»": "город Курск",
    "МКУ «Управление по делам ГО и ЧС при Администрации города Курска»": "город Курск",
}

#: Bodies with (almost) no training appeals get the topics of a sibling with the same job.
KURSK_SIBLING: dict[str, str] = {
    "Комитет информации и печати Курской области": (
        "Комитет внутренней политики Администрации Курской области"
    ),
}

_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[а-яёa-z]+", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?:\+7|8)?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}")
_STREET_MARK_RE = re.compile(
    r"\b(?:ул|улица|улице|улицы|пр|пр-т|проспект|проспекта|пер|переулок|переулка|бульвар|"
    r"пл|площадь|проезд|проезда|мкр|микрорайон)\.?\s+([А-ЯЁ][а-яё]+)"
)

_STOP_WORDS_TEXT = """
    а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
    даже для до его ее ей ему если есть еще же за здесь и из или им их к как какой когда кто
    ли либо мне много может можно мой мы на над наш не него нее нет ни них но ну о об однако
    он она они оно от очень по под при про с так также такой там те тем то того тоже той
    только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это этот я который свой
    себя сам самый этот тот весь наш ваш их его ее день год раз время просить помочь
    здравоствовать здравствуйте добрый уважаемый спасибо пожалуйста прошу просьба данный
    также вопрос ответ обращение решить мера принять сделать сказать говорить мочь являться
    стать дом улица курск курский город область район адрес д ул г кв nbsp p span br style
    color rgb background div"""
STOP_WORDS = set(_STOP_WORDS_TEXT.split())

#: Words of topic names that say nothing about the topic.
NAME_STOP = {
    "нарушение",
    "связанный",
    "осуществление",
    "вопрос",
    "качество",
    "неудовлетворительный",
    "необходимо",
    "недостаточный",
    "количество",
    "отсутствие",
    "несвоевременный",
    "граница",
    "значение",
    "район",
    "микрорайон",
    "территория",
    "место",
    "общий",
    "пользование",
    "т",
    "ч",
    "в",
    "порядок",
    "установленный",
    "норма",
    "соответствовать",
    "другой",
    "работа",
    "сфера",
    "условие",
    "мера",
    "городской",
    "округ",
    "сельский",
    "поселение",
}

PLACE_BOUND = (
    "дорог",
    "ям",
    "освещ",
    "свалк",
    "двор",
    "тротуар",
    "отход",
    "деревь",
    "площадк",
    "люк",
    "снег",
    "водоснаб",
    "теплоснаб",
    "канализац",
    "водоотвед",
    "электросет",
    "парк",
    "клумб",
    "фасад",
    "остановк",
    "светофор",
    "переход",
    "знак",
    "разметк",
    "парковк",
    "строит",
    "реклам",
    "торговл",
    "памятник",
    "растительн",
    "запах",
    "загрязн",
    "животн",
    "многоквартир",
    "лифт",
    "ИЖС",
    "частн",
    "неровност",
    "покрыт",
    "благоустр",
    "вырубк",
    "земел",
    "жильё",
    "стройк",
    "прилегающ",
    "водн",
    "сброс",
)
VISIBLE = (
    "ям",
    "свалк",
    "деревь",
    "люк",
    "растительн",
    "фасад",
    "реклам",
    "площадк",
    "снег",
    "освещ",
    "клумб",
    "парк",
    "благоустр",
    "покрыт",
    "знак",
    "разметк",
    "тротуар",
)


def clean_text(text: str) -> str:
    text = _TAG_RE.sub(" ", text.replace("&nbsp;", " "))
    return _SPACE_RE.sub(" ", html.unescape(text).replace("\xa0", " ")).strip()


def is_person_name(token: str) -> bool:
    if not token[:1].isupper():
        return False
    tag = parse_word(token.lower()).tag
    return any(g in tag for g in ("Name", "Surn", "Patr"))


def mask_private(text: str) -> str:
    """Examples are shown to coordinators and fed to the classifier: drop names and phones."""
    text = _PHONE_RE.sub("…", text)
    words = text.split(" ")
    return " ".join("…" if is_person_name(w.strip(".,;:!?()«»\"'")) else w for w in words)


def truncate(text: str, limit: int = 300) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—- ") + "…"


def content_lemmas(text: str, streets: set[str]) -> list[str]:
    out = []
    for word in _WORD_RE.findall(text):
        lw = word.lower()
        if len(lw) < 3 and lw not in ("ук", "тп"):
            continue
        parsed = parse_word(lw)
        tag = parsed.tag
        if any(g in tag for g in ("Name", "Surn", "Patr", "Geox")):
            continue
        if tag.POS not in ("NOUN", "ADJF", "INFN", "VERB", "PRTF", None) and "Abbr" not in tag:
            continue
        lem = parsed.normal_form.replace("ё", "е")
        if lem in STOP_WORDS or lem in streets or not re.fullmatch(r"[а-я]+", lem):
            continue
        out.append(lem)
    return out


@dataclass
class KurskAppeal:
    id: str
    text: str
    topic: str
    body: str


def read_kursk(data: Path) -> list[KurskAppeal]:
    return [
        KurskAppeal(r["id"], r["text"], r["topic"], r["body"])
        for r in read_csv(data / APPEALS_FILE)
    ]


def slug(text: str) -> str:
    table = str.maketrans(
        {
            "а": "a",
            "б": "b",
            "в": "v",
            "г": "g",
            "д": "d",
            "е": "e",
            "ё": "e",
            "ж": "zh",
            "з": "z",
            "и": "i",
            "й": "y",
            "к": "k",
            "л": "l",
            "м": "m",
            "н": "n",
            "о": "o",
            "п": "p",
            "р": "r",
            "с": "s",
            "т": "t",
            "у": "u",
            "ф": "f",
            "х": "kh",
            "ц": "ts",
            "ч": "ch",
            "ш": "sh",
            "щ": "shch",
            "ъ": "",
            "ы": "y",
            "ь": "",
            "э": "e",
            "ю": "yu",
            "я": "ya",
        }
    )
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")


_ID_WORDS = [
    ("Государственная жилищная инспекция", "gzhi"),
    ("жилищно-коммунального хозяйства", "zhkh"),
    ("жилищно-коммунальному хозяйству", "zhkh"),
    ("Управление по делам ГО и ЧС", "go-chs"),
    ("управлению муниципальным имуществом", "mun-imushchestvo"),
    ("хозяйства", ""),
    ("Муниципальное казенное учреждение", "mku"),
    ("Администрации города Курска", "kursk"),
    ("Администрации Курской области", "region"),
    ("Курской области", "region"),
    ("города Курска", "kursk"),
    ("Комитет", "k"),
    ("Департамент", "dep"),
    ("Управление", "upr"),
]


def kursk_body_id(name: str, place: str) -> str:
    """``adm-<OKTMO>`` for administrations, otherwise a short transliteration of the name."""
    if name.startswith("Администрация") and place != WHOLE_REGION:
        return f"adm-{place}"
    short = name
    for words, abbreviation in _ID_WORDS:
        short = short.replace(words, f" {abbreviation} ")
    parts = [p for p in slug(short).split("-") if p not in ("i", "po", "pri", "v")]
    out = ""
    for part in parts:
        if len(out) + len(part) > 40:
            break
        out = f"{out}-{part}" if out else part
    return out


def kursk_body_place(name: str, municipalities: list[dict]) -> str:
    by_name = {m["name"]: m["id"] for m in municipalities}
    if name in KURSK_BODY_PLACE:
        return by_name[KURSK_BODY_PLACE[name]]
    district = re.fullmatch(r"Администрация (\S+)ого района", name)
    if district:
        return by_name[f"{district.group(1)}ий муниципальный район"]
    if "Курской области" in name or name == "Ответственный ПМИ":
        return WHOLE_REGION
    if "города Курска" in name or name.startswith(("ООО", "МКУ", "Муниципальное")):
        return KURSK_CITY
    raise SystemExit(f"не знаю территорию органа «{name}»: добавьте в KURSK_BODY_PLACE")


def topic_level(name: str, bodies: Counter, regional_bodies: set[str]) -> str:
    if "регионального и межмуниципального" in name:
        return "regional"
    if "ИЖС" in name or "частного сектора" in name or "городских округов" in name:
        return "municipal"
    regional = sum(n for b, n in bodies.items() if b in regional_bodies)
    return "regional" if bodies and regional * 2 > sum(bodies.values()) else "municipal"


def topic_asks(name: str) -> list[str]:
    if not any(stem in name for stem in PLACE_BOUND):
        return []
    if any(stem in name for stem in VISIBLE):
        return ["address", "photo"]
    return ["address"]


def topic_keywords(
    name: str, docs: list[list[str]], df_all: Counter, n_all: int, limit: int = 12
) -> list[str]:
    """Lemmas of the topic's name first, then the most characteristic lemmas of its texts.

    Score: share of the topic's training texts containing the lemma × idf over all training
    texts; a lemma must occur in two of the topic's texts when the topic has three or more.
    """
    chosen: list[str] = []
    for lem in content_lemmas(name, set()):
        if lem not in NAME_STOP and lem not in chosen and len(chosen) < 6:
            chosen.append(lem)
    df = Counter(lem for doc in docs for lem in set(doc))
    need = 2 if len(docs) >= 3 else 1
    scored = sorted(
        ((n / len(docs)) * math.log(n_all / df_all[lem]), lem)
        for lem, n in df.items()
        if n >= need and df_all[lem] >= 2 and lem not in chosen
    )
    for _score, lem in reversed(scored):
        if len(chosen) >= limit:
            break
        chosen.append(lem)
    return chosen


def pick_examples(texts: list[tuple[str, str]], limit: int = 5) -> list[str]:
    """Up to ``limit`` training texts, readable length preferred, in a stable order."""
    cleaned = []
    for appeal_id, text in texts:
        clean = clean_text(text)
        if len(clean) >= 25:
            cleaned.append((abs(len(clean) - 180), int(appeal_id), clean))
    cleaned.sort()
    out: list[str] = []
    for _, _, clean in cleaned:
        example = truncate(mask_private(clean))
        if example not in out:
            out.append(example)
        if len(out) == limit:
            break
    return out


def order_bodies(
    groups: dict[tuple[str, str], Counter], bodies_on: dict[str, list[str]]
) -> dict[str, int]:
    """One priority per body, per territory entry, so that in every shared (topic, place) the
    body that answered it most often in training comes first.

    A single number per body cannot honour every topic's own order, so topics of a body ranked
    above that topic's leader are dropped later (``build_kursk``); the order is chosen to drop
    as few training answers as possible (local search: move one body at a time while it helps).
    """
    priority: dict[str, int] = {}
    for place, names in bodies_on.items():
        local = [c for (_t, where), c in groups.items() if where == place and len(c) > 1]

        def dropped(order: list[str], local=local) -> int:
            rank = {b: i for i, b in enumerate(order)}  # 0 = highest priority
            lost = 0
            for counts in local:
                best = max(counts.values())
                leader = min(rank[b] for b, n in counts.items() if n == best)
                lost += sum(n for b, n in counts.items() if n < best and rank[b] < leader)
            return lost

        total = Counter()
        for counts in local:
            total.update(counts)
        order = sorted(names, key=lambda b: (-total[b], b))
        cost = dropped(order)
        improved = True
        while improved:
            improved = False
            for body in list(order):
                rest = [b for b in order if b != body]
                for at in range(len(order)):
                    trial = [*rest[:at], body, *rest[at:]]
                    trial_cost = dropped(trial)
                    if trial_cost < cost:
                        order, cost, improved = trial, trial_cost, True
        for i, body in enumerate(order):
            priority[body] = len(order) - 1 - i
    return priority


def build_kursk(data: Path, keep: Callable[[str], bool] | None = None) -> tuple[dict, dict]:
    """The Kursk table and a few numbers for the README/report.

    ``keep`` says which appeal ids the table may learn from: by default the training part (not
    in the 20% holdout); ``bench.tune_kursk`` passes a narrower set so that tuning on its inner
    validation part is not flattered by a table that has seen those appeals.
    """
    rows = oktmo_rows(data, "38")
    municipalities = build_municipalities(
        rows, read_towns(data, "Курская"), KURSK_ALIASES, KURSK_DISTRICT_CENTRES
    )
    kursk = next(m for m in municipalities if m["id"] == KURSK_CITY)
    at = municipalities.index(kursk) + 1
    for offset, (mid, name, aliases) in enumerate(KURSK_CITY_DISTRICTS):
        municipalities.insert(
            at + offset,
            {
                "id": mid,
                "name": name,
                "kind": CITY_DISTRICT,
                "parent": KURSK_CITY,
                "aliases": aliases,
                "lat": None,
                "lon": None,
            },
        )

    appeals = read_kursk(data)
    keep = keep or (lambda appeal_id: not in_holdout(appeal_id, HOLDOUT))
    train = [a for a in appeals if keep(a.id)]
    all_topics = sorted({a.topic for a in appeals})
    all_bodies = sorted({a.body for a in appeals})

    place_of = {b: kursk_body_place(b, municipalities) for b in all_bodies}
    regional_bodies = {b for b, p in place_of.items() if p == WHOLE_REGION}

    streets = {
        lemma(m.group(1)) for a in train for m in _STREET_MARK_RE.finditer(clean_text(a.text))
    }
    docs = {a.id: content_lemmas(clean_text(a.text), streets) for a in train}
    df_all = Counter(lem for doc in docs.values() for lem in set(doc))

    by_topic: dict[str, list[KurskAppeal]] = defaultdict(list)
    for a in train:
        by_topic[a.topic].append(a)
    topic_id = {name: f"k{i:03d}" for i, name in enumerate(all_topics, start=1)}

    topics = []
    for name in all_topics:
        mine = by_topic.get(name, [])
        topics.append(
            {
                "id": topic_id[name],
                "name": name,
                "level": topic_level(name, Counter(a.body for a in mine), regional_bodies),
                "keywords": topic_keywords(name, [docs[a.id] for a in mine], df_all, len(train)),
                "examples": pick_examples([(a.id, a.text) for a in mine]),
                "asks": topic_asks(name),
                "deadline": None,
            }
        )

    # Which topics each body answered in the training part, and how often.
    answered: dict[str, Counter] = defaultdict(Counter)
    for a in train:
        answered[a.body][topic_id[a.topic]] += 1
    handled: dict[str, list[str]] = {}
    borrowed = []
    for body in all_bodies:
        if answered[body]:
            handled[body] = sorted(answered[body])
    for body in all_bodies:
        if body not in handled:
            sibling = KURSK_SIBLING.get(body) or _closest_sibling(body, handled, place_of)
            handled[body] = list(handled[sibling])
            borrowed.append((body, sibling))

    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for body in all_bodies:
        for t in handled[body]:
            groups[(t, place_of[body])][body] = answered[body][t]
    # A body ranked above the body that answered a shared topic more often there would steal
    # that topic; such topics are dropped from the lower-count body (reported below).
    bodies_on: dict[str, list[str]] = defaultdict(list)
    for body in all_bodies:
        bodies_on[place_of[body]].append(body)
    priority = order_bodies(groups, bodies_on)
    dropped = []
    for (t, _place), counts in groups.items():
        if len(counts) < 2:
            continue
        best = max(counts.values())
        leader_priority = max(priority[b] for b, n in counts.items() if n == best)
        for body, n in counts.items():
            if n < best and priority[body] > leader_priority:
                handled[body].remove(t)
                dropped.append((body, t, n))

    level_of = {b: ("regional" if p == WHOLE_REGION else "municipal") for b, p in place_of.items()}
    ids: dict[str, str] = {}
    bodies = []
    for body in all_bodies:
        bid = kursk_body_id(body, place_of[body])
        if bid in ids.values():
            raise SystemExit(f"повтор id органа {bid}")
        ids[body] = bid
        bodies.append(
            {
                "id": bid,
                "name": body,
                "level": level_of[body],
                "topics": handled[body],
                "territory": WHOLE_REGION if place_of[body] == WHOLE_REGION else [place_of[body]],
                "priority": priority[body],
                "deadline": "10wd",
                "telegram_chat": None,
                "vk_peer": None,
            }
        )
    table = {
        "region": KURSK_REGION,
        "municipalities": municipalities,
        "topics": topics,
        "bodies": bodies,
    }
    stats = {
        "train": len(train),
        "holdout": len(appeals) - len(train),
        "topics_without_training": [n for n in all_topics if n not in by_topic],
        "borrowed": borrowed,
        "dropped": dropped,
    }
    return table, stats


def _closest_sibling(body: str, handled: dict[str, list[str]], place_of: dict[str, str]) -> str:
    """The body with training appeals whose name shares the longest prefix and the same kind
    of territory (region-wide or not)."""
    same_scope = [
        b for b in handled if (place_of[b] == WHOLE_REGION) == (place_of[body] == WHOLE_REGION)
    ]

    def shared(b: str) -> int:
        n = 0
        for x, y in zip(body.split(), b.split(), strict=False):
            if x != y:
                break
            n += 1
        return n

    return max(sorted(same_scope), key=shared)


# -- self-check ----------------------------------------------------------------------------------
def self_check(table: dict, oktmo: list[dict[str, str]] | None = None) -> list[str]:
    """Problems a loader would refuse, plus completeness against the OKTMO rows."""
    problems: list[str] = []
    muni_ids = [m["id"] for m in table["municipalities"]]
    topic_ids = [t["id"] for t in table["topics"]]
    body_ids = [b["id"] for b in table["bodies"]]
    for label, ids in (("municipality", muni_ids), ("topic", topic_ids), ("body", body_ids)):
        for dup, n in Counter(ids).items():
            if n > 1:
                problems.append(f"{label} id {dup} повторяется {n} раз")
    known = set(muni_ids)
    for m in table["municipalities"]:
        if not re.fullmatch(r"\d{8}|\d{11}", m["id"]):
            problems.append(f"{m['id']}: id не похож на ОКТМО")
        if m["kind"] not in MUNICIPALITY_KINDS:
            problems.append(f"{m['id']}: вид «{m['kind']}» не из MUNICIPALITY_KINDS")
        if m["parent"] is not None and m["parent"] not in known:
            problems.append(f"{m['id']}: нет родителя {m['parent']}")
    topics = set(topic_ids)
    for t in table["topics"]:
        Level(t["level"])
        if not set(t["asks"]) <= set(ASKABLE):
            problems.append(f"тема {t['id']}: asks {t['asks']}")
    seen: dict[tuple[str, str, int], str] = {}
    for b in table["bodies"]:
        Level(b["level"])
        Deadline.parse(b["deadline"])
        for t in b["topics"]:
            if t not in topics:
                problems.append(f"орган {b['id']}: нет темы {t}")
        places = [WHOLE_REGION] if b["territory"] == WHOLE_REGION else b["territory"]
        for place in places:
            if place != WHOLE_REGION and place not in known:
                problems.append(f"орган {b['id']}: нет территории {place}")
            for t in b["topics"]:
                key = (t, place, b["priority"])
                if key in seen:
                    problems.append(
                        f"темa {t} на {place}: у {seen[key]} и {b['id']} одинаковый приоритет"
                    )
                seen[key] = b["id"]
    if oktmo is not None:
        want = Counter(r["oktmo8"] for r in oktmo if r["kind"] in ("MO_level1", "MO_level2"))
        have = Counter(muni_ids)
        for code, n in want.items():
            if have[code] != n:
                problems.append(f"ОКТМО {code} встречается в таблице {have[code]} раз, ждали {n}")
    return problems


# -- main ----------------------------------------------------------------------------------------
def build(data: Path) -> tuple[dict[str, str], dict]:
    saratov = build_saratov(data)
    kursk, stats = build_kursk(data)
    problems = self_check(saratov, oktmo_rows(data, "63")) + self_check(
        kursk, oktmo_rows(data, "38")
    )
    if problems:
        raise SystemExit("таблицы не прошли самопроверку:\n  " + "\n  ".join(problems))
    return {"saratov.yaml": dump_yaml(saratov), "kursk.yaml": dump_yaml(kursk)}, stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.build_tables", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="каталог shared/data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="куда писать YAML")
    parser.add_argument(
        "--check", action="store_true", help="не писать, а сравнить с файлами в --out"
    )
    args = parser.parse_args(argv)
    if not (args.data / OKTMO_FILE).exists():
        print(f"нет данных: {args.data / OKTMO_FILE}", file=sys.stderr)
        return 2
    files, stats = build(args.data)
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"записано {path}")
    print(
        f"Курск: обучающих обращений {stats['train']}, отложено {stats['holdout']}; "
        f"тем без обучающих обращений {len(stats['topics_without_training'])}; "
        f"органов с темами соседа {len(stats['borrowed'])}; "
        f"снято тем из-за приоритета {len(stats['dropped'])}"
    )
    for body, sibling in stats["borrowed"]:
        print(f"  темы «{body}» взяты у «{sibling}»")
    for body, topic, n in stats["dropped"]:
        print(f"  у «{body}» снята тема {topic} ({n} обуч.): её чаще решает другой орган")
    if stale:
        print("устарели (перегенерируйте): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
