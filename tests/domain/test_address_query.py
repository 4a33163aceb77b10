"""What of a citizen's words goes to the address service (`bot.domain.phrases.address_query`):
the address alone, from the newest line that has one — never the rest of the appeal — and
nothing when no street or house is named."""

from __future__ import annotations

import pytest

from bot.domain.phrases import address_query


@pytest.mark.parametrize(("text", "query"), [
    ("Не горит фонарь у дома 88 на улице Чернышевского, темно вечером",
     "дома 88 улице Чернышевского"),
    ("Не горит фонарь во дворе\nМолодёжная улица, дом 2", "Молодёжная улица, дом 2"),
    ("Не горит фонарь во дворе\nул. Молодёжная, д. 2", "ул. Молодёжная, д. 2"),
    ("Яма на дороге у дома 15 по улице Рабочей. Прошу заделать!", "дома 15 улице Рабочей"),
    ("Нет воды, ул. Московская, 12, кв. 5. Звоните 89001234567", "ул. Московская, 12"),
    ("в доме 5 по пр. Строителей, корп. 2 течёт крыша", "доме 5 пр. Строителей, корп. 2"),
    ("Яма. Улица Рабочая, 3", "Улица Рабочая, 3"),
])
def test_the_address_alone_is_asked_about(text, query):
    assert address_query(text) == query


@pytest.mark.parametrize("text", [
    "Не горит фонарь во дворе", "дом 5", "Улица", "Не вывозят мусор уже 3 дня",
])
def test_no_street_or_house_named_asks_nothing(text):
    assert address_query(text) is None
