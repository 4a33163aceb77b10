"""The shape of the application's code: no import cycles, no overlong modules, no bare ignores.

Read with ``ast`` and ``tokenize`` only (nothing is imported), over the packages that make up the
bot: ``bot``, ``handlers``, ``routing``, ``config``. Each failure names what to fix: the modules
of a cycle with the import lines that close it, a file and its line count, the ``file:line`` of a
``# type: ignore`` without a reason. The checkers are plain functions of a root folder, proven on
small synthetic trees below, so a green run means "nothing found", not "nothing looked at".
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "routing", "config")
MAX_LINES = 600


@dataclass(frozen=True)
class Import:
    """``source`` imports ``target`` (both module names) at ``file``:``line``."""

    source: str
    target: str
    file: str
    line: int


def modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Module name → file, for every ``.py`` file of ``packages`` under ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """Module names a statement in module ``name`` may import (resolved, not yet filtered).

    ``import a.b`` gives ``a.b``; ``from a.b import c`` gives ``a.b.c`` (kept only if that is a
    module) and ``a.b``; relative forms are resolved against the module's package (a package's
    ``__init__`` is its own package).
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        if node.level > len(package):
            return []  # beyond the top-level package: Python refuses it too
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import between modules of ``packages``: module level, inside functions, and under
    ``if TYPE_CHECKING:`` alike (each is a dependency a refactoring has to respect)."""
    known = modules(root, packages)
    edges: list[Import] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            candidates = _imported(node, name, is_package)
            if isinstance(node, ast.ImportFrom):
                # ``from a import b``: the submodule a.b if there is one, otherwise a itself.
                submodules = [c for c in candidates[:-1] if c in known]
                candidates = submodules if submodules else candidates[-1:]
            for target in candidates:
                if target in known and target != name:
                    edges.append(Import(name, target, str(path.relative_to(root)), node.lineno))
    return edges


def import_cycles(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[list[Import]]:
    """The import cycles: for each strongly connected component of more than one module, the
    imports between its modules (sorted, so the message is stable)."""
    edges = import_graph(root, packages)
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    # Tarjan's algorithm, iteratively (no recursion limit to meet on a deep chain).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return sorted(
        (
            sorted(
                (e for e in edges if e.source in c and e.target in c),
                key=lambda e: (e.source, e.target, e.line),
            )
            for c in components
        ),
        key=lambda imports: imports[0].source,
    )


def overlong_modules(
    root: Path, packages: tuple[str, ...] = PACKAGES, limit: int = MAX_LINES
) -> list[tuple[str, int]]:
    """(file, line count) of every module longer than ``limit`` lines."""
    found = []
    for path in modules(root, packages).values():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            found.append((str(path.relative_to(root)), count))
    return sorted(found)


_IGNORE = re.compile(r"type:\s*ignore(?:\[[^\]]*\])?(?P<after>.*)")
_REASON = re.compile(r"\s*#\s*\S")


def bare_type_ignores(root: Path, packages: tuple[str, ...] = ("bot",)) -> list[str]:
    """``file:line: comment`` of each ``# type: ignore`` with no ``# reason`` after it on its line.

    Comments are found with ``tokenize``, so the words inside a string do not count.
    """
    found = []
    for path in modules(root, packages).values():
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _IGNORE.search(token.string)
            if match and not _REASON.match(match.group("after")):
                where = f"{path.relative_to(root)}:{token.start[0]}"
                found.append(f"{where}: {token.string.strip()}")
    return found


def _describe(cycle: list[Import]) -> str:
    """``a ↔ b`` and, per pair of modules, the lines of the imports between them."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for e in cycle:
        lines.setdefault((e.source, e.target, e.file), []).append(str(e.line))
    names = sorted({e.source for e in cycle})
    return " ↔ ".join(names) + "".join(
        f"\n  {source} imports {target}: {file}:{', '.join(at)}"
        for (source, target, file), at in lines.items()
    )


# -- the application ---------------------------------------------------------------------------
def test_no_import_cycles() -> None:
    cycles = import_cycles(ROOT)
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(map(_describe, cycles))


def test_routing_imports_nothing_from_the_bot() -> None:
    """``routing`` is the library the bot uses (and the CLI and benchmarks use without it)."""
    wrong = [
        f"  {e.file}:{e.line}: {e.source} imports {e.target}"
        for e in import_graph(ROOT)
        if e.source.split(".")[0] == "routing" and e.target.split(".")[0] != "routing"
    ]
    assert not wrong, "routing imports from the bot's packages:\n" + "\n".join(wrong)


def test_no_module_over_600_lines() -> None:
    long = overlong_modules(ROOT)
    assert not long, f"modules over {MAX_LINES} lines:\n" + "\n".join(
        f"  {file}: {count} lines" for file, count in long
    )


def test_every_type_ignore_in_bot_says_why() -> None:
    bare = bare_type_ignores(ROOT)
    assert not bare, (
        "# type: ignore without a reason after it (write `# type: ignore[code]  # why`):\n"
        + "\n".join(f"  {b}" for b in bare)
    )


# -- the checkers themselves, on synthetic trees ------------------------------------------------
def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_is_found_with_the_lines_that_close_it(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/a.py": "from bot import b\nimport bot.c\n",
            # the way back is hidden in a function under TYPE_CHECKING, and relative
            "bot/b.py": (
                "from typing import TYPE_CHECKING\n\n\ndef f():\n"
                "    if TYPE_CHECKING:\n        from . import a\n"
            ),
            "bot/c.py": "import os\n",  # a → c, but nothing leads back
            "bot/d.py": "from bot.b import f\n",  # d → b, and nothing leads back
            "handlers/__init__.py": "from ..bot.a import x\n",  # beyond the root: ignored
        },
    )
    cycles = import_cycles(root)
    assert [[(e.source, e.target, e.file, e.line) for e in c] for c in cycles] == [
        [("bot.a", "bot.b", "bot/a.py", 1), ("bot.b", "bot.a", "bot/b.py", 6)]
    ]
    assert "bot.a ↔ bot.b" in _describe(cycles[0])


def test_dotted_and_package_relative_imports_resolve(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "routing/__init__.py": "from .x import y\n",
            "routing/x.py": "import routing.sub.z\n",
            "routing/sub/__init__.py": "",
            "routing/sub/z.py": "from ... import routing\nfrom .. import x\n",
        },
    )
    edges = {(e.source, e.target) for e in import_graph(root)}
    assert edges == {
        ("routing", "routing.x"),
        ("routing.x", "routing.sub.z"),
        ("routing.sub.z", "routing.x"),
    }
    assert [sorted({e.source for e in c}) for c in import_cycles(root)] == [
        ["routing.sub.z", "routing.x"]
    ]


def test_long_modules_and_bare_ignores_are_named(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/long.py": "x = 1\n" * 601,
            "bot/ok.py": "x = 1\n" * 600,
            "bot/hints.py": (
                "a = f()  # type: ignore[arg-type]  # the stub says str, it is bytes\n"
                "b = f()  # type: ignore\n"
                "c = f()  # type: ignore[misc]\n"
                "d = '# type: ignore'\n"
                "e = f()  # type: ignore  # untyped library\n"
            ),
        },
    )
    assert overlong_modules(root) == [("bot/long.py", 601)]
    assert bare_type_ignores(root) == [
        "bot/hints.py:2: # type: ignore",
        "bot/hints.py:3: # type: ignore[misc]",
    ]
