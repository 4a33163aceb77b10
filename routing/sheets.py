"""Reading the spreadsheet-like table files: an XLSX workbook, or CSV files in a folder or a ZIP.

These formats share one layout (a ``region`` key/value sheet and one header-plus-rows sheet per
section, described in ``routing.tablefile``) and the same troubles a coordinator's upload can
bring: blank and shifted rows, a sniffed delimiter, a non-UTF-8 export, a damaged or oversized
archive. Kept apart from ``routing.tablefile`` (the public load/save functions, YAML, writing) so
that this row-splitting of uploads reads on its own. Like there, readers only split a file into
raw rows for ``routing.validate`` and report problems as ``Problem`` entries; the one exception
they raise is the ``TableError`` of a ``routing.bounds.Budget`` exceeded, for a file too large to
be a table (nothing else in it is worth reporting then). Every message is Russian: the errors of
``zipfile``, ``openpyxl`` and ``csv`` are put into words, never passed on.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

from routing.bounds import Budget, thousands
from routing.errors import Problem, TableError
from routing.validate import OPTIONAL_SECTIONS, SECTIONS, RawSection, RawTable

SHEETS = ("region", *SECTIONS)


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


def _read_sheet(sheet: str, rows: Iterable[tuple[int, list]], raw: RawTable, file: str) -> None:
    """One sheet's rows into ``raw``, whichever file format they came from."""
    if sheet == "region":
        _region_rows(rows, raw, file)
        return
    section = _tabular_section(sheet, file, rows, raw.problems)
    if section is not None:
        raw.sections[sheet] = section


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


# -- damage, in words ---------------------------------------------------------------------------
def damage(error: Exception) -> str:
    """Why an archive or workbook could not be read, for the coordinator (no library English)."""
    if isinstance(error, zipfile.BadZipFile):
        if "CRC" in str(error):
            return "файл повреждён (не сходится контрольная сумма)"
        return "это не архив ZIP или он повреждён"
    if isinstance(error, NotImplementedError):
        return "архив сжат способом, который не поддерживается; сохраните его заново обычным ZIP"
    if isinstance(error, RuntimeError) and "encrypted" in str(error):
        return "архив защищён паролем; пришлите его без пароля"
    if isinstance(error, zlib.error | EOFError):
        return "файл повреждён (сжатые данные обрываются или испорчены)"
    if isinstance(error, ParseError):
        return "файл повреждён (испорчена разметка XML внутри)"
    if isinstance(error, KeyError):
        return "в файле нет нужных частей книги Excel"
    return "файл повреждён или сохранён в другом формате"


