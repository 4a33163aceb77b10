"""docker-compose.yml checked the way ``docker compose config`` would, where it cannot run.

No Docker engine or compose plugin is needed: the YAML is loaded and the references in it are
followed — services, health checks that ``depends_on: service_healthy`` relies on, named
volumes, the Dockerfile the bot is built from — and ``${…}`` is interpolated as compose does, to
show that the database password has no default. The bot's own health check is run as the
container would run it, against a local ``/healthz``. Where ``docker compose`` works, it
validates the file too.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
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
    assert re.fullmatch(r"postgresql://bot:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/bot",
                        env["DATABASE_URL"])
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert bot["env_file"][0]["path"] == ".env"
    postgres_env = compose["services"]["postgres"]["environment"]
    # The same password on both sides.
    assert postgres_env["POSTGRES_PASSWORD"] in env["DATABASE_URL"]


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}``; raises ValueError
    with the error text, as ``docker compose config`` stops with it."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if operator == ":?" and not value:
            raise ValueError(f"{name}: {argument}")
        if operator == ":-" and not value:
            return argument
        return value

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, text)


def test_there_is_no_default_database_password() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    uses = re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", text)
    assert len(uses) == 2  # the database's and the bot's
    for use in uses:
        assert use.startswith("${POSTGRES_PASSWORD:?"), use  # required, never defaulted
    with pytest.raises(ValueError) as refused:
        interpolate(text, {})
    assert str(refused.value).startswith("POSTGRES_PASSWORD: задайте POSTGRES_PASSWORD в .env")
    with pytest.raises(ValueError):
        interpolate(text, {"POSTGRES_PASSWORD": ""})  # empty is as good as unset
    given = yaml.safe_load(interpolate(text, {"POSTGRES_PASSWORD": "k7Qw9zL2"}))
    assert given["services"]["bot"]["environment"]["DATABASE_URL"] == (
        "postgresql://bot:k7Qw9zL2@postgres:5432/bot"
    )
    assert given["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "k7Qw9zL2"


def test_every_service_has_a_memory_limit_and_the_bot_time_to_stop(compose: dict) -> None:
    for name, service in compose["services"].items():
        assert re.fullmatch(r"\d+[mg]", str(service.get("mem_limit", ""))), name
    grace = compose["services"]["bot"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= 20


@pytest.fixture
def health_server():
    """A local /healthz that answers what ``status["code"]`` says: the bot's, as seen by the
    container's health check."""
    status = {"code": 200}

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            code = status["code"] if self.path == "/healthz" else 404
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}' if code == 200 else b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], status
    finally:
        server.shutdown()
        server.server_close()


def test_the_bots_health_check_asks_healthz_and_fails_on_503(compose: dict, health_server) -> None:
    bot = compose["services"]["bot"]
    check = bot["healthcheck"]
    assert check["test"][:2] == ["CMD", "python"]  # no curl in the image
    assert "/healthz" in check["test"][-1]
    assert "METRICS_PORT" in bot["environment"]  # the port /healthz is served on, always
    port, status = health_server

    def run_check(env_port: int) -> int:
        env = {"PATH": os.environ.get("PATH", ""), "METRICS_PORT": str(env_port)}
        argv = [sys.executable, *check["test"][2:]]
        return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode

    assert run_check(port) == 0
    status["code"] = 503
    assert run_check(port) != 0
    with socket.socket() as probe:  # nobody listening: the bot is down
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert run_check(closed) != 0


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
    def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [docker, "compose", "-f", str(COMPOSE), "config", "-q"],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"} | env,
        )

    result = config({"POSTGRES_PASSWORD": "k7Qw9zL2"})
    assert result.returncode == 0, result.stderr
    refused = config({})
    assert refused.returncode != 0 and "задайте POSTGRES_PASSWORD" in refused.stderr
