"""`python -m bot`: check the settings and the routing table, then start the configured channels.

Exit codes: 0 — stopped normally; 1 — nothing to run (no channel configured, or a configured
channel is not available in this version); 2 — the settings or the routing table are wrong, and
the messages printed say where.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from bot.jsonlog import JsonLines
from config import Settings, SettingsError, load_settings

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_NOTHING_TO_RUN = 1
EXIT_BAD_CONFIG = 2

# Сообщения для того, кто запускает бота (не для граждан).
MSG_SETTINGS_INVALID = "Ошибка в настройках (переменные окружения или .env):"
MSG_DATA_DIR_FAILED = "Не удалось создать каталог данных {path} (DATA_DIR): {reason}"
MSG_TABLE_MISSING = "Файл таблицы маршрутизации не найден: {path} (ROUTING_TABLE)"
MSG_TABLE_INVALID = "Таблица маршрутизации {path} содержит ошибки:"
MSG_TABLE_UNREADABLE = "Не удалось прочитать таблицу маршрутизации {path}: {reason}"
MSG_TABLE_LOADED = "Таблица маршрутизации: {summary}"
MSG_TABLE_NOT_CHECKED = (
    "Загрузчик таблиц (routing.tablefile) в этой версии ещё не готов: таблица {path} не проверена"
)
MSG_NO_CHANNELS = (
    "Не настроен ни один канал: задайте TELEGRAM_BOT_TOKEN для Telegram "
    "или VK_GROUP_TOKEN для ВКонтакте (см. .env.example)."
)

MSG_MODEL_INVALID = "Модель классификатора (ROUTING_MODEL) не загружена: {reason}"

LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"


class StartupError(Exception):
    """The bot cannot start; ``lines`` are printed as they are, one per problem."""

    def __init__(self, lines: list[str], code: int = EXIT_BAD_CONFIG):
        self.lines = lines
        self.code = code
        super().__init__("\n".join(lines))


def settings_problems(problems: list[str]) -> str:
    """One line for one problem (the usual case, easy to spot in a service log), else a list."""
    if len(problems) == 1:
        return f"{MSG_SETTINGS_INVALID} {problems[0]}"
    return "\n".join([MSG_SETTINGS_INVALID, *(f"  • {p}" for p in problems)])


def setup_logging(level: str, log_format: str = "text") -> None:
    """Log to stderr with time, level and logger, as text lines or JSON objects
    (``LOG_FORMAT``); settings and tokens are never logged."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # A library's warning is a record too: in JSON, a bare line would break the collector.
    logging.captureWarnings(True)
    # aiohttp logs request URLs at DEBUG, and Bot API URLs contain the token.
    logging.getLogger("aiohttp").setLevel(max(logging.getLevelName(level), logging.INFO))
    # vkbottle (events, API call parameters) and aiosqlite (SQL with its values) log citizens'
    # texts at DEBUG.
    for chatty in ("vkbottle", "aiosqlite"):
        logging.getLogger(chatty).setLevel(max(logging.getLevelName(level), logging.INFO))


def prepare_data_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError([MSG_DATA_DIR_FAILED.format(path=path, reason=reason)]) from None


def load_routing_table(path: Path) -> Any | None:
    """Load and validate the table; ``None`` while the loader module has not landed yet.

    The loader is imported here, not at the top, so that the rest of start-up works (and can be
    tested) before ``routing.tablefile`` exists.
    """
    if not path.is_file():
        raise StartupError([MSG_TABLE_MISSING.format(path=path)])
    try:
        from routing.errors import TableError
        from routing.tablefile import load_table
    except ModuleNotFoundError as exc:
        if exc.name not in ("routing.tablefile", "routing.errors", "routing"):
            raise  # a dependency of the loader is missing: that is a broken install, not "later"
        log.warning(MSG_TABLE_NOT_CHECKED.format(path=path))
        return None
    try:
        return load_table(path)
    except TableError as exc:
        lines = [MSG_TABLE_INVALID.format(path=path)]
        lines += [f"  • {line}" for line in exc.lines()]
        raise StartupError(lines) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError([MSG_TABLE_UNREADABLE.format(path=path, reason=reason)]) from None


def configured_channels(settings: Settings) -> list[str]:
    channels = []
    if settings.telegram_enabled:
        channels.append("Telegram")
    if settings.vk_enabled:
        channels.append("ВКонтакте")
    return channels


def run(settings: Settings, table: Any | None) -> int:
    """Start the configured channels on one core and serve until stopped (Ctrl+C or SIGTERM):
    exit 0; a channel that cannot start (token refused, server unreachable) exits 2."""
    channels = configured_channels(settings)
    if not channels:
        print(MSG_NO_CHANNELS, file=sys.stderr)
        return EXIT_NOTHING_TO_RUN
    if table is None:
        return EXIT_NOTHING_TO_RUN

    from bot.bootstrap import build_classifier
    from bot.serve import ChannelStartError, serve
    from routing.errors import RoutingError

    try:
        # CPU and disk work, done before the event loop starts.
        classifier = build_classifier(settings, table)
    except RoutingError as exc:
        print(MSG_MODEL_INVALID.format(reason=exc), file=sys.stderr)
        return EXIT_BAD_CONFIG
    try:
        asyncio.run(serve(settings, table, classifier))
    except KeyboardInterrupt:
        pass
    except ChannelStartError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_CONFIG
    return EXIT_OK


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(settings_problems(exc.problems), file=sys.stderr)
        return EXIT_BAD_CONFIG

    setup_logging(settings.log_level, settings.log_format)
    try:
        prepare_data_dir(settings.data_dir)
        table = load_routing_table(settings.routing_table)
    except StartupError as exc:
        print(*exc.lines, sep="\n", file=sys.stderr)
        return exc.code
    if table is not None:
        print(MSG_TABLE_LOADED.format(summary=table.summary()))
    return run(settings, table)


if __name__ == "__main__":
    sys.exit(main())
