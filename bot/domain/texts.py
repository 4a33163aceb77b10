"""Every text the core sends, in Russian, in one place: edit wording here, never in code.

Placeholders are ``str.format`` fields. Citizens see short, plain sentences with the ticket
number (they quote it when they call); body and coordinator texts start with the number so a
chat full of appeals stays searchable.
"""

from __future__ import annotations

# -- to the citizen ------------------------------------------------------------------------------
ACCEPTED_ROUTED = (
    "Обращение № {number} принято и передано: {body}.\n"
    "Ответ ожидается до {due}. Мы пришлём его сюда."
)
ACCEPTED_TO_COORDINATOR = (
    "Обращение № {number} принято. Сейчас определим, какой орган за это отвечает, и сообщим вам."
)
ALREADY_ACCEPTED = "Это сообщение уже принято: обращение № {number}."
ASK_TOPIC = "Обращение № {number}. Уточните, пожалуйста, о чём оно:"
ASK_MUNICIPALITY = (
    "Обращение № {number}. Уточните, пожалуйста, где это: выберите ниже, напишите населённый "
    "пункт и адрес или отправьте геопозицию."
)
ASK_PLACE_TEXT = (
    "Обращение № {number}. Уточните, пожалуйста, где это: напишите населённый пункт и адрес "
    "или отправьте геопозицию."
)
OTHER_OPTION = "Другое"
REDIRECTED_TO_CITIZEN = (
    "Обращение № {number} передано в другой орган: {body}.\nОтвет ожидается до {due}."
)
REDIRECTED_TO_COORDINATOR_CITIZEN = (
    "Обращение № {number}: уточняем, какой орган за это отвечает. Мы сообщим вам."
)
TAKEN_TO_CITIZEN = "Обращение № {number} взято в работу: {body}."
REJECTED_TO_CITIZEN = (
    "Обращение № {number} отклонено: оно не похоже на обращение по существу. Если это ошибка, "
    "напишите, пожалуйста, суть проблемы заново."
)
REOPENED_TO_CITIZEN = "Обращение № {number} снова передано: {body}.\nОтвет ожидается до {due}."
ASK_SOLVED = "Обращение № {number}. Проблема решена?"
SOLVED_YES = "Да, решена"
SOLVED_NO = "Нет, не решена"
ASK_RATING = "Оцените, пожалуйста, работу по обращению № {number} от 1 до 5:"
THANKS_FOR_RATING = "Спасибо за оценку! Обращение № {number}."
ANSWER_TO_CITIZEN = "Ответ на обращение № {number} ({body}):\n\n{text}"
COORDINATOR_NAME = "координатор"
FOLLOW_UP_ACCEPTED = "Дополнение к обращению № {number} передано."
ASK_WHAT_HAPPENED = (
    "Обращение № {number} начато. Опишите, пожалуйста, словами, что случилось и где: без "
    "описания его не смогут рассмотреть. Фото и геопозиция уже сохранены в обращении."
)
EMPTY_APPEAL = "Напишите, пожалуйста, что случилось и где — текстом."
ANONYMISED = "[удалено по просьбе заявителя]"  # replaces texts in the database
DATA_DELETED = "Ваши данные удалены. Номера обращений сохранены без текста и контактов."

# -- to a body -----------------------------------------------------------------------------------
TO_BODY = (
    "Обращение № {number}\nТема: {topic}\nМесто: {place}\nСрок ответа: до {due}\n\n{text}\n\n"
    "Ответьте на это сообщение (функция «Ответить»), и ответ получит заявитель."
)
TO_BODY_ATTACHMENTS_ELSEWHERE = (
    "\n\nВложений: {count} (пришли через другую соцсеть, у координатора)."
)
FOLLOW_UP_TO_BODY = "Дополнение к обращению № {number}:\n\n{text}"
LOCATION_LINE = "\nГеопозиция: {lat:.6f}, {lon:.6f}"
# The citizen's answers to the bot's questions (the address, the settlement), under the appeal.
CLARIFICATIONS = "\n\nУточнения заявителя:\n{lines}"
CLARIFICATION_LINE = "• {text}"
NOT_OURS_BUTTON = "Не наше"
TAKE_BUTTON = "Взять в работу"
REJECT_BUTTON = "Спам"
REOPENED_NOTE = "Заявитель сообщает, что проблема не решена.\n\n"
REMINDER_TO_BODY = "Напоминание: обращение № {number} ждёт ответа. Срок — до {due}."
UNKNOWN_PLACE = "не указано"
UNKNOWN_TOPIC = "не определена"

