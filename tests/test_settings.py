"""Settings: defaults that start a fresh checkout, list parsing, errors people can act on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import Coordinator, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
ALL_ENV = [name.upper() for name in Settings.model_fields]
SECRET = "123456:super-secret-key"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's shell leaks into these tests."""
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)


def load(**env: str) -> Settings:
    return load_settings(_env_file=None, **env)


def test_defaults_use_sqlite_and_the_shipped_table() -> None:
    settings = load()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.data_dir == Path("data")
    assert settings.routing_table == ROOT / "routing" / "tables" / "saratov.yaml"
    assert settings.routing_table.is_absolute()
    assert settings.routing_model is None
    assert settings.coordinators == []
    assert settings.timezone == "Europe/Saratov"
    assert settings.log_level == "INFO"
    assert not settings.telegram_enabled
    assert not settings.vk_enabled


def test_env_file_is_read_as_utf8_and_empty_values_mean_unset(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# комментарий по-русски\nTELEGRAM_BOT_TOKEN=\nCOORDINATORS=tg:1\nlog_level=debug\n",
        encoding="utf-8",
    )
    settings = load_settings(_env_file=env_file)
    assert settings.telegram_bot_token is None
    assert settings.coordinators == [Coordinator("tg", 1)]
    assert settings.log_level == "DEBUG"


def test_env_file_in_another_encoding_is_a_readable_error(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes("# настройки\nLOG_LEVEL=INFO\n".encode("cp1251"))
    with pytest.raises(SettingsError, match="UTF-8"):
        load_settings(_env_file=env_file)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tg:123456,vk:7890", [Coordinator("tg", 123456), Coordinator("vk", 7890)]),
        (" TG : 1 ;  vk:2 ,", [Coordinator("tg", 1), Coordinator("vk", 2)]),
        ("tg:1,tg:1,,vk:1", [Coordinator("tg", 1), Coordinator("vk", 1)]),
        ("", []),
    ],
)
def test_coordinators_from_a_comma_separated_env_string(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[Coordinator]
) -> None:
    monkeypatch.setenv("COORDINATORS", raw)
    assert load().coordinators == expected


def test_coordinator_prints_back_as_written() -> None:
    assert [str(c) for c in load(coordinators="tg:5, vk:6").coordinators] == ["tg:5", "vk:6"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("123456", "ожидается канал и номер пользователя через двоеточие"),
        ("tg:abc", "«tg:abc» не понят"),
        ("ok:5", "неизвестный канал «ok»"),
        ("tg:0", "не может быть нулём"),
    ],
)
def test_bad_coordinators_are_explained_in_russian(
    monkeypatch: pytest.MonkeyPatch, raw: str, fragment: str
) -> None:
    monkeypatch.setenv("COORDINATORS", f"tg:1,{raw}")
    with pytest.raises(SettingsError) as caught:
        load()
    message = str(caught.value)
    assert message.startswith("COORDINATORS: ")
    assert fragment in message
    assert len(caught.value.problems) == 1


def test_every_bad_coordinator_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COORDINATORS", "x:1,tg:1,y:2")
    with pytest.raises(SettingsError) as caught:
        load()
    assert "«x»" in str(caught.value)
    assert "«y»" in str(caught.value)


def test_valid_telegram_token_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("VK_GROUP_TOKEN", "vk1.a.also-secret")
    settings = load()
    assert settings.telegram_enabled
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == SECRET
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert SECRET not in text
        assert "also-secret" not in text


