"""The ``python -m routing`` contract: JSON lines in and out, one clear line per error."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SARATOV = ROOT / "routing" / "tables" / "saratov.yaml"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "routing", *args], input=stdin, capture_output=True,
        text=True, cwd=ROOT, env=env, timeout=300,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_validate_prints_a_one_line_summary():
    result = run("validate", str(SARATOV))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("Саратовская область")
    assert "органов" in result.stdout


def test_validate_reports_problems_with_their_place(tmp_path):
    table = tmp_path / "bad.yaml"
    table.write_text(
        SARATOV.read_text(encoding="utf-8").replace("territory: region", "territory: [\"99\"]", 1),
        encoding="utf-8",
    )
    result = run("validate", str(table))
    assert result.returncode == 1
    assert "bodies" in result.stderr and "territory" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_table_is_one_line_not_a_traceback(tmp_path):
    assert_one_clear_line(run("validate", str(tmp_path / "nope.yaml")), "nope.yaml")


def test_convert_round_trips_through_xlsx(tmp_path):
    xlsx = tmp_path / "t.xlsx"
    assert run("convert", str(SARATOV), str(xlsx)).returncode == 0
    back = tmp_path / "back.yaml"
    assert run("convert", str(xlsx), str(back)).returncode == 0
    assert run("validate", str(back)).stdout == run("validate", str(SARATOV)).stdout


def test_classify_writes_one_json_line_per_input_line():
    lines = [
        {"id": 1, "text": "В Саратове на ул. Московской не горит фонарь"},
        {"id": "b", "text": "Не горит фонарь во дворе", "lat": 51.5336, "lon": 46.0343},
        {"id": 3, "text": "Хочу просто сказать всем спасибо!"},
    ]
    result = run("classify", "--table", str(SARATOV),
                 stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3]
    for o in out:
        assert set(o) >= {"id", "decision", "topic", "municipality", "body", "confidence",
                          "candidates", "why"}
    assert out[0]["decision"] == "route" and out[0]["municipality"] == "63701000"
    assert out[1]["decision"] == "route" and "геометка" in out[1]["why"]
    assert out[2]["decision"] == "to_coordinator"


def test_classify_answers_bad_lines_without_stopping():
    stdin = (
        '{"id": 1, "text": "нет света"}\nне json\n{"id": 3}\n'
        '{"id": 4, "text": "x", "lat": "a"}\n'
    )
    result = run("classify", "--table", str(SARATOV), stdin=stdin)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, None, 3, 4]
    assert "error" not in out[0] and all("error" in o for o in out[1:])
    assert "строка 2" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_is_explained_in_russian():
    result = run("frobnicate")
    assert result.returncode == 2 and "ошибка в команде" in result.stderr


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """Appeals labelled by body name, as a past-appeals export would have them."""
    return _labelled_file(tmp_path_factory.mktemp("data") / "appeals.csv", repeats=4)


@pytest.fixture(scope="module")
def many_labelled(tmp_path_factory) -> Path:
    """Enough labelled appeals (120) for `train` to calibrate by cross-validation."""
    return _labelled_file(tmp_path_factory.mktemp("data") / "many.csv", repeats=12)


def _labelled_file(path: Path, repeats: int) -> Path:
    rows = []
    phrasing = {
        "Министерство здравоохранения Саратовской области": [
            "врач не принял по записи", "в больнице нет лекарств", "скорая ехала два часа",
            "поликлиника не берёт трубку", "талонов к терапевту нет"],
        "Министерство образования Саратовской области": [
            "учитель требует деньги на ремонт класса", "в школе холодно на уроках",
            "ЕГЭ перенесли без объяснений", "нет мест в первом классе",
            "школьный автобус не ходит"],
    }
    for body, texts in phrasing.items():
        for repeat in range(repeats):
            for number, text in enumerate(texts):
                rows.append({"id": f"{body[:5]}-{repeat}-{number}", "text": f"{text} {repeat}",
                             "body": body})
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["id", "text", "body"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_train_then_classify_and_eval_use_the_model(tmp_path, labelled):
    model = tmp_path / "model.bin"
    trained = run("train", "--table", str(SARATOV), "--data", str(labelled), "--out", str(model))
    assert trained.returncode == 0, trained.stderr
    assert "обучено на 40 обращениях" in trained.stdout

    query = json.dumps({"id": 1, "text": "скорая не приехала"}, ensure_ascii=False)
    out = json.loads(run("classify", "--table", str(SARATOV), "--model", str(model),
                         stdin=query).stdout)
    assert out["body"] == "min-health"

    evaluated = run("eval", "--table", str(SARATOV), "--model", str(model), "--data",
                    str(labelled), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    figures = json.loads(evaluated.stdout)
    assert figures["appeals"] == 40 and figures["top1"] > 0.9


def test_eval_prints_every_figure_the_coordinator_needs(labelled):
    result = run("eval", "--table", str(SARATOV), "--data", str(labelled))
    assert result.returncode == 0, result.stderr
    for words in ("top-1", "top-3", "понадобился вопрос", "уверенно, но не туда"):
        assert words in result.stdout


def test_train_calibrates_and_eval_sweep_shows_the_curve_and_the_chosen_point(
    tmp_path, many_labelled
):
    model = tmp_path / "model.bin"
    trained = run("train", "--table", str(SARATOV), "--data", str(many_labelled), "--out",
                  str(model), "--folds", "3")
    assert trained.returncode == 0, trained.stderr
    assert "откалибрована на 120 обращениях перекрёстной проверкой (3 частей)" in trained.stdout
    swept = run("eval", "--table", str(SARATOV), "--model", str(model), "--data",
                str(many_labelled), "--sweep", "--route-precision", "0.9")
    assert swept.returncode == 0, swept.stderr
    assert "калибровка перекрёстной проверкой (120 обращений обучения)" in swept.stdout
    assert swept.stdout.count("← выбран") == 2  # on the training curve and on these appeals


def test_uncalibrated_sweep_says_where_its_threshold_comes_from(labelled):
    swept = run("eval", "--table", str(SARATOV), "--data", str(labelled), "--sweep")
    assert swept.returncode == 0, swept.stderr
    assert "модель не откалибрована" in swept.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("train", "--folds", "1"), "--folds должно быть 0 (без калибровки) или от 2 до 20"),
        (("eval", "--route-precision", "1.2"), "целевая точность должна быть больше 0 и меньше 1"),
    ],
)
def test_bad_folds_or_precision_is_one_russian_line(tmp_path, labelled, args, words):
    command, *rest = args
    extra = ("--out", str(tmp_path / "m")) if command == "train" else ()
    result = run(command, "--table", str(SARATOV), "--data", str(labelled), *extra, *rest)
    assert_one_clear_line(result, words)


def test_data_for_another_table_is_refused(tmp_path):
    data = tmp_path / "other.csv"
    data.write_text("text,body\nяма,Комитет чего-то\nсвет,Комитет другого\n", encoding="utf-8")
    result = run("train", "--table", str(SARATOV), "--data", str(data), "--out",
                 str(tmp_path / "m"))
    assert_one_clear_line(result, "меток нет в таблице")


def test_model_for_another_region_is_refused(tmp_path, labelled):
    model = tmp_path / "model.bin"
    assert run("train", "--table", str(SARATOV), "--data", str(labelled), "--out",
               str(model)).returncode == 0
    kursk = ROOT / "routing" / "tables" / "kursk.yaml"
    result = run("classify", "--table", str(kursk), "--model", str(model), stdin="")
    assert_one_clear_line(result, "Саратовская область", "Курская область")


def test_corrupt_model_file_is_refused(tmp_path):
    model = tmp_path / "model.bin"
    model.write_bytes(b"not a model")
    assert_one_clear_line(run("classify", "--table", str(SARATOV), "--model", str(model)),
                          "повреждён")
