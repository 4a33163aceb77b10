"""What coordinators read: unrouted tickets, the routing table from the chat, statistics;
and the date formats every audience shares."""

from __future__ import annotations

# -- to coordinators -----------------------------------------------------------------------------
TO_COORDINATOR_UNROUTED = (
    "Обращение № {number}: бот не смог определить ответственный орган.\nПричина: {reason}\n\n{text}"
    "\n\nЧтобы передать обращение органу, ответьте на это сообщение: «Орган: <номер органа или "
    "часть названия>»."
)
TO_COORDINATOR_NO_CHAT = (
    "Обращение № {number} направлено органу «{body}», но у него не настроен чат. "
    "Передайте, пожалуйста, вручную. Срок — до {due}.\n\n{text}"
)
OVERDUE_TO_COORDINATOR = "Просрочено обращение № {number}: {body} не ответил до {due}."
REASON_NOTHING_FITS = "ни одна тема таблицы не подходит"
REASON_UNSURE = (
    "бот не уверен в органе, а вопрос заявителю тут не поможет; вероятнее всего: {bodies} — "
    "можно выбрать кнопкой"
)
REASON_ALL_REFUSED = "все подходящие органы ответили «не наше»"
REASON_TOO_MANY_QUESTIONS = "после уточнений заявителя ответственный орган так и не ясен"
ASSIGN_UNKNOWN = "Орган «{query}» не найден в таблице. Напишите его номер (id) или часть названия."
ASSIGN_AMBIGUOUS = (
    "Обращение № {number}: под «{query}» подходят несколько органов. Выберите кнопкой или "
    "напишите точнее:\n{names}"
)
ASSIGN_DONE_NOTICE = "Обращение № {number} передано: {body}"
ASSIGN_BODY_GONE = "Этого органа больше нет в таблице."
# An incoming message the bot could not handle, however often it tried (bot.core.lost_updates).
UPDATE_SET_ASIDE = (
    "Бот не смог обработать входящее сообщение ({where}) после {attempts} попыток, и житель "
    "ответа не получил. Оно сохранено в базе (таблица inbox, запись {row}). {ticket}"
    "Свяжитесь с жителем и проверьте журнал бота."
)
UPDATE_SET_ASIDE_TICKET = "Последнее обращение из этого чата: № {number}. "
WHERE_CHAT = {"tg": "Telegram, чат {chat}", "vk": "ВКонтакте, диалог {chat}"}
WHERE_NO_CHAT = {"tg": "Telegram", "vk": "ВКонтакте"}
REASON_GIVEN = " (причина: {reason})"
REASON_CITIZEN_OTHER = "заявитель выбрал «Другое»"
REASON_CITIZEN_MOVED_ON = (
    "заявитель не ответил на вопрос бота и написал новое обращение, место или тема не уточнены"
)

# -- formats -------------------------------------------------------------------------------------
# A deadline at local midnight is shown as the whole previous day.
DUE_DAY = "{date:%d.%m.%Y} включительно"
DUE_MOMENT = "{date:%d.%m.%Y %H:%M}"

