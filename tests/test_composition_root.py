"""Only the composition root reads the settings and picks the infrastructure.

`config`, `apscheduler` and Redis clients are imported by `bot.bootstrap` and `bot.serve` alone
(`bot.__main__` loads and checks the settings before either is imported; `bot.storage.backup`,
a command of its own, reads ``DATABASE_URL`` and ``DATA_DIR`` from them). A module that uses a
Redis client gets it in its constructor: it may import ``redis.exceptions`` to catch its errors,
and its types for annotations (under ``TYPE_CHECKING``), nothing else. Prometheus is
`bot.metrics`' alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = {"bot/bootstrap.py", "bot/serve.py"}
# Command-line entry points read the settings as ``python -m bot`` does.
SETTINGS_READERS = COMPOSITION_ROOT | {"bot/__main__.py", "bot/storage/backup.py"}


def runtime_imports(nodes: list[ast.AST]) -> Iterator[str]:
    """Every module imported by ``nodes``, outside ``if TYPE_CHECKING:`` blocks."""
    for node in nodes:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            yield from runtime_imports(node.orelse)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        else:
            yield from runtime_imports(list(ast.iter_child_nodes(node)))


def importers() -> dict[str, set[str]]:
    found = {}
    for package in ("bot", "handlers", "routing"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found[path.relative_to(ROOT).as_posix()] = set(runtime_imports([tree]))
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_only_the_composition_root_imports_config_and_apscheduler():
    modules = importers()
    assert {m for m, names in modules.items() if "config" in map(top, names)} <= SETTINGS_READERS
    assert {m for m, names in modules.items() if "apscheduler" in map(top, names)} <= (
        COMPOSITION_ROOT
    )


def test_adapters_import_redis_only_for_its_errors():
    for module, names in importers().items():
        if module in COMPOSITION_ROOT:
            continue
        redis = {name for name in names if top(name) == "redis"}
        assert redis <= {"redis.exceptions"}, module


def test_only_the_metrics_module_imports_prometheus_client():
    """The core and the outbox report through `bot.core.ports.Observer`; `bot.metrics` alone
    turns the reports into Prometheus metrics."""
    users = {m for m, names in importers().items() if "prometheus_client" in map(top, names)}
    assert users == {"bot/metrics.py"}
