"""The Saratov table: OKTMO municipalities, the hand-written topics and regional bodies of
``routing/tables/sources/saratov-*.yaml``, and an administration for every municipality.

Nothing here is learnt from appeals; the region's own module keeps its naming rules
(``administration_name``) next to the one function that uses them.
"""

from __future__ import annotations

from pathlib import Path

from routing.model import WHOLE_REGION
from tools.build_tables.common import (
    DISTRICT,
    SETTLEMENT,
    URBAN_OKRUG,
    URBAN_SETTLEMENT,
    build_municipalities,
    genitive_adjective,
    lemmas_unique,
    oktmo_rows,
    read_csv,
    read_towns,
    source,
)

PLACES = source("saratov-places.yaml")
TOPICS = source("saratov-topics.yaml")["topics"]
BODIES = source("saratov-bodies.yaml")


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
    towns = read_towns(data, "Саратовская")
    municipalities = build_municipalities(oktmo_rows(data, "63"), towns, PLACES)
    municipalities += build_settlements(data, municipalities)
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
        for t in TOPICS
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
        for b in BODIES["regional"]
    ]
    by_id = {m["id"]: m for m in municipalities}
    answers = BODIES["administrations"]
    for m in municipalities:
        if m["kind"] == SETTLEMENT:
            continue  # answered by its formation's administration
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
        "region": PLACES["region"],
        "municipalities": municipalities,
        "topics": topics,
        "bodies": bodies,
    }


SETTLEMENTS_FILE = "settlements-saratov.csv"
#: Railway points nobody lives at: a citizen names the village beside them.
NOT_SETTLEMENTS = frozenset({"железнодорожный разъезд", "остановочная платформа"})
SETTLEMENT_WORD = {"железнодорожная станция": "станция", "рабочий посёлок": "рабочий посёлок"}


def build_settlements(data: Path, municipalities: list[dict]) -> list[dict]:
    """Villages, посёлки and хутора below the municipal formations, so that a citizen who names
    one («в селе Усть-Курдюм») is placed in its formation and district.

    Kind «населённый пункт», parent = the formation from the settlements file; rows of the 39
    rural settlements merged before 2019 (not in the OKTMO extract) go to their district, the
    one place their code still names for certain. A settlement already named by its own
    formation or district (the town of «город Аткарск») is left out: the formation answers.
    """
    by_id = {m["id"]: m for m in municipalities}
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for row in read_csv(data / SETTLEMENTS_FILE):
        if row["kind"] in NOT_SETTLEMENTS:
            continue
        parent = row["mo_oktmo8"] if row["mo_oktmo8"] in by_id else row["mo_oktmo8"][:5] + "000"
        if parent not in by_id:
            raise SystemExit(f"{row['oktmo11']} {row['name']}: нет ни образования, ни района")
        name = row["name"]
        enclosing = [by_id[parent], *([by_id[by_id[parent]["parent"]]]
                                      if by_id[parent]["parent"] else [])]
        if any(name in (m["name"], *m["aliases"]) or m["name"].endswith(" " + name)
               for m in enclosing):
            continue
        if (parent, name) in seen:
            continue
        seen.add((parent, name))
        out.append(
            {
                "id": row["oktmo11"],
                "name": f"{SETTLEMENT_WORD.get(row['kind'], row['kind'])} {name}",
                "kind": SETTLEMENT,
                "parent": parent,
                "aliases": [],
                "lat": None,
                "lon": None,
            }
        )
    return out
