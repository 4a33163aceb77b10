"""Reading and writing routing table files: YAML, XLSX, and CSV (a folder or a ZIP of files).

All three formats carry the same model and round-trip exactly (YAML → XLSX → CSV → YAML gives an
equal ``RoutingTable``). Readers only split a file into raw rows; ``routing.validate`` judges
them, so every format accepts the same tables with the same messages. Nothing here raises
anything but ``TableError`` on bad input: a coordinator's upload must end in a list of
problems they can fix, never in a traceback.

This module is the one the rest of the bot imports: loading and saving in every format, the YAML
reader and every writer. Splitting an uploaded XLSX workbook or CSV files (folder or ZIP) into raw
rows is in ``routing.sheets``, which knows nothing of the model. Every reader counts what it reads
against ``routing.bounds`` (``FILE`` for the operator's files, ``UPLOAD`` for a coordinator's,
which the bot parses in a child process: ``routing.sandbox``).

Layouts
-------
YAML: top-level ``region`` (text) and the lists ``municipalities``, ``topics``, ``bodies`` of
mappings whose keys are the field names; optional fields may be omitted. The list
``templates`` (reply templates: ``id``, ``body`` — empty for every body —, ``title``, ``text``)
may be left out, in every format (an XLSX sheet, a CSV file). Files are written one
entry per line as a flow mapping in JSON syntax (still plain YAML, readable by any YAML tool).
That line layout is read by a fast path (``json`` per line) because PyYAML, even with libyaml,
needs about a minute for a national table; anything else (block style, comments inside entries,
anchors) goes through the full YAML parser with the same result. On load, only ``null``/``~``/
empty are special: every other plain scalar is text, so an OKTMO code ``01701000`` stays
``"01701000"`` instead of turning into an octal number, and ``no`` stays ``"no"``.

XLSX: sheets ``region``, ``municipalities``, ``topics``, ``bodies``. The ``region`` sheet is a
key/value list: column A the key, column B the value; its only key is ``region`` (so A1 =
``region``, B1 = the region's name). Entity sheets have the field names as the header (row 1)
and one entry per row; list fields are one cell with values separated by ``; ``, except
``examples`` (one per line inside the cell); ``territory`` is ``region`` or a list of OKTMO
codes; an empty cell means "not set". Other sheets (an instructions sheet, say) are ignored.

CSV: ``region.csv``, ``municipalities.csv``, ``topics.csv``, ``bodies.csv`` in a folder or a ZIP
(the files may sit in one subfolder of the ZIP), with the same layout and cell conventions as
the XLSX sheets. Read as UTF-8 with or without BOM; the delimiter (``,`` as written here, or
``;`` as Excel writes in a Russian locale, or tab) is taken from the header line. Written as
plain UTF-8 with ``,``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import ClassVar

import yaml

from routing.bounds import FILE, Bounds, Budget
from routing.errors import Problem, TableError
from routing.model import Deadline, RoutingTable
from routing.sheets import SHEETS, decode_utf8, os_reason, read_csv_dir, read_xlsx, read_zip
from routing.validate import (
    COLUMNS,
    OPTIONAL_SECTIONS,
    SECTIONS,
    RawSection,
    RawTable,
    validate,
)

YAML_SUFFIXES = (".yaml", ".yml")

_LIST_SEPARATOR = "; "
_EXAMPLE_SEPARATOR = "\n"


# -- YAML loader ---------------------------------------------------------------------------------
class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader in which only null is implicit: ids, numbers and ``yes`` stay text.

    The validator turns text into numbers where a number is meant, so nothing is lost, and codes
    with a leading zero survive. Fewer resolvers also make loading faster.
    """

    yaml_implicit_resolvers: ClassVar[dict] = {}


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_YamlDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_SECTION_LINE = re.compile(r"([A-Za-z_]\w*):[ \t]*(\[\])?[ \t]*")
_SCALAR_LINE = re.compile(r"[A-Za-z_]\w*:[ \t]+\S.*")


def _no_constants(name: str) -> object:
    raise ValueError(name)  # NaN/Infinity are not YAML; let the YAML parser decide


_JSON = json.JSONDecoder(parse_constant=_no_constants)


