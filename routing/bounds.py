"""How much of a table file is read before it is refused: archive members, bytes, rows, cells.

A regional routing table is a few thousand rows, an XLSX of a few hundred kilobytes. The same
formats can unpack a kilobyte-sized upload into gigabytes (a "zip bomb", an XLSX sheet repeating
one cell millions of times, a ZIP of a hundred thousand members), and reading that would take the
bot's memory and minutes of its CPU. So the readers count as they go: an archive's members and
their declared sizes before anything is unpacked, each member's actual size while it is unpacked
in chunks (headers can lie), and the rows, cells and characters handed on. The first bound
exceeded ends the reading with one Russian message that names it — nothing else in such a file is
worth reporting — after having read at most the bound.

`UPLOAD` is for files coordinators send to the bot; `FILE` for the operator's own files
(``ROUTING_TABLE``, the command-line tools, stored versions), which may hold a national table and
are not hostile. What no count foresees is left to the memory and time limits of the process the
bot parses uploads in (`routing.sandbox`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from routing.errors import Problem, TableError

MiB = 2**20
_CHUNK = MiB


@dataclass(frozen=True)
class Bounds:
    members: int  # entries of a ZIP or XLSX archive, folders included
    member_bytes: int  # unpacked bytes of one entry; also the size of a YAML file
    unpacked_bytes: int  # unpacked bytes of all entries together
    rows: int  # rows of one sheet or section, blank ones included
    columns: int  # cells of one row, up to its last filled one
    cells: int  # cells of the whole table
    cell_chars: int  # characters of one cell (Excel's own limit is 32,767)


#: A coordinator's upload: far above a region's table (Saratov: 769 rows, ~6,000 cells, an XLSX
#: of 12 parts unpacking to 0.4 MB), and low enough that a table at the bounds still parses
#: within `routing.sandbox`'s limits (190–340 MB, 3–20 s here: ``bench/upload_guard.py``).
UPLOAD = Bounds(
    members=256,
    member_bytes=64 * MiB,
    unpacked_bytes=128 * MiB,
    rows=100_000,
    columns=256,
    cells=1_000_000,
    cell_chars=32_767,
)
#: The operator's files: a national table (175,000 bodies) fits with room to spare.
FILE = Bounds(
    members=1_000,
    member_bytes=512 * MiB,
    unpacked_bytes=512 * MiB,
    rows=10_000_000,
    columns=16_384,
    cells=200_000_000,
    cell_chars=100_000_000,
)

_CHECK = "Таблица маршрутизации столько не занимает — проверьте, что прислан тот файл."


def thousands(count: int) -> str:
    """``1 000 000``: thousands apart, as Russian text writes them."""
    return f"{count:,}".replace(",", "\u00a0")


def _megabytes(size: int) -> str:
    return f"{size / MiB:.0f}" if size >= 10 * MiB else f"{size / MiB:.1f}"


def column_letter(position: int) -> str:
    """The spreadsheet name of the 1-based column ``position``: 1 → A, 28 → AB."""
    letters = ""
    while position > 0:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class Budget:
    """What is left of ``bounds`` while one file is read; a method that finds a bound exceeded
    raises ``TableError`` with that one problem."""

    def __init__(self, bounds: Bounds, file: str):
        self.bounds = bounds
        self.file = file
        self.unpacked = 0
        self.cells = 0

    def refuse(self, message: str, sheet: str | None = None, row: int | None = None,
               column: str | None = None, file: str | None = None) -> TableError:
        return TableError([Problem(f"{message}. {_CHECK}", file or self.file, sheet, row,
                                   column)])

    # -- archives ---------------------------------------------------------------------------------
    def check_members(self, infos: Sequence[zipfile.ZipInfo]) -> None:
        """Before unpacking: how many members, and the sizes they declare."""
        bounds = self.bounds
        if len(infos) > bounds.members:
            raise self.refuse(f"в архиве {thousands(len(infos))} файлов, а больше "
                              f"{thousands(bounds.members)} не принимается")
        declared = 0
        for info in infos:
            if info.file_size > bounds.member_bytes:
                raise self.refuse(
                    f"файл «{info.filename}» в архиве распаковывается в "
                    f"{_megabytes(info.file_size)} МБ, а больше {_megabytes(bounds.member_bytes)}"
                    " МБ не принимается")
            declared += info.file_size
        if declared > bounds.unpacked_bytes:
            raise self.refuse(f"архив распаковывается в {_megabytes(declared)} МБ, а больше "
                              f"{_megabytes(bounds.unpacked_bytes)} МБ не принимается")

    def unpack(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, keep: bool = True
               ) -> bytes:
        """A member's bytes, unpacked in chunks and refused as soon as they exceed what is left
        of the bounds, whatever its header says. ``keep=False`` only measures (and checks the
        CRC): for members another library reads afterwards. Damage raises what ``zipfile`` or
        ``zlib`` raise; the caller words it."""
        bounds = self.bounds
        room = min(bounds.member_bytes, bounds.unpacked_bytes - self.unpacked)
        chunks: list[bytes] = []
        size = 0
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > room:
                    if size > bounds.member_bytes:
                        raise self.refuse(
                            f"файл «{info.filename}» в архиве распаковывается больше чем в "
                            f"{_megabytes(bounds.member_bytes)} МБ")
                    raise self.refuse(f"архив распаковывается больше чем в "
                                      f"{_megabytes(bounds.unpacked_bytes)} МБ")
                if keep:
                    chunks.append(chunk)
        self.unpacked += size
        return b"".join(chunks)

    def text(self, data: bytes) -> None:
        """A file read whole (YAML): its size is one member's."""
        if len(data) > self.bounds.member_bytes:
            raise self.refuse(f"файл занимает {_megabytes(len(data))} МБ, а больше "
                              f"{_megabytes(self.bounds.member_bytes)} МБ не принимается")

    # -- rows and cells ---------------------------------------------------------------------------
    def rows(self, rows: Iterable[tuple[int, list]], sheet: str, file: str | None = None
             ) -> Iterator[tuple[int, list]]:
        """``rows`` (numbered from 1, blank ones included) passed on while every bound holds.

        A row's width is up to its last filled cell: trailing empty cells (a formatted but empty
        column far to the right) are not the coordinator's data and are not counted.
        """
        bounds = self.bounds
        limit_chars = bounds.cell_chars
        for number, values in rows:
            if number > bounds.rows:
                raise self.refuse(f"на листе больше {thousands(bounds.rows)} строк (пустые строки "
                                  "между заполненными тоже считаются)", sheet, file=file)
            width = len(values)
            while width and (values[width - 1] is None or values[width - 1] == ""):
                width -= 1
            if width > bounds.columns:
                raise self.refuse(f"в строке {thousands(width)} столбцов, а больше "
                                  f"{thousands(bounds.columns)} не принимается", sheet, number,
                                  file=file)
            self.cells += width
            if self.cells > bounds.cells:
                raise self.refuse(f"в таблице больше {thousands(bounds.cells)} ячеек", sheet,
                                  number, file=file)
            for position in range(width):
                value = values[position]
                if type(value) is str and len(value) > limit_chars:
                    raise self.refuse(f"в ячейке больше {thousands(limit_chars)} символов", sheet,
                                      number, column_letter(position + 1), file=file)
            yield number, values

    def entry(self, number: int, fields: dict, section: str) -> None:
        """One YAML entry: a row whose list fields count one cell per item (aliases make a few
        bytes of YAML stand for many)."""
        bounds = self.bounds
        if number > bounds.rows:
            raise self.refuse(f"в разделе больше {thousands(bounds.rows)} записей", section)
        for value in fields.values():
            self.cells += len(value) if isinstance(value, list) else 1
        if self.cells > bounds.cells:
            raise self.refuse(f"в таблице больше {thousands(bounds.cells)} значений", section,
                              number)
