#!/usr/bin/env python3
"""Set up the project's own virtualenv and run the bot or the checks; needs only Python 3.11+.

    python3 dev.py run [ARGS…]   # .venv + requirements.lock      → python -m bot ARGS…
    python3 dev.py test [ARGS…]  # .venv + requirements-dev.lock  → ruff check . ; pytest ARGS…
                                 # (and apt-get install postgresql redis-server chromium
                                 #  chromium-driver when missing)
    python3 dev.py lock [--upgrade]  # pyproject.toml → both lock files (uv pip compile)

Dependencies come from the lock files, every version pinned with its hashes, so a clean clone,
CI and the Docker image install the same packages; the project itself is then installed in
editable mode without dependencies. They are reinstalled only when pyproject.toml or the lock
file changes: the hash of both is kept in a stamp inside .venv. Works from any current
directory. Standard library only, on purpose: this is what runs before anything is installed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".dev-install-stamp.json"
PYPROJECT = ROOT / "pyproject.toml"
#: The lock file each install reads: the runtime dependencies, and those plus the dev extra.
LOCKS = {"base": ROOT / "requirements.lock", "dev": ROOT / "requirements-dev.lock"}
#: The Python the locks are resolved for (the project's minimum and the Docker image's).
LOCK_PYTHON = "3.11"
MIN_PYTHON = (3, 11)
PYTEST_NO_TESTS = 5

USAGE = """\
Использование:
  python3 dev.py run [аргументы]    запустить бота (python -m bot)
  python3 dev.py test [аргументы]   ruff check . и pytest (аргументы передаются pytest)
  python3 dev.py lock [--upgrade]   пересобрать requirements.lock и requirements-dev.lock"""


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    python = venv_python()
    if python.exists():
        return python
    if VENV.exists():
        say(f"{VENV} повреждён (нет интерпретатора) — создаю заново")
        shutil.rmtree(VENV)
    say(f"создаю виртуальное окружение {VENV.relative_to(ROOT)}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    return python


def read_stamp() -> dict[str, str]:
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def input_digest(key: str) -> str:
    """What an install of ``key`` ("base" or "dev") was made from: pyproject.toml and its lock."""
    digest = hashlib.sha256(PYPROJECT.read_bytes())
    digest.update(LOCKS[key].read_bytes())
    return digest.hexdigest()


def pip(python: Path, *args: str) -> None:
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], cwd=ROOT)
    if result.returncode != 0:
        say("pip install не удался — см. сообщения выше")
        sys.exit(result.returncode)


def ensure_installed(python: Path, extra: str | None) -> None:
    """The lock's packages and the project (editable), unless these inputs were installed."""
    key = extra or "base"
    lock = LOCKS[key]
    if not lock.is_file():
        say(f"нет файла {lock.name}: соберите его командой python3 dev.py lock")
        sys.exit(1)
    digest = input_digest(key)
    stamp = read_stamp()
    if stamp.get(key) == digest:
        return
    say(f"устанавливаю зависимости из {lock.name}; в первый раз это займёт пару минут")
    pip(python, "--require-hashes", "-r", str(lock))
    pip(python, "--no-deps", "-e", ".")
    # The dev lock pins the same versions as the runtime one, so its install answers for both.
    stamp = {k: v for k, v in stamp.items() if k in LOCKS and v == input_digest(k)}
    stamp[key] = digest
    if extra:
        stamp["base"] = input_digest("base")
    STAMP.write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def _postgres_present() -> bool:
    """``initdb`` and ``pg_ctl`` on PATH or in Debian's /usr/lib/postgresql/*/bin."""
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return True
    return any(
        Path(directory, "initdb").exists() and Path(directory, "pg_ctl").exists()
        for directory in glob.glob("/usr/lib/postgresql/*/bin")
    )


#: Debian packages whose servers the tests start for real (tests/servers_pg.py and the Redis
#: one) and the browser the console's tests drive (tests/console/test_browser.py: Chromium
#: through its WebDriver), each with how to tell it is already there.
SYSTEM_PACKAGES = {
    "postgresql": _postgres_present,
    "redis-server": lambda: shutil.which("redis-server") is not None,
    "chromium": lambda: shutil.which("chromium") is not None,
    "chromium-driver": lambda: shutil.which("chromedriver") is not None,
}


