"""Settings of one bot instance: read once at start from the environment and `.env`, then passed in.

Every field can be set by an environment variable of the same name in upper case
(``TELEGRAM_BOT_TOKEN``, ``ROUTING_TABLE``, …); `.env.example` lists them all. Defaults are
chosen so that a fresh checkout starts on SQLite with the shipped routing table and needs only a
channel token. Tokens are ``SecretStr``: they never show in ``repr``, logs or error messages.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

#: Channels a coordinator can be reached in, as written in ``COORDINATORS``.
CHANNELS = ("tg", "vk")

_TELEGRAM_TOKEN_RE = re.compile(r"^\d+:\S+$")
_WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COORDINATOR_RE = re.compile(r"^(?P<channel>[a-z]+)\s*:\s*(?P<id>\d+)$")


DEFAULT_DATA_DIR = Path("./data")
SQLITE_FILE = "bot.sqlite3"


def sqlite_url_in(data_dir: Path) -> str:
    """The default ``DATABASE_URL``: ``bot.sqlite3`` inside ``DATA_DIR``, wherever that is."""
    return f"sqlite:///{Path(data_dir) / SQLITE_FILE}"


def _shipped_table() -> Path:
    """The table that ships inside the ``routing`` package, found without importing it."""
    spec = importlib.util.find_spec("routing")
    if spec is not None and spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
    else:  # pragma: no cover - routing is part of this distribution
        base = Path(__file__).resolve().parent.parent / "routing"
    return (base / "tables" / "saratov.yaml").resolve()


@dataclass(frozen=True, slots=True, order=True)
class Coordinator:
    """A person who may manage the bot: a user id in one channel (``tg:123456``, ``vk:7890``)."""

    channel: str
    user_id: int

    @classmethod
    def parse(cls, text: str) -> Coordinator:
        """Parse ``"tg:123456"``; raises ``ValueError`` with a Russian message on anything else."""
        match = _COORDINATOR_RE.match(text.strip().lower())
        if not match:
            raise ValueError(
                f"«{text.strip()}» не понят: ожидается канал и номер пользователя через двоеточие, "
                "например tg:123456 или vk:7890"
            )
        channel, user_id = match.group("channel"), int(match.group("id"))
        if channel not in CHANNELS:
            raise ValueError(
                f"«{text.strip()}»: неизвестный канал «{channel}», возможны только tg и vk"
            )
        if user_id == 0:
            raise ValueError(f"«{text.strip()}»: номер пользователя не может быть нулём")
        return cls(channel, user_id)

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


class Settings(BaseSettings):
    """What a deployment configures; see `.env.example` for the same list with examples."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # «TELEGRAM_BOT_TOKEN=» в .env значит «не задано», а не пустой токен.
        env_ignore_empty=True,
        validate_default=True,
    )

    # Каталог для данных бота: база SQLite, вложения, служебные файлы. Создаётся при запуске.
    data_dir: Path = DEFAULT_DATA_DIR
    # Адрес базы данных. По умолчанию — файл SQLite внутри data_dir (bot.sqlite3).
    database_url: str = ""
    # Таблица маршрутизации (YAML, XLSX или CSV): какие органы отвечают на какие темы и где.
    routing_table: Path = Field(default_factory=_shipped_table)
    # Обученная модель классификатора тем; без неё бот обходится правилами из таблицы.
    routing_model: Path | None = None
    # Как часто (в часах) бот переобучает модель на обращениях, где стал известен верный орган
    # (орган ответил, орган назвал координатор или «Не наше»). 0 — не переобучать.
    # Новая модель заменяет прежнюю, только если на последних обращениях она не хуже;
    # файлы моделей лежат в data_dir/models.
    model_retrain_hours: float = Field(24.0, ge=0)
    # Какая доля обращений, направленных без вопроса, должна попадать в нужный орган (от 0 до 1,
    # не включая концы). Порог уверенности выбирается по перекрёстной проверке модели
    # (`python -m routing train`); без обученной модели не действует.
    route_precision: float = 0.88

    # Токен бота Telegram от @BotFather («123456789:AA…»).
    telegram_bot_token: SecretStr | None = None
    # Адрес собственного сервера Bot API (telegram-bot-api), если он используется.
    telegram_api_base: HttpUrl | None = None
    # Публичный адрес вебхука; если не задан, бот получает обновления опросом (long polling).
    telegram_webhook_url: HttpUrl | None = None
    # Секрет, который Telegram присылает в заголовке X-Telegram-Bot-Api-Secret-Token.
    telegram_webhook_secret: SecretStr | None = None

    # Ключ доступа сообщества ВКонтакте (права: сообщения сообщества, управление).
    vk_group_token: SecretStr | None = None
    # Номер сообщества ВКонтакте (положительное число, без минуса).
    vk_group_id: int | None = None
    # Адрес API ВКонтакте, если нужен не стандартный (например, эмулятор для тестов).
    vk_api_base: HttpUrl | None = None
    # Строка, которую сервер должен вернуть ВКонтакте для подтверждения адреса Callback API
    # (Управление → Работа с API → Callback API). Если задана — события приходят через
    # Callback API, а не через Bots Long Poll.
    vk_callback_confirmation: SecretStr | None = None
    # Секретный ключ Callback API: ВКонтакте присылает его в каждом событии.
    vk_callback_secret: SecretStr | None = None
    # Путь, по которому принимаются события Callback API.
    vk_callback_path: str = "/vk/callback"
    # Ключ шифрования секретов в базе (ключи доступа и секреты подключённых страниц ВКонтакте):
    # ключ Fernet — 32 байта в base64 (44 символа), получить:
    # python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
    # Не задан — подключать страницы нельзя (бот объяснит это в чате).
    secrets_key: SecretStr | None = None
    # Где слушает HTTP-сервер вебхуков (Telegram и Callback API ВКонтакте): адрес и порт.
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(8080, ge=1, le=65535)
    # Порт для /healthz (проверка здоровья) и /metrics (Prometheus), на адресе WEBHOOK_HOST.
    # Не задан — они отвечают на порту вебхуков, если вебхуки включены, а при опросе их нет.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # Веб-консоль координаторов и администраторов органов (очередь обращений, карточка,
    # действия). Включается здесь; отвечает на порту WEBHOOK_PORT (и при опросе тоже).
    console_enabled: bool = False
    # Публичный адрес бота (https://bot.example.ru): из него собираются ссылки входа в консоль,
    # которые бот присылает по команде /web. Обязателен, когда консоль включена.
    public_url: HttpUrl | None = None
    # Сколько часов действует вход в консоль (потом — снова /web).
    console_session_hours: float = Field(12, gt=0, le=24 * 30)
    # Сервер подложки карты в консоли (шаблон адреса Leaflet); по умолчанию OpenStreetMap.
    console_map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Вход в консоль кнопкой Telegram (Telegram Login Widget) на странице входа, кроме ссылки
    # /web. Сначала задайте боту домен PUBLIC_URL у @BotFather (/setdomain), иначе кнопка
    # ответит «Bot domain invalid». Нужен канал Telegram (TELEGRAM_BOT_TOKEN).
    console_telegram_login: bool = False

    # Координаторы: кто управляет ботом, через запятую, например «tg:123456,vk:7890».
    coordinators: Annotated[list[Coordinator], NoDecode] = Field(default_factory=list)
    # Часовой пояс для сроков ответа и расписаний.
    timezone: str = "Europe/Saratov"
    # Подробность журнала: DEBUG, INFO, WARNING, ERROR или CRITICAL.
    log_level: LogLevel = "INFO"
    # Вид журнала: text — строки для человека, json — по объекту JSON на строку для сборщиков
    # журналов (поля time, level, logger, message).
    log_format: Literal["text", "json"] = "text"

    # Производственный календарь России берётся из пакета holidays (праздники и переносы по
    # постановлениям Правительства). Эти два списка — поправки поверх него, через запятую.
    # Дополнительные нерабочие дни: 2028-01-09,2028-11-06,…
    holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    # Субботы и воскресенья, объявленные рабочими днями (переносы).
    working_weekends: Annotated[list[date], NoDecode] = Field(default_factory=list)
    # Когда напоминать органу о сроке: доли срока через запятую, например 0.5,0.9.
    reminder_fractions: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [0.5, 0.9]
    )
    # Как часто проверять сроки, в секундах.
    deadline_scan_seconds: int = Field(300, ge=10)
    # Ограничения скорости отправки (как у платформ; уменьшайте, если платформа отвечает 429).
    telegram_messages_per_second: float = Field(30, gt=0)
    telegram_private_chat_per_second: float = Field(1, gt=0)
    telegram_group_chat_per_minute: float = Field(20, gt=0)
    vk_requests_per_second: float = Field(20, gt=0)
    # Повторы отправки: сколько попыток и первая пауза (дальше удваивается, не больше потолка).
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_backoff_seconds: float = Field(2, gt=0)
    outbox_backoff_cap_seconds: float = Field(900, gt=0)
    # Повторы обработки входящего сообщения (например, база на миг занята): сколько попыток,
    # первая пауза и её потолок. После последней попытки сообщение откладывается, а
    # координаторы получают уведомление.
    inbox_max_attempts: int = Field(8, ge=1)
    inbox_backoff_seconds: float = Field(1, gt=0)
    inbox_backoff_cap_seconds: float = Field(300, gt=0)
    # Сколько дней хранить данные жителя после закрытия обращения; потом они обезличиваются.
    retention_days: int = Field(1095, ge=1)
    # Сколько сообщений (и нажатий кнопок) один житель может отправить за минуту и за час;
    # сверх этого бот просит подождать. Сотрудников органов и координаторов не касается.
    flood_messages_per_minute: int = Field(20, ge=1)
    flood_messages_per_hour: int = Field(100, ge=1)
    # Redis для нескольких процессов бота (redis://хост:6379/0): общие блокировки диалогов,
    # счётчики частоты сообщений, лимиты платформ и сборка альбомов. Не задан — всё это в памяти
    # процесса.
    redis_url: str | None = None
    # Адресный сервис DaData (необязательно): ключ API из личного кабинета. Задан — бот, не
    # найдя населённый пункт в тексте, спрашивает DaData, где стоит геометка жителя (ОКТМО),
    # прежде чем задать вопрос о месте. Не задан — только встроенный справочник мест.
    dadata_api_key: SecretStr | None = None
    # Адрес API подсказок DaData (менять только для тестов или прокси).
    dadata_url: str = "https://suggestions.dadata.ru"

    @field_validator("holidays", "working_weekends", "reminder_fractions", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
        return value

    @field_validator("reminder_fractions")
    @classmethod
    def _fractions_inside_the_deadline(cls, value: list[float]) -> list[float]:
        wrong = [f for f in value if not 0 < f < 1]
        if wrong:
            raise ValueError(
                "доли срока должны быть больше 0 и меньше 1, например 0.5,0.9; "
                f"не подходят: {', '.join(f'{f:g}' for f in wrong)}"
            )
        return sorted(set(value))

    @field_validator("route_precision")
    @classmethod
    def _precision_is_a_share(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(
                "точность направления должна быть больше 0 и меньше 1, например 0.88, "
                f"а не {value:g}"
            )
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError(
                "токен не похож на токен бота Telegram: он должен выглядеть как "
                "«123456789:AA…» — номер бота, двоеточие и ключ, как его выдаёт @BotFather"
            )
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_format(cls, value: SecretStr | None) -> SecretStr | None:
        # Ограничения Bot API для secret_token в setWebhook.
        if value is not None and not _WEBHOOK_SECRET_RE.fullmatch(value.get_secret_value()):
            raise ValueError(
                "секрет вебхука может содержать только латинские буквы, цифры, «_» и «-» "
                "(от 1 до 256 символов)"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_format(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None  # REDIS_URL= (empty) in .env: no Redis
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "адрес Redis должен начинаться с redis://, rediss:// или unix://, "
                "например redis://localhost:6379/0"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _sqlite_inside_the_data_dir(cls, value: str, info: ValidationInfo) -> str:
        # Declared after data_dir, so data_dir is known here (unless it was itself invalid).
        if value.strip():
            return value.strip()
        return sqlite_url_in(info.data.get("data_dir", DEFAULT_DATA_DIR))

    @field_validator("vk_callback_secret")
    @classmethod
    def _callback_needs_a_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            value = None
        callback_on = (
            info.data.get("vk_group_token") is not None
            and info.data.get("vk_callback_confirmation") is not None
        )
        if callback_on and value is None:
            # Without the secret anyone who learns the callback address can post events as any
            # VK user, a coordinator included.
            raise ValueError(
                "обязателен, когда включён Callback API ВКонтакте (задан VK_CALLBACK_CONFIRMATION):"
                " без него любой, кто узнает адрес, сможет писать боту от имени любого"
                " пользователя, в том числе координатора; задайте секретный ключ из настроек"
                " Callback API сообщества"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _console_needs_a_public_url(
        cls, value: HttpUrl | None, info: ValidationInfo
    ) -> HttpUrl | None:
        if info.data.get("console_enabled") and value is None:
            raise ValueError(
                "обязателен, когда включена веб-консоль (CONSOLE_ENABLED=true): из него бот"
                " собирает ссылки входа, например PUBLIC_URL=https://bot.example.ru"
            )
        return value

    @field_validator("console_telegram_login")
    @classmethod
    def _widget_needs_the_console_and_telegram(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("console_enabled"):
            raise ValueError(
                "вход кнопкой Telegram работает только во включённой веб-консоли: задайте"
                " CONSOLE_ENABLED=true или уберите CONSOLE_TELEGRAM_LOGIN"
            )
        if value and info.data.get("telegram_bot_token") is None:
            raise ValueError(
                "для входа кнопкой Telegram нужен бот Telegram: задайте TELEGRAM_BOT_TOKEN"
                " (его токеном проверяется подпись Telegram)"
            )
        return value

    @field_validator("secrets_key")
    @classmethod
    def _secrets_key_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        raw = value.get_secret_value().strip()
        try:
            decoded = base64.urlsafe_b64decode(raw.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            decoded = b""
        if len(decoded) != 32 or len(raw) != 44:
            raise ValueError(
                "ключ шифрования должен быть ключом Fernet: 44 символа base64 (32 байта); "
                "получите новый командой python -c \"from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())\""
            )
        return SecretStr(raw)

    @field_validator("vk_group_id")
    @classmethod
    def _vk_group_positive(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError(
                "номер сообщества — положительное число без минуса, например 123456789"
            )
        return value

    @field_validator("coordinators", mode="before")
    @classmethod
    def _parse_coordinators(cls, value: Any) -> list[Coordinator]:
        if value is None:
            return []
        items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
        result: list[Coordinator] = []
        problems: list[str] = []
        for item in items:
            if isinstance(item, Coordinator):
                coordinator = item
            elif isinstance(item, str) and not item.strip():
                continue  # «tg:1,,vk:2» или запятая в конце — не ошибка
            else:
                try:
                    coordinator = Coordinator.parse(str(item))
                except ValueError as exc:
                    problems.append(str(exc))
                    continue
            if coordinator not in result:
                result.append(coordinator)
        if problems:
            raise ValueError("; ".join(problems))
        return result

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"часовой пояс «{value}» не найден; пример правильного значения: Europe/Saratov"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def vk_enabled(self) -> bool:
        return self.vk_group_token is not None

    @property
    def telegram_webhook(self) -> bool:
        return self.telegram_enabled and self.telegram_webhook_url is not None

    @property
    def vk_callback(self) -> bool:
        return self.vk_enabled and self.vk_callback_confirmation is not None


class SettingsError(Exception):
    """Settings cannot be used; the message has one readable Russian line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# Pydantic's own messages, in Russian, for the error types a person can cause in `.env`.
_MESSAGES: dict[str, str] = {
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "float_parsing": "ожидается число",
    "bool_parsing": "ожидается да/нет: true или false",
    "url_parsing": "адрес не понят; ожидается вид https://example.ru/путь",
    "url_scheme": "адрес должен начинаться с http:// или https://",
    "url_type": "ожидается адрес вида https://example.ru/путь",
    "literal_error": "допустимые значения: {expected}",
    "greater_than_equal": "ожидается число не меньше {ge}",
    "greater_than": "ожидается число больше {gt}",
    "less_than_equal": "ожидается число не больше {le}",
    "path_type": "ожидается путь к файлу",
    "string_type": "ожидается строка",
    "missing": "значение обязательно",
}


def _env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else "настройки"


def _describe(error: dict[str, Any]) -> str:
    """One line for one pydantic error, never including the value (it may be a secret)."""
    kind = error.get("type", "")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error") or error.get("msg", ""))
    elif kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        message = _MESSAGES[kind].format(expected=expected.replace(" or ", ", ").replace("'", ""))
    elif kind in _MESSAGES:
        # A bound of a float field reads "0", not "0.0".
        ctx = {
            k: int(v) if isinstance(v, float) and v.is_integer() else v
            for k, v in error.get("ctx", {}).items()
        }
        message = _MESSAGES[kind].format(**ctx)
    else:
        message = error.get("msg", "недопустимое значение")
    return f"{_env_name(error.get('loc', ()))}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning every problem into a `SettingsError` a person can act on.

    ``overrides`` go to ``Settings`` as is (tests pass ``_env_file=None`` to ignore `.env`).
    The original pydantic error is not chained: its text would contain the offending values,
    tokens included.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_describe(e) for e in exc.errors(include_input=False)))
    except _SourceError as exc:  # a value pydantic-settings could not even decode
        problems = [f"не удалось прочитать настройки: {exc}"]
    except UnicodeDecodeError:
        problems = [".env: файл должен быть в кодировке UTF-8"]
    except OSError as exc:
        problems = [f".env: не удалось прочитать файл ({exc.strerror or exc})"]
    raise SettingsError(problems) from None
