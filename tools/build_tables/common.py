"""What the Saratov and Kursk builders share: paths, the hand-written source files, pymorphy3
lemmas, and municipalities from the OKTMO extract with their aliases and coordinates.

Kept apart from the region modules because both build their municipality list the same way.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
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
SETTLEMENT = "населённый пункт"


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


def build_municipalities(rows: list[dict[str, str]], towns: list[Town], places: dict) -> list[dict]:
    """All MO_level1/MO_level2 rows as table municipalities, with aliases and coordinates.

    ``places`` is a region's ``sources/*-places.yaml``: its ``aliases`` map an OKTMO id to
    hand-written aliases (e.g. the village an adjective-named settlement is called after), its
    ``district_centres`` a district id to the town whose coordinates stand for the district when
    the town is a separate municipality or not in the district.
    """
    extra_aliases: dict[str, list[str]] = places["aliases"]
    district_centres: dict[str, str] = places["district_centres"]
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