def _missing_packages() -> list[str]:
    return [name for name, present in SYSTEM_PACKAGES.items() if not present()]


def ensure_system_packages() -> None:
    """Install the servers the tests need when missing; fail loudly when that is impossible.

    CI runs on a clean Debian: PostgreSQL and Redis tests must run there, never be skipped
    because nobody installed the servers. ``apt-get update`` only when the install fails
    (a stale or empty package list), to keep the usual run fast.
    """
    missing = _missing_packages()
    if not missing:
        return
    names = " ".join(missing)
    say(f"устанавливаю системные пакеты для тестов: apt-get install {names}")
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() == 0:
        prefix: list[str] | None = []
    else:
        prefix = ["sudo", "-n"] if shutil.which("sudo") else None
    if prefix is None or not shutil.which("apt-get"):
        _cannot_install(names, "нет apt-get или прав root (sudo)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.call(install, env=env) != 0:
        subprocess.call([*prefix, "apt-get", "update", "-q"], env=env)
        subprocess.call(install, env=env)
    still = _missing_packages()
    if still:
        _cannot_install(" ".join(still), "apt-get не смог их установить (см. сообщения выше)")


def _cannot_install(names: str, why: str) -> None:
    say(
        f"не удалось установить {names}: {why}. Без них тесты PostgreSQL/Redis и браузерные"
        f" тесты консоли не запустить —"
        f" установите вручную: sudo apt-get install {names}"
    )
    sys.exit(1)


def command_run(args: list[str]) -> int:
    python = ensure_venv()
    ensure_installed(python, None)
    say(" ".join(["запускаю бота: python -m bot", *args]))
    os.chdir(ROOT)
    argv = [str(python), "-m", "bot", *args]
    if os.name == "nt":  # no real exec on Windows
        return subprocess.call(argv)
    os.execv(argv[0], argv)
    return 0  # not reached


def command_test(args: list[str]) -> int:
    python = ensure_venv()
    ensure_installed(python, "dev")
    ensure_system_packages()
    say("ruff check .")
    lint = subprocess.call([str(python), "-m", "ruff", "check", "."], cwd=ROOT)
    say(" ".join(["pytest", *args]))
    tests = subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT)
    if tests == PYTEST_NO_TESTS:
        say("pytest не нашёл ни одного теста — это ошибка")
    failed = [name for name, code in (("ruff", lint), ("pytest", tests)) if code != 0]
    if failed:
        say("не прошло: " + ", ".join(failed))
        return tests or lint
    say("всё прошло")
    return 0


def command_lock(args: list[str]) -> int:
    """Resolve pyproject.toml into both lock files with uv (installed into .venv on demand).

    Versions already in a lock file are kept unless ``--upgrade`` is given (uv prefers the
    output file's pins); the runtime lock starts from the dev lock, so both pin the same
    versions. Resolved for every platform (``--universal``) on Python 3.11, with hashes.
    """
    if args not in ([], ["--upgrade"]):
        print(USAGE, file=sys.stderr)
        return 2
    python = ensure_venv()
    probe = [str(python), "-m", "uv", "--version"]
    if subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        say("устанавливаю uv в .venv")
        pip(python, "uv")

    def compile_lock(key: str, *options: str) -> None:
        say(f"uv pip compile → {LOCKS[key].name}")
        subprocess.run(
            [str(python), "-m", "uv", "pip", "compile", "pyproject.toml", *options,
             "--universal", "--python-version", LOCK_PYTHON, "--generate-hashes",
             "--custom-compile-command", "python3 dev.py lock", "--quiet",
             "--output-file", LOCKS[key].name],
            cwd=ROOT,
            check=True,
        )

    compile_lock("dev", "--extra", "dev", *args)
    shutil.copyfile(LOCKS["dev"], LOCKS["base"])  # its pins are the runtime lock's preferences
    compile_lock("base")
    say("готово: проверьте изменения (git diff) и запустите python3 dev.py test")
    return 0


COMMANDS = {"run": command_run, "test": command_test, "lock": command_lock}


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_PYTHON:
        print(f"Нужен Python {'.'.join(map(str, MIN_PYTHON))} или новее", file=sys.stderr)
        return 2
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help", "help") else 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except subprocess.CalledProcessError as exc:
        say(f"команда не удалась ({exc.returncode}): {' '.join(map(str, exc.cmd))}")
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