def _json_items(lines: list[str]) -> list | None:
    """Decode ``- {…}`` lines in one go (much faster than line by line); ``None`` if not JSON."""
    try:
        items = _JSON.decode("[" + ",".join(line[2:] for line in lines) + "]")
    except ValueError:
        return None
    return items if len(items) == len(lines) else None


def _fast_yaml(text: str) -> dict | None:
    """Parse the one-entry-per-line layout this module writes; ``None`` if the text is not in it.

    Each ``- {…}`` line is a complete flow mapping, so parsing it alone (as JSON, or as YAML when
    a person edited it into non-JSON syntax) gives what the whole-document parser would.
    """
    doc: dict[str, object] = {}
    pending: list[str] | None = None  # "- {…}" lines of the current section
    sections: dict[str, list[str]] = {}
    for line in text.split("\n"):
        if line.startswith("- {"):
            if pending is None:
                return None
            pending.append(line)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        section = _SECTION_LINE.fullmatch(line.rstrip("\r"))
        if section is not None:
            if section.group(1) in doc:
                return None
            pending = sections[section.group(1)] = []
            doc[section.group(1)] = None
            if section.group(2):
                pending = None
            continue
        if _SCALAR_LINE.fullmatch(line.rstrip("\r")):
            try:
                pair = yaml.load(line, Loader=_YamlLoader)
            except yaml.YAMLError:
                return None
            if not isinstance(pair, dict) or len(pair) != 1 or next(iter(pair)) in doc:
                return None
            doc.update(pair)
            pending = None
            continue
        return None
    for name, lines in sections.items():
        items = _json_items(lines)
        if items is None:  # edited by hand into YAML flow syntax: parse each line as YAML
            try:
                items = [yaml.load(line[2:], Loader=_YamlLoader) for line in lines]
            except yaml.YAMLError:
                return None
        if not all(isinstance(item, dict) for item in items):
            return None
        doc[name] = items
    return doc


#: PyYAML's complaints (``MarkedYAMLError.problem``, English) in the coordinator's words.
_YAML_PROBLEMS = (
    ("expected ',' or ']'", "не закрыта квадратная скобка или пропущена запятая"),
    ("expected ',' or '}'", "не закрыта фигурная скобка или пропущена запятая"),
    ("mapping values are not allowed", "лишнее двоеточие: значение, в котором есть «: », "
                                       "заключите в кавычки"),
    ("cannot start any token", "недопустимый символ: табуляция вместо пробелов или @, ` в "
                               "начале значения"),
    ("undefined alias", "ссылка *… на якорь &…, которого нет"),
    ("end of stream", "файл обрывается: не закрыты кавычки или скобки"),
    ("escape character", "неизвестная последовательность с «\\» в кавычках"),
    ("constructor for the tag", "неизвестный тег «!!…»"),
    ("anchor", "якорь &… повторяется"),
    ("expected", "нарушены отступы или порядок записей"),
)


def _yaml_problem(error: yaml.YAMLError) -> str:
    problem = str(getattr(error, "problem", None) or getattr(error, "context", None) or "")
    for words, russian in _YAML_PROBLEMS:
        if words in problem:
            return russian
    return "ошибка синтаксиса YAML"


