"""Persistence for the core: a repository Protocol, its SQLite implementation and migrations."""

from bot.storage.base import Repository, Tx
from bot.storage.select import repository_from_url
from bot.storage.sqlite import SqliteRepository

__all__ = ["Repository", "SqliteRepository", "Tx", "repository_from_url"]
