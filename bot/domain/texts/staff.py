"""What bodies' administrators read: the card and its status line, buttons, questions before
an action, notes, the staff tools, deadlines and chats the bot cannot reach."""

from __future__ import annotations

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
CARD_STATUS_EXTENDED = "⏳ Срок продлён {when}{who}: теперь — до {due}. Причина: {reason}"
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
# The same body gets the ticket again from a coordinator (a mistaken close returned, a choice).
CARD_STATUS_BACK_FROM_COORDINATOR = (
    "🔁 {when} координатор вернул обращение в работу: новая карточка — ниже."
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
    "он отвечает.\nКнопки под обращением: «Взять в работу», «Не наше», «Закрыть», «Спам», "
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
    "delivery_uncertain": "неизвестно, дошло ли сообщение (сбой при отправке)",
    "interim": "промежуточный ответ",
    "extended": "срок продлён",
    "returned": "координатор вернул в работу: {body}",
    "dispatched": "передано подразделению: {body}",
    "asked_topic": "бот спросил тему",
    "asked_place": "бот спросил место",
    "asked_address": "бот спросил адрес",
    "offered_new": "бот спросил, новое ли это обращение",
    "citizen_unreachable": "заявитель недоступен (закрыл сообщения)",
    "card_resent": "карточка отправлена снова",
    "retention": "данные удалены по сроку хранения",
    "spam_comment": "комментарий под записью — спам или оскорбление: закрыто как спам",
    "comment_edited": "заявитель изменил комментарий",
    "comment_deleted": "заявитель удалил комментарий",
    "public_reply_refused": "ответ под комментарием не опубликован (платформа отказала)",
}
#: What `/ticket` calls a thread message, by its author (else: an answer to the citizen).
TICKET_AUTHORS = {
    "interim": "промежуточный ответ{who}: {text}",
    "held": "заявитель (пока бот спрашивал, новое ли это обращение){who}: {text}",
}
STAFF_USAGE = "Напишите, чьих сотрудников показать: /staff <номер органа или часть названия>."
STAFF_LIST_NOT_ALLOWED = (
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
STAFF_CUT_OFF = " — ⚠️ бот не может сюда писать (удалён из чата или заблокирован)"
STAFF_CUT_OFF_SINCE = (
    " — ⚠️ бот не может сюда писать с {since:%d.%m.%Y %H:%M} (удалён из чата или заблокирован)"
)
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
NOTICE_ASKED = "№ {number}: ответьте на вопрос бота ниже — пока ничего не изменено."
TEMPLATE_SENT = "Ответ отправлен заявителю"
TEMPLATE_CANCELLED = "Не отправлено"
TEMPLATE_GONE = "Этого шаблона больше нет в таблице."
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
# -- a parent body hands a ticket to one of its units (bot.core.units) ----------------------------
UNITS_BUTTON = "Передать подразделению"
ASK_UNIT = "Кому передать обращение № {number}? Выберите подразделение — оно получит карточку."
NO_UNITS = "У органа нет подразделений в таблице маршрутизации."
UNIT_GONE = "Этого подразделения больше нет в таблице: нажмите «Передать подразделению» снова."
NOTICE_UNITS = "№ {number}: выберите подразделение в сообщении бота ниже."
NOTICE_DISPATCHED = "Передано подразделению: {body}. Заявитель уведомлён."
DISPATCHED_NOTE = "Передано из «{body}» как обращение подразделения.\n\n"

# -- comments under posts (bot.core.comments) ---------------------------------------------------
COMMENT_CARD_NOTE = (
    "Это публичный комментарий под записью: {link}\n"
    "Житель видит публичный ответ. Ваш ответ на эту карточку будет опубликован в ответ на его "
    "комментарий и отправлен ему в личные сообщения, если они открыты.\n\n"
)
COMMENT_ABUSE_TO_STAFF = (
    "№ {number}: комментарий под записью похож на спам или оскорбление, обращение закрыто как "
    "спам. Скрыть или удалить комментарий может администратор страницы: {link}\n\n"
    "Текст комментария:\n«{text}»"
)
COMMENT_EDITED_TO_STAFF = (
    "№ {number}: житель изменил свой комментарий. Теперь он такой:\n\n«{text}»"
)
COMMENT_DELETED_TO_STAFF = (
    "№ {number}: житель удалил свой комментарий. Обращение остаётся в работе; ответ будет "
    "отправлен ему только в личные сообщения (если они открыты), не в комментарии."
)
COMMENT_REPLY_REFUSED_TO_STAFF = (
    "№ {number}: публичный ответ под записью не опубликован — комментарии закрыты, запись или "
    "комментарий удалены, либо ВКонтакте не принимает ответ. Житель получит ответ в личных "
    "сообщениях, если они открыты; иначе свяжитесь с ним другим способом: {link}"
)
COMMENT_CITIZEN_NO_PM_TO_STAFF = (
    "№ {number}: житель не разрешил личные сообщения. Ответ опубликован только в ответ на его "
    "комментарий под записью."
)