# -- to coordinators -----------------------------------------------------------------------------
TO_COORDINATOR_UNROUTED = (
    "Обращение № {number}: бот не смог определить ответственный орган.\nПричина: {reason}\n\n{text}"
)
TO_COORDINATOR_NO_CHAT = (
    "Обращение № {number} направлено органу «{body}», но у него не настроен чат. "
    "Передайте, пожалуйста, вручную. Срок — до {due}.\n\n{text}"
)
OVERDUE_TO_COORDINATOR = "Просрочено обращение № {number}: {body} не ответил до {due}."
REASON_NOTHING_FITS = "ни одна тема таблицы не подходит"
REASON_ALL_REFUSED = "все подходящие органы ответили «не наше»"
REASON_TOO_MANY_QUESTIONS = "после уточнений заявителя ответственный орган так и не ясен"
ASSIGN_UNKNOWN = "Орган «{query}» не найден в таблице. Напишите его номер (id) или часть названия."
ASSIGN_AMBIGUOUS = "Под «{query}» подходят несколько органов, уточните:\n{names}"
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

# -- formats -------------------------------------------------------------------------------------
# A deadline at local midnight is shown as the whole previous day.
DUE_DAY = "{date:%d.%m.%Y} включительно"
DUE_MOMENT = "{date:%d.%m.%Y %H:%M}"

