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
# The settlement first: street names repeat from town to town, and the settlement decides
# which administration answers.
ASK_MUNICIPALITY = (
    "Обращение № {number}. В каком населённом пункте это? Выберите ниже или напишите название "
    "(город, село, посёлок), затем улицу и дом. Можно просто отправить геопозицию."
)
ASK_PLACE_TEXT = (
    "Обращение № {number}. В каком населённом пункте это? Напишите название (город, село, "
    "посёлок), затем улицу и дом. Можно просто отправить геопозицию."
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
REOPENED_TO_CITIZEN = (
    "Обращение № {number} снова передано: {body}.\nОтвет ожидается до {due}.\n\n"
    "Напишите, пожалуйста, следующим сообщением, что осталось не так: мы передадим это органу."
)
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
# Greetings, thanks, «ок», emoji alone (`bot.domain.phrases.small_talk`): no ticket, a hint.
SMALL_TALK_GREETING = "Здравствуйте! "
SMALL_TALK_THANKS = "Пожалуйста! "
SMALL_TALK_HINT = (
    "Чтобы сообщить о проблеме, опишите одним сообщением, что случилось и где: населённый "
    "пункт, улица, дом (можно приложить фото или геопозицию). Ваши обращения и ответы на них — "
    "команда /my («Мои обращения»)."
)
SMALL_TALK_PENDING = "\n\nОбращение № {number} ждёт вашего ответа на вопрос выше."
# A message that reads as a different problem while a question about a ticket is pending.
ASK_IF_NEW = (
    "Это новое обращение? Пока мы ждём ответа на вопрос по обращению № {number}, а это "
    "сообщение похоже на другую проблему."
)
NEW_APPEAL_YES = "Да, новое"
NEW_APPEAL_NO = "Нет, это уточнение"
NEW_APPEAL_MADE = "Принято как новое обращение"
NEW_APPEAL_MERGED = "Добавлено к обращению № {number}"

ANONYMISED = "[удалено по просьбе заявителя]"  # replaces texts in the database
DATA_DELETED = "Ваши данные удалены. Номера обращений сохранены без текста и контактов."

# -- to a body -----------------------------------------------------------------------------------
TO_BODY = "Обращение № {number}\nТема: {topic}\nМесто: {place}\nСрок ответа: до {due}\n\n{text}"
# Under every card: what reaches the citizen and what stays among staff (`cards.answer_hint`).
ANSWER_HINT_PLAIN = (
    "\n\n↩️ Ответ заявителю — ответом (reply) на эту карточку. Заметка для коллег — "
    "{note} текст ответом на карточку: заявитель её не увидит."
)
ANSWER_HINT_FORUM = (
    "\n\n↩️ Заявителю уходит только ответ (reply) на эту карточку или /answer текст. Всё "
    "остальное в этой теме — внутренние заметки, заявитель их не увидит."
)
NOTE_COMMAND = {"tg": "/note", "vk": "/note (или /заметка)"}
TO_BODY_ATTACHMENTS_ELSEWHERE = (
    "\n\nВложений: {count} (пришли через другую соцсеть, у координатора)."
)
FOLLOW_UP_TO_BODY = "Дополнение к обращению № {number}"
# What the citizen wrote right after «Нет, не решена» (the bot asks them to say what is wrong).
NOT_SOLVED_REASON_TO_BODY = "Обращение № {number}: заявитель поясняет, что не решено"
FOLLOW_UP_WORDS = " (слова заявителя):\n{text}"
# Photos, files or a location with no words: the heading alone, no empty lines under it.
FOLLOW_UP_FILES = " (вложения без текста)"
FOLLOW_UP_FILES_ELSEWHERE = "\nВложений: {count} (пришли через другую соцсеть, у координатора)."
# Every word a citizen wrote is shown as a quote under a heading saying whose words they are,
# so that nobody mistakes a line of the appeal for the bot's or the state's text.
CITIZEN_QUOTE = "│ "
APPEAL_HEADING = "Текст обращения (слова заявителя):\n"
LOCATION_LINE = "Геопозиция: {lat:.6f}, {lon:.6f}\nКарта: {osm}\nЯндекс Карты: {yandex}"
OSM_LINK = "https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
YANDEX_LINK = "https://yandex.ru/maps/?pt={lon:.6f},{lat:.6f}&z=17&l=map"
# The citizen's answers to the bot's questions (the address, the settlement), under the appeal.
CLARIFICATIONS = "\n\nУточнения заявителя:\n{lines}"
CLARIFICATION_LINE = "• {text}"
# A reopened card: what the body answered before, and what the citizen said to it.
PREVIOUS_ANSWER = "\n\nПрежний ответ {who}:\n{text}"
ANSWER_BY_BODY = "органа"
ANSWER_BY_COORDINATOR = "координатора"
PREVIOUS_ANSWER_NOT_SOLVED = "\n\nЗаявитель ответил: «Нет, не решена»."
NOT_SOLVED_REASON = "\nПояснение заявителя:\n{text}"
AFTER_ANSWER = "\n\nЗаявитель написал после ответа:\n{text}"
#: How much of a previous answer a reopened card quotes (the whole answer is in the history).
PREVIOUS_ANSWER_LIMIT = 1000
NOT_OURS_BUTTON = "Не наше"
TAKE_BUTTON = "Взять в работу"
REJECT_BUTTON = "Спам"
REOPENED_NOTE = "Заявитель сообщает, что проблема не решена.\n\n"
REMINDER_TO_BODY = "Напоминание: обращение № {number} ждёт ответа. Срок — до {due}."
UNKNOWN_PLACE = "не указано"
UNKNOWN_TOPIC = "не определена"

# -- live cards (bot.core.live_cards): the status line under a card, the forum topic's state ----
CARD_WITH_STATUS = "{card}\n\n{status}"
# Sent instead of an edit when the card cannot be edited (VK: too old; the card was not sent).
CARD_STATUS_MESSAGE = "Обращение № {number}\n{status}"
CARD_STATUS_WAITING = "⏳ Ждёт: в работу ещё никто не взял. Срок — до {due}."
CARD_STATUS_TAKEN = "🛠 В работе: {who}, с {when}. Срок — до {due}."
CARD_STATUS_TAKEN_ANONYMOUS = "🛠 В работе с {when}. Срок — до {due}."
CARD_STATUS_ANSWERED = "✉️ Ответ отправлен заявителю {when}{who}."
CARD_STATUS_CLOSED = "✅ Закрыто {when}{who}."
CARD_STATUS_SOLVED = "✅ Закрыто {when}: заявитель подтвердил, что проблема решена."
CARD_STATUS_REJECTED = "🚫 Отклонено как спам {when}{who}."
CARD_STATUS_TO_COORDINATORS = "↪️ Передано координаторам {when}: они выберут орган."
CARD_STATUS_HANDED_ON = "↪️ Передано в «{body}» {when}. Действия с обращением здесь больше не нужны."
CARD_STATUS_RETURNED = (
    "🔁 {when} заявитель сообщил, что проблема не решена: обращение пришло снова, "
    "новая карточка — ниже."
)
CARD_WHO = " ({who})"
#: The forum topic's title starts with the ticket's state (a fresh ticket has no mark).
TOPIC_STATE_MARKS = {
    "in_work": "🛠",
    "answered": "✉️",
    "closed": "✅",
    "rejected": "🚫",
    "redirected": "↪️",
    "with_coordinator": "↪️",
    "reopened": "🔁",
}
TOPIC_HANDED_ON_MARK = "↪️"
# The toast after a press that did something (Telegram callback answer, VK snackbar).
NOTICE_TAKEN = "Взято в работу. Заявитель уведомлён."
NOTICE_REDIRECTED = "Передано: {body}. Заявитель уведомлён."
NOTICE_TO_COORDINATORS = "Передано координаторам: они выберут орган."
NOTICE_CLOSED = "Обращение № {number} закрыто. Заявитель уведомлён."
NOTICE_REJECTED = "Обращение № {number} отклонено как спам."
# In reply to an administrator's answer, once the outbox has recorded it as delivered.
ANSWER_DELIVERED = "✅ Ответ по обращению № {number} доставлен заявителю."

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
    "обращении{forum_hint}; причину или промежуточный ответ — ответом на вопрос бота. "
    "Заметка для коллег — /note текст ответом на карточку. Найти обращение — /ticket номер, "
    "кто подключён — /staff."
)
INVITE_BOUND_FORUM_HINT = (
    " или командой /answer в теме обращения; остальные сообщения в теме — заметки для коллег"
)
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
    "заявителю, ответьте на сообщение об обращении (функция «Ответить»). Заметка для коллег — "
    "/note текст ответом на карточку; найти обращение — /ticket номер; кто подключён — /staff."
)
# -- internal notes (bot.core.notes) ------------------------------------------------------------
NOTE_SAVED = "📝 Заметка к обращению № {number} сохранена. Заявитель её не увидит."
NOTE_FIRST_IN_TOPIC = (
    "📝 Сообщения в этой теме — внутренние заметки к обращению № {number}: заявитель их не "
    "видит. Ответ заявителю — ответом (reply) на карточку или командой /answer текст."
)
NOTE_NEEDS_TICKET = (
    "Команду {command} отправьте ответом (reply) на карточку обращения — так бот поймёт, к "
    "какому обращению она относится."
)
NOTE_EMPTY = "Напишите текст после команды: {command} текст."
NOTE_REFUSED = "Обращение № {number} не у вашего органа: заметка не сохранена."
# -- staff tools: /ticket, /staff, revoking a binding (bot.core.ticket_view, staff_list) --------
TICKET_USAGE = "Напишите номер обращения: /ticket 26-000123 (или просто номер)."
TICKET_REFUSED = (
    "Обращение № {number} не найдено среди обращений, которые вам доступны. Координаторы видят "
    "все обращения, администраторы органа — те, что были у их органа."
)
TICKET_ONLY_STAFF = (
    "Команды /ticket и /staff — для администраторов органов и координаторов. Ваши обращения — "
    "в /my."
)
TICKET_VIEW = (
    "Обращение № {number} — {state}\nОрган: {body}\nТема: {topic}\nМесто: {place}\n"
    "Срок ответа: {due}\n\n{text}\n\nИстория:\n{history}"
)
TICKET_NO_DUE = "—"
TICKET_LINE = "{at:%d.%m.%Y %H:%M} — {what}"
TICKET_WHO = " ({who})"
TICKET_CITIZEN_SAID = "заявитель: {text}"
TICKET_ANSWER = "ответ заявителю{who}: {text}"
TICKET_NOTE = "📝 заметка{who}: {text}"
TICKET_REASON = ", причина: {reason}"
TICKET_SYSTEM = "бот"
TICKET_CITIZEN = "заявитель"
TICKET_BODY_ACTOR = "{body}, {channel} {user}"
TICKET_COORDINATOR_ACTOR = "координатор, {channel} {user}"
#: Events as staff read them; an event not listed is shown by its internal name.
TICKET_EVENTS = {
    "created": "принято",
    "classified": "тема определена",
    "routed": "передано: {body}",
    "redirected": "«Не наше» — передано: {body}",
    "reopened": "заявитель: не решено — передано снова: {body}",
    "to_coordinator": "передано координатору",
    "taken": "взято в работу",
    "answered": "ответ",
    "answer_added": "дополнение к ответу",
    "closed": "закрыто",
    "rejected": "отклонено как спам",
    "rated": "оценка заявителя: {rating}",
    "cancelled": "заявитель отменил",
    "anonymised": "данные заявителя удалены",
    "clarified": "заявитель уточнил",
    "follow_up": "заявитель дополнил",
    "delivery_failed": "сообщение не доставлено",
}
STAFF_USAGE = "Напишите, чьих сотрудников показать: /staff <номер органа или часть названия>."
STAFF_NOT_ALLOWED = (
    "Список сотрудников органа видят его администраторы (в чате органа) и координаторы."
)
STAFF_LIST_HEADER = "Кто подключён к органу «{body}» ({body_id}):"
STAFF_LIST_EMPTY = "К органу «{body}» ({body_id}) пока никто не подключён. Пригласить: /invite."
STAFF_LINE = "{n}. {where} {chat} — подключил(а) {who}, с {since:%d.%m.%Y}"
STAFF_LINE_TABLE = "• {where}, чат {chat} — из таблицы маршрутизации (меняется только в таблице)"
STAFF_WHERE = {
    "private": "личный чат",
    "group": "группа",
    "forum": "группа с темами",
}
STAFF_CHANNEL = {"tg": "Telegram", "vk": "ВКонтакте"}
STAFF_REVOKE_BUTTON = "Отозвать {n}"
STAFF_REVOKE_CONFIRM = (
    "Отозвать подключение {n} к органу «{body}»? Этот чат сразу перестанет получать обращения "
    "органа, фото и геопозиции заявителей."
)
STAFF_REVOKE_YES = "Да, отозвать"
STAFF_REVOKE_NO = "Отмена"
STAFF_REVOKED = "Подключение к органу «{body}» отозвано: {where}."
STAFF_REVOKED_NOTICE = "Отозвано"
STAFF_REVOKE_GONE = "Этого подключения уже нет."
STAFF_REVOKE_KEPT = "Ничего не отозвано."
STAFF_REVOKED_TO_CHAT = (
    "Координатор отключил этот чат от органа «{body}»: обращения сюда больше не приходят. "
    "Если это ошибка, обратитесь к координатору."
)
# -- reply templates (bot.core.templates) -------------------------------------------------------
TEMPLATES_BUTTON = "Шаблоны ответов"
TEMPLATES_LIST = "Шаблоны ответов для обращения № {number}: выберите, чтобы увидеть текст."
TEMPLATES_NONE = "Для вашего органа шаблонов ответов нет: их задаёт координатор в таблице."
TEMPLATE_PREVIEW = (
    "Шаблон «{title}» для обращения № {number}:\n\n{text}\n\n"
    "Отправить заявителю как есть? Чтобы изменить, скопируйте текст и отправьте его ответом "
    "на карточку."
)
TEMPLATE_SEND_BUTTON = "Отправить гражданину"
TEMPLATE_CANCEL_BUTTON = "Отмена"
TEMPLATE_SENT = "Ответ отправлен заявителю"
TEMPLATE_CANCELLED = "Не отправлено"
TEMPLATE_GONE = "Этого шаблона больше нет в таблице."
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
# -- the citizen's commands (bot.core.citizen) --------------------------------------------------
# What writing here is, and what it is not: the bot collects no name and no postal address, so a
# message here is not a formal appeal under 59-ФЗ (which needs both and binds the body to answer
# it in writing within 30 days). Said in /start and /help, so nobody relies on it by mistake.
NOT_A_FORMAL_APPEAL = (
    "Важно: сообщение здесь — не официальное обращение по закону № 59-ФЗ «О порядке "
    "рассмотрения обращений граждан»: бот не спрашивает ваши имя и почтовый адрес. Официальное "
    "обращение можно подать на сайте органа власти или на Госуслугах: «Обратиться в ведомство» "
    "(pos.gosuslugi.ru)."
)
START = (
    "Здравствуйте! Это бот для обращений жителей в органы власти и местного самоуправления.\n"
    "Напишите одним сообщением, что случилось и где (можно приложить фото или геопозицию), "
    "и мы передадим обращение тем, кто за это отвечает, и пришлём сюда номер и ответ.\n\n"
    + NOT_A_FORMAL_APPEAL
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
    "/help — эта справка\n\n"
    + NOT_A_FORMAL_APPEAL
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
    "Обращение № {number}. Укажите, пожалуйста, точный адрес: населённый пункт, улицу и номер "
    "дома (или ближайший дом), либо отправьте геопозицию."
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
# The same for a Telegram citizen who blocked the bot (Telegram 403).
CITIZEN_BLOCKED_BOT_TO_STAFF = (
    "Обращение № {number}: гражданин заблокировал бота в Telegram, и сообщение ему не "
    "доставлено. Ответ сохранён в обращении; свяжитесь, пожалуйста, с заявителем другим "
    "способом. Если он разблокирует бота, бот отправит недоставленное сам."
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

# -- deadlines: the production calendar (to the operator, at start) and the overdue notice ------
CALENDAR_YEAR_UNKNOWN = (
    "Производственный календарь на {year} год неизвестен пакету holidays: сроки в рабочих "
    "днях считаются без переносов выходных этого года. Обновите пакет holidays или "
    "перечислите перенесённые дни в HOLIDAYS и WORKING_WEEKENDS."
)
OVERDUE_TO_CITIZEN = (
    "Срок ответа по обращению № {number} (до {due}) истёк, а ответа пока нет. Мы сообщили "
    "координаторам — они проследят, чтобы вам ответили. Писать заново не нужно."
)
# The same, for a deployment without coordinators.
OVERDUE_TO_CITIZEN_ALONE = (
    "Срок ответа по обращению № {number} (до {due}) истёк, а ответа пока нет. Мы напомнили "
    "органу. Писать заново не нужно: ответ придёт сюда."
)

# -- a body's chat the bot cannot write to (removed from the group, blocked) -------------------
CHAT_KIND = {
    ("tg", "group"): "группа Telegram",
    ("tg", "private"): "личный чат Telegram",
    ("vk", "group"): "беседа ВКонтакте",
    ("vk", "private"): "личные сообщения ВКонтакте",
}
CHAT_UNREACHABLE_TO_COORDINATOR = (
    "Бот не может писать в чат органа «{body}» ({kind}): бота удалили из чата или "
    "заблокировали. Пока у органа нет доступного чата, карточки его обращений приходят вам. "
    "Когда бота вернут в чат, открытые обращения будут отправлены туда снова."
)
CHAT_UNREACHABLE_OTHERS_LEFT = (
    "Бот не может писать в чат органа «{body}» ({kind}): бота удалили из чата или "
    "заблокировали. Карточки обращений органа по-прежнему приходят в другие его чаты."
)
CHAT_REACHABLE_TO_COORDINATOR = (
    "Чат органа «{body}» ({kind}) снова доступен. Карточки открытых обращений отправлены "
    "туда: {count}."
)
TO_COORDINATOR_CHAT_UNREACHABLE = (
    "Обращение № {number} направлено органу «{body}», но бот не может писать в его чат "
    "(бота удалили из чата или заблокировали). Передайте, пожалуйста, вручную или верните "
    "бота в чат. Срок — до {due}.\n\n{text}"
)
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
