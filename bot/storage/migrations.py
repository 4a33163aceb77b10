"""The database schema as ordered migrations, applied on start and recorded in ``schema_version``.

Migrations are append-only: a released one is never edited, a change is a new entry. The SQL is
the subset SQLite and PostgreSQL share; the few places where they differ are the `Dialect`
fields, so a PostgreSQL repository can apply the same list with its own dialect.

Times are stored as fixed-width UTC text (``2026-03-01T09:00:00.000000Z``): it sorts and compares
correctly as text in both databases and never carries a local offset.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    id_column: str  # an auto-numbered primary key
    json: str  # a column holding a JSON document
    timestamp: str  # a column holding a UTC time as described above
    #: ``text`` folded for search (`bot.domain.reports.fold`: lower case, ё → е). SQLite's
    #: lower() knows only ASCII and PostgreSQL's follows the server's locale, so SQLite calls
    #: the function `bot.storage.sqlite` registers and PostgreSQL translates the Cyrillic.
    fold: str = "console_fold(text)"
    #: ``{}`` (a stored UTC time) as seconds since the epoch, as `bot.storage.sql.SqlDialect`.
    epoch: str = "(julianday({}) * 86400.0)"


SQLITE = Dialect("sqlite", "INTEGER PRIMARY KEY", "TEXT", "TEXT")
POSTGRES = Dialect(
    "postgresql", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "JSONB", "TEXT",
    "translate(lower(text), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё',"
    " 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе')",
    "EXTRACT(EPOCH FROM CAST({} AS timestamptz))",
)

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at {timestamp} NOT NULL
)
"""

@dataclass(frozen=True)
class Only:
    """A statement of one database (a `Dialect.name`) only, such as PostgreSQL's GIN index."""

    dialect: str
    sql: str


Statement = str | Only