# -- administrators: invites, card buttons, refusals ---------------------------------------------
CLOSE_BUTTON = "Закрыть"
FORUM_TOPIC_TITLE = "№ {number} · {topic}"  # a forum topic per ticket; Telegram allows 128
CLOSED_TO_CITIZEN = "Обращение № {number} закрыто: {body}."
INVITE_CREATED = (
    "Приглашение администратора органа «{body}» ({body_id}).\n"
    "Одноразовое, действует до {until}.\n\n{links}Код приглашения: {token}"
)
# Telegram: where each link leads (the VK adapter explains sending the bare code instead).
INVITE_TG_LINKS = (
    "Для личного чата с ботом: {private}\n"
    "Для группы (в группе с темами каждое обращение получит свою тему): {group}\n\n"
)
# VK: the link opens the community's dialog; the first message written there carries the code.
INVITE_VK_LINK = (
    "Ссылка для ВКонтакте: {link} — откройте её и отправьте сообществу любое сообщение "
    "(или просто отправьте сообществу код).\n\n"
)
INVITE_NOT_COORDINATOR = "Приглашения администраторов создают только координаторы."
INVITE_USAGE = "Напишите, для какого органа приглашение: /invite <номер органа или часть названия>."
INVITE_UNKNOWN_BODY = (
    "Орган «{query}» не найден в таблице. Напишите его номер (id) или часть названия."
)
INVITE_AMBIGUOUS = "Под «{query}» подходят несколько органов, уточните:\n{names}"
INVITE_BOUND = (
    "Готово: этот чат подключён к органу «{body}». Сюда будут приходить обращения, на которые "
    "он отвечает.\nКнопки под обращением: «Взять в работу», «Не наше», «Закрыть», "
    "«Промежуточный ответ», «Продлить срок». Ответ заявителю — ответом на сообщение об "
    "обращении{forum_hint}; причину или промежуточный ответ — ответом на вопрос бота."
)
INVITE_BOUND_FORUM_HINT = " или любым сообщением в теме обращения"
INVITE_ALREADY_BOUND = "Этот чат уже подключён к органу «{body}»."
INVITE_JOINED = "К органу «{body}» подключился администратор {who} ({where})."
INVITE_WHERE_PRIVATE = "личный чат"
INVITE_WHERE_GROUP = "группа"
INVITE_WHERE_FORUM = "группа с темами"
INVITE_UNKNOWN = (
    "Такого приглашения нет. Проверьте код или попросите координатора создать новое (/invite)."
)
INVITE_USED = "Это приглашение уже использовано. Попросите координатора создать новое (/invite)."
INVITE_EXPIRED = "Срок приглашения истёк. Попросите координатора создать новое (/invite)."
INVITE_BODY_GONE = "Органа из этого приглашения больше нет в таблице. Обратитесь к координатору."
STAFF_NOT_ALLOWED = "Это обращение может обрабатывать только орган, которому оно передано."
STAFF_HANDED_OVER = "Обращение № {number} уже передано другому органу: действие не выполнено."
STAFF_ALREADY_TAKEN = "Обращение № {number} уже в работе."
STAFF_ALREADY_FINISHED = "Обращение № {number} уже {state}: действие не выполнено."
STAFF_NOT_NOW = "С обращением № {number} сейчас это сделать нельзя ({state})."
STAFF_REPLY_REFUSED = (
    "Обращение № {number} сейчас не у вашего органа, ответ заявителю не отправлен."
)
STAFF_HOW_TO_ANSWER = (
    "Этот чат подключён к органу как рабочий: обращения жителей приходят сюда. Чтобы ответить "
    "заявителю, ответьте на сообщение об обращении (функция «Ответить»)."
)
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
    "region.csv, municipalities.csv, topics.csv или bodies.csv. Всю таблицу целиком "
    "пришлите как .xlsx или .zip со всеми CSV-файлами."
)
TABLE_TOO_LARGE = (
    "Файл «{name}» слишком большой ({size_mb:.1f} МБ): бот может скачать из Telegram не больше "
    "{limit_mb} МБ. Таблица маршрутизации обычно занимает меньше мегабайта — проверьте, что "
    "это тот файл."
)
TABLE_DOWNLOAD_FAILED = "Не удалось скачать файл «{name}» из Telegram. Пришлите его ещё раз."
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
WHEN = "{date:%d.%m.%Y %H:%M}"

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
# -- the citizen's commands (bot.core.citizen) --------------------------------------------------
START = (
    "Здравствуйте! Это бот для обращений жителей в органы власти и местного самоуправления.\n"
    "Напишите одним сообщением, что случилось и где (можно приложить фото или геопозицию), "
    "и мы передадим обращение тем, кто за это отвечает, и пришлём сюда номер и ответ."
)
HELP = (
    "Как написать обращение: одним сообщением опишите, что случилось и где — населённый пункт, "
    "улица, дом. Можно приложить фото или отправить геопозицию. Если что-то неясно, бот "
    "переспросит. Вы получите номер обращения, орган, куда оно передано, и срок ответа; ответ "
    "придёт сюда же.\n\n"
    "Команды:\n"
    "/my — мои обращения и их история\n"
    "/cancel — отменить обращение, которое ещё уточняется\n"
    "/privacy — какие данные хранятся и сколько\n"
    "/forget — удалить мои данные\n"
    "/help — эта справка"
)
UNKNOWN_COMMAND = (
    "Команда /{name} не знакома боту. Список команд — /help. Чтобы написать обращение, просто "
    "опишите проблему сообщением."
)
MY_EMPTY = (
    "У вас пока нет обращений. Чтобы написать обращение, опишите проблему одним сообщением: "
    "что случилось и где."
)
MY_HEADER = "Ваши обращения ({shown} из {total}), сначала новые:"
MY_ITEM = "№ {number} — {state}\n«{text}»\nОрган: {body}\nСрок ответа: {due}"
MY_NO_BODY = "ещё не определён"
MY_NO_DUE = "—"
MY_HISTORY_BUTTON = "История № {number}"
MY_MORE_BUTTON = "Показать ещё"
MY_UNKNOWN_TICKET = "Это обращение не найдено среди ваших."
HISTORY_HEADER = "История обращения № {number}:"
HISTORY_LINE = "{at:%d.%m.%Y %H:%M} — {what}"
HISTORY_CITIZEN = "вы написали: {text}"
HISTORY_ANSWER = "ответ: {text}"
#: Events of a ticket as the citizen reads them; events not listed here are internal.
HISTORY_EVENTS = {
    "created": "обращение принято",
    "routed": "передано: {body}",
    "redirected": "передано в другой орган: {body}",
    "reopened": "вы сообщили, что проблема не решена; передано снова: {body}",
    "asked_topic": "бот уточнил тему",
    "asked_place": "бот уточнил место",
    "asked_address": "бот попросил адрес",
    "asked_photo": "бот попросил фото",
    "skipped_photo": "вы решили не прикладывать фото",
    "answered": "вы ответили на вопрос бота",
    "clarified": "вы уточнили обращение",
    "follow_up": "вы дополнили обращение",
    "taken": "взято в работу",
    "to_coordinator": "передано координатору, чтобы выбрать орган",
    "answered_by_body": "получен ответ",
    "answer_added": "получено дополнение к ответу",
    "closed_solved": "вы подтвердили, что проблема решена",
    "closed": "обращение закрыто",
    "rejected": "обращение отклонено",
    "rated": "ваша оценка: {rating}",
    "cancelled": "вы отменили обращение",
    "anonymised": "данные обращения удалены",
    "extended": "срок ответа продлён",
    "returned": "координатор вернул обращение в работу: {body}",
}
STATE_NAMES = {
    "new": "принимается",
    "collecting": "уточняем детали",
    "routed": "передано в орган",
    "in_work": "в работе",
    "answered": "получен ответ",
    "closed": "закрыто",
    "redirected": "выбираем другой орган",
    "reopened": "передано повторно",
    "rejected": "отклонено",
    "with_coordinator": "у координатора",
}
PRIVACY = (
    "Что хранит бот:\n"
    "• тексты ваших обращений и дополнений, ссылки на фото и файлы (сами файлы остаются в "
    "мессенджере), геопозицию, если вы её отправили;\n"
    "• номер вашего аккаунта и чата — чтобы присылать ответы;\n"
    "• ответы органов, ход рассмотрения и ваши оценки.\n"
    "Имя, телефон и профиль бот не запрашивает. Списки /my и история не сохраняются.\n\n"
    "Кто видит: администраторы органа, которому передано обращение (текст, фото, место — без "
    "вашего имени и аккаунта), и координаторы, которые выбирают орган.\n\n"
    "Сколько хранится: пока обращение рассматривается и {days} дн. после его закрытия "
    "(брошенный черновик — {days} дн. после последнего вопроса бота). Затем "
    "текст, вложения, геопозиция и номер чата удаляются автоматически; остаются только номер "
    "обращения, тема, орган, даты и оценка — для статистики.\n\n"
    "Как удалить раньше: команда /forget удалит ваши данные из всех обращений (с "
    "подтверждением). Сообщения, уже доставленные в чаты органов, бот удалить не может."
)
FORGET_CONFIRM = (
    "Удалить ваши данные? Из всех ваших обращений будут удалены тексты, вложения, геопозиция и "
    "номер чата. Обращения, которые ещё рассматриваются, останутся без ваших контактов: ответ на "
    "них прийти не сможет. Это нельзя отменить."
)
FORGET_YES = "Да, удалить"
FORGET_NO = "Отмена"
FORGET_KEPT = "Хорошо, ничего не удаляем."
FORGET_STALE = "Эта кнопка устарела. Чтобы удалить данные, отправьте /forget ещё раз."
NOT_YOUR_BUTTON = "Эта кнопка не для вас."
CANCELLED = "Обращение № {number} отменено. Если нужно, напишите новое."
NOTHING_TO_CANCEL = (
    "Сейчас нечего отменять: отменить можно только обращение, которое бот ещё уточняет. "
    "Отправленные обращения — в /my."
)
# -- the details a topic asks for ----------------------------------------------------------------
ASK_LOCATION_BUTTON = "📍 Отправить геопозицию"
ASK_LOCATION_HINT = "Или нажмите кнопку ниже, чтобы отправить геопозицию."
ASK_ADDRESS = (
    "Обращение № {number}. Укажите, пожалуйста, точный адрес: улицу и номер дома (или "
    "ближайший дом), либо отправьте геопозицию."
)
ASK_PHOTO = (
    "\n\nЕсли можете, пришлите фото следующим сообщением — мы передадим его, так проблему решат "
    "быстрее. Или нажмите «Пропустить»."
)
SKIP_BUTTON = "Пропустить"
PHOTO_SKIPPED = "Хорошо, без фото."
HISTORY_ATTACHMENT = "вложение"
ASK_PHOTO_NO_BUTTON = (
    "\n\nЕсли можете, пришлите фото следующим сообщением — мы передадим его, так проблему решат "
    "быстрее."
)
MY_TICKETS_BUTTON = "Мои обращения"  # VK's standing button; the same words are the /my command
#: The command menu Telegram shows next to the input field (command, description).
COMMAND_MENU = (
    ("my", "Мои обращения"),
    ("help", "Как написать обращение"),
    ("cancel", "Отменить обращение, которое уточняется"),
    ("privacy", "Какие данные хранятся и сколько"),
    ("forget", "Удалить мои данные"),
)
# -- the citizen cannot be reached (VK 901: messages from the community not allowed) --------------
CITIZEN_UNREACHABLE_TO_STAFF = (
    "Обращение № {number}: гражданин не разрешил сообщения от сообщества, и сообщение "
    "ему не доставлено. Ответ сохранён в обращении; свяжитесь, пожалуйста, с заявителем "
    "другим способом. Если он разрешит сообщения, бот отправит недоставленное сам."
)
# -- flood limits (bot.core.flood) ---------------------------------------------------------------
FLOOD_WAIT = (
    "Слишком много сообщений подряд. Бот снова начнёт принимать их через {minutes} мин.; "
    "до этого новые сообщения не сохраняются — пожалуйста, отправьте их позже."
)
FLOOD_PRESS = "Слишком много действий подряд. Попробуйте через {minutes} мин."

