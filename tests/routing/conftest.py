"""A tiny routing table, as YAML text, that the table-file tests edit one mistake at a time."""

# ruff: noqa: E501  (one YAML entry per line, as coordinators write them, is the point here)

from __future__ import annotations

import pytest

TINY_YAML = """\
region: Саратовская область
municipalities:
  - {id: "63701000", name: город Саратов, kind: городской округ, parent: null, aliases: [Саратов], lat: 51.53, lon: 46.03}
  - {id: "63602000", name: Александрово-Гайский муниципальный район, kind: муниципальный район, aliases: [Александров Гай, А-Гайский район]}
  - id: "63602401"
    name: Александрово-Гайское
    kind: сельское поселение
    parent: "63602000"
topics:
  - {id: roads, name: Дороги и тротуары, level: municipal, keywords: [яма, дорога], examples: ["Яма на дороге у дома 5", "Нет тротуара; ходим по обочине"], asks: [address, photo], deadline: null}
  - {id: health, name: Здравоохранение, level: regional, deadline: 72h}
bodies:
  - {id: saratov-admin, name: Администрация города Саратова, level: municipal, topics: [roads], territory: ["63701000"], priority: 0, deadline: 10wd, telegram_chat: "-1001234", vk_peer: null}
  - {id: agai-admin, name: Администрация Александрово-Гайского района, level: municipal, topics: [roads], territory: ["63602000", "63602401"], deadline: 30d}
  - {id: min-health, name: Министерство здравоохранения Саратовской области, level: regional, topics: [health], territory: region, deadline: 10wd}
"""


@pytest.fixture
def tiny_yaml() -> str:
    return TINY_YAML
