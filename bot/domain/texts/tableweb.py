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
WIDGET_REPLAYED = (
    "Эти данные входа через Telegram уже использованы. Нажмите кнопку «Войти через Telegram» "
    "ещё раз."
)
WIDGET_NO_ROLE = (
    "Вход через Telegram выполнен, но консоль доступна только координаторам и администраторам "
    "органов, а у этой учётной записи Telegram такой роли нет. Если вы администратор органа, "
    "подключитесь к боту по приглашению координатора."
)
# -- the sign-in page (/console/login/) ----------------------------------------------------------
CONSOLE_SIGN_IN_BY_LINK = (
    "Напишите боту /web в Telegram или ВКонтакте: он пришлёт ссылку для входа, она действует "
    "10 минут и открывается один раз."
)
CONSOLE_SIGN_IN_BY_WIDGET = (
    "Или войдите кнопкой Telegram ниже (только для учётных записей Telegram; в ВКонтакте — "
    "ссылкой /web)."
)
CONSOLE_FOREIGN_ORIGIN = (
    "Форма отправлена не со страницы консоли (чужой адрес), поэтому ничего не изменено. "
    "Откройте консоль по её адресу и повторите."
)

# -- the routing table in the console (bot.core.table_console) -----------------------------------
CONSOLE_TABLE_ONLY_COORDINATORS = (
    "Таблицу маршрутизации просматривают и правят только координаторы."
)
CONSOLE_CELL_TOO_LONG = "слишком длинное значение: {length} символов, допустимо до {limit}"
CONSOLE_UNKNOWN_SECTION = "Править можно органы, темы и муниципальные образования."
CONSOLE_ROW_GONE = (
    "Записи «{id}» в действующей таблице уже нет: её удалили или переименовали. Обновите "
    "страницу."
)
CONSOLE_PROPOSAL_SHOWN = (
    "Предложение: {summary}. Что изменится по сравнению с действующей таблицей (версия "
    "{version}):\n\n{diff}\n\nНажмите «Применить», чтобы обращения распределялись по новой таблице."
)
CONSOLE_EDIT_UNCHANGED = "Правка ничего не меняет: таблица осталась прежней."
CONSOLE_EDIT_WHAT = {
    "bodies": {
        "add": "добавлен орган «{name}» ({id})",
        "change": "изменён орган «{name}» ({id})",
        "delete": "удалён орган «{name}» ({id})",
    },
    "topics": {
        "add": "добавлена тема «{name}» ({id})",
        "change": "изменена тема «{name}» ({id})",
        "delete": "удалена тема «{name}» ({id})",
    },
    "municipalities": {
        "add": "добавлено муниципальное образование «{name}» ({id})",
        "change": "изменено муниципальное образование «{name}» ({id})",
        "delete": "удалено муниципальное образование «{name}» ({id})",
    },
}
#: Field names of the edit form, in the coordinator's words (the keys are the table's columns).
CONSOLE_FIELD_LABELS = {
    "id": "Идентификатор",
    "name": "Название",
    "kind": "Вид",
    "parent": "Вышестоящий (id)",
    "aliases": "Другие названия (через «;»)",
    "lat": "Широта",
    "lon": "Долгота",
    "level": "Уровень (federal, regional, municipal)",
    "keywords": "Ключевые слова (через «;»)",
    "examples": "Примеры обращений (каждый с новой строки)",
    "asks": "Что спросить у жителя (address; photo)",
    "deadline": "Срок ответа (72h, 30d, 10wd)",
    "topics": "Темы (id через «;»)",
    "territory": "Территория (region или коды ОКТМО через «;»)",
    "priority": "Приоритет",
    "telegram_chat": "Чат Telegram",
    "vk_peer": "Беседа ВКонтакте",
}

# -- staff in the console (bot.core.staff_console) -----------------------------------------------
CONSOLE_STAFF_NOT_ALLOWED = (
    "Списки подключённых видят координаторы и администраторы органов (только своего органа)."
)
CONSOLE_STAFF_OTHER_BODY = "Вы администратор другого органа: этот список вам не виден."
CONSOLE_REVOKE_ONLY_COORDINATORS = "Отзывать подключения могут только координаторы."

# -- the console's table pages (bot.console.table_pages) -----------------------------------------
CONSOLE_TABLE_NO_VERSION = "Действующей версии таблицы ещё нет: скачать нечего."
CONSOLE_TABLE_NO_FILE = "Файл не выбран: выберите файл таблицы (.xlsx, .yaml, .zip или .csv)."
#: The name a too large upload is called by (its own name is in the part the server did not read).
CONSOLE_TABLE_UPLOADED_FILE = "загруженный файл"
