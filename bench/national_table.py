"""A national-size routing table for load benchmarks: 20,000 municipalities, 175,000 bodies.

Deterministic (a fixed seed), so figures from different runs and machines compare. Names and
OKTMO-like codes look real enough for the loader to do realistic work (Cyrillic text, 8- and
11-digit codes, aliases), and bodies never tie, so the table passes validation.

    python -m bench.national_table OUT.yaml   # or OUT.zip, OUT.xlsx, or a folder for CSVs
"""

from __future__ import annotations

import random
import sys

from routing.model import WHOLE_REGION, Body, Deadline, Level, Municipality, RoutingTable, Topic
from routing.tablefile import save_table

DISTRICTS = 2_000
SETTLEMENTS_PER_DISTRICT = 9  # 2,000 + 18,000 = 20,000 municipalities
TOPICS = 60
BODIES = 175_000
REGION_WIDE = 50
SLOT = 6  # topics per body slot; bodies of one municipality use disjoint slots, so never tie

_ROOTS = ("Берёз", "Сосн", "Ольх", "Камен", "Ключ", "Крутояр", "Заречн", "Подгорн", "Лесн",
          "Светл", "Ясн", "Озёрн", "Красн", "Нов", "Стар", "Вишн", "Степн", "Дубр", "Кедр", "Луг")
_ENDINGS = ("овский", "инский", "енский", "ецкий", "ский")
_VILLAGE = ("овка", "ино", "ево", "ки", "ное", "ая Поляна", "ый Яр")
_OFFICES = ("Администрация", "Управление благоустройства администрации",
            "Отдел ЖКХ администрации", "Комитет по образованию администрации",
            "Отдел социальной защиты администрации", "Управление дорожного хозяйства администрации",
            "Отдел культуры администрации", "Комитет по земельным отношениям администрации",
            "Отдел опеки администрации")
_TOPIC_WORDS = ("дороги", "освещение", "мусор", "отопление", "вода", "школы", "больницы",
                "транспорт", "парки", "снег", "лифты", "газ", "детсады", "пенсии", "собаки")


def build(seed: int = 2024) -> RoutingTable:
    rnd = random.Random(seed)
    municipalities: list[Municipality] = []
    for d in range(DISTRICTS):
        region_code, number = 1 + d // 200, d % 200
        district_id = f"{region_code:02d}{number:03d}000"
        stem = rnd.choice(_ROOTS) + rnd.choice(_ENDINGS)
        municipalities.append(Municipality(
            district_id, f"{stem} муниципальный район", "муниципальный район",
            aliases=(f"{stem} район", stem, f"{stem} р-н")[:rnd.randint(1, 3)],
            lat=round(rnd.uniform(41, 77), 4), lon=round(rnd.uniform(20, 179), 4)))
        for s in range(SETTLEMENTS_PER_DISTRICT):
            village = rnd.choice(_ROOTS) + rnd.choice(_VILLAGE)
            kind = "сельское поселение" if s else "городское поселение"
            municipalities.append(Municipality(
                f"{district_id}{s + 1:03d}", f"{kind.split()[0].capitalize()} поселение {village}",
                kind, parent=district_id,
                aliases=(village, f"с. {village}", f"{village} ({stem})")[:rnd.randint(1, 3)]))
    topics = tuple(
        Topic(f"topic-{t:02d}", f"Тема {t}: {_TOPIC_WORDS[t % len(_TOPIC_WORDS)]}",
              keywords=tuple(rnd.sample(_TOPIC_WORDS, 4)),
              examples=(f"Проблема: {_TOPIC_WORDS[t % len(_TOPIC_WORDS)]} во дворе дома {t}",),
              asks=("address",) if t % 3 else ("address", "photo"),
              level=Level.MUNICIPAL if t >= REGION_WIDE else Level.REGIONAL)
        for t in range(TOPICS)
    )
    bodies: list[Body] = [
        Body(f"region-{r:02d}", f"Министерство №{r} Российской Федерации", Level.REGIONAL,
             (f"topic-{r:02d}",), WHOLE_REGION, deadline=Deadline.parse("30d"))
        for r in range(REGION_WIDE)
    ]
    for i in range(BODIES - REGION_WIDE):
        place = municipalities[i % len(municipalities)]
        slot = i // len(municipalities)  # 0..8: disjoint topic slots within one municipality
        first = (slot * SLOT + int(place.id) % 7) % TOPICS
        count = 2 + i % 3
        body_topics = tuple(f"topic-{(first + k) % TOPICS:02d}" for k in range(count))
        bodies.append(Body(
            f"b{i:06d}", f"{_OFFICES[slot]} {place.name}", Level.MUNICIPAL, body_topics,
            (place.id,), deadline=Deadline.parse(rnd.choice(("10wd", "30d", "72h"))),
            telegram_chat=str(-1001000000000 - i) if i % 5 == 0 else None))
    return RoutingTable("Российская Федерация (тест)", tuple(municipalities), topics,
                        tuple(bodies))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    table = build()
    save_table(table, argv[0])
    print(f"{argv[0]}: {table.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
