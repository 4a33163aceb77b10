"""Learning from answers in VK end to end: the real vkbottle bot on the VK emulator. A
coordinator's labelled CSV with mistakes is refused line by line while the model keeps
serving; a correct one is taken; «Модель» (or /model) shows the model's versions; a citizen
cannot use any of it; a retrained candidate worse on the newest answered tickets is shown as
not accepted and the model in force keeps routing. (The retrain itself is channel-free:
`test_telegram_learning` and `tests/core/test_learning.py`.)"""

from __future__ import annotations

import asyncio
import functools

from bot.domain import texts
from tests.app_world import CITY, NUMBER, saratov_built_outside_the_deadline  # noqa: F401
from tests.emulators.aio import run_async
from tests.handlers.test_telegram_learning import LABELS, LAMP, NEW_LAMP, SLOW, STREETS
from tests.handlers.test_vk_coordinator import (
    CITIZEN,
    OLD,
    command,
    inline_buttons,
    next_sent,
    upload,
    world,
)

BAD = "\n".join([
    "text,body",
    f"Яма на дороге на улице Московской в Саратове,{CITY}",
    ",min-transport",
    "Не горит фонарь,Министерство чудес",
]).encode()
GOOD = "\n".join(["text,body", "Яма на дороге в Саратове,min-transport",
                  f"Не вывозят мусор в Саратове,{CITY}"]).encode()


@run_async
async def test_a_labelled_csv_with_mistakes_is_refused_line_by_line(tmp_path):
    async with world(tmp_path) as (vk, _table):
        shown = await command(vk, "Модель")
        assert shown.text == texts.MODEL_NONE_YET.format(base=texts.MODEL_BASE_NONE)

        refused = await upload(vk, "разметка.csv", BAD)
        assert refused.text.startswith(texts.LABELS_INVALID.format(name="разметка.csv", count=2))
        assert "• строка 3: пустой текст обращения" in refused.text
        assert "• строка 4: органа «Министерство чудес» нет в таблице" in refused.text

        taken = await upload(vk, "разметка.csv", GOOD)
        assert taken.text == texts.LABELS_TITLE_OK.format(name="разметка.csv", count=2)

        citizen = await command(vk, "/model", user=CITIZEN)
        assert citizen.text == texts.ONLY_COORDINATORS
        # The model in force still routes: the city's appeal reaches the city's administrator.
        appeal = await command(vk, "В Саратове на ул. Московской не горит фонарь", user=CITIZEN)
        assert "принято" in appeal.text
        await vk.wait_for(lambda: any(m.peer_id == OLD for m in vk.sent), 5.0)


@functools.partial(run_async, deadline=180)  # two starts and a retrain of the regional model
async def test_vk_a_candidate_worse_on_the_newest_tickets_is_not_swapped_in(tmp_path):
    """As in Telegram (`test_telegram_learning`): labels that the newest answered tickets
    contradict make a worse candidate; «Модель» says so and the city still gets the lamps."""
    async with world(tmp_path, model_retrain_hours=0) as (vk, _table):
        taken = await upload(vk, "разметка.csv", LABELS)
        assert taken.text == texts.LABELS_TITLE_OK.format(name="разметка.csv", count=14)
        for street in STREETS:  # the newest tickets, answered by the city
            seen = len(vk.sent)
            await vk.user_sends_text(CITIZEN, LAMP.format(street))
            card = await next_sent(vk, seen, lambda m: m.peer_id == OLD and "Обращение №" in m.text)
            await vk.user_sends_text(OLD, "Заменим лампу завтра.", reply_to=card.message_id)
            await next_sent(vk, seen, lambda m: m.peer_id == CITIZEN
                            and "Заменим лампу завтра." in m.text)
            # The last message to the citizen: nothing of theirs is left for the next start,
            # whose new emulator they have not written to yet (VK would refuse it, error 901).
            await next_sent(vk, seen, lambda m: m.peer_id == CITIZEN
                            and m.text.endswith("Проблема решена?"))

    async with world(tmp_path, model_retrain_hours=1 / 3600) as (vk, _table):
        for _ in range(60):
            shown = await command(vk, "Модель")
            if "№ 1 " in shown.text:
                break
            await asyncio.sleep(0.5)
        assert "не принята (хуже прежней)" in shown.text, shown.text
        assert "на 4 последних обращениях верно: прежняя 4, новая 0" in shown.text
        assert list(inline_buttons(shown)) == [texts.MODEL_ROLLBACK_BASE_BUTTON]
        # The job retrains every second here, a thread busy beside the loop: wait longer.
        seen = len(vk.sent)
        await vk.user_sends_text(CITIZEN, NEW_LAMP)
        accepted = await next_sent(vk, seen, lambda m: m.peer_id == CITIZEN, timeout=SLOW)
        number = NUMBER.search(accepted.text).group()
        card = await next_sent(vk, seen, lambda m: m.peer_id != CITIZEN and number in m.text,
                               timeout=SLOW)
        assert card.peer_id == OLD
