"""What a deployment may tune in the core: holidays, reminders, rate limits, retries.

A separate pydantic-settings class for now, read from the same environment and `.env` as
`config.Settings` (same variable style, Russian error messages come from `config`'s
`load_settings` once the two are merged at assembly). Lists are written as in ``COORDINATORS``:
comma-separated, e.g. ``HOLIDAYS=2027-01-01,2027-01-02``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.calendar import RUSSIA_2026_HOLIDAYS, WorkingCalendar
from bot.core.ratelimit import ChannelLimits, Rate


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Нерабочие праздничные дни (кроме суббот и воскресений), через запятую: 2027-01-01,…
    # По умолчанию — официальный календарь России на 2026 год.
    holidays: Annotated[list[date], NoDecode] = Field(
        default_factory=lambda: list(RUSSIA_2026_HOLIDAYS)
    )
    # Субботы и воскресенья, объявленные рабочими днями (переносы), через запятую.
    working_weekends: Annotated[list[date], NoDecode] = Field(default_factory=list)
    # Часовой пояс сроков (тот же, что TIMEZONE в основных настройках).
    timezone: str = "Europe/Saratov"
    # Когда напоминать органу: доли срока через запятую, например 0.5,0.9.
    reminder_fractions: Annotated[list[float], NoDecode] = Field(default_factory=lambda: [0.5, 0.9])
    # Как часто проверять сроки, в секундах.
    deadline_scan_seconds: int = Field(300, ge=10)
    # Ограничения скорости отправки.
    telegram_messages_per_second: float = Field(30, gt=0)
    telegram_private_chat_per_second: float = Field(1, gt=0)
    telegram_group_chat_per_minute: float = Field(20, gt=0)
    vk_requests_per_second: float = Field(20, gt=0)
    # Повторы отправки: сколько попыток и первая пауза (дальше удваивается, не больше потолка).
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_backoff_seconds: float = Field(2, gt=0)
    outbox_backoff_cap_seconds: float = Field(900, gt=0)

    _split_lists = field_validator(
        "holidays", "working_weekends", "reminder_fractions", mode="before"
    )(_split)

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

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.build(self.holidays, self.working_weekends, self.timezone)

    def rate_limits(self) -> dict[str, ChannelLimits]:
        return {
            "tg": ChannelLimits(
                overall=Rate(self.telegram_messages_per_second, self.telegram_messages_per_second),
                private_chat=Rate(self.telegram_private_chat_per_second, 1),
                group_chat=Rate(self.telegram_group_chat_per_minute / 60, 3),
            ),
            "vk": ChannelLimits(
                overall=Rate(self.vk_requests_per_second, self.vk_requests_per_second)
            ),
        }

    def outbox_options(self) -> dict[str, float]:
        return {
            "max_attempts": self.outbox_max_attempts,
            "backoff_base": self.outbox_backoff_seconds,
            "backoff_cap": self.outbox_backoff_cap_seconds,
        }
