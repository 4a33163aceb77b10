"""Generate the shipped routing tables (Saratov and Kursk oblasts) from the data in ../shared/data.

    python -m tools.build_tables [--data DIR] [--out DIR] [--check]

The generated YAML is committed and is what coordinators edit afterwards; this script exists so
that the first version is reproducible and reviewable, not so that it is re-run over their edits.
``--check`` regenerates in memory and fails if the committed files differ (or the self-check
finds a problem), which is how CI notices a hand edit that should have been made here.

* Saratov: municipalities from the 2019 OKTMO extract, town coordinates from hflabs/city, and a
  hand-written set of topics and regional/municipal bodies.
* Hand-written data of both regions (topics, bodies, aliases, word lists) is in
  ``routing/tables/sources/*.yaml``; this script only reads it.
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
SOURCES = DEFAULT_OUT / "sources"
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


def source(name: str) -> dict:
    """A hand-written data file from ``routing/tables/sources``."""
    return yaml.safe_load((SOURCES / name).read_text(encoding="utf-8"))


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
SARATOV_PLACES = source("saratov-places.yaml")
SARATOV_TOPICS = source("saratov-topics.yaml")["topics"]
SARATOV_BODIES = source("saratov-bodies.yaml")


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
        rows,
        read_towns(data, "Саратовская"),
        SARATOV_PLACES["aliases"],
        SARATOV_PLACES["district_centres"],
    )
    topics = [
        {
            "id": t["id"],
            "name": t["name"],
            "level": t["level"],
            "keywords": lemmas_unique(t["keywords"].split()),
            "examples": t["examples"],
            "asks": t["asks"],
            "deadline": None,
        }
        for t in SARATOV_TOPICS
    ]
    bodies = [
        {
            "id": b["id"],
            "name": b["name"],
            "level": "regional",
            "topics": b["topics"],
            "territory": WHOLE_REGION,
            "priority": 0,
            "deadline": b["deadline"],
            "telegram_chat": None,
            "vk_peer": None,
        }
        for b in SARATOV_BODIES["regional"]
    ]
    by_id = {m["id"]: m for m in municipalities}
    answers = SARATOV_BODIES["administrations"]
    for m in municipalities:
        if m["kind"] in (URBAN_OKRUG, DISTRICT):
            handled = answers["district_or_okrug"]
        elif m["kind"] == URBAN_SETTLEMENT:
            handled = answers["urban_settlement"]
        else:
            handled = answers["rural_settlement"]
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
        "region": SARATOV_PLACES["region"],
        "municipalities": municipalities,
        "topics": topics,
        "bodies": bodies,
    }


# -- Kursk ---------------------------------------------------------------------------------------
KURSK_PLACES = source("kursk-places.yaml")
KURSK_CITY = KURSK_PLACES["city"]
KURSK_BODIES = source("kursk-bodies.yaml")
_KURSK_WORDS = source("kursk-words.yaml")


_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[а-яёa-z]+", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?:\+7|8)?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}")
_STREET_MARK_RE = re.compile(
    r"\b(?:ул|улица|улице|улицы|пр|пр-т|проспект|проспекта|пер|переулок|переулка|бульвар|"
    r"пл|площадь|проезд|проезда|мкр|микрорайон)\.?\s+([А-ЯЁ][а-яё]+)"
)

STOP_WORDS = set(_KURSK_WORDS["stop_words"].split())
NAME_STOP = set(_KURSK_WORDS["name_stop"])
PLACE_BOUND = tuple(_KURSK_WORDS["place_bound"])
VISIBLE = tuple(_KURSK_WORDS["visible"])


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


_TRANSLIT = str.maketrans(
    dict(zip("абвгдеёзийклмнопрстуфыэ", "abvgdeeziyklmnoprstufye", strict=True))
    | {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": ""}
    | {"ю": "yu", "я": "ya"}
)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(_TRANSLIT)).strip("-")


def kursk_body_id(name: str, place: str) -> str:
    """``adm-<OKTMO>`` for administrations, otherwise a short transliteration of the name."""
    if name.startswith("Администрация") and place != WHOLE_REGION:
        return f"adm-{place}"
    short = name
    for words, abbreviation in KURSK_BODIES["id_words"]:
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
    if name in KURSK_BODIES["places"]:
        return by_name[KURSK_BODIES["places"][name]]
    district = re.fullmatch(r"Администрация (\S+)ого района", name)
    if district:
        return by_name[f"{district.group(1)}ий муниципальный район"]
    if "Курской области" in name or name == "Ответственный ПМИ":
        return WHOLE_REGION
    if "города Курска" in name or name.startswith(("ООО", "МКУ", "Муниципальное")):
        return KURSK_CITY
    raise SystemExit(f"не знаю территорию органа «{name}»: добавьте в kursk-bodies.yaml")


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
        rows,
        read_towns(data, "Курская"),
        KURSK_PLACES["aliases"],
        KURSK_PLACES["district_centres"],
    )
    kursk = next(m for m in municipalities if m["id"] == KURSK_CITY)
    at = municipalities.index(kursk) + 1
    for offset, district in enumerate(KURSK_PLACES["city_districts"]):
        municipalities.insert(
            at + offset,
            {
                "id": district["id"],
                "name": district["name"],
                "kind": CITY_DISTRICT,
                "parent": KURSK_CITY,
                "aliases": district["aliases"],
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
            sibling = KURSK_BODIES["siblings"].get(body)
            sibling = sibling or _closest_sibling(body, handled, place_of)
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
        "region": KURSK_PLACES["region"],
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
