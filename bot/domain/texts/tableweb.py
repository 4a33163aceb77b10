"""Texts of the console's tools for coordinators and bodies' administrators: signing in with
the Telegram Login Widget, editing one row of the routing table, and staff (who is bound to a
body, revoking, invites) — what a page shows, whatever page shows it."""

WIDGET_MALFORMED = (
    "Данные входа через Telegram повреждены. Нажмите кнопку «Войти через Telegram» ещё раз."
)
WIDGET_INCOMPLETE = (
    "Данные входа через Telegram неполные. Нажмите кнопку «Войти через Telegram» ещё раз."
)
WIDGET_FORGED = (
    "Подпись Telegram не совпала: данные входа изменены или выданы для другого бота. "
    "Войти не удалось."
)
WIDGET_STALE = (
    "Данные входа через Telegram устарели (действуют {minutes} минут). Нажмите кнопку "
    "«Войти через Telegram» ещё раз."
)
WIDGET_FROM_THE_FUTURE = (
    "Время в данных входа через Telegram впереди времени сервера. Проверьте часы на сервере "
    "и войдите ещё раз."
)
