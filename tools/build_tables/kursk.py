"""The Kursk table: topics and bodies exactly as named in ``kursk-appeals-dev.csv``, with their
keywords, examples, territories and priorities learnt from the training part of those appeals.

The part of the builder that reads appeals (cleaning, lemmas, keyword scores, body order); the
few facts a name does not say are in ``routing/tables/sources/kursk-*.yaml``.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routing.dataset import in_holdout
from routing.model import WHOLE_REGION
from tools.build_tables.common import (
    APPEALS_FILE,
    CITY_DISTRICT,
    HOLDOUT,
    build_municipalities,
    lemma,
    oktmo_rows,
    parse_word,
    read_csv,
    read_towns,
    source,
)

PLACES = source("kursk-places.yaml")
KURSK_CITY = PLACES["city"]
BODIES = source("kursk-bodies.yaml")
_WORDS = source("kursk-words.yaml")

_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[а-яёa-z]+", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?:\+7|8)?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}")
_STREET_MARK_RE = re.compile(
    r"\b(?:ул|улица|улице|улицы|пр|пр-т|проспект|проспекта|пер|переулок|переулка|бульвар|"
    r"пл|площадь|проезд|проезда|мкр|микрорайон)\.?\s+([А-ЯЁ][а-яё]+)"
)

STOP_WORDS = set(_WORDS["stop_words"].split())
NAME_STOP = set(_WORDS["name_stop"])
PLACE_BOUND = tuple(_WORDS["place_bound"])
VISIBLE = tuple(_WORDS["visible"])


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
    for words, abbreviation in BODIES["id_words"]:
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
    if name in BODIES["places"]:
        return by_name[BODIES["places"][name]]
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
    towns = read_towns(data, "Курская")
    municipalities = build_municipalities(oktmo_rows(data, "38"), towns, PLACES)
    kursk = next(m for m in municipalities if m["id"] == KURSK_CITY)
    at = municipalities.index(kursk) + 1
    for offset, district in enumerate(PLACES["city_districts"]):
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
            sibling = BODIES["siblings"].get(body)
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
    parent_of = kursk_body_parents(all_bodies)
    for entry in bodies:
        if entry["name"] in parent_of:  # the others stay as they were, without the key
            entry["parent"] = ids[parent_of[entry["name"]]]
    table = {
        "region": PLACES["region"],
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


def kursk_body_parents(names: list[str]) -> dict[str, str]:
    """Body name → the name of the body that dispatches for it, by the words of
    ``units`` in kursk-bodies.yaml (a body is never its own unit)."""
    parents: dict[str, str] = {}
    for parent, words in BODIES["units"].items():
        if parent not in names:
            raise SystemExit(f"вышестоящий орган «{parent}» не встречается в обращениях")
        for name in names:
            if name != parent and any(word in name for word in words):
                parents[name] = parent
    return parents


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
