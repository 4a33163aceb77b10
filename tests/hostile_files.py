"""Hostile table files, small to send and huge to unpack, for the upload bounds' tests and bench.

Written cheaply: a member that unpacks to hundreds of megabytes is one compressed piece repeated.
A full flush ends a piece of a deflate stream on a byte boundary with an empty history, so the
same input always compresses to the same bytes and the piece can be copied instead of
recompressed; a "1 GB" member then costs its CRC, not a gigabyte of compression. The archives are
written by hand (local headers, central directory, end record) because ``zipfile`` cannot take
data that is already compressed.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from routing.model import RoutingTable
from routing.tablefile import table_to_bytes

MiB = 2**20


@dataclass(frozen=True)
class Repeated:
    """``head + block * times + tail``, as one deflated member."""

    block: bytes
    times: int
    head: bytes = b""
    tail: bytes = b""

    @property
    def size(self) -> int:
        return len(self.head) + len(self.block) * self.times + len(self.tail)


def _deflated(member: bytes | Repeated) -> tuple[bytes, int, int]:
    """Raw deflate data, CRC-32 and unpacked size of a member."""
    if isinstance(member, bytes):
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(member) + compressor.flush(), zlib.crc32(member), len(member)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(member.head) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(member.block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(member.tail) + compressor.flush()
    crc = zlib.crc32(member.head)
    for _ in range(member.times):
        crc = zlib.crc32(member.block, crc)
    crc = zlib.crc32(member.tail, crc)
    return head + piece * member.times + tail, crc, member.size


def zip_of(members: list[tuple[str, bytes | Repeated]]) -> bytes:
    """A ZIP archive of deflated members (each under 4 GiB; ZIP64 only for the member count)."""
    out = io.BytesIO()
    central = []
    for name, member in members:
        data, crc, size = _deflated(member)
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, crc,
                              len(data), size, len(encoded), 0))
        out.write(encoded)
        out.write(data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, crc,
                                   len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
                       + encoded)
    start = out.tell()
    for entry in central:
        out.write(entry)
    size, count = out.tell() - start, len(central)
    if count > 0xFFFF:  # the ZIP64 end record carries the count; the classic one says "see it"
        end64 = out.tell()
        out.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size,
                              start))
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1))
        count = 0xFFFF
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return out.getvalue()


def _members(data: bytes) -> list[tuple[str, bytes | Repeated]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(name, archive.read(name)) for name in archive.namelist()]


def _replaced(data: bytes, name: str, member: Repeated) -> bytes:
    members = [(n, m) for n, m in _members(data) if n != name]
    return zip_of([*members, (name, member)])


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"
_ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


def _bodies_sheet(xlsx: bytes) -> str:
    """The part holding the ``bodies`` sheet (openpyxl numbers sheets in order: the fourth)."""
    return next(n for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
                if n.endswith("sheet4.xml"))


def xlsx_with_huge_sheet(table: RoutingTable, size: int = 200 * MiB) -> bytes:
    """A real workbook whose ``bodies`` sheet is at least ``size`` bytes of one-cell rows."""
    xlsx = table_to_bytes(table, "xlsx")
    block = _ROW * 20_000
    return _replaced(xlsx, _bodies_sheet(xlsx),
                     Repeated(block, -(-size // len(block)), _SHEET_HEAD, _SHEET_TAIL))


def xlsx_with_huge_shared_strings(table: RoutingTable, size: int = 1024 * MiB) -> bytes:
    """A real workbook whose shared-strings part is ``size`` bytes of two-letter strings."""
    xlsx = table_to_bytes(table, "xlsx")
    block = b"<si><t>ab</t></si>" * 50_000
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main">')
    return _replaced(xlsx, "xl/sharedStrings.xml",
                     Repeated(block, -(-size // len(block)), head, b"</sst>"))


def zip_with_huge_csv(table: RoutingTable, size: int = 100 * MiB) -> bytes:
    """A real ZIP of CSV files whose ``bodies.csv`` is ``size`` bytes of rows."""
    archive = table_to_bytes(table, "zip")
    header = zipfile.ZipFile(io.BytesIO(archive)).read("bodies.csv").split(b"\n", 1)[0] + b"\n"
    block = b"b,\xd0\x9e\xd1\x80\xd0\xb3\xd0\xb0\xd0\xbd,municipal,roads,region\n" * 20_000
    return _replaced(archive, "bodies.csv", Repeated(block, -(-size // len(block)), header))


def zip_with_many_members(count: int = 100_000) -> bytes:
    """A ZIP of ``count`` tiny CSV files."""
    return zip_of([(f"part-{i}.csv", b"id\n") for i in range(count)])


def with_lying_header(archive: bytes, name: str, declared: int) -> bytes:
    """``archive`` whose central directory says member ``name`` unpacks to ``declared`` bytes."""
    data = bytearray(archive)
    at = -1
    while True:
        at = data.index(b"PK\x01\x02", at + 1)
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + length]) == name.encode():
            struct.pack_into("<L", data, at + 24, declared)
            return bytes(data)
