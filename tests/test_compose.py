"""docker-compose.yml checked the way ``docker compose config`` would, where it cannot run.

No Docker engine or compose plugin is needed: the YAML is loaded and the references in it are
followed — services, health checks that ``depends_on: service_healthy`` relies on, named
volumes, the Dockerfile the bot is built from. Where ``docker compose`` works, it validates the
file too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_bot_postgres_and_redis_with_health_checks(compose: dict) -> None:
    services = compose["services"]
    assert {"bot", "postgres", "redis"} <= set(services)
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_the_bot_waits_for_healthy_services_that_exist(compose: dict) -> None:
    services = compose["services"]
    depends = services["bot"]["depends_on"]
    assert set(depends) == {"postgres", "redis"}
    for name, condition in depends.items():
        assert name in services
        assert condition["condition"] == "service_healthy"
        assert "healthcheck" in services[name], f"{name}: service_healthy needs a healthcheck"


def test_the_bot_is_pointed_at_postgres_and_redis(compose: dict) -> None:
    bot = compose["services"]["bot"]
    env = bot["environment"]
    assert re.fullmatch(r"postgresql://bot:\$\{POSTGRES_PASSWORD:-\w+\}@postgres:5432/bot",
                        env["DATABASE_URL"])
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert bot["env_file"][0]["path"] == ".env"
    postgres_env = compose["services"]["postgres"]["environment"]
    assert postgres_env["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-bot}"  # the same password


def test_every_named_volume_is_declared(compose: dict) -> None:
    declared = set(compose["volumes"])
    used = set()
    for service in compose["services"].values():
        for mount in service.get("volumes", ()):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    assert {"bot-data", "postgres-data", "redis-data"} <= declared


def test_the_bot_is_built_from_the_dockerfile_that_runs_python_m_bot(compose: dict) -> None:
    assert compose["services"]["bot"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert len(cmd) == 1
    assert json.loads(cmd[0][len("CMD") :]) == ["python", "-m", "bot"]
    for copied in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (ROOT / copied).exists(), f"Dockerfile copies {copied}, which does not exist"


def test_docker_compose_config_accepts_the_file_where_it_can_run() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker не установлен")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        pytest.skip("нет плагина docker compose")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
