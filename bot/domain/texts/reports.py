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
