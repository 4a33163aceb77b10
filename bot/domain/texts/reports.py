"""Texts of the web console's filters, dashboard and exports (`bot.core.console_filters`,
`bot.core.report_export`): what a coordinator or a body's administrator reads when a filter is
wrong, and the column headers of an export."""

FILTER_BAD_VIEW = "Неизвестная вкладка очереди «{value}». Выберите одну из: {choices}."
FILTER_UNKNOWN_BODY = "Органа с кодом «{value}» нет в таблице маршрутизации."
FILTER_FOREIGN_BODY = "Обращения органа «{name}» вам не видны: вы администратор другого органа."
FILTER_UNKNOWN_TOPIC = "Темы с кодом «{value}» нет в таблице маршрутизации."
FILTER_UNKNOWN_MUNICIPALITY = "Муниципалитета с кодом «{value}» нет в таблице маршрутизации."
FILTER_BAD_STATE = "Неизвестное состояние обращения «{value}». Возможные: {choices}."
FILTER_BAD_CHANNEL = "Неизвестный канал «{value}»: бывает tg (Telegram) или vk (ВКонтакте)."
FILTER_BAD_DATE = (
    "Дата «{value}» не распознана: введите её как 2026-03-31 или 31.03.2026."
)
FILTER_DATE_RANGE = "Дата «{value}» вне допустимого диапазона ({first}–{last})."
FILTER_PERIOD_REVERSED = "Начало периода ({start}) позже его конца ({end})."
FILTER_PERIOD_TOO_LONG = (
    "Период длиннее {days} дней: выберите период короче или выгружайте по частям."
)
FILTER_SEARCH_TOO_LONG = (
    "Запрос для поиска слишком длинный: {length} символов, можно не больше {limit}."
)
FILTER_SEARCH_TOO_SHORT = "Для поиска по тексту введите хотя бы {limit} символа."
FILTER_BAD_PAGE = "Номер страницы «{value}» не распознан: нужно целое число от 1 до {last}."
FILTER_PAGE_OUT_OF_RANGE = "Страницы {page} нет: в этой выборке страниц {pages}."
FILTER_TOO_LONG_VALUE = "Значение поля «{field}» слишком длинное."
EXPORT_TOO_MANY = (
    "За выбранный период {count} обращений, а выгрузка ограничена {limit}: "
    "выберите период короче."
)
#: Logged at every start while PostgreSQL has no trigram index for the console's text search
#: (`bot.storage.sql.reports.search_advice`, migration 20): the search still works, slower.
SEARCH_INDEX_NO_EXTENSION = (
    "Поиск по тексту в веб-консоли работает без индекса: расширение PostgreSQL pg_trgm "
    "недоступно (нет файлов postgresql-contrib или у пользователя бота нет права "
    "CREATE EXTENSION). На миллионе обращений поиск за 90 дней занимает около секунды. "
    "Чтобы ускорить, выполните в базе бота от имени её владельца или суперпользователя: "
    "CREATE EXTENSION pg_trgm; CREATE INDEX CONCURRENTLY tickets_search_trgm ON tickets "
    "USING gin (search_text gin_trgm_ops);"
)
SEARCH_INDEX_C_LOCALE = (
    "Поиск по тексту в веб-консоли работает без индекса: база создана с LC_CTYPE={ctype}, "
    "а при такой локали pg_trgm не видит русских букв. На миллионе обращений поиск за 90 "
    "дней занимает около секунды. Чтобы ускорить, перенесите базу в новую с локалью UTF-8 "
    "(pg_dump, затем CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8' "
    "LOCALE 'C.UTF-8' и pg_restore) и выполните в ней: CREATE INDEX CONCURRENTLY "
    "tickets_search_trgm ON tickets USING gin (search_text gin_trgm_ops);"
)
#: Column headers of a CSV or XLSX export, in order (`bot.core.report_export.COLUMNS`).
EXPORT_HEADERS = (
    "Номер",
    "Поступило",
    "Канал",
    "Состояние",
    "Тема",
    "Муниципалитет",
    "Орган",
    "Срок ответа",
    "Первый ответ",
    "Проблема решена",
    "Оценка",
    "Текст обращения",
)
EXPORT_SOLVED = {True: "да", False: "нет", None: ""}
CHANNEL_NAMES = {"tg": "Telegram", "vk": "ВКонтакте"}
