"""Labelled appeals for train/eval: both file kinds, clear refusals, a stable holdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from routing.dataset import in_holdout, parse_labelled, split
from routing.errors import RoutingError


def test_json_lines_and_csv_read_the_same_appeals():
    jsonl = (
        '{"id": 1, "text": "яма", "topic": "roads"}\n\n'
        '{"id": 2, "text": "нет света", "body": "b"}\n'
    )
    csv_text = "id,text,topic,body\n1,яма,roads,\n2,нет света,,b\n"
    assert parse_labelled(jsonl, "a.jsonl") == parse_labelled(csv_text, "a.csv")


def test_location_columns_are_read_when_present():
    (appeal,) = parse_labelled('{"text": "яма", "topic": "roads", "lat": 51.5, "lon": "46"}',
                               "a.jsonl")
    assert (appeal.lat, appeal.lon) == (51.5, 46.0)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("id,topic\n1,roads\n", "нет столбца text"),
        ("text\nяма\n", "нет ни одной метки"),
        ('{"text": "яма", "topic": "roads"}\n{broken\n', "строка 2: не JSON"),
        ("text,topic\n,roads\n", "нет ни одного обращения"),
    ],
)
def test_unusable_data_is_refused_with_a_reason(raw, words):
    with pytest.raises(RoutingError, match=words):
        parse_labelled(raw, "data.csv")


def test_holdout_is_stable_and_of_the_asked_size():
    ids = [str(i) for i in range(5000)]
    share = sum(in_holdout(i, 0.2) for i in ids) / len(ids)
    assert 0.18 < share < 0.22
    assert [in_holdout(i, 0.2) for i in ids] == [in_holdout(i, 0.2) for i in ids]
    appeals = parse_labelled("id,text,topic\n" + "".join(f"{i},t{i},x\n" for i in ids), "d.csv")
    train, test = split(appeals, 0.2, "train"), split(appeals, 0.2, "test")
    assert len(train) + len(test) == len(appeals)
    assert not {a.id for a in train} & {a.id for a in test}


def test_routing_stays_pure_logic():
    """routing/ must not pull in a messenger client or a database driver."""
    code = (
        "import sys, routing.cli, routing.classify, routing.tablefile, routing.learn, "
        "routing.evaluate, routing.diff\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiogram', 'vkbottle', 'aiosqlite', 'asyncpg', 'sqlite3', 'aiohttp'})\n"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == ""