#: (version, description, statements). Placeholders in braces come from `Dialect`.
MIGRATIONS: tuple[tuple[int, str, tuple[Statement, ...]], ...] = (
    (
        1,
        "tickets, events, messages, outbox, reminders, training examples",
        (
            """
            CREATE TABLE ticket_counters (
                year INTEGER PRIMARY KEY,
                last_value INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE tickets (
                id {id_column},
                number TEXT NOT NULL UNIQUE,
                channel TEXT NOT NULL,
                chat_id BIGINT,
                user_id BIGINT,
                source_message_id BIGINT,
                text TEXT NOT NULL,
                attachments {json} NOT NULL,
                lat DOUBLE PRECISION,
                lon DOUBLE PRECISION,
                state TEXT NOT NULL,
                topic TEXT,
                municipality TEXT,
                body TEXT,
                candidates {json} NOT NULL,
                tried_bodies {json} NOT NULL,
                route_round INTEGER NOT NULL DEFAULT 0,
                created_at {timestamp} NOT NULL,
                updated_at {timestamp} NOT NULL,
                routed_at {timestamp},
                due_at {timestamp},
                anonymised_at {timestamp},
                UNIQUE (channel, chat_id, source_message_id)
            )
            """,
            "CREATE INDEX tickets_citizen ON tickets (channel, user_id)",
            "CREATE INDEX tickets_state_due ON tickets (state, due_at)",
            """
            CREATE TABLE ticket_events (
                id {id_column},
                ticket_id BIGINT NOT NULL REFERENCES tickets (id),
                at {timestamp} NOT NULL,
                kind TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT,
                detail {json} NOT NULL
            )
            """,
            "CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id)",
            """
            CREATE TABLE ticket_messages (
                id {id_column},
                ticket_id BIGINT NOT NULL REFERENCES tickets (id),
                at {timestamp} NOT NULL,
                author TEXT NOT NULL,
                channel TEXT NOT NULL,
                chat_id BIGINT,
                platform_message_id BIGINT,
                text TEXT NOT NULL,
                attachments {json} NOT NULL
            )
            """,
            "CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id)",
            """
            CREATE TABLE outbox (
                id {id_column},
                idempotency_key TEXT NOT NULL UNIQUE,
                ticket_id BIGINT REFERENCES tickets (id),
                purpose TEXT NOT NULL,
                channel TEXT NOT NULL,
                chat_id BIGINT,
                payload {json} NOT NULL,
                resend_if_uncertain INTEGER NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at {timestamp} NOT NULL,
                last_error TEXT,
                platform_message_id BIGINT,
                created_at {timestamp} NOT NULL,
                sent_at {timestamp}
            )
            """,
            "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
            "CREATE INDEX outbox_sent ON outbox (channel, chat_id, platform_message_id)",
            """
            CREATE TABLE reminders (
                ticket_id BIGINT NOT NULL REFERENCES tickets (id),
                route_round INTEGER NOT NULL,
                kind TEXT NOT NULL,
                at {timestamp} NOT NULL,
                skipped INTEGER NOT NULL,
                PRIMARY KEY (ticket_id, route_round, kind)
            )
            """,
            """
            CREATE TABLE training_examples (
                id {id_column},
                ticket_id BIGINT REFERENCES tickets (id),
                at {timestamp} NOT NULL,
                text TEXT NOT NULL,
                topic TEXT,
                body TEXT,
                wrong_body TEXT,
                source TEXT NOT NULL
            )
            """,
        ),
    ),
    (
        2,
        "who did what in the audit log; the citizen's verdict and rating",
        (
            "ALTER TABLE ticket_events ADD COLUMN actor TEXT NOT NULL DEFAULT 'system'",
            "ALTER TABLE tickets ADD COLUMN solved INTEGER",
            "ALTER TABLE tickets ADD COLUMN rating INTEGER",
        ),
    ),
    (
        3,
        "one row per platform message in a ticket thread (repeated deliveries are no-ops)",
        (
            "CREATE UNIQUE INDEX ticket_messages_source"
            " ON ticket_messages (channel, chat_id, platform_message_id)",
        ),
    ),
    (
        4,
        "administrators: invites, chats bound to bodies, one forum topic per ticket",
        (
            """
            CREATE TABLE staff_invites (
                token TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                created_by_channel TEXT NOT NULL,
                created_by_user BIGINT NOT NULL,
                created_at {timestamp} NOT NULL,
                expires_at {timestamp} NOT NULL,
                used_at {timestamp}
            )
            """,
            """
            CREATE TABLE staff_bindings (
                channel TEXT NOT NULL,
                chat_id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                body TEXT NOT NULL,
                forum INTEGER NOT NULL,
                created_at {timestamp} NOT NULL,
                PRIMARY KEY (channel, chat_id, user_id, body)
            )
            """,
            """
            CREATE TABLE forum_topics (
                channel TEXT NOT NULL,
                chat_id BIGINT NOT NULL,
                topic_key TEXT NOT NULL,
                thread_id BIGINT NOT NULL,
                created_at {timestamp} NOT NULL,
                PRIMARY KEY (channel, chat_id, topic_key)
            )
            """,
            "CREATE INDEX forum_topics_thread ON forum_topics (channel, chat_id, thread_id)",
        ),
    ),
    (
        6,
        "routing table versions and proposals awaiting «Применить» (bot.storage.table_versions)",
        (
            """
            CREATE TABLE routing_versions (
                id {id_column},
                content TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                source TEXT NOT NULL,
                seed_hash TEXT,
                restores INTEGER,
                applied_by TEXT NOT NULL,
                applied_at {timestamp} NOT NULL,
                summary TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE routing_proposals (
                id {id_column},
                content TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                base_version INTEGER NOT NULL,
                kind TEXT NOT NULL,
                restores INTEGER,
                proposed_by TEXT NOT NULL,
                created_at {timestamp} NOT NULL,
                summary TEXT NOT NULL,
                state TEXT NOT NULL
            )
            """,
        ),
    ),
    (
        8,
        "outbox: citizens' messages first; the due-rows query served by partial indexes",
        (
            # 0: a citizen is waiting for it (purposes "citizen…"); 1: staff cards, reminders.
            "ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1",
            "UPDATE outbox SET priority = 0 WHERE purpose LIKE 'citizen%'",
            # Walked in this order by `OutboxTx.due`, which stops at its LIMIT; sent rows, the
            # bulk of the table, are not in it.
            "CREATE INDEX outbox_queue ON outbox (priority, id) WHERE state = 'pending'",
            # "Is an older message to this chat still waiting or in flight?"
            "CREATE INDEX outbox_chat_queue ON outbox (channel, chat_id, id)"
            " WHERE state IN ('pending', 'sending')",
        ),
    ),
    (
        9,
        "the inbox: every incoming update stored before it is acknowledged (bot.delivery.inbox)",
        (
            # update_key: the platform's own id of the update (a re-delivery is not stored
            # again); payload: the raw update, NULL once handled; held_until: until then the
            # process that stored or took the row handles it, after that anyone may take it.
            """
            CREATE TABLE inbox (
                id {id_column},
                update_key TEXT NOT NULL UNIQUE,
                channel TEXT NOT NULL,
                chat_id BIGINT,
                payload TEXT,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                held_until {timestamp} NOT NULL,
                received_at {timestamp} NOT NULL,
                handled_at {timestamp},
                last_error TEXT
            )
            """,
            # What a restart or a sibling process takes: only the rows still to handle.
            "CREATE INDEX inbox_waiting ON inbox (held_until, id) WHERE state = 'pending'",
            # Handled rows are deleted after a while, oldest first.
            "CREATE INDEX inbox_received ON inbox (received_at)",
        ),
    ),
    (
        10,
        "body chats the bot cannot write to (removed from the group, blocked): marked until back",
        (
            # A chat, not a binding: a chat of the routing table has no binding, and every
            # binding in the chat is cut off at once. `StaffBinding.unreachable_since` shows it.
            """
            CREATE TABLE unreachable_chats (
                channel TEXT NOT NULL,
                chat_id BIGINT NOT NULL,
                since {timestamp} NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (channel, chat_id)
            )
            """,
        ),
    ),
    (
        11,
        "internal notes of staff on tickets; an audit of revoked staff bindings",
        (
            # A note is never a thread message: nothing that shows a thread to a citizen reads
            # this table. One row per platform message (a repeated delivery is a no-op).
            """
            CREATE TABLE ticket_notes (
                id {id_column},
                ticket_id BIGINT NOT NULL REFERENCES tickets (id),
                at {timestamp} NOT NULL,
                author TEXT NOT NULL,
                channel TEXT NOT NULL,
                chat_id BIGINT NOT NULL,
                platform_message_id BIGINT NOT NULL,
                text TEXT NOT NULL,
                attachments {json} NOT NULL,
                UNIQUE (channel, chat_id, platform_message_id)
            )
            """,
            "CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id)",
            """
            CREATE TABLE staff_audit (
                id {id_column},
                at {timestamp} NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                channel TEXT NOT NULL,
                chat_id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                body TEXT NOT NULL
            )
            """,
        ),
    ),
    (
        12,
        "safe actions: the one extension of a ticket's deadline; why a body refused a ticket",
        (
            # When the body extended the deadline of the current routing round (NULL: not yet);
            # reminders are planned from it to the new deadline (bot.core.deadlines).
            "ALTER TABLE tickets ADD COLUMN extended_at {timestamp}",
            # The reason a body gave for «Не наше», with the example it labels.
            "ALTER TABLE training_examples ADD COLUMN reason TEXT",
        ),
    ),
    (
        13,
        "trained model versions: each retrain's figures, which one serves, rollbacks",
        (
            # Append-only like routing_versions. ``path``: the model file (NULL: the
            # ROUTING_MODEL file, or none); ``swapped`` 1: it served from ``at`` on (the
            # latest such row is in force), 0: a candidate judged worse, kept for its figures.
            """
            CREATE TABLE model_versions (
                id {id_column},
                at {timestamp} NOT NULL,
                source TEXT NOT NULL,
                path TEXT,
                swapped INTEGER NOT NULL,
                trained_on INTEGER NOT NULL,
                tested_on INTEGER NOT NULL,
                current_right INTEGER NOT NULL,
                candidate_right INTEGER NOT NULL,
                restores BIGINT,
                applied_by TEXT NOT NULL
            )
            """,
        ),
    ),
    (
        14,
        "comments under posts: the ticket a public comment made, and where it was written",
        (
            # NULL: a message to the bot; "comment": a comment under a post (bot.core.comments).
            "ALTER TABLE tickets ADD COLUMN origin TEXT",
            # The public place of a comment ticket: ``place_id`` is the VK wall's owner
            # (-community id) or the Telegram discussion group, ``post_id`` the post (VK) or
            # the thread's root message (Telegram), ``comment_id`` the comment itself. One
            # ticket a comment; deleted when the ticket is anonymised (the ids point at the
            # citizen's public words).
            """
            CREATE TABLE ticket_comments (
                ticket_id BIGINT NOT NULL REFERENCES tickets (id),
                channel TEXT NOT NULL,
                place_id BIGINT NOT NULL,
                post_id BIGINT NOT NULL,
                comment_id BIGINT NOT NULL,
                author_id BIGINT NOT NULL,
                at {timestamp} NOT NULL,
                UNIQUE (channel, place_id, comment_id)
            )
            """,
            "CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id)",
        ),
    ),
    (
        15,
        "connected VK pages: a community per body, its token and Callback secret sealed",
        (
            # ``token_sealed``/``secret_sealed``: Fernet under SECRETS_KEY (bot.core.sealing),
            # never the plain token. ``connected_by``: "<channel>:<user id>".
            """
            CREATE TABLE vk_pages (
                group_id BIGINT PRIMARY KEY,
                body TEXT NOT NULL,
                name TEXT NOT NULL,
                token_sealed TEXT NOT NULL,
                confirmation TEXT,
                secret_sealed TEXT,
                connected_by TEXT NOT NULL,
                connected_at {timestamp} NOT NULL,
                enabled INTEGER NOT NULL
            )
            """,
        ),
    ),
    (
        16,
        "appeals that came through a connected page: the page's body and the routed one",
        (
            """
            CREATE TABLE page_appeals (
                ticket_id BIGINT PRIMARY KEY,
                group_id BIGINT NOT NULL,
                page_body TEXT NOT NULL,
                routed_body TEXT,
                at {timestamp} NOT NULL
            )
            """,
            "CREATE INDEX page_appeals_by_group ON page_appeals (group_id)",
        ),
    ),
    (
        17,
        "web console: single-use login links sent by /web (only their SHA-256 is kept)",
        (
            """
            CREATE TABLE console_logins (
                token_hash TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                user_id BIGINT NOT NULL,
                created_at {timestamp} NOT NULL,
                expires_at {timestamp} NOT NULL,
                used_at {timestamp}
            )
            """,
        ),
    ),
    (
        18,
        "web console: sessions (the cookie's SHA-256), their CSRF token, expiry and logout",
        (
            """
            CREATE TABLE console_sessions (
                session_hash TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                user_id BIGINT NOT NULL,
                csrf TEXT NOT NULL,
                created_at {timestamp} NOT NULL,
                expires_at {timestamp} NOT NULL,
                ended_at {timestamp}
            )
            """,
        ),
    ),
    (
        19,
        "the web console: tickets by time received, body, topic; the dashboard's milestones",
        (
            # A period (dashboard, export, a text search) and the queue's newest-first order
            # (`bot.storage.sql.reports`): a range, read backwards for a page. bench/README.md
            # has the plans and times with and without these.
            "CREATE INDEX tickets_created ON tickets (created_at)",
            # A body administrator's queue and dashboard: its body, newest first or a period.
            "CREATE INDEX tickets_body_created ON tickets (body, created_at)",
            # The map: only the third of tickets that carry coordinates, by time received.
            "CREATE INDEX tickets_located ON tickets (created_at) WHERE lat IS NOT NULL",
            # A topic over a period (the map's and the queue's topic filter): a year of one
            # topic read from it instead of a year of every ticket.
            "CREATE INDEX tickets_topic_created ON tickets (topic, created_at)",
            # What the dashboard counts, kept on the ticket by `TicketsSql.add_event` as the
            # audit log grows (reading the log of 40,000 tickets took 0.5 s at 1M tickets):
            # ``routed_how`` — the first routing: 'automatic', 'after_question' (a question to
            # the citizen came first) or 'coordinator'; ``first_answer_at`` — the first move to
            # ``answered``; ``search_text`` — the text folded for the console's search (plain
            # LIKE on it is 40 times cheaper than folding every text per search in PostgreSQL).
            "ALTER TABLE tickets ADD COLUMN routed_how TEXT",
            "ALTER TABLE tickets ADD COLUMN first_answer_at {timestamp}",
            "ALTER TABLE tickets ADD COLUMN search_text TEXT",
            # The same figures for the tickets stored before: read once from their audit log.
            """
            UPDATE tickets SET search_text = {fold},
              first_answer_at = (SELECT MIN(e.at) FROM ticket_events e
                                 WHERE e.ticket_id = tickets.id AND e.to_state = 'answered'),
              routed_how = (
                SELECT CASE WHEN r.actor LIKE 'coordinator%' THEN 'coordinator'
                            WHEN EXISTS (SELECT 1 FROM ticket_events q
                                         WHERE q.ticket_id = r.ticket_id AND q.id < r.id
                                         AND q.kind IN ('asked_topic', 'asked_place',
                                                        'asked_address', 'requested_text'))
                            THEN 'after_question' ELSE 'automatic' END
                FROM ticket_events r WHERE r.ticket_id = tickets.id AND r.to_state = 'routed'
                ORDER BY r.id LIMIT 1)
            """,
        ),
    ),
    (
        20,
        "the web console's text search: a trigram index on the folded text (PostgreSQL)",
        (
            # For ``search_text LIKE '%…%'`` (bench/README.md). Left out where pg_trgm cannot
            # be had or sees no Cyrillic (LC_CTYPE=C): `reports.search_advice` tells why.
            Only("postgresql", """
            DO $$ BEGIN
              BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm;
              EXCEPTION WHEN OTHERS THEN RETURN; END;
              IF cardinality(show_trgm('ёж')) > 0 THEN
                CREATE INDEX tickets_search_trgm ON tickets USING gin (search_text gin_trgm_ops);
              END IF;
            END $$
            """),
            # From 100 samples the planner guessed 100 texts with «протечка крыша» (60,000) and
            # read the trigram index without the period's: 0.7 s for a month.
            Only("postgresql", "ALTER TABLE tickets ALTER COLUMN search_text SET STATISTICS 1000"),
        ),
    ),
    (
        21,
        "the console's dashboard and map: seconds to the first answer, covering indexes",
        (
            # The median sorted delays computed from two text timestamps: now a number kept
            # beside ``first_answer_at`` by the same statement (`TicketsSql.add_event`).
            "ALTER TABLE tickets ADD COLUMN first_answer_seconds INTEGER",
            """
            UPDATE tickets SET first_answer_seconds = CAST(ROUND(
              {epoch_first_answer} - {epoch_created}) AS INTEGER)
            WHERE first_answer_at IS NOT NULL
            """,
            # PostgreSQL: what the dashboard and the map count, read from the index alone
            # (bench/README.md); the narrow ``tickets_created`` stays for bitmaps with the
            # trigram index. SQLite is fast enough on the plain indexes.
            Only("postgresql", """
            CREATE INDEX tickets_period ON tickets (created_at) INCLUDE (body, state, due_at,
              first_answer_at, first_answer_seconds, routed_how, solved, rating, topic,
              municipality, channel)
            """),
            Only("postgresql", "DROP INDEX tickets_topic_created"),
            Only("postgresql", "CREATE INDEX tickets_topic_created ON tickets (topic, created_at)"
                               " INCLUDE (state, municipality, body, channel)"),
            # Index-only scans need all-visible pages: vacuum after 1 % changed, not 20 %.
            Only("postgresql", "ALTER TABLE tickets SET (autovacuum_vacuum_scale_factor = 0.01,"
                 " autovacuum_vacuum_insert_scale_factor = 0.01,"
                 " autovacuum_analyze_scale_factor = 0.02)"),
        ),
    ),
)


def statements(version: int, dialect: Dialect) -> list[str]:
    """The SQL of one migration, rendered for ``dialect``."""
    for number, _description, sql in MIGRATIONS:
        if number == version:
            fields = {
                "id_column": dialect.id_column,
                "json": dialect.json,
                "timestamp": dialect.timestamp,
                "fold": dialect.fold,
                "epoch_first_answer": dialect.epoch.format("first_answer_at"),
                "epoch_created": dialect.epoch.format("created_at"),
            }
            return [
                (s.sql if isinstance(s, Only) else s).format(**fields)
                for s in sql
                if not isinstance(s, Only) or s.dialect == dialect.name
            ]
    raise KeyError(version)


def latest_version() -> int:
    return MIGRATIONS[-1][0]
