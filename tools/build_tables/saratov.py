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
    URBAN_OKRUG,
    URBAN_SETTLEMENT,
    build_municipalities,
    genitive_adjective,
    lemmas_unique,
    oktmo_rows,
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
