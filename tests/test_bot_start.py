"""`python -m bot` as an operator runs it: clean environment, own data directory, exit codes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_TABLE = ROOT / "routing" / "tables" / "saratov.yaml"


def loader_present() -> bool:
    return importlib.util.find_spec("routing.tablefile") is not None


def start_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the bot in ``tmp_path`` (so no `.env` of the developer is read) with only ``env``."""
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "DATA_DIR": str(tmp_path / "data"),
    }
    if not loader_present():
        # Until routing.tablefile lands, start-up only checks that the table file exists.
        placeholder = tmp_path / "placeholder.yaml"
        placeholder.write_text("# таблица ещё не загружается\n", encoding="utf-8")
        clean["ROUTING_TABLE"] = str(placeholder)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_without_channel_tokens_it_says_what_to_set_and_exits_1(tmp_path: Path) -> None:
    result = start_bot(tmp_path)
    assert result.returncode == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "VK_GROUP_TOKEN для ВКонтакте" in result.stderr
    assert ".env.example" in result.stderr
    assert (tmp_path / "data").is_dir()
    if loader_present():
        assert "Таблица маршрутизации:" in result.stdout


def test_vk_alone_with_vk_unreachable_exits_2_with_one_line_without_the_token(
    tmp_path: Path,
) -> None:
    # VK really starts now (tests/test_app_start.py); here its API answers nobody.
    result = start_bot(
        tmp_path,
        VK_GROUP_TOKEN="vk1.a.very-secret-token",
        VK_GROUP_ID="123",
        VK_API_BASE="http://127.0.0.1:9",  # the discard port: connection refused
        LOG_LEVEL="DEBUG",
    )
    assert result.returncode == 2, result.stderr
    assert "Не удалось связаться с API ВКонтакте" in result.stderr
    assert "very-secret-token" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_exit_2_with_one_line_per_problem(tmp_path: Path) -> None:
    result = start_bot(tmp_path, TELEGRAM_BOT_TOKEN="very-secret-token", COORDINATORS="tg:x")
    assert result.returncode == 2
    assert "Ошибка в настройках" in result.stderr
    assert "TELEGRAM_BOT_TOKEN: токен не похож на токен бота Telegram" in result.stderr
    assert "COORDINATORS: «tg:x» не понят" in result.stderr
    assert "very-secret-token" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_vk_callback_without_a_secret_exits_2_with_one_line(tmp_path: Path) -> None:
    # Anyone who learned the address could post events as any VK user, a coordinator included.
    result = start_bot(
        tmp_path, VK_GROUP_TOKEN="vk1.a.very-secret-token", VK_CALLBACK_CONFIRMATION="a1b2c3d4"
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Ошибка в настройках (переменные окружения или .env): ")
    assert "VK_CALLBACK_SECRET: обязателен" in lines[0]
    assert "very-secret-token" not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was touched


def test_missing_routing_table_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "нет-такой.yaml"
    result = start_bot(tmp_path, ROUTING_TABLE=str(missing))
    assert result.returncode == 2
    assert f"Файл таблицы маршрутизации не найден: {missing} (ROUTING_TABLE)" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_routing_table_exits_2_with_its_problems(tmp_path: Path) -> None:
    pytest.importorskip("routing.tablefile", reason="загрузчик таблиц ещё не готов")
    broken = tmp_path / "broken.yaml"
    broken.write_text("region: [не закрыта\nbodies: {{{\n", encoding="utf-8")
    result = start_bot(tmp_path, ROUTING_TABLE=str(broken))
    assert result.returncode == 2
    assert f"Таблица маршрутизации {broken} содержит ошибки:" in result.stderr
    assert "  • " in result.stderr
    assert "Traceback" not in result.stderr


def test_shipped_table_is_where_the_default_points() -> None:
    if not SHIPPED_TABLE.exists():
        pytest.skip("таблица Саратовской области ещё не добавлена в routing/tables/")
    from config import load_settings

    assert load_settings(_env_file=None).routing_table == SHIPPED_TABLE
