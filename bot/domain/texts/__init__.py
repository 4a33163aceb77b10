"""Every text the core sends, in Russian, in one place: edit wording here, never in code.

Placeholders are ``str.format`` fields. Citizens see short, plain sentences with the ticket
number (they quote it when they call); body and coordinator texts start with the number so a
chat full of appeals stays searchable.

One namespace (``texts.ACCEPTED_ROUTED``) in files by audience: `citizen`, `staff`
(bodies' administrators), `coordination`, `pages` (connected state pages), `console` (the web
console), `tableweb` (the console's table, staff and sign-in tools) and `reports` (the console's
filters and exports). A name is defined in exactly one of them (`tests/domain/test_texts.py`),
so the star imports below cannot shadow one another.
"""

from bot.domain.texts.citizen import *  # noqa: F403
from bot.domain.texts.console import *  # noqa: F403
from bot.domain.texts.coordination import *  # noqa: F403
from bot.domain.texts.pages import *  # noqa: F403
from bot.domain.texts.reports import *  # noqa: F403
from bot.domain.texts.staff import *  # noqa: F403
from bot.domain.texts.tableweb import *  # noqa: F403
