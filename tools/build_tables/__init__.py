"""Generate the shipped routing tables (Saratov and Kursk oblasts) from the data in ../shared/data.

    python -m tools.build_tables [--data DIR] [--out DIR] [--check]

The generated YAML is committed and is what coordinators edit afterwards; this script exists so
that the first version is reproducible and reviewable, not so that it is re-run over their edits.
``--check`` regenerates in memory and fails if the committed files differ (or the self-check
finds a problem), which is how CI notices a hand edit that should have been made here.

* Saratov (``saratov``): municipalities from the 2019 OKTMO extract, town coordinates from
  hflabs/city, and a hand-written set of topics and regional/municipal bodies.
* Kursk (``kursk``): topics and bodies exactly as named in ``kursk-appeals-dev.csv``; everything
  learnt from appeals (a body's topics, priorities, keywords, examples) uses only the training
  part (``not in_holdout(id, HOLDOUT)``) so that the held-out figures stay honest.
* Hand-written data of both regions (topics, bodies, aliases, word lists) is in
  ``routing/tables/sources/*.yaml``; the modules only read it. What both regions share (paths,
  lemmas, municipalities from OKTMO) is in ``common``; this module checks and writes the tables.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from routing.model import ASKABLE, MUNICIPALITY_KINDS, WHOLE_REGION, Deadline, Level
from tools.build_tables.common import DEFAULT_DATA, DEFAULT_OUT, OKTMO_FILE, dump_yaml, oktmo_rows
from tools.build_tables.kursk import build_kursk
from tools.build_tables.saratov import build_saratov


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
        if b.get("parent") is not None and b["parent"] not in body_ids:
            problems.append(f"орган {b['id']}: нет вышестоящего органа {b['parent']}")
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