@pytest.mark.parametrize("token", ["super-secret-key", "abc:super-secret-key", "123 456:x", "123:"])
def test_bad_telegram_token_gives_a_russian_message_without_the_token(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(SettingsError) as caught:
        load()
    error = caught.value
    assert str(error).startswith("TELEGRAM_BOT_TOKEN: токен не похож на токен бота Telegram")
    assert "@BotFather" in str(error)
    assert "super-secret-key" not in str(error)
    assert "super-secret-key" not in repr(error)
    # The pydantic error (which quotes the input) is not chained, so tracebacks don't show it.
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_several_problems_give_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VK_GROUP_ID", "-123")
    monkeypatch.setenv("TIMEZONE", "Europe/Atlantis")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("TELEGRAM_API_BASE", "not a url")
    with pytest.raises(SettingsError) as caught:
        load()
    lines = str(caught.value).splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [
        "TELEGRAM_API_BASE",
        "VK_GROUP_ID",
        "TIMEZONE",
        "LOG_LEVEL",
    ]
    assert "положительное число без минуса" in lines[1]
    assert "Europe/Atlantis" in lines[2]
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in lines[3]
    for line in lines:  # Russian, not pydantic's English
        assert re.search("[а-яё]", line), line


def test_numbers_out_of_range_are_explained_in_russian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_PORT", "70000")
    monkeypatch.setenv("WEBHOOK_PORT", "0")
    monkeypatch.setenv("TELEGRAM_MESSAGES_PER_SECOND", "0")
    with pytest.raises(SettingsError) as caught:
        load()
    assert sorted(caught.value.problems) == [
        "METRICS_PORT: ожидается число не больше 65535",
        "TELEGRAM_MESSAGES_PER_SECOND: ожидается число больше 0",
        "WEBHOOK_PORT: ожидается число не меньше 1",
    ]


def test_route_precision_is_a_share_explained_in_russian(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load().route_precision == 0.88
    assert load(route_precision=0.95).route_precision == 0.95
    for bad, expected in (("1.5", "больше 0 и меньше 1, например 0.88, а не 1.5"),
                          ("0", "а не 0"), ("много", "ожидается число")):
        monkeypatch.setenv("ROUTE_PRECISION", bad)
        with pytest.raises(SettingsError, match=f"^ROUTE_PRECISION: .*{expected}"):
            load()


def test_non_numeric_group_id_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VK_GROUP_ID", "club123")
    with pytest.raises(SettingsError, match=r"^VK_GROUP_ID: ожидается целое число$"):
        load()


def test_env_example_lists_every_setting_and_is_valid_when_uncommented(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assignment = re.compile(r"^#?\s*([A-Z_]+)=(.*)$")
    values = {}
    for line in example.splitlines():
        match = assignment.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    assert sorted(values) == sorted(ALL_ENV)
    uncommented = tmp_path / ".env"
    uncommented.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    settings = load_settings(_env_file=uncommented)
    assert settings.telegram_enabled
    assert settings.vk_enabled
    assert settings.coordinators


def test_the_default_database_is_inside_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.storage.sqlite import SqliteRepository

    assert load().database_url == "sqlite:///data/bot.sqlite3"
    monkeypatch.setenv("DATA_DIR", "/srv/bot-data")
    settings = load()
    assert SqliteRepository.from_url(settings.database_url).path == "/srv/bot-data/bot.sqlite3"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////elsewhere/bot.sqlite3")
    assert load().database_url == "sqlite:////elsewhere/bot.sqlite3"  # an explicit one is kept
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:pw@db:5432/bot")
    assert load().database_url == "postgresql://bot:pw@db:5432/bot"


@pytest.mark.parametrize("secret", [None, "   "])
def test_vk_callback_without_a_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("VK_GROUP_TOKEN", "vk1.a.token")
    monkeypatch.setenv("VK_CALLBACK_CONFIRMATION", "a1b2c3d4")
    if secret is not None:
        monkeypatch.setenv("VK_CALLBACK_SECRET", secret)
    with pytest.raises(SettingsError) as caught:
        load()
    assert caught.value.problems == [caught.value.problems[0]]
    assert caught.value.problems[0].startswith("VK_CALLBACK_SECRET: обязателен")
    assert "VK_CALLBACK_CONFIRMATION" in caught.value.problems[0]


def test_vk_callback_with_a_secret_or_long_poll_without_one_is_fine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VK_GROUP_TOKEN", "vk1.a.token")
    assert load().vk_callback_secret is None  # Bots Long Poll needs no secret
    monkeypatch.setenv("VK_CALLBACK_CONFIRMATION", "a1b2c3d4")
    monkeypatch.setenv("VK_CALLBACK_SECRET", "s3cr3t")
    settings = load()
    assert settings.vk_callback
    assert settings.vk_callback_secret is not None
    assert settings.vk_callback_secret.get_secret_value() == "s3cr3t"
