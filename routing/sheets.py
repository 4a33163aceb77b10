"""Reading the spreadsheet-like table files: an XLSX workbook, or CSV files in a folder or a ZIP.

These formats share one layout (a ``region`` key/value sheet and one header-plus-rows sheet per
section, described in ``routing.tablefile``) and the same troubles a coordinator's upload can
bring: blank and shifted rows, a sniffed delimiter, a non-UTF-8 export, a damaged or oversized
archive. Kept apart from ``routing.tablefile`` (the public load/save functions, YAML, writing) so
that this row-splitting of uploads reads on its own. Like there, readers only split a file into
raw rows for ``routing.validate`` and report problems as ``Problem`` entries, never raise.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from routing.errors import Problem
from routing.validate import SECTIONS, RawSection, RawTable

SHEETS = ("region", *SECTIONS)
#: A ZIP that unpacks to more than this is refused rather than unpacked (a "zip bomb").
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


# -- sheets shared by XLSX and CSV ---------------------------------------------------------------
def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(value: object) -> str:
    return "" if value is None else str(value).strip().lower()


def _tabular_section(name: str, file: str, rows: Iterable[tuple[int, list]],
                     problems: list[Problem]) -> RawSection | None:
    section = RawSection(name, file, header=[])
    columns: list[tuple[int, str]] = []
    iterator = iter(rows)
    for number, values in iterator:
        if all(_is_blank(v) for v in values):
            continue
        section.header_row = number
        for position, cell in enumerate(values):
            column = _header_name(cell)
            if column:
                columns.append((position, column))
        section.header = [c for _, c in columns]
        break
    else:
        problems.append(Problem("лист пуст: нет строки заголовка", file, name, 1))
        return None
    names = [c for _, c in columns]
    contiguous = [p for p, _ in columns] == list(range(len(columns)))
    width = len(columns)
    for number, values in iterator:
        for value in values:  # skip blank rows; usually the first cell decides
            if value is not None and (not isinstance(value, str) or value.strip()):
                break
        else:
            continue
        if contiguous:
            if len(values) < width:
                values = [*values, *([None] * (width - len(values)))]
            section.rows.append((number, dict(zip(names, values, strict=False))))
        else:
            size = len(values)
            section.rows.append((number, {
                column: values[position] if position < size else None
                for position, column in columns
            }))
    return section


def _region_rows(rows: Iterable[tuple[int, list]], raw: RawTable, file: str) -> None:
    """The key/value ``region`` sheet: A = key, B = value."""
    found = False
    for number, values in rows:
        if all(_is_blank(v) for v in values):
            continue
        key = _header_name(values[0] if values else None)
        value = values[1] if len(values) > 1 else None
        if key == "region":
            found = True
            raw.region, raw.region_row, raw.region_column = value, number, "B"
        else:
            raw.problems.append(Problem(
                f"неизвестный ключ «{key}»: в столбце A ожидается region, в столбце B — название "
                "региона", file, "region", number, "A"))
    if not found:
        raw.problems.append(Problem(
            "не указано название региона: в ячейке A1 должно быть region, в B1 — название",
            file, "region", 1))


# -- XLSX ----------------------------------------------------------------------------------------
def read_xlsx(data: bytes, file: str) -> RawTable:
    import openpyxl  # imported here: it is slow to import and only XLSX needs it

    raw = RawTable(file=file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises anything on a corrupt file
        raw.problems.append(Problem(
            f"файл XLSX не читается ({type(error).__name__}: {error}); сохраните его в Excel "
            "как «Книга Excel (*.xlsx)» и загрузите снова", file))
        return raw
    try:
        names = {name.strip().lower(): name for name in book.sheetnames}
        for sheet in SHEETS:
            if sheet not in names:
                raw.problems.append(Problem(f"нет листа «{sheet}»", file, sheet))
                continue
            worksheet = book[names[sheet]]
            try:
                worksheet.reset_dimensions()  # some writers store a wrong sheet size
                rows = ((n, list(r)) for n, r in
                        enumerate(worksheet.iter_rows(values_only=True), start=1))
                if sheet == "region":
                    _region_rows(rows, raw, file)
                else:
                    section = _tabular_section(sheet, file, rows, raw.problems)
                    if section is not None:
                        raw.sections[sheet] = section
            except Exception as error:  # a damaged sheet inside a valid archive
                raw.problems.append(Problem(f"лист не читается: {error}", file, sheet))
    finally:
        book.close()
    return raw


# -- CSV -----------------------------------------------------------------------------------------
_DELIMITER = re.compile(r'\s*"?[^,;\t"\r\n]*"?\s*([,;\t])')


def decode_utf8(data: bytes, file: str, sheet: str | None, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(
            f"файл не в кодировке UTF-8 (ошибка в строке {line} текста); в Excel выберите "
            "«Сохранить как» → «CSV UTF-8»", file, sheet))
        return None


def _csv_rows(text: str) -> Iterator[tuple[int, list]]:
    first_line = text.split("\n", 1)[0]
    match = _DELIMITER.match(first_line)
    delimiter = match.group(1) if match else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return enumerate(reader, start=1)


def _read_csv_files(files: dict[str, tuple[str, bytes | None]], file: str,
                    problems: list[Problem] | None = None) -> RawTable:
    """``files``: sheet → (file label, bytes or ``None`` when the file is missing)."""
    raw = RawTable(file=files.get("region", (file, None))[0], problems=problems or [])
    for sheet in SHEETS:
        label, data = files.get(sheet, (f"{file}/{sheet}.csv", None))
        if data is None:
            raw.problems.append(Problem(f"нет файла {sheet}.csv", label, sheet))
            continue
        text = decode_utf8(data, label, sheet, raw.problems)
        if text is None:
            continue
        try:
            if sheet == "region":
                _region_rows(_csv_rows(text), raw, label)
            else:
                section = _tabular_section(sheet, label, _csv_rows(text), raw.problems)
                if section is not None:
                    raw.sections[sheet] = section
        except csv.Error as error:
            raw.problems.append(Problem(f"файл CSV не читается: {error}", label, sheet))
    return raw


def read_csv_dir(folder: Path) -> RawTable:
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    files: dict[str, tuple[str, bytes | None]] = {}
    problems: list[Problem] = []
    for sheet in SHEETS:
        path = present.get(f"{sheet}.csv")
        label = str(folder / f"{sheet}.csv")
        if path is None:
            files[sheet] = (label, None)
            continue
        try:
            files[sheet] = (str(path), path.read_bytes())
        except OSError as error:
            problems.append(Problem(f"файл не читается: {error.strerror}", str(path), sheet))
            files[sheet] = (str(path), b"")
    return _read_csv_files(files, str(folder), problems)


def read_zip(data: bytes, file: str) -> RawTable:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as error:  # a damaged archive raises NotImplementedError, struct.error…
        return RawTable(file=file, problems=[Problem(f"архив ZIP не читается: {error}", file)])
    by_sheet: dict[str, zipfile.ZipInfo] = {}
    problems: list[Problem] = []
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or "__MACOSX" in path.parts or path.name.startswith("._"):
            continue
        sheet = path.name.lower().removesuffix(".csv")
        if sheet in SHEETS and path.name.lower().endswith(".csv"):
            if sheet in by_sheet:
                problems.append(Problem(
                    f"в архиве два файла {sheet}.csv: {by_sheet[sheet].filename} и "
                    f"{info.filename}", file, sheet))
            by_sheet[sheet] = info
    if sum(i.file_size for i in by_sheet.values()) > MAX_UNPACKED_BYTES:
        return RawTable(file=file, problems=[Problem(
            f"архив распаковывается в слишком большие файлы (больше "
            f"{MAX_UNPACKED_BYTES // 2**20} МБ)", file)])
    files: dict[str, tuple[str, bytes | None]] = {}
    for sheet in SHEETS:
        info = by_sheet.get(sheet)
        label = f"{file}/{info.filename if info else sheet + '.csv'}"
        if info is None:
            files[sheet] = (label, None)
            continue
        try:
            files[sheet] = (label, archive.read(info))
        except Exception as error:  # zipfile/zlib raise many kinds on damage
            problems.append(Problem(f"файл в архиве повреждён: {error}", label, sheet))
            files[sheet] = (label, b"")
    return _read_csv_files(files, file, problems)
