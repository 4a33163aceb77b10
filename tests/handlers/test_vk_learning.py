"""Learning from answers in VK end to end: the real vkbottle bot on the VK emulator. A
coordinator's labelled CSV with mistakes is refused line by line while the model keeps
serving; a correct one is taken; «Модель» (or /model) shows the model's versions; a citizen
cannot use any of it. (The retrain itself is channel-free: `test_telegram_learning` and
`tests/core/test_learning.py`.)"""

from __future__ import annotations

from bot.domain import texts
from tests.app_world import CITY, saratov_built_outside_the_deadline  # noqa: F401
from tests.emulators.aio import run_async
from tests.handlers.test_vk_coordinator import CITIZEN, OLD, command, upload, world

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