# -- coordinator tools: routing table and statistics (bot.core.coordination, bot.core.stats) -----
ONLY_COORDINATORS = "Эта команда доступна только координаторам."
TABLE_APPLY_BUTTON = "Применить"
TABLE_CANCEL_BUTTON = "Отмена"
TABLE_UNKNOWN_FORMAT = (
    "Файл «{name}» не похож на таблицу маршрутизации. Пришлите таблицу в формате .xlsx, "
    ".yaml/.yml, .zip с CSV-файлами или один CSV-лист (region.csv, municipalities.csv, "
    "topics.csv, bodies.csv)."
)
TABLE_CSV_SHEET_UNKNOWN = (
    "CSV-файл «{name}» — это один лист таблицы, и по имени должно быть понятно какой: "
    "region.csv, municipalities.csv, topics.csv, bodies.csv или templates.csv. Всю таблицу "
    "целиком пришлите как .xlsx или .zip со всеми CSV-файлами."
)
TABLE_TOO_LARGE = (
    "Файл «{name}» слишком большой ({size_mb:.1f} МБ): бот принимает таблицу размером до "
    "{limit_mb} МБ. Таблица маршрутизации обычно занимает меньше мегабайта — проверьте, что "
    "это тот файл."
)
# {where}: WHERE_NO_CHAT of the channel the file came from.
TABLE_DOWNLOAD_FAILED = "Не удалось скачать файл «{name}» из {where}. Пришлите его ещё раз."
TABLE_INVALID = "В таблице «{name}» найдены ошибки ({count}), она не применена:"
TABLE_MORE_PROBLEMS = "…и ещё {count} (исправьте перечисленные и пришлите таблицу снова)"
TABLE_UNCHANGED = "Таблица «{name}» совпадает с действующей (версия {version}): менять нечего."
TABLE_PROPOSED = (
    "Таблица «{name}» проверена, ошибок нет. Что изменится по сравнению с действующей "
    "(версия {version}):\n\n{diff}\n\nНажмите «Применить», чтобы обращения распределялись по "
    "новой таблице."
)
TABLE_ROLLBACK_PROPOSED = (
    "Откат к версии {target} (от {when}). Что изменится по сравнению с действующей "
    "(версия {version}):\n\n{diff}\n\nНажмите «Применить», чтобы вернуть версию {target}."
)
TABLE_ROLLBACK_UNCHANGED = (
    "Предыдущая версия {target} совпадает с действующей (версия {version}): откатывать нечего."
)
TABLE_NO_PREVIOUS = "Откатывать некуда: действующая версия {version} — первая."
TABLE_APPLIED = "Таблица применена: версия {version}. Новые обращения распределяются по ней."
TABLE_APPLIED_NOTICE = "Применено: версия {version}"
TABLE_MODEL_DROPPED = (
    "Обученная модель классификатора (ROUTING_MODEL) не подходит к новой таблице ({reason}): "
    "пока её не переобучат, темы определяются по ключевым словам таблицы."
)
TABLE_MODEL_OTHER_REGION = "она обучена для другого региона"
TABLE_MODEL_UNKNOWN_IDS = "в таблице больше нет тем или органов, которые она знает"
TABLE_STALE = (
    "Не применено: с тех пор как эта таблица была предложена, применили другую версию "
    "({version}). Пришлите таблицу ещё раз, чтобы увидеть изменения относительно действующей."
)
TABLE_ALREADY_APPLIED = "Эта таблица уже применена."
TABLE_ALREADY_CANCELLED = "Это предложение уже отменено."
TABLE_PROPOSAL_UNKNOWN = "Это предложение не найдено."
TABLE_CANCELLED = "Отменено: действует прежняя таблица (версия {version})."
TABLE_CANCELLED_NOTICE = "Отменено"
TABLE_CURRENT_CAPTION = "Действующая таблица маршрутизации: версия {version} от {when}.\n{summary}"
TABLE_NONE_YET = "Таблица ещё не загружена в базу: перезапустите бота."
TABLE_VERSIONS_TITLE = "Версии таблицы маршрутизации (последние {count}):"
TABLE_VERSION_LINE = "№ {version} · {when} · {who} · {summary}"
TABLE_VERSION_CURRENT = " ← действует"
TABLE_WHO_SYSTEM = "при запуске"
TABLE_SUMMARY_FILE = "из файла ROUTING_TABLE — {summary}"
TABLE_SUMMARY_UPLOAD = "«{name}» — {summary}"
TABLE_SUMMARY_ROLLBACK = "откат к версии {target} — {summary}"
TABLE_SUMMARY_EDIT = "правка в консоли: {what}"
TABLE_EDIT_PROPOSED = (
    "Правка проверена, ошибок нет: {what}. Что изменится по сравнению с действующей таблицей "
    "(версия {version}):\n\n{diff}\n\nНажмите «Применить», чтобы обращения распределялись по "
    "новой таблице."
)
WHEN = "{date:%d.%m.%Y %H:%M}"
# The coordinator's tools at a glance (/tools, «Меню координатора»): the same in both channels.
COORDINATOR_TOOLS = (
    "Инструменты координатора:\n"
    "• Таблица маршрутизации: пришлите сюда файл документом (.xlsx, .yaml/.yml, .zip с "
    "CSV-файлами или один CSV-лист) — бот проверит его, покажет, что изменится, и спросит "
    "«Применить» или «Отмена».\n"
    "• /table (Таблица) — действующая таблица файлом .xlsx.\n"
    "• /versions (Версии таблицы) — последние версии: кто и когда применил.\n"
    "• /rollback (Откатить таблицу) — вернуть предыдущую версию, тоже с подтверждением.\n"
    "• /model (Модель) — версии обученной модели с их точностью на последних обращениях и "
    "кнопки возврата к прежней. Размеченные обращения для обучения — CSV-файлом со "
    "столбцами text и body.\n"
    "• /stats (Статистика) — обращения по состояниям и органам, просроченные, с диаграммой.\n"
    "• /invite <номер органа или часть названия> — приглашение администратора органа.\n"
    "• Обращение, для которого бот не нашёл орган: ответьте на его сообщение словами "
    "«Орган: <номер или часть названия>»."
)
#: VK's keyboard under a coordinator's input field (rows of labels): pressing a label sends
#: these words, which `bot.domain.phrases.COORDINATOR_WORDS` reads as the commands.
COORDINATOR_MENU = (("Статистика", "Версии таблицы"), ("Таблица", "Откатить таблицу"))