# A citizen's button that no longer acts: the ticket moved on, it was pressed already, the data
# is forged, or the ticket is someone else's (which is not said, so nobody can probe numbers).
BUTTON_INACTIVE = "Эта кнопка больше не действует."
# -- safe actions: a question before «Закрыть», «Спам», «Не наше»; the undo of a close ----------
# (bot.core.safe_actions; the buttons' reasons are codes → labels, the label is what is stored
# and what the citizen reads)
CONFIRM_CLOSE = "Закрыть обращение № {number}?"
CONFIRM_CLOSE_YES = "Да, закрыть"
ASK_CLOSE_REASON = (
    "Закрыть обращение № {number} без ответа? Заявитель получит причину закрытия.\n"
    "Выберите причину ниже или напишите свою ответом на это сообщение (функция «Ответить»)."
)
CLOSE_REASONS = {
    "phone": "Решено по телефону или лично",
    "repeat": "Повторное обращение",
    "not_appeal": "Не является обращением",
}
CONFIRM_REJECT = "Отметить обращение № {number} как спам? Гражданин больше не получит ответа."
CONFIRM_REJECT_YES = "Да, спам"
ASK_REDIRECT_REASON = (
    "Почему обращение № {number} не ваше? Выберите причину ниже или напишите её ответом на это "
    "сообщение (функция «Ответить»). Обращение уйдёт следующему органу или координатору, и они "
    "увидят причину."
)
REDIRECT_REASONS = {
    "territory": "Другая территория",
    "topic": "Другая тема",
    "region": "Вопрос к региональному органу",
}
CANCEL_BUTTON = "Отмена"
DISMISSED = "Отменено: обращение № {number} не изменено."
PROMPT_STALE = (
    "Этот вопрос об обращении № {number} устарел: с тех пор обращение передавали. "
    "Нажмите кнопку на карточке ещё раз."
)
PROMPT_BUTTONS_ONLY = "Чтобы отметить обращение № {number} как спам, нажмите «Да, спам» выше."
REASON_AS_TEXT = "Напишите, пожалуйста, причину текстом — ответом на вопрос бота."
REASON_REQUIRED = (
    "Обращение № {number} ещё без ответа: чтобы закрыть его, нужна причина. Нажмите «Закрыть» "
    "на карточке и выберите её."
)
CLOSED_WITH_REASON_TO_CITIZEN = "Обращение № {number} закрыто: {body}.\nПричина: {reason}"
DONE_CLOSED = "Обращение № {number} закрыто."
DONE_CLOSED_WITH_REASON = "Обращение № {number} закрыто, заявитель получил причину."
DONE_REJECTED = "Обращение № {number} отмечено как спам."
DONE_REDIRECTED = "Обращение № {number} передано дальше, причина сохранена."
# To the next holder of a ticket a body refused: the next body's card, the coordinators' notice.
REDIRECTED_NOTE = "Орган «{body}» вернул обращение: не их вопрос. Причина: {reason}\n\n"
REDIRECTED_NOTE_NO_REASON = "Орган «{body}» вернул обращение: не их вопрос.\n\n"
CLOSED_UNANSWERED_TO_COORDINATOR = (
    "Обращение № {number} закрыто органом «{body}» без ответа заявителю.\nПричина: {reason}\n"
    "Если обращение закрыли по ошибке, верните его в работу: кнопка ниже или /reopen {number}."
)
RETURN_BUTTON = "Вернуть в работу"
RETURNED_TO_CITIZEN = (
    "Обращение № {number} снова в работе: {body}.\nОтвет ожидается до {due}."
)
RETURNED_NOTE = "Координатор вернул обращение в работу: его закрыли без ответа заявителю.\n\n"
DONE_RETURNED = "Обращение № {number} возвращено в работу: {body}, срок — до {due}."
RETURN_USAGE = "Напишите номер обращения: /reopen 26-000123."
RETURN_UNKNOWN = "Обращение № {number} не найдено."
RETURN_NOT_CLOSED = "Обращение № {number} не закрыто (сейчас: {state}): возвращать нечего."
RETURN_BY_CITIZEN = (
    "Обращение № {number} закрыл сам заявитель: вернуть его может только он, написав снова."
)
RETURN_NO_BODY = (
    "У обращения № {number} нет органа, которому его вернуть. Если нужно, попросите заявителя "
    "написать снова."
)
RETURN_ANONYMISED = "Данные обращения № {number} удалены: вернуть его в работу нельзя."
RETURN_ONLY_COORDINATORS = "Вернуть обращение в работу может только координатор."
# -- before the answer: an interim answer, one extension of the deadline (bot.core.interim) -----
INTERIM_BUTTON = "Промежуточный ответ"
EXTEND_BUTTON = "Продлить срок"
ASK_INTERIM = (
    "Напишите промежуточный ответ заявителю по обращению № {number} ответом на это сообщение "
    "(функция «Ответить»). Обращение останется в работе, срок не изменится."
)
INTERIM_TO_CITIZEN = "Промежуточный ответ по обращению № {number} ({body}):\n\n{text}"
DONE_INTERIM = "Промежуточный ответ по обращению № {number} отправлен заявителю."
INTERIM_AS_TEXT = "Напишите промежуточный ответ текстом — ответом на вопрос бота."
ASK_EXTEND_REASON = (
    "Продлить срок ответа по обращению № {number}? Сейчас — до {due}, после продления — до "
    "{new_due}. Продлить можно один раз.\nЗаявитель увидит причину: выберите её ниже или "
    "напишите свою ответом на это сообщение (функция «Ответить»)."
)
EXTEND_REASONS = {
    "visit": "Нужна выездная проверка",
    "request": "Запрошены сведения в другом органе",
    "works": "Нужно время на работы",
}
EXTENDED_TO_CITIZEN = (
    "Срок ответа по обращению № {number} продлён до {due} ({body}).\nПричина: {reason}"
)
EXTENDED_TO_BODY = "Обращение № {number}: срок ответа продлён до {due}.\nПричина: {reason}"
EXTEND_ONCE = (
    "Срок по обращению № {number} уже продлевали (сейчас — до {due}): продлить можно один раз. "
    "Если не успеваете, дайте промежуточный ответ."
)
HISTORY_INTERIM = "промежуточный ответ: {text}"
