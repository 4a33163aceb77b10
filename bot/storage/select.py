"""Which repository a ``DATABASE_URL`` names: the one place that knows the URL schemes.

``sqlite:///…`` (the default; one process) or ``postgresql://…`` / ``postgres://…`` (several
processes on one database). asyncpg is imported only when PostgreSQL is asked for.
"""

from __future__ import annotations

from bot.storage.base import Repository

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def repository_from_url(url: str) -> Repository:
    """A repository, not yet open (`Repository.open` connects and migrates)."""
    if url.startswith("sqlite:"):
        from bot.storage.sqlite import SqliteRepository

        return SqliteRepository.from_url(url)
    if url.startswith(POSTGRES_SCHEMES):
        from bot.storage.postgres import PostgresRepository

        return PostgresRepository.from_url(url)
    scheme = url.split(":", 1)[0] if ":" in url else url[:20]
    raise ValueError(
        f"DATABASE_URL: неизвестный вид базы «{scheme}»; поддерживаются sqlite:///путь"
        " и postgresql://пользователь:пароль@сервер:порт/база"
    )