STATS_EMPTY = "Обращений пока нет: статистике не из чего складываться."
STATS_TITLE = "Статистика обращений на {when}"
STATS_TOTAL = "Всего обращений: {count}."
STATS_BY_STATE = "По состояниям:"
STATS_BY_BODY = "По органам (первые {count}):"
STATS_LINE = "• {name}: {count}"
STATS_OVERDUE_NONE = "Просроченных нет."
STATS_OVERDUE = "Просрочены ({count}):"
STATS_OVERDUE_LINE = "• № {number} — {body}, просрочено на {late}"
STATS_OVERDUE_MORE = "…и ещё {count}"
STATS_MEDIAN = "Медиана времени до первого ответа: {median} (по {count} обращениям)."
STATS_MEDIAN_NONE = "Ответов пока не было: медиану времени до ответа считать не из чего."
STATS_CHART_STATES = "Обращения по состояниям"
STATS_CHART_BODIES = "Обращения по органам (первые {count})"
STATS_NO_BODY = "без органа"
DURATION_DAYS = "{days} дн. {hours} ч"
DURATION_HOURS = "{hours} ч {minutes} мин"
DURATION_MINUTES = "{minutes} мин"

# The trained model (`bot.core.learning`): /model, its rollback buttons, labelled CSV uploads.
MODEL_NONE_YET = (
    "Модель ещё не переобучалась: действует исходная ({base}). Бот переобучает её по расписанию "
    "на обращениях, где стал известен верный орган."
)
MODEL_BASE_FILE = "файл ROUTING_MODEL"
MODEL_BASE_NONE = "без обученной модели, только таблица"
MODEL_VERSIONS_TITLE = "Версии модели маршрутизации (последние {count}):"
MODEL_VERSION_LINE = (
    "№ {version} · {when} · {what} · обучена на {trained} · на {tested} последних обращениях "
    "верно: прежняя {current_right}, новая {candidate_right}"
)
MODEL_WHAT_SWAPPED = "принята"
MODEL_WHAT_REJECTED = "не принята (хуже прежней)"
MODEL_WHAT_ROLLBACK = "возврат к № {target}"
MODEL_WHAT_ROLLBACK_BASE = "возврат к исходной"
MODEL_VERSION_CURRENT = " ← действует"
MODEL_ROLLBACK_HINT = "Вернуть прежнюю модель — кнопкой ниже."
MODEL_ROLLBACK_BUTTON = "Вернуть № {version}"
MODEL_ROLLBACK_BASE_BUTTON = "Вернуть исходную"
MODEL_ROLLED_BACK = "Модель возвращена к № {target}: новые обращения маршрутизирует она."
MODEL_ROLLED_BACK_BASE = "Возвращена исходная модель ({base}): новые обращения маршрутизирует она."
MODEL_ROLLED_BACK_NOTICE = "Модель возвращена"
MODEL_ROLLBACK_GONE = (
    "Файла модели № {target} больше нет (старые модели удаляются): вернуть можно версии из "
    "последнего списка /model."
)
MODEL_ROLLBACK_UNKNOWN = "Этой версии модели нет."
MODEL_ROLLBACK_FAILED = "Модель № {target} не подходит к действующей таблице: {reason}"
MODEL_ALREADY = "Эта модель уже действует."
LABELS_TITLE_OK = (
    "Файл «{name}»: принято {count} размеченных обращений. Модель переобучится на них при "
    "следующем запуске по расписанию; текущая модель работает как прежде."
)
LABELS_INVALID = (
    "Файл «{name}» не принят: проблем — {count}. Текущая модель работает как прежде.\n"
    "Нужен CSV с заголовком: text (текст обращения) и body (номер органа или его название из "
    "таблицы); topic — по желанию."
)
LABELS_MORE_PROBLEMS = "…и ещё {count}"
LABELS_NOT_UTF8 = "файл не в кодировке UTF-8"
LABELS_NO_TEXT_COLUMN = "нет столбца text"
LABELS_NO_BODY_COLUMN = "нет столбца body"
LABELS_BROKEN_CSV = "строка {row}: CSV не читается ({error})"
LABELS_EMPTY_TEXT = "строка {row}: пустой текст обращения"
LABELS_NO_BODY = "строка {row}: не указан орган"
LABELS_UNKNOWN_BODY = "строка {row}: органа «{body}» нет в таблице"
LABELS_TOO_MANY_ROWS = "строк больше {limit}: разбейте файл на части"
LABELS_NO_ROWS = "в файле нет ни одной строки с обращением"
REASON_COMMENT_UNCLEAR = (
    "комментарий под записью: тема или место не ясны, а уточнить у автора в комментариях "
    "бот не может"
)
