"""`python -m bot.storage.backup`: a copy of the live database that restores to the same tickets.

SQLite is backed up while the bot keeps writing, with the newest transactions still in the WAL
file (where ``cp bot.sqlite3`` would miss them); PostgreSQL through ``pg_dump`` and back through
``pg_restore``. Restoring follows README.md («Резервная копия»).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from core_world import World

from bot.storage import backup
from bot.storage.backup import BackupFailed, back_up

APPEALS = ["яма у дома 5", "не горит фонарь на Московской", "мусор не вывозят третью неделю"]


async def file_appeals(world: World) -> dict[str, str]:
    """Three citizens' appeals; ticket number → text."""
    numbers = {}
    for chat, text in enumerate(APPEALS, start=7001):
        numbers[(await world.core.handle(world.citizen(text, chat=chat))).number] = text
    await world.flush()
    return numbers


async def texts_of(world: World, numbers: dict[str, str]) -> dict[str, str]:
    return {number: (await world.ticket(number)).text for number in numbers}


async def test_a_backup_of_the_running_sqlite_database_restores_to_the_same_tickets(
    file_world: World, tmp_path: Path
):
    world = await file_world.start()
    numbers = await file_appeals(world)
    assert Path(f"{world.path}-wal").stat().st_size > 0  # the newest writes are in the WAL
    copy = tmp_path / "backups" / "bot-copy.sqlite3"

    summary = await asyncio.to_thread(back_up, f"sqlite:///{world.path}", copy)
    assert summary == f"Копия базы SQLite: {copy} (обращений: 3)"
    # The bot goes on writing to its database; the copy is the moment it was taken.
    later = (await world.core.handle(world.citizen("ещё одна яма", chat=7009))).number
    await world.stop()

    restored = World(str(tmp_path / "restored" / "bot.sqlite3"), world.clock)
    restored_path = Path(restored.path)
    restored_path.parent.mkdir()
    shutil.copyfile(copy, restored_path)
    await restored.start()
    assert await texts_of(restored, numbers) == numbers
    assert await restored.ticket(later) is None
    # The restored database goes on numbering after the copied tickets.
    next_number = (await restored.core.handle(restored.citizen("новая яма", chat=7010))).number
    assert next_number not in numbers


async def test_an_existing_copy_is_not_overwritten_and_a_missing_database_not_invented(
    tmp_path: Path,
):
    existing = tmp_path / "copy.sqlite3"
    existing.write_bytes(b"an older copy")
    with pytest.raises(BackupFailed, match="уже есть"):
        back_up(f"sqlite:///{tmp_path / 'bot.sqlite3'}", existing)
    assert existing.read_bytes() == b"an older copy"
    with pytest.raises(BackupFailed, match="нет файла базы SQLite"):
        back_up(f"sqlite:///{tmp_path / 'typo.sqlite3'}", tmp_path / "new.sqlite3")
    assert not (tmp_path / "typo.sqlite3").exists() and not (tmp_path / "new.sqlite3").exists()


def test_the_command_writes_into_data_dir_backups_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "bot.sqlite3") as db:  # the schema the bot would have made
        db.execute("CREATE TABLE tickets (id INTEGER PRIMARY KEY)")
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert backup.main([]) == 0
    made = list((data / "backups").iterdir())
    assert len(made) == 1 and made[0].name.startswith("bot-") and made[0].suffix == ".sqlite3"
    assert str(made[0]) in capsys.readouterr().out
    assert backup.main([str(made[0])]) == 2
    assert "уже есть" in capsys.readouterr().err


async def test_a_postgresql_dump_restores_to_the_same_tickets(pg_cluster, clock, tmp_path: Path):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump и pg_restore ставятся вместе с PostgreSQL (dev.py)")
    world = await World(pg_cluster.new_database(), clock).start()
    numbers = await file_appeals(world)
    dump = tmp_path / "bot.dump"
    summary = await asyncio.to_thread(back_up, world.path, dump)
    assert summary.startswith(f"Копия базы PostgreSQL: {dump}")
    await world.stop()

    target = pg_cluster.new_database()
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={target}", str(dump)],
        check=True,
        capture_output=True,
    )
    restored = await World(target, clock).start()
    assert await texts_of(restored, numbers) == numbers


def test_a_failed_pg_dump_says_why_without_the_password(pg_cluster, tmp_path: Path):
    address = pg_cluster.url("no_such_database").replace("postgres@", "postgres:Pa55-w0rd@")
    with pytest.raises(BackupFailed) as failed:
        back_up(address, tmp_path / "bot.dump")
    assert "pg_dump завершился с кодом" in str(failed.value)
    assert "no_such_database" in str(failed.value)
    assert "Pa55-w0rd" not in str(failed.value)
    assert not (tmp_path / "bot.dump").exists()
