"""A coordinator's upload is bounded: hostile files are refused in Russian, real tables still load.

The hostile files are real archives (`tests.hostile_files`): small to send, hundreds of megabytes
to a gigabyte unpacked. Each goes through `routing.sandbox.parse_upload`, the child process the
bot parses uploads in, and must end in one Russian problem naming the bound — the time and memory
they take are measured in ``bench/upload_guard.py``, not here.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import signal
import zipfile
from pathlib import Path

import openpyxl
import pytest

from routing import sandbox
from routing.bounds import UPLOAD, MiB
from routing.errors import TableError
from routing.model import RoutingTable
from routing.tablefile import load_table, parse_table, table_to_bytes
from tests import hostile_files
from tests.routing.conftest import TINY_YAML

ROOT = Path(__file__).resolve().parents[2]
#: Words a Russian message may hold in Latin letters: formats, programs, the table's own names.
LATIN_ALLOWED = {"XLSX", "ZIP", "CSV", "YAML", "XML", "Excel", "UTF", "xlsx", "yaml", "zip",
                 "csv", "region", "municipalities", "topics", "bodies"}


@pytest.fixture(scope="module")
def tiny() -> RoutingTable:
    return parse_table(TINY_YAML.encode(), "tiny.yaml")


@pytest.fixture(scope="module")
def kursk() -> RoutingTable:
    return load_table(ROOT / "routing" / "tables" / "kursk.yaml")


def refusal(data: bytes, filename: str, **limits) -> str:
    """The one problem an upload is refused with, as the coordinator reads it."""
    with pytest.raises(TableError) as caught:
        sandbox.parse_upload(data, filename, **limits)
    (problem,) = caught.value.problems
    assert problem.file.startswith(filename)
    return problem.message


def english_in(message: str) -> list[str]:
    """Latin words outside «quoted names» that are not on the allowed list."""
    words = re.findall(r"[A-Za-z]{2,}", re.sub(r"«[^»]*»", "", message))
    return [w for w in words if w not in LATIN_ALLOWED]


# -- the hostile files of issue 15 ----------------------------------------------------------------
def unpacked_megabytes(message: str) -> int:
    return int(re.search(r"распаковывается в (\d+) МБ", message).group(1))


def test_an_xlsx_whose_sheet_unpacks_to_200_mb_is_refused(tiny) -> None:
    message = refusal(hostile_files.xlsx_with_huge_sheet(tiny), "таблица.xlsx")
    assert "«xl/worksheets/sheet4.xml»" in message
    assert abs(unpacked_megabytes(message) - 200) <= 1
    assert "больше 64 МБ не принимается" in message and not english_in(message)


def test_an_xlsx_with_a_1_gb_shared_strings_part_is_refused(tiny) -> None:
    message = refusal(hostile_files.xlsx_with_huge_shared_strings(tiny), "таблица.xlsx")
    assert "«xl/sharedStrings.xml»" in message
    assert abs(unpacked_megabytes(message) - 1024) <= 1


def test_a_zip_with_a_100_mb_csv_is_refused(tiny) -> None:
    message = refusal(hostile_files.zip_with_huge_csv(tiny), "таблица.zip")
    assert "«bodies.csv»" in message and abs(unpacked_megabytes(message) - 100) <= 1


def test_a_zip_of_100000_members_is_refused(tiny) -> None:
    message = refusal(hostile_files.zip_with_many_members(), "таблица.zip")
    assert message.startswith("в архиве 100\u00a0000 файлов, а больше 256 не принимается")


def test_a_member_whose_header_understates_its_size_is_never_unpacked_beyond_it(tiny) -> None:
    """``zipfile`` stops at the declared size and the CRC then fails: refused as damaged."""
    honest = hostile_files.zip_with_huge_csv(tiny, size=40 * MiB)
    lying = hostile_files.with_lying_header(honest, "bodies.csv", 1 * MiB)
    message = refusal(lying, "таблица.zip")
    assert message == "файл в архиве повреждён: файл повреждён (не сходится контрольная сумма)"


# -- bounds on rows, columns, cells and characters ------------------------------------------------
def _xlsx(table: RoutingTable, edit) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(table, "xlsx")))
    edit(book["bodies"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_problem(data: bytes, filename: str) -> str:
    with pytest.raises(TableError) as caught:
        parse_table(data, filename, UPLOAD)
    (problem,) = caught.value.problems
    return str(problem)


def test_a_cell_far_below_the_table_is_refused_as_too_many_rows(tiny) -> None:
    data = _xlsx(tiny, lambda sheet: sheet.cell(row=1_048_576, column=1, value="x"))
    assert "лист «bodies»: на листе больше 100\u00a0000 строк" in upload_problem(data, "t.xlsx")


def test_a_cell_far_to_the_right_is_refused_as_too_many_columns(tiny) -> None:
    data = _xlsx(tiny, lambda sheet: sheet.cell(row=2, column=16_384, value="x"))
    message = upload_problem(data, "t.xlsx")
    assert "строка 2: в строке 16\u00a0384 столбцов, а больше 256 не принимается" in message


def test_an_empty_formatted_cell_far_to_the_right_is_not_the_coordinators_data(tiny) -> None:
    def format_far_right(sheet) -> None:
        sheet.cell(row=2, column=16_384).number_format = "0.00"

    assert parse_table(_xlsx(tiny, format_far_right), "t.xlsx", UPLOAD) == tiny


def _zip_with(table: RoutingTable, name: str, content: bytes) -> bytes:
    """``table`` as a ZIP of CSV files with file ``name`` replaced by ``content``."""
    archive = zipfile.ZipFile(io.BytesIO(table_to_bytes(table, "zip")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in archive.namelist():
            target.writestr(member, content if member == name else archive.read(member))
    return buffer.getvalue()


def test_a_cell_longer_than_excel_allows_is_refused_with_its_address(tiny) -> None:
    archive = zipfile.ZipFile(io.BytesIO(table_to_bytes(tiny, "zip")))
    text = archive.read("topics.csv").decode().replace("Здравоохранение", "я" * 40_000)
    data = _zip_with(tiny, "topics.csv", text.encode())
    message = upload_problem(data, "t.zip")
    assert message.startswith("t.zip/topics.csv, лист «topics», строка 3, столбец «B»: в ячейке "
                              "больше 32\u00a0767 символов")


def test_a_million_cells_are_refused(tiny) -> None:
    wide = "\n".join(",".join(["x"] * 250) for _ in range(4_100)).encode()
    data = _zip_with(tiny, "topics.csv", wide)
    assert "в таблице больше 1\u00a0000\u00a0000 ячеек" in upload_problem(data, "t.zip")


def test_yaml_aliases_count_as_many_values_as_they_stand_for(tiny) -> None:
    keywords = ", ".join(f"w{i}" for i in range(20_000))
    rows = "".join(f"  - {{id: t{i}, name: Тема {i}, keywords: *many}}\n" for i in range(60))
    text = TINY_YAML.replace("topics:\n", f"words: &many [{keywords}]\ntopics:\n" + rows, 1)
    assert "в таблице больше 1\u00a0000\u00a0000 значений" in upload_problem(text.encode(),
                                                                              "t.yaml")


# -- real tables still load, in every format ------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "zip", "yaml"])
def test_the_kursk_table_uploads_in_every_format(kursk, fmt: str) -> None:
    assert sandbox.parse_upload(table_to_bytes(kursk, fmt), f"курск.{fmt}") == kursk


def test_problems_of_a_real_table_come_back_with_their_addresses_and_count(tiny) -> None:
    text = TINY_YAML.replace("deadline: 10wd", "deadline: скоро")
    with pytest.raises(TableError) as caught:
        sandbox.parse_upload(text.encode(), "t.yaml")
    assert caught.value.total == 2
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [
        ("bodies", 1, "deadline"), ("bodies", 3, "deadline")]


# -- what the child process's limits turn into ----------------------------------------------------
def test_a_parse_over_its_time_is_stopped_and_said_so(kursk) -> None:
    message = refusal(table_to_bytes(kursk, "yaml"), "t.yaml", seconds=0.05)
    assert message.startswith("проверка таблицы не уложилась в 0,05 с и остановлена")


def test_a_parse_out_of_memory_is_stopped_and_said_so(tiny) -> None:
    """90,000 bodies: within the bounds, not within 80 MB (parsed alone, the peak is ~150 MB)."""
    rows = "".join(f"b{i},Орган номер {i},municipal,roads,region,{i}\n" for i in range(90_000))
    header = "id,name,level,topics,territory,priority\n"
    data = _zip_with(tiny, "bodies.csv", (header + rows).encode())
    message = refusal(data, "t.zip", memory_bytes=80 * MiB)
    assert message.startswith("проверке таблицы не хватило 80 МБ памяти") and not english_in(
        message)


def _meaning(returncode: int, output: bytes) -> str:
    parse = sandbox._outcome(returncode, output, "t.xlsx", 60, 480 * MiB, 1.0)
    assert parse.table is None and parse.refusal is not None
    (problem,) = parse.refusal.problems
    return problem.message


def test_a_child_killed_or_answering_nonsense_is_a_failure_said_in_russian() -> None:
    broken = "таблицу не удалось проверить: проверка завершилась сбоем"
    assert _meaning(-signal.SIGKILL, b"").startswith(broken)  # the kernel's OOM killer
    assert _meaning(-signal.SIGSEGV, b"").startswith(broken)  # a parser's C code
    assert _meaning(0, pickle.dumps(("failed", 1 << 20, "KeyError"))).startswith(broken)  # a bug
    assert _meaning(0, pickle.dumps(("table", 1 << 20, "not a table"))).startswith(broken)
    assert _meaning(0, pickle.dumps(("problems", 1 << 20))).startswith(broken)
    assert _meaning(0, b"").startswith(broken)
    assert _meaning(-signal.SIGXCPU, b"").startswith("проверка таблицы не уложилась в 60 с")


def test_the_child_reports_its_own_peak_memory(tiny) -> None:
    parse = sandbox.parse_in_child(TINY_YAML.encode(), "t.yaml")
    assert parse.table == tiny and 10 * MiB < parse.peak_bytes < sandbox.MEMORY_BYTES


def test_the_child_gets_none_of_the_bots_settings(monkeypatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@db/bot")
    environment = sandbox._child_environment()
    assert "secret" not in repr(environment)
    assert set(environment) == {"PATH", "PYTHONPATH", "LC_ALL"}


def test_an_answer_naming_anything_but_the_tables_classes_is_not_unpickled() -> None:
    assert sandbox._answer(pickle.dumps(("table", os.system))) is None
    assert sandbox._answer(b"not a pickle") is None


# -- Russian only ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"PK\x03\x04 not really a zip", "t.xlsx"),
        (b"\x00\x01garbage", "t.zip"),
        (b"region: [unclosed", "t.yaml"),
        (b"a: b: c", "t.yaml"),
        (b"region: x\n\tbodies: 1", "t.yaml"),
        (b"region: *nowhere", "t.yaml"),
        (b"region: !!python/object x", "t.yaml"),
    ],
)
def test_unreadable_files_are_explained_without_english(data: bytes, filename: str) -> None:
    with pytest.raises(TableError) as caught:
        parse_table(data, filename)
    (problem,) = caught.value.problems
    assert not english_in(problem.message), problem.message


def test_a_csv_cell_beyond_the_csv_modules_limit_is_explained_in_russian(tiny) -> None:
    archive = zipfile.ZipFile(io.BytesIO(table_to_bytes(tiny, "zip")))
    long_cell = archive.read("topics.csv") + b'"' + b"x" * 200_000 + b'"\n'
    with pytest.raises(TableError) as caught:
        parse_table(_zip_with(tiny, "topics.csv", long_cell), "t.zip")
    (problem,) = [p for p in caught.value.problems if p.sheet == "topics"]
    assert problem.message == "файл CSV не читается: в нём ячейка длиннее 131\u00a0072 символов"


def test_an_excel_date_where_text_is_expected_is_called_a_date(tiny) -> None:
    import datetime

    data = _xlsx(tiny, lambda sheet: sheet.cell(row=2, column=2,
                                                value=datetime.datetime(2024, 5, 1)))
    with pytest.raises(TableError) as caught:
        parse_table(data, "t.xlsx")
    (problem,) = caught.value.problems
    assert problem.message == "ожидается текст, а здесь дата"
