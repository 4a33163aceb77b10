"""Labelled appeals for training and evaluation: reading them and a stable held-out split.

The split is decided by a hash of each appeal's id, not by a random shuffle, so that ``train``
and ``eval`` (and the script that derives the Kursk table from the same file) agree on which
appeals were held out without sharing any state, and the figures in the README can be
reproduced exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from routing.errors import RoutingError


@dataclass(frozen=True, slots=True)
class LabelledAppeal:
    id: str
    text: str
    topic: str | None = None  # topic id or name as written in the routing table
    body: str | None = None  # body id or name as written in the routing table
    lat: float | None = None
    lon: float | None = None


def in_holdout(appeal_id: str, share: float) -> bool:
    """Whether this appeal belongs to the held-out part (``share`` of all ids, stable)."""
    if share <= 0:
        return False
    digest = hashlib.blake2b(str(appeal_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def split(appeals: Iterable[LabelledAppeal], holdout: float, part: str) -> list[LabelledAppeal]:
    """``part`` is ``"train"`` (outside the holdout) or ``"test"`` (inside it)."""
    want_test = part == "test"
    return [a for a in appeals if in_holdout(a.id, holdout) == want_test]


def _float_or_none(value: object) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_labelled(raw: str, name: str) -> list[LabelledAppeal]:
    """Read CSV (with a header) or JSON lines; needs ``text`` and ``topic`` or ``body``."""
    stripped = raw.lstrip("\ufeff")
    rows: list[dict]
    if stripped.lstrip().startswith("{"):
        rows = []
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise RoutingError(f"{name}, строка {number}: не JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise RoutingError(f"{name}, строка {number}: ожидается JSON-объект")
            rows.append(row)
    else:
        reader = csv.DictReader(io.StringIO(stripped))
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise RoutingError(f"{name}: нет столбца text (нужны text и topic или body)")
        rows = list(reader)
    appeals = []
    for number, row in enumerate(rows, start=1):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        topic = row.get("topic") or None
        body = row.get("body") or None
        appeals.append(
            LabelledAppeal(
                id=str(row.get("id") if row.get("id") not in (None, "") else number),
                text=text,
                topic=str(topic) if topic is not None else None,
                body=str(body) if body is not None else None,
                lat=_float_or_none(row.get("lat")),
                lon=_float_or_none(row.get("lon")),
            )
        )
    if not appeals:
        raise RoutingError(f"{name}: нет ни одного обращения с текстом")
    if not any(a.topic or a.body for a in appeals):
        raise RoutingError(f"{name}: нет ни одной метки — нужен столбец topic или body")
    return appeals


def read_labelled(path: str | Path) -> list[LabelledAppeal]:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutingError(f"{path}: файл не найден") from None
    except UnicodeDecodeError:
        raise RoutingError(f"{path}: файл не в кодировке UTF-8") from None
    except OSError as error:
        raise RoutingError(f"{path}: не удалось прочитать ({error.strerror})") from None
    return parse_labelled(raw, str(path))
