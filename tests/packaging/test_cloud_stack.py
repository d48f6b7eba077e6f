"""The cloud's container stack (packaging/cloud), checked as far as a machine without a Docker
engine can: the compose file names services, images, files and addresses that exist; the
Dockerfile copies what exists and runs commands ``bilten`` accepts; nginx (Debian's) accepts
the nginx configuration; promtool accepts the Prometheus configuration and alerts; Grafana's
provisioning points at the dashboards and the data source they use. Whether the image
builds and the stack starts is not checked here (README: Operations)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shared.cli import build_parser
from tests.ops.nginx import Nginx
from tests.support import free_port, need

REPO = Path(__file__).resolve().parents[2]
CLOUD = REPO / "packaging" / "cloud"
API_SERVICES = ("api1", "api2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CLOUD / "compose.yaml").read_text())
    return loaded


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (CLOUD / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_compose_runs_two_api_processes_a_worker_and_their_dependencies(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]

    assert set(services) == {
        "migrate",
        *API_SERVICES,
        "worker",
        "postgres",
        "redis",
        "nginx",
        "prometheus",
        "grafana",
    }
    ours = [services[name] for name in ("migrate", *API_SERVICES, "worker")]
    # One image for every cloud process, built from the repository with our Dockerfile.
    assert len({s["image"] for s in ours}) == 1
    for service in ours:
        build = service["build"]
        assert (CLOUD / build["context"] / build["dockerfile"]).resolve() == (
            CLOUD / "Dockerfile"
        ).resolve()
    commands = [services[name].get("command") for name in ("migrate", *API_SERVICES, "worker")]
    assert commands == [["bilten", "cloud", "migrate"], None, None, ["bilten", "cloud", "worker"]]
    for name in (*API_SERVICES, "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_every_process_shares_the_database_redis_secrets_and_files(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    environments = [services[name]["environment"] for name in ("migrate", *API_SERVICES, "worker")]
    for key in (
        "BILTEN_DATABASE_URL",
        "BILTEN_REDIS_URL",
        "BILTEN_MASTER_KEY",
        "BILTEN_JWT_SECRET",
    ):
        assert len({env[key] for env in environments}) == 1, key
    assert "@postgres:5432/" in environments[0]["BILTEN_DATABASE_URL"]
    assert environments[0]["BILTEN_REDIS_URL"].startswith("redis://redis:6379")
    # Pictures uploaded through one API process are served by the other.
    volumes = {tuple(services[name]["volumes"]) for name in (*API_SERVICES, "worker")}
    assert volumes == {("cloud-data:/var/lib/bilten/cloud",)}


def test_the_apis_trust_exactly_the_load_balancer(compose: dict[str, Any]) -> None:
    services = compose["services"]
    nginx_address = services["nginx"]["networks"]["backend"]["ipv4_address"]

    for name in API_SERVICES:
        assert services[name]["environment"]["BILTEN_TRUSTED_PROXIES"] == f"{nginx_address}/32"
    # nginx sends requests to the API services, on the port the image serves.
    env = services["nginx"]["environment"]
    (exposed,) = [int(args) for instruction, args in _dockerfile() if instruction == "EXPOSE"]
    assert {env["BILTEN_API_1"], env["BILTEN_API_2"]} == {f"{n}:{exposed}" for n in API_SERVICES}
    assert env["NGINX_ENVSUBST_FILTER"] == "BILTEN_"


def test_every_file_the_stack_mounts_is_in_the_repository(compose: dict[str, Any]) -> None:
    mounted = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]

    assert mounted
    for source in mounted:
        assert (CLOUD / source).exists(), source


def test_prometheus_scrapes_each_api_process_not_the_load_balancer(
    compose: dict[str, Any],
) -> None:
    config = yaml.safe_load((CLOUD / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    (exposed,) = [int(args) for instruction, args in _dockerfile() if instruction == "EXPOSE"]

    targets = jobs["bilten-cloud"]["static_configs"][0]["targets"]
    assert sorted(targets) == [f"{name}:{exposed}" for name in API_SERVICES]
    assert all("nginx" not in target for target in targets)


def test_the_image_copies_what_exists_and_runs_commands_bilten_accepts(
    compose: dict[str, Any],
) -> None:
    instructions = _dockerfile()
    copies = [args.split() for instruction, args in instructions if instruction == "COPY"]
    for parts in copies:
        if parts[0].startswith("--from"):
            continue
        for source in parts[:-1]:
            assert (REPO / source).exists(), source
    # The build context leaves out what the image must not carry.
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "bilten-data"} <= set(ignored)

    (cmd,) = [json.loads(args) for instruction, args in instructions if instruction == "CMD"]
    assert cmd[:3] == ["bilten", "cloud", "serve"]
    commands = [cmd] + [compose["services"][name]["command"] for name in ("migrate", "worker")]
    for command in commands:
        args = build_parser().parse_args(command[1:])
        assert callable(args.handler)
    healthcheck = next(args for instruction, args in instructions if instruction == "HEALTHCHECK")
    assert "/health/live" in healthcheck


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path, (f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"))

    checked = nginx.check()

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_a_token_in_a_failed_request_reaches_no_nginx_log(tmp_path: Path) -> None:
    # Both API processes down: nginx answers 502 and would write the request line, with the
    # buyer's hold token in its path, into its error log.
    nginx = Nginx(tmp_path, (f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}")).start()
    token = "Zq3" + "x" * 40
    try:
        answer = httpx.post(f"{nginx.url}/api/v1/shop/holds/{token}/checkout", timeout=30)
    finally:
        nginx.stop()

    assert answer.status_code == 502
    assert token not in nginx.error_log()
    assert token not in nginx.access_log.read_text()
    # What operators need to see the failure is in the access log.
    line = json.loads(nginx.access_log.read_text().splitlines()[-1])
    assert line["status"] == 502
    assert line["path"] == "/api/v1/shop/holds/[redacted]/checkout"
    assert line["upstream_status"].startswith("502")


def _promtool() -> str:
    path = shutil.which("promtool")
    need(path is not None, "promtool (Debian package prometheus)")
    assert path is not None
    return path


def test_promtool_accepts_the_prometheus_configuration_and_alerts() -> None:
    promtool = _promtool()

    config = subprocess.run(
        [promtool, "check", "config", str(CLOUD / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    rules = subprocess.run(
        [promtool, "check", "rules", str(CLOUD / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout + config.stderr
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_grafana_loads_the_dashboards_from_the_data_source_it_provisions(
    compose: dict[str, Any],
) -> None:
    grafana = CLOUD / "grafana"
    datasources = yaml.safe_load((grafana / "provisioning/datasources/prometheus.yaml").read_text())
    providers = yaml.safe_load((grafana / "provisioning/dashboards/bilten.yaml").read_text())
    mounts = dict(
        volume.split(":")[:2]
        for volume in compose["services"]["grafana"]["volumes"]
        if volume.startswith("./")
    )
    (source,) = datasources["datasources"]
    (provider,) = providers["providers"]

    # The provider's folder is where compose mounts the repository's dashboards.
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert source["url"] == "http://prometheus:9090"
    dashboards = sorted((grafana / "dashboards").glob("*.json"))
    assert [d.name for d in dashboards] == ["cloud.json", "venue.json"]
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["panels"]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])


def test_the_example_settings_name_every_setting_the_stack_requires() -> None:
    example = (CLOUD / "bilten.env.example").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (CLOUD / "compose.yaml").read_text()))
    given = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    }

    assert required <= given


def test_the_stacks_database_connections_fit_postgresqls_default_limit(
    compose: dict[str, Any],
) -> None:
    from cloud.worker import WORKER_POOL

    services = compose["services"]
    setting = services["api1"]["environment"]["BILTEN_DATABASE_POOL"]
    pool = int(re.fullmatch(r"\$\{BILTEN_DATABASE_POOL:-(\d+)\}", setting)[1])  # type: ignore[index]
    # The cloud image without another command: `bilten cloud serve`, one process each.
    api_processes = [
        name
        for name, service in services.items()
        if service.get("image", "").startswith("bilten-cloud:") and "command" not in service
    ]
    assert sorted(api_processes) == sorted(API_SERVICES)
    # PostgreSQL's default max_connections (100) less its 3 superuser connections; the
    # postgres service changes neither.
    assert "command" not in services["postgres"]
    assert len(api_processes) * pool + WORKER_POOL <= 97
