"""What the core takes from `config.Settings`: the working calendar, rate limits, retries.

The settings themselves live in the one `config.Settings` class (and `.env.example`); these
helpers turn them into the core's objects, so `config` never imports the core.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.flood import FloodWindow
from bot.delivery.ratelimit import VK_WINDOW, ChannelLimits, Rate, overall
from bot.domain.calendar import RUSSIA_2026_HOLIDAYS, WorkingCalendar
from config import Settings


def working_calendar(settings: Settings) -> WorkingCalendar:
    """Unset ``HOLIDAYS`` means the shipped official calendar; a set one replaces it."""
    holidays = RUSSIA_2026_HOLIDAYS if settings.holidays is None else settings.holidays
    return WorkingCalendar.build(holidays, settings.working_weekends, settings.timezone)


def rate_limits(settings: Settings) -> dict[str, ChannelLimits]:
    per_minute = settings.telegram_group_chat_per_minute
    return {
        "tg": ChannelLimits(
            overall=overall(settings.telegram_messages_per_second),
            private_chat=Rate(settings.telegram_private_chat_per_second, 1),
            group_chat=Rate(per_minute / 60, max(1.0, min(3.0, per_minute)), window=60.0),
        ),
        "vk": ChannelLimits(overall=overall(settings.vk_requests_per_second, VK_WINDOW)),
    }


def outbox_options(settings: Settings) -> dict[str, float]:
    return {
        "max_attempts": settings.outbox_max_attempts,
        "backoff_base": settings.outbox_backoff_seconds,
        "backoff_cap": settings.outbox_backoff_cap_seconds,
    }


def flood_windows(settings: Settings) -> tuple[FloodWindow, ...]:
    return (
        FloodWindow(settings.flood_messages_per_minute, timedelta(minutes=1)),
        FloodWindow(settings.flood_messages_per_hour, timedelta(hours=1)),
    )