def _read_yaml(data: bytes, file: str, budget: Budget) -> RawTable:
    budget.text(data)
    raw = RawTable(file=file, region_sheet=None, region_row=None, region_column="region")
    text = decode_utf8(data, file, None, raw.problems)
    if text is None:
        return raw
    try:
        doc = _fast_yaml(text)
        if doc is None:
            doc = yaml.load(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (строка {mark.line + 1}, позиция {mark.column + 1})" if mark else ""
        raw.problems.append(Problem(f"файл YAML не читается{where}: {_yaml_problem(error)}",
                                    file))
        return raw
    except RecursionError:
        raw.problems.append(Problem("файл YAML не читается: слишком глубокая вложенность", file))
        return raw
    except (yaml.YAMLError, ValueError, TypeError) as error:
        reason = _yaml_problem(error) if isinstance(error, yaml.YAMLError) else "файл повреждён"
        raw.problems.append(Problem(f"файл YAML не читается: {reason}", file))
        return raw
    if not isinstance(doc, dict):
        raw.problems.append(Problem(
            "ожидается YAML-словарь с ключами region, municipalities, topics, bodies", file))
        return raw
    for key, value in doc.items():
        key = str(key)
        if key == "region":
            raw.region = value
        elif key in SECTIONS:
            raw.sections[key] = _yaml_section(key, value, file, raw.problems, budget)
        else:
            raw.problems.append(Problem(
                f"неизвестный раздел «{key}»; ожидаются: region, {', '.join(SECTIONS)}", file))
    return raw


def _yaml_section(name: str, value: object, file: str, problems: list[Problem], budget: Budget
                  ) -> RawSection:
    section = RawSection(name, file)
    if value is None:
        return section
    if not isinstance(value, list):
        problems.append(Problem("ожидается список записей", file, name))
        return section
    for index, item in enumerate(value, start=1):
        if isinstance(item, dict):
            budget.entry(index, item, name)
            section.rows.append((index, item))  # non-text keys are reported as unknown fields
        else:
            problems.append(Problem(
                f"ожидается запись с полями ({', '.join(COLUMNS[name])})", file, name, index))
    return section


# -- public: loading -----------------------------------------------------------------------------
def _format_of(name: str) -> str | None:
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in YAML_SUFFIXES:
        return "yaml"
    return {".xlsx": "xlsx", ".zip": "zip"}.get(suffix)


def _unknown_format(name: str) -> TableError:
    return TableError([Problem(
        "неизвестный формат файла: ожидается .yaml/.yml, .xlsx, .zip с CSV-файлами или папка "
        "с CSV-файлами", name)])


def _raw_from_bytes(data: bytes, filename: str, bounds: Bounds) -> RawTable:
    fmt = _format_of(filename)
    budget = Budget(bounds, filename)
    if fmt == "yaml":
        return _read_yaml(data, filename, budget)
    if fmt == "xlsx":
        return read_xlsx(data, filename, budget)
    if fmt == "zip":
        return read_zip(data, filename, budget)
    raise _unknown_format(filename)


def _return_freed_memory() -> None:
    """Hand the memory freed after parsing back to the OS (glibc only; a no-op elsewhere).

    Reading a national table allocates ~50 MB of short-lived rows that glibc keeps mapped after
    they are freed; without this a long-running bot's RSS stays that much higher for nothing.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def _validated(raw: RawTable) -> RoutingTable:
    try:
        return validate(raw)
    finally:
        del raw
        _return_freed_memory()


def parse_table(data: bytes, filename: str, bounds: Bounds = FILE) -> RoutingTable:
    """A table from a file's bytes; the format comes from ``filename``'s extension.

    Raises ``TableError`` (and nothing else) listing every problem found. A coordinator's upload
    is read with the ``UPLOAD`` bounds, in a child process: see ``routing.sandbox``.
    """
    return _validated(_raw_from_bytes(data, filename, bounds))


def load_table(path: str | Path, bounds: Bounds = FILE) -> RoutingTable:
    """A table from a ``.yaml``/``.yml``, ``.xlsx`` or ``.zip`` file, or a folder of CSV files.

    Raises ``TableError`` (and nothing else) listing every problem found.
    """
    path = Path(path)
    try:
        if path.is_dir():
            return _validated(read_csv_dir(path, Budget(bounds, str(path))))
        if _format_of(path.name) is None:
            raise _unknown_format(str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise TableError([Problem("файл не найден", str(path))]) from None
    except OSError as error:
        raise TableError([Problem(f"файл не читается: {os_reason(error)}", str(path))]) from None
    return _validated(_raw_from_bytes(data, path.name, bounds))


# -- writing -------------------------------------------------------------------------------------
def _value(value: object) -> object:
    """A field value in the plain types every format shares (text, numbers, lists, None)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Deadline):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _entries(table: RoutingTable, section: str) -> Iterator[dict[str, object]]:
    for entity in getattr(table, section):
        yield {column: _value(getattr(entity, column)) for column in COLUMNS[section]}


def _cell(column: str, value: object) -> object:
    if isinstance(value, list):
        separator = _EXAMPLE_SEPARATOR if column == "examples" else _LIST_SEPARATOR
        return separator.join(value) or None
    return value


