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
REASON_GIVEN = " (причина: {reason})"
REASON_CITIZEN_OTHER = "заявитель выбрал «Другое»"

# -- formats -------------------------------------------------------------------------------------
# A deadline at local midnight is shown as the whole previous day.
DUE_DAY = "{date:%d.%m.%Y} включительно"
DUE_MOMENT = "{date:%d.%m.%Y %H:%M}"

# -- flood limits (bot.core.flood) ---------------------------------------------------------------
FLOOD_WAIT = (
    "Слишком много сообщений подряд. Бот снова начнёт принимать их через {minutes} мин.; "
    "до этого новые сообщения не сохраняются — пожалуйста, отправьте их позже."
)
FLOOD_PRESS = "Слишком много действий подряд. Попробуйте через {minutes} мин."
