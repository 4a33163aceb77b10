"""Move a deployment from SQLite to PostgreSQL: copy every row, keep every id.

    python -m bot.storage.copy sqlite:///data/bot.sqlite3 postgresql://bot:…@db:5432/bot

Both databases are first brought to the latest migration (the same list, each in its dialect),
then every table is copied in the order the migrations create them — parents before the rows
that reference them — in one PostgreSQL transaction: a failure leaves the target empty. Ids are
copied as they are (ticket numbers, outbox keys and references stay valid) and the identity
sequences are moved past them, so the next ticket gets the next id. A target that already has
rows is refused: copying into a live database would mix two histories.

Stop the bot first: rows written to SQLite during the copy would be left behind.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path

from bot.storage.migrations import MIGRATIONS, SQLITE, statements
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository

log = logging.getLogger("bot.storage")

CHUNK = 1000
_CREATE_TABLE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)
USAGE = "Использование: python -m bot.storage.copy sqlite:///путь/bot.sqlite3 postgresql://…/база"


class CopyRefused(Exception):
    """The copy cannot start; the message says why, in Russian."""


def tables_in_migration_order() -> list[str]:
    names: list[str] = []
    for version, _description, _sql in MIGRATIONS:
        for statement in statements(version, SQLITE):
            match = _CREATE_TABLE.search(statement)
            if match and match.group(1) not in names:
                names.append(match.group(1))
    return names


async def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Copy everything; returns rows copied per table."""
    source = SqliteRepository.from_url(source_url)
    target = PostgresRepository.from_url(target_url)
    if not Path(source.path).is_file():
        # Opening would create an empty database, and "copied 0 rows" hides the typo.
        raise CopyRefused(f"нет файла базы SQLite {source.path}")
    await source.open()
    try:
        await target.open()
        try:
            return await _copy(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


async def _copy(source: SqliteRepository, target: PostgresRepository) -> dict[str, int]:
    tables = tables_in_migration_order()
    copied: dict[str, int] = {}
    async with source.transaction() as reader, target.transaction() as writer:
        conn = writer.sql.conn
        for table in tables:
            if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                raise CopyRefused(
                    f"в базе PostgreSQL уже есть данные (таблица {table}): копирую только"
                    " в пустую базу"
                )
        for table in tables:
            copied[table] = 0
            async with reader.sql.db.execute(f"SELECT * FROM {table}") as cursor:
                columns = [d[0] for d in cursor.description]
                while rows := await cursor.fetchmany(CHUNK):
                    await conn.copy_records_to_table(
                        table, records=[tuple(row) for row in rows], columns=columns
                    )
                    copied[table] += len(rows)
            if "id" in columns:
                # The next row gets the next id, not one that was copied.
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            log.info("copied table %s: %d rows", table, copied[table])
    return copied


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    source_url, target_url = argv
    try:
        copied = asyncio.run(copy_database(source_url, target_url))
    except (CopyRefused, ValueError) as exc:
        print(f"Копирование не выполнено: {exc}", file=sys.stderr)
        return 2
    total = sum(copied.values())
    print(f"Скопировано строк: {total} из {len(copied)} таблиц.")
    for table, count in copied.items():
        print(f"  {table}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
