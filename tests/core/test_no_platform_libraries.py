"""The core must work without aiogram and vkbottle: adapters come later and stay optional.

Every module of the core, the domain and delivery is imported with the platform libraries
blocked; only the adapters (`handlers`) and the composition root (`bot.bootstrap`, `bot.serve`)
may import them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_FREE = ("bot/core", "bot/domain", "bot/delivery")


def platform_free_modules() -> list[str]:
    modules = []
    for package in PLATFORM_FREE:
        for path in sorted((ROOT / package).glob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_core_domain_and_delivery_module_is_covered():
    modules = platform_free_modules()
    assert {"bot.core.appeals", "bot.core.ports", "bot.delivery.outbox",
            "bot.delivery.signals", "bot.domain.states"} <= set(modules)


def test_core_imports_and_runs_with_platform_libraries_blocked():
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("aiogram", "vkbottle", "vkbottle_types"):
                    raise ImportError(f"{name} is blocked in this test")
                return None

        sys.meta_path.insert(0, Block())
        for module in MODULES:
            importlib.import_module(module)
        import asyncio
        from datetime import UTC, datetime
        from bot.core.appeals import AppealCore
        from bot.domain.calendar import WorkingCalendar
        from bot.delivery.fake import FakeTransport
        from bot.delivery.outbox import Outbox
        from bot.domain.messages import IncomingMessage, SystemClock
        from bot.storage import SqliteRepository
        from routing.classify import Classification, Decision
        from routing.model import RoutingTable

        class Nothing:
            def classify(self, text, lat=None, lon=None, **kw):
                return Classification(Decision.TO_COORDINATOR, None, None, None, 0.0, ())

        async def main():
            repo = SqliteRepository(":memory:")
            await repo.open()
            table = RoutingTable("Тест", (), (), ())
            core = AppealCore(repo, table, Nothing(), WorkingCalendar.build(), SystemClock())
            outcome = await core.handle(IncomingMessage("tg", 1, 1, 1, "текст"))
            tg = FakeTransport("tg")
            await Outbox(repo, {"tg": tg}, SystemClock()).run_once()
            await repo.close()
            assert outcome.kind == "created" and len(tg.sent) == 1
            assert not any(m.split(".")[0] in ("aiogram", "vkbottle") for m in sys.modules)
            print("ok")

        asyncio.run(main())
        """
    ).replace("MODULES", repr(platform_free_modules()))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
