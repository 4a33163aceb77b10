"""A backup of the bot's database while the bot runs: ``python -m bot.storage.backup [FILE]``.

Copying ``bot.sqlite3`` with ``cp`` is not a backup: in WAL mode the latest transactions live in
``bot.sqlite3-wal`` until a checkpoint, and a copy taken during a write is torn. SQLite is copied
with ``VACUUM INTO``, which reads one consistent snapshot (a running bot keeps writing meanwhile)
and writes a compact file with no free pages, so nothing a citizen asked to forget (`/forget`)
survives in the copy; the copy is then checked with ``PRAGMA integrity_check``. PostgreSQL is
dumped with ``pg_dump`` (custom format, for ``pg_restore``), the password passed in the
environment rather than on the command line where ``ps`` shows it.

Without ``FILE`` the backup goes to ``DATA_DIR/backups/`` under a name with the time. An existing
file is never overwritten. Restoring is described in README.md («Резервная копия»).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.storage.select import POSTGRES_SCHEMES
from bot.storage.sqlite import SqliteRepository
from config import SettingsError, load_settings

USAGE = "Использование: python -m bot.storage.backup [файл копии]"
BUSY_TIMEOUT_MS = 30_000  # VACUUM INTO waits this long for a writer's checkpoint, not for ever


class BackupFailed(Exception):
    """No backup was made; the message says why, in Russian, without the database password."""


def back_up(database_url: str, destination: Path) -> str:
    """Back up the database of ``database_url`` into ``destination``; returns a summary line."""
    if destination.exists():
        raise BackupFailed(f"файл {destination} уже есть — перезаписывать копию не буду")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith(POSTGRES_SCHEMES):
        return _pg_dump(database_url, destination)
    return _vacuum_into(SqliteRepository.from_url(database_url).path, destination)


def _vacuum_into(source: str, destination: Path) -> str:
    if source == ":memory:" or not Path(source).is_file():
        # Connecting would create an empty database, and an empty backup hides the typo.
        raise BackupFailed(f"нет файла базы SQLite {source}")
    try:
        db = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("VACUUM INTO ?", (str(destination),))
        finally:
            db.close()
        copy = sqlite3.connect(destination)
        try:
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tickets = copy.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error as exc:
        destination.unlink(missing_ok=True)
        raise BackupFailed(f"SQLite: {exc}") from None
    if check != "ok":
        destination.unlink(missing_ok=True)
        raise BackupFailed(f"копия не прошла проверку целостности: {check}")
    return f"Копия базы SQLite: {destination} (обращений: {tickets})"


def _pg_dump(url: str, destination: Path) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed(
            "не найден pg_dump: установите клиент PostgreSQL той же или более новой версии, что"
            " сервер (Debian: apt-get install postgresql-client), или снимите копию в контейнере"
            " базы: docker compose exec postgres pg_dump -U bot -Fc bot > bot.dump"
        )
    address, password = _without_password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    result = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", f"--file={destination}", f"--dbname={address}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        destination.unlink(missing_ok=True)
        last = (result.stderr.strip().splitlines() or ["без сообщения"])[-1]
        if password:
            last = last.replace(password, "***")
        raise BackupFailed(f"pg_dump завершился с кодом {result.returncode}: {last}")
    return f"Копия базы PostgreSQL: {destination} (восстановление — pg_restore)"


def _without_password(url: str) -> tuple[str, str | None]:
    """The URL without its password, and the password (for ``PGPASSWORD``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address goes back into brackets
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def default_destination(data_dir: Path, database_url: str, now: datetime) -> Path:
    """``DATA_DIR/backups/bot-<UTC time>Z.sqlite3`` (``.dump`` for PostgreSQL)."""
    suffix = ".dump" if database_url.startswith(POSTGRES_SCHEMES) else ".sqlite3"
    return data_dir / "backups" / f"bot-{now:%Y%m%d-%H%M%S}Z{suffix}"


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("Ошибка в настройках:", *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    url = settings.database_url
    destination = (
        Path(argv[0]) if argv else default_destination(settings.data_dir, url, datetime.now(UTC))
    )
    try:
        print(back_up(url, destination))
    except (BackupFailed, ValueError) as exc:
        print(f"Резервная копия не снята: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Резервная копия не снята: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
