"""Reading and writing tables in every format, including what Excel does to them."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.errors import TableError
from routing.model import RoutingTable
from routing.tablefile import load_table, parse_table, save_table, table_to_bytes
from tests.routing.conftest import TINY_YAML


@pytest.fixture
def tiny() -> RoutingTable:
    return parse_table(TINY_YAML.encode(), "tiny.yaml")


def problems_of(data: bytes, filename: str) -> list[str]:
    with pytest.raises(TableError) as caught:
        parse_table(data, filename)
    return [str(p) for p in caught.value.problems]


def test_round_trip_yaml_xlsx_csv_dir_zip_yaml(tiny: RoutingTable, tmp_path: Path) -> None:
    save_table(tiny, tmp_path / "a.yaml")
    from_yaml = load_table(tmp_path / "a.yaml")
    save_table(from_yaml, tmp_path / "b.xlsx")
    from_xlsx = load_table(tmp_path / "b.xlsx")
    save_table(from_xlsx, tmp_path / "c")
    from_dir = load_table(tmp_path / "c")
    save_table(from_dir, tmp_path / "d.zip")
    from_zip = load_table(tmp_path / "d.zip")
    save_table(from_zip, tmp_path / "e.yml")
    assert load_table(tmp_path / "e.yml") == from_zip == from_dir == from_xlsx == from_yaml == tiny
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "bodies.csv", "municipalities.csv", "region.csv", "templates.csv", "topics.csv"]


def test_reply_templates_round_trip_through_every_format_and_are_checked(
    tiny: RoutingTable, tmp_path: Path
) -> None:
    """Reply templates (issue 16) are an optional section: tables without them load as before,
    and with them every format carries them, multi-line texts included."""
    body = tiny.bodies[0].id
    text = TINY_YAML + (
        "templates:\n"
        f'- {{"id": "done", "body": "{body}", "title": "Сделано", "text": "Сделано.\\nСпасибо!"}}\n'
        '- {"id": "wait", "title": "Ждите", "text": "Передали в работу."}\n'
    )
    table = parse_table(text.encode(), "t.yaml")
    assert [t.id for t in table.templates_for(body)] == ["done", "wait"]
    assert table.template_by_id["done"].text == "Сделано.\nСпасибо!"
    for name in ("a.yaml", "b.xlsx", "d.zip"):
        save_table(table, tmp_path / name)
        assert load_table(tmp_path / name) == table, name
    assert "templates" not in table_to_bytes(tiny, "yaml").decode()
    bad = TINY_YAML + 'templates:\n- {"id": "x y", "body": "nobody", "title": "T", "text": "t"}\n'
    found = problems_of(bad.encode(), "bad.yaml")
    assert any("id шаблона" in p for p in found)
    assert any("орган «nobody» не найден" in p for p in found)


def test_written_yaml_means_the_same_to_any_yaml_reader(tiny: RoutingTable) -> None:
    """The one-entry-per-line layout is read by a fast path; plain PyYAML must agree with it."""
    text = table_to_bytes(tiny, "yaml").decode()
    reference = yaml.safe_load(text)
    assert reference["municipalities"][0]["id"] == "63701000"
    block_style = yaml.safe_dump(reference, allow_unicode=True, sort_keys=False)
    assert "- {" not in block_style
    assert parse_table(block_style.encode(), "t.yaml") == tiny


def test_hand_edited_line_in_yaml_flow_syntax_still_loads(tiny: RoutingTable) -> None:
    text = table_to_bytes(tiny, "yaml").decode().replace(
        '- {"id": "health", "name": "Здравоохранение"', "- {id: health, name: Здравоохранение")
    assert '"id": "health"' not in text
    assert parse_table(text.encode(), "t.yaml") == tiny


def test_yaml_codes_stay_text() -> None:
    """Unquoted OKTMO codes: an int becomes text, a leading zero is not read as octal."""
    text = (TINY_YAML.replace('id: "63701000"', "id: 01701000")
            .replace('territory: ["63701000"]', "territory: [01701000]")
            .replace('id: "63602000"', "id: 63602000"))
    table = parse_table(text.encode(), "t.yaml")
    assert "01701000" in table.municipality_by_id
    assert "63602000" in table.municipality_by_id
    assert table.body_by_id["saratov-admin"].territory == ("01701000",)


def _xlsx(tiny: RoutingTable, edit) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(tiny, "xlsx")))
    edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_layout_is_what_the_docs_say(tiny: RoutingTable) -> None:
    book = openpyxl.load_workbook(io.BytesIO(table_to_bytes(tiny, "xlsx")))
    assert book.sheetnames == ["region", "municipalities", "topics", "bodies", "templates"]
    assert (book["region"]["A1"].value, book["region"]["B1"].value) == (
        "region", "Саратовская область")
    topics = book["topics"]
    assert [c.value for c in topics[1]][:6] == ["id", "name", "level", "keywords", "examples",
                                                "asks"]
    assert topics["D2"].value == "яма; дорога"
    assert topics["E2"].value == "Яма на дороге у дома 5\nНет тротуара; ходим по обочине"
    assert book["bodies"]["E4"].value == "region"
    assert book["bodies"]["E3"].value == "63602000; 63602401"


def test_excel_numbers_and_comma_decimals(tiny: RoutingTable) -> None:
    def excel_did_it(book) -> None:
        sheet = book["municipalities"]
        sheet["A2"] = 63701000  # typed as a number
        sheet["A3"] = 1701000.0  # a code starting with 0 that lost it to the number format
        sheet["F2"] = "51,53"
        sheet["G2"] = "46,03"
        bodies = book["bodies"]
        bodies["E2"] = 63701000
        bodies["E3"] = "01701000; 63602401"
        bodies["F2"] = 0.0
        bodies["H2"] = -1001234
        book["municipalities"]["D4"] = 1701000

    table = parse_table(_xlsx(tiny, excel_did_it), "table.xlsx")
    assert table.municipality_by_id["63701000"].lat == 51.53
    assert table.municipality_by_id["63701000"].lon == 46.03
    assert table.municipality_by_id["63602401"].parent == "01701000"
    assert table.body_by_id["agai-admin"].territory == ("01701000", "63602401")
    assert table.body_by_id["saratov-admin"].territory == ("63701000",)
    assert table.body_by_id["saratov-admin"].telegram_chat == "-1001234"
    assert table.body_by_id["saratov-admin"].priority == 0
    # text typed into a cell is taken as written: "1701000" is not a code, "01701000" would be
    problems = [p for p in _problems_xlsx(tiny) if p.sheet == "bodies"]
    assert problems and all(p.column == "territory" for p in problems)


def _problems_xlsx(tiny: RoutingTable):
    def text_code(book) -> None:
        book["bodies"]["E3"] = "1701000; 63602401"

    with pytest.raises(TableError) as caught:
        parse_table(_xlsx(tiny, text_code), "table.xlsx")
    return caught.value.problems


def test_xlsx_missing_sheet_and_column_are_reported(tiny: RoutingTable) -> None:
    def break_it(book) -> None:
        del book["topics"]
        book["bodies"]["E1"] = "территория"

    messages = problems_of(_xlsx(tiny, break_it), "table.xlsx")
    assert "table.xlsx, лист «topics»: нет листа «topics»" in messages
    assert any(m.startswith("table.xlsx, лист «bodies», строка 1, столбец «territory»: нет "
                            "обязательного столбца") for m in messages)


def test_xlsx_row_numbers_match_excel(tiny: RoutingTable) -> None:
    def break_it(book) -> None:
        book["bodies"].insert_rows(3)  # an empty row 3 in the middle is skipped, not an error
        book["bodies"]["C5"] = "district"

    messages = problems_of(_xlsx(tiny, break_it), "table.xlsx")
    assert len(messages) == 1 and messages[0].startswith(
        "table.xlsx, лист «bodies», строка 5, столбец «level»: уровень «district»")


def _csv_zip(tiny: RoutingTable, delimiter: str, bom: bool) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(table_to_bytes(tiny, "zip")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            rows = list(csv.reader(io.StringIO(source.read(name).decode())))
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
            text = out.getvalue()
            if delimiter != ",":
                text = text.replace("51.53", "51,53")
            target.writestr(f"Таблица/{name}", ("\ufeff" if bom else "") + text)
    return buffer.getvalue()


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", True), ("\t", False)])
def test_csv_from_russian_excel(tiny: RoutingTable, delimiter: str, bom: bool) -> None:
    assert parse_table(_csv_zip(tiny, delimiter, bom), "таблица.zip") == tiny


def test_csv_in_windows_1251_is_refused_with_advice(tiny: RoutingTable, tmp_path: Path) -> None:
    save_table(tiny, tmp_path)
    text = (tmp_path / "bodies.csv").read_text(encoding="utf-8")
    (tmp_path / "bodies.csv").write_bytes(text.encode("cp1251"))
    with pytest.raises(TableError) as caught:
        load_table(tmp_path)
    (problem,) = caught.value.problems
    assert problem.sheet == "bodies" and "UTF-8" in problem.message
    assert "строке 2" in problem.message


def test_missing_csv_file_in_zip(tiny: RoutingTable) -> None:
    source = zipfile.ZipFile(io.BytesIO(table_to_bytes(tiny, "zip")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if name != "topics.csv":
                target.writestr(name, source.read(name))
    messages = problems_of(buffer.getvalue(), "t.zip")
    assert messages == ["t.zip/topics.csv, лист «topics»: нет файла topics.csv"] or any(
        "нет файла topics.csv" in m for m in messages)
    assert not any("нет ни одной темы" in m for m in messages)


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"PK\x03\x04 not really a zip", "t.xlsx", "XLSX не читается"),
        (b"\x00\x01garbage", "t.zip", "ZIP не читается"),
        (b"region: [unclosed", "t.yaml", "YAML не читается"),
        (b"- just\n- a list\n", "t.yml", "ожидается YAML-словарь"),
        ("region: Тест".encode("cp1251"), "t.yaml", "UTF-8"),
        (b"anything", "t.docx", "неизвестный формат"),
    ],
)
def test_corrupt_uploads_become_table_errors(data: bytes, filename: str, words: str) -> None:
    messages = problems_of(data, filename)
    assert len(messages) == 1 and words in messages[0] and messages[0].startswith(filename)


def test_xlsx_that_is_a_valid_zip_but_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "привет")
    assert "XLSX не читается" in problems_of(buffer.getvalue(), "t.xlsx")[0]


def test_load_table_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="файл не найден"):
        load_table(tmp_path / "nope.yaml")
    (tmp_path / "t.txt").write_text("x")
    with pytest.raises(TableError, match="неизвестный формат"):
        load_table(tmp_path / "t.txt")


def test_save_replaces_a_file_in_place(tiny: RoutingTable, tmp_path: Path) -> None:
    target = tmp_path / "live.yaml"
    target.write_text("old")
    save_table(tiny, target)
    assert load_table(target) == tiny
    assert [p.name for p in tmp_path.iterdir()] == ["live.yaml"]  # no temporary file left


# -- properties: whatever arrives, the answer is a table or a TableError ------------------------
_FORMATS = st.sampled_from(["t.yaml", "t.xlsx", "t.zip"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), filename=_FORMATS)
def test_random_bytes_never_crash(data: bytes, filename: str) -> None:
    try:
        parse_table(data, filename)
    except TableError as error:
        assert error.problems


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=200), position=st.integers(min_value=0))
def test_damaged_real_files_never_crash(data: bytes, position: int) -> None:
    tiny = parse_table(TINY_YAML.encode(), "t.yaml")
    for fmt in ("zip", "xlsx", "yaml"):
        original = table_to_bytes(tiny, fmt)
        cut = position % len(original)
        damaged = original[:cut] + data + original[cut + len(data):]
        try:
            parse_table(damaged, f"t.{fmt}")
        except TableError as error:
            assert error.problems


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                     st.text(max_size=12), st.sampled_from(["region", "municipal", "10wd",
                                                            "63701000", "roads", "address"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
_FIELDS = st.sampled_from(["id", "name", "kind", "parent", "aliases", "lat", "lon", "level",
                           "topics", "territory", "priority", "deadline", "asks", "examples",
                           "keywords", "telegram_chat"])
_ENTRY = st.one_of(st.dictionaries(_FIELDS, _VALUES, max_size=8), _VALUES)
_DOC = st.one_of(
    _VALUES,
    st.fixed_dictionaries({
        "region": _VALUES,
        "municipalities": st.one_of(st.lists(_ENTRY, max_size=4), _VALUES),
        "topics": st.lists(_ENTRY, max_size=4),
        "bodies": st.lists(_ENTRY, max_size=4),
    }),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_DOC, block=st.booleans())
def test_random_yaml_structures_never_crash(doc: object, block: bool) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=None if block else True)
    try:
        table = parse_table(text.encode(), "t.yaml")
    except TableError as error:
        assert error.problems
    else:
        assert table.bodies and table.topics


def test_zip_claiming_an_unsupported_version_is_a_problem_not_a_crash(tmp_path):
    """Found by hypothesis: one damaged byte made zipfile raise NotImplementedError."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("region.csv", "key,value\nregion,Саратовская область\n")
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02")
    data[central + 6] = 64  # "version needed to extract": 6.4, which zipfile refuses
    with pytest.raises(TableError) as caught:
        parse_table(bytes(data), "t.zip")
    assert "ZIP" in str(caught.value)


def test_the_upload_diff_names_added_and_changed_reply_templates(tiny: RoutingTable) -> None:
    from routing.diff import diff_tables

    with_one = TINY_YAML + 'templates:\n- {"id": "wait", "title": "Ждите", "text": "Ждите."}\n'
    changed = with_one.replace('"Ждите."', '"Ждите ответа."')
    added = diff_tables(tiny, parse_table(with_one.encode(), "a.yaml")).render_ru()
    assert "Шаблоны ответов: +1" in added and "+ Ждите (wait)" in added
    edited = diff_tables(parse_table(with_one.encode(), "a.yaml"),
                         parse_table(changed.encode(), "b.yaml")).render_ru()
    assert "~ Ждите (wait): text" in edited
