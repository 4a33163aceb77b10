"""The lock files: what CI, a clean clone and the Docker image install, and that they are current.

`dev.py` installs ``requirements-dev.lock`` (tests) or ``requirements.lock`` (``dev.py run``),
the Dockerfile ``requirements.lock``; every line is pinned with hashes. A dependency added to
pyproject.toml without ``python3 dev.py lock`` fails here, before it fails a deployment.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)(?:\s*;\s*([^\\]+?))?\s*\\$", re.MULTILINE)


def pins(lock: Path) -> dict[str, str]:
    text = lock.read_text(encoding="utf-8")
    found = {canonicalize_name(name): version for name, version, _ in PIN.findall(text)}
    entries = [line for line in text.splitlines() if line and line[0].isalnum()]
    assert len(entries) == len(found), f"{lock.name}: a line is not «name==version \\» with hashes"
    return found


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in names]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [(LOCK, declared()), (DEV_LOCK, declared() + declared("dev"))],
    ids=["runtime", "dev"],
)
def test_the_lock_pins_every_declared_dependency_within_its_range(lock, requirements) -> None:
    pinned = pins(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} нет в {lock.name}: запустите python3 dev.py lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} в {lock.name} не подходит под «{requirement}»:"
            " запустите python3 dev.py lock"
        )
    text = lock.read_text(encoding="utf-8")
    assert text.count("==") <= text.count("--hash=sha256:")  # every pin has its hashes


def test_the_runtime_and_dev_locks_pin_the_same_versions() -> None:
    runtime, dev = pins(LOCK), pins(DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_docker_image_installs_the_runtime_lock_and_nothing_else() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^&\n]+)", dockerfile)
    assert [i.strip() for i in installs] == [
        "--require-hashes -r /tmp/requirements.lock",
        "--no-deps /src",  # the project itself; its dependencies came from the lock
    ]
    assert "COPY requirements.lock /tmp/requirements.lock" in dockerfile