def _open_archive(data: bytes, budget: Budget) -> zipfile.ZipFile:
    """The archive after its members were counted and measured; raises the reading's error."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    budget.check_members(infos)
    return archive


# -- XLSX ----------------------------------------------------------------------------------------
_RESAVE = "; сохраните его в Excel как «Книга Excel (*.xlsx)» и загрузите снова"


def read_xlsx(data: bytes, file: str, budget: Budget) -> RawTable:
    import openpyxl  # imported here: it is slow to import and only XLSX needs it

    raw = RawTable(file=file)
    try:
        archive = _open_archive(data, budget)
        for info in archive.infolist():  # openpyxl unpacks them next: measure them first
            budget.unpack(archive, info, keep=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as error:  # openpyxl raises anything on a corrupt file
        raw.problems.append(Problem(f"файл XLSX не читается: {damage(error)}{_RESAVE}", file))
        return raw
    try:
        names = {name.strip().lower(): name for name in book.sheetnames}
        for sheet in SHEETS:
            if sheet not in names:
                if sheet not in OPTIONAL_SECTIONS:
                    raw.problems.append(Problem(f"нет листа «{sheet}»", file, sheet))
                continue
            worksheet = book[names[sheet]]
            try:
                worksheet.reset_dimensions()  # some writers store a wrong sheet size
                rows = budget.rows(((n, list(r)) for n, r in
                                    enumerate(worksheet.iter_rows(values_only=True), start=1)),
                                   sheet)
                _read_sheet(sheet, rows, raw, file)
            except TableError:
                raise
            except Exception as error:  # a damaged sheet inside a valid archive
                raw.problems.append(Problem(f"лист не читается: {damage(error)}", file, sheet))
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


def _csv_damage(error: csv.Error) -> str:
    text = str(error)
    if "field limit" in text:
        return f"в нём ячейка длиннее {thousands(csv.field_size_limit())} символов"
    if "NUL" in text:
        return "в нём нулевые байты: это не текстовый файл"
    return "нарушена разметка CSV (кавычки или переводы строк)"


def _read_csv_files(files: dict[str, tuple[str, bytes | None]], file: str, budget: Budget,
                    problems: list[Problem] | None = None, unreadable: set[str] | None = None
                    ) -> RawTable:
    """``files``: sheet → (file label, bytes or ``None`` when the file is missing); the
    ``unreadable`` sheets' problems are in ``problems`` already, and nothing more is said."""
    raw = RawTable(file=files.get("region", (file, None))[0], problems=problems or [])
    for sheet in SHEETS:
        label, data = files.get(sheet, (f"{file}/{sheet}.csv", None))
        if unreadable and sheet in unreadable:
            continue
        if data is None:
            if sheet not in OPTIONAL_SECTIONS:
                raw.problems.append(Problem(f"нет файла {sheet}.csv", label, sheet))
            continue
        text = decode_utf8(data, label, sheet, raw.problems)
        if text is None:
            continue
        rows = budget.rows(_csv_rows(text), sheet, label)
        try:
            _read_sheet(sheet, rows, raw, label)
        except csv.Error as error:
            raw.problems.append(Problem(f"файл CSV не читается: {_csv_damage(error)}", label,
                                        sheet))
    return raw


def read_csv_dir(folder: Path, budget: Budget) -> RawTable:
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    files: dict[str, tuple[str, bytes | None]] = {}
    problems: list[Problem] = []
    unreadable: set[str] = set()
    for sheet in SHEETS:
        path = present.get(f"{sheet}.csv")
        label = str(folder / f"{sheet}.csv")
        if path is None:
            files[sheet] = (label, None)
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(Problem(f"файл не читается: {os_reason(error)}", str(path), sheet))
            unreadable.add(sheet)
            continue
        budget.text(data)
        files[sheet] = (str(path), data)
    return _read_csv_files(files, str(folder), budget, problems, unreadable)


def os_reason(error: OSError) -> str:
    """An operating system's refusal in Russian (``strerror`` is English)."""
    import errno

    return {
        errno.ENOENT: "файл не найден",
        errno.EACCES: "нет прав на чтение",
        errno.EPERM: "нет прав на чтение",
        errno.EISDIR: "это папка, а не файл",
        errno.EIO: "ошибка ввода-вывода диска",
    }.get(error.errno or 0, f"ошибка чтения (код {error.errno})")


def read_zip(data: bytes, file: str, budget: Budget) -> RawTable:
    try:
        archive = _open_archive(data, budget)
        infos = archive.infolist()
    except TableError:
        raise
    except Exception as error:  # a damaged archive raises NotImplementedError, struct.error…
        return RawTable(file=file, problems=[Problem(f"архив ZIP не читается: {damage(error)}",
                                                     file)])
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
    files: dict[str, tuple[str, bytes | None]] = {}
    unreadable: set[str] = set()
    for sheet in SHEETS:
        info = by_sheet.get(sheet)
        label = f"{file}/{info.filename if info else sheet + '.csv'}"
        if info is None:
            files[sheet] = (label, None)
            continue
        try:
            files[sheet] = (label, budget.unpack(archive, info))
        except TableError:
            raise
        except Exception as error:  # zipfile/zlib raise many kinds on damage
            problems.append(Problem(f"файл в архиве повреждён: {damage(error)}", label, sheet))
            unreadable.add(sheet)
    return _read_csv_files(files, file, budget, problems, unreadable)