def entry_values(table: RoutingTable, section: str) -> Iterator[dict[str, object]]:
    """Each entry of ``section`` as its fields in the plain types every format shares (text,
    numbers, lists, ``None``): what a reader hands the validator, so an edited copy can be
    judged exactly as a file is (``routing.edit``)."""
    return _entries(table, section)


def cell_text(column: str, value: object) -> str:
    """A field's value as one XLSX/CSV cell would hold it (lists joined by «; », examples by
    line breaks, nothing as empty): what a form shows for a coordinator to edit."""
    shown = _cell(column, _value(value))
    return "" if shown is None else repr(shown) if isinstance(shown, float) else str(shown)


_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _json_line(entry: dict[str, object]) -> str:
    text = json.dumps(entry, ensure_ascii=False)
    # Characters YAML treats as line breaks or forbids must be escaped to mean the same in both.
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _yaml_text(table: RoutingTable) -> str:
    lines = [
        "# Таблица маршрутизации обращений: одна строка — одна запись (формат YAML).",
        f"region: {_json_line(table.region)}",  # type: ignore[arg-type]
    ]
    for section in SECTIONS:
        entries = list(_entries(table, section))
        if not entries and section in OPTIONAL_SECTIONS:
            continue  # a table without reply templates reads as it did before they existed
        if not entries:
            lines.append(f"{section}: []")
            continue
        lines.append(f"{section}:")
        for entry in entries:
            compact = {k: v for k, v in entry.items()
                       if v is not None and v != [] and not (k == "priority" and v == 0)}
            lines.append(f"- {_json_line(compact)}")
    return "\n".join(lines) + "\n"


def _csv_text(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in row])
    return buffer.getvalue()


def _sheet_rows(table: RoutingTable, sheet: str) -> Iterator[list[object]]:
    if sheet == "region":
        yield ["region", table.region]
        return
    yield list(COLUMNS[sheet])
    for entry in _entries(table, sheet):
        yield [_cell(column, value) for column, value in entry.items()]


def _csv_files(table: RoutingTable) -> dict[str, bytes]:
    return {f"{sheet}.csv": _csv_text(_sheet_rows(table, sheet)).encode() for sheet in SHEETS}


def _xlsx_bytes(table: RoutingTable) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for sheet in SHEETS:
        worksheet = book.create_sheet(sheet)
        if sheet != "region":
            worksheet.freeze_panes = "A2"
        for column, width in zip("ABCDEFGHIJKL", _widths(sheet), strict=False):
            worksheet.column_dimensions[column].width = width
        for row in _sheet_rows(table, sheet):
            worksheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _widths(sheet: str) -> list[int]:
    if sheet == "region":
        return [12, 40]
    wide = {"name": 50, "examples": 50, "keywords": 40, "aliases": 30, "territory": 30,
            "title": 30, "text": 80}
    return [wide.get(column, 14) for column in COLUMNS[sheet]]


def _zip_bytes(table: RoutingTable) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _csv_files(table).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def table_to_bytes(table: RoutingTable, fmt: str) -> bytes:
    """The table as a file's bytes: ``fmt`` is ``"yaml"``, ``"xlsx"`` or ``"zip"`` (of CSVs)."""
    fmt = fmt.lower().lstrip(".")
    if fmt in ("yaml", "yml"):
        return _yaml_text(table).encode()
    if fmt == "xlsx":
        return _xlsx_bytes(table)
    if fmt == "zip":
        return _zip_bytes(table)
    raise ValueError(f"неизвестный формат «{fmt}»: ожидается yaml, xlsx или zip")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file, so a bot reading the table never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private; keep the mode an ordinary write would give.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_table(table: RoutingTable, path: str | Path) -> None:
    """Write the table; the format comes from the extension, no extension means a CSV folder."""
    path = Path(path)
    fmt = _format_of(path.name)
    if fmt is not None and not path.is_dir():
        _write_atomically(path, table_to_bytes(table, fmt))
    elif path.suffix and not path.is_dir():
        raise ValueError(f"неизвестный формат «{path.suffix}»: ожидается .yaml, .xlsx, .zip "
                         "или папка для CSV-файлов")
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, data in _csv_files(table).items():
            _write_atomically(path / name, data)


