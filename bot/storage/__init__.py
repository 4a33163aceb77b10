"""Persistence for the core, laid out as ports, shared SQL and thin backends.

- `bot.storage.base`: what the core may ask (`Repository`, and `Tx` by facet: ``tx.tickets``,
  ``tx.outbox``, ``tx.staff``, ``tx.tables``, ``tx.stats``, ``tx.training``, ``tx.inbox``). The
  core imports nothing else from here, so a backend can change without the core noticing.
- `bot.storage.sql`: every statement and the facets, written once over a small `Driver`, so
  that SQLite and PostgreSQL cannot drift apart (`tests/storage/test_contract.py` runs both).
- `bot.storage.sqlite`, `bot.storage.postgres`: only what differs — the connection, SQLite's
  group commit and deferred writes, PostgreSQL's placeholders and savepoints, dialect bits.
- `bot.storage.migrations` (the schema, both dialects), `bot.storage.select` (which backend a
  ``DATABASE_URL`` names), `bot.storage.copy` (SQLite → PostgreSQL), `bot.storage.flood_redis`
  (citizens' flood counters shared by several processes through Redis).
"""

from bot.storage.base import Repository, Tx
from bot.storage.select import repository_from_url
from bot.storage.sqlite import SqliteRepository

__all__ = ["Repository", "SqliteRepository", "Tx", "repository_from_url"]
