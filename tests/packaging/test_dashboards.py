"""Every metric the Grafana dashboards and the Prometheus alerts ask for is one a running
server exposes: a cloud and a venue server on loopback, after the traffic an evening brings
(sign-ups, a hold, gates admitting and rejecting, scans reaching the cloud), are scraped and
each name in each query is looked up."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from cloud.app import create_app as create_cloud
from cloud.settings import CloudSettings
from shared.messages import PairResponse, ScanBatch, decode, encode
from shared.reasons import Reason
from tests.cloud.conftest import Api
from tests.cloud.sync.test_scan_upload import scan as cloud_scan
from tests.conftest import CloudSchemas
from tests.support import serving
from tests.venue.conftest import scan as venue_scan
from venue_server.app import create_app as create_venue
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

CLOUD = Path(__file__).resolve().parents[2] / "packaging" / "cloud"
# Names Prometheus makes itself rather than scraping them.
FROM_PROMETHEUS = {"up", "time", "clamp_min"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_OURS = ("bilten_", "process_", "python_")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL query reads (ours and the process collector's)."""
    return {name for name in _NAME.findall(_STRING.sub("", expr)) if name.startswith(_OURS)}


def exposed_names(text: str) -> set[str]:
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def _queries() -> dict[str, str]:
    """Every query, by where it is: dashboard and panel, or alert."""
    found: dict[str, str] = {}
    for path in sorted((CLOUD / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                found[f"{path.name}: {panel['title']} ({target['refId']})"] = target["expr"]
    alerts = yaml.safe_load((CLOUD / "prometheus" / "alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            found[f"alert {rule['alert']}"] = rule["expr"]
    return found


@pytest.fixture(scope="module")
def scraped(
    tmp_path_factory: pytest.TempPathFactory, cloud_schemas: CloudSchemas
) -> Iterator[set[str]]:
    folder = tmp_path_factory.mktemp("scraped")
    cloud_settings = CloudSettings(
        database_url=cloud_schemas.sqlite_copy(folder / "cloud.db"),
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=folder / "cloud",
    )
    venue_settings = VenueSettings(data_dir=folder / "venue")
    store = VenueStore(venue_settings.db_path)
    try:
        with (
            serving(create_cloud(cloud_settings)) as cloud,
            serving(create_venue(venue_settings, store=store, sync=False)) as venue,
            httpx.Client(base_url=cloud.url, timeout=20) as http,
        ):
            api = Api(http)  # type: ignore[arg-type]
            setup = api.setup()
            answer = http.post(
                "/api/v1/shop/holds",
                json={
                    "event_id": setup.event_id,
                    "buyer_email": "ada@example.org",
                    "buyer_name": "Ada",
                    "items": [{"type_id": setup.type_id, "quantity": 2}],
                },
            )
            assert answer.status_code == 201, answer.text
            batch = ScanBatch(
                scans=[
                    cloud_scan(setup.event_id, "A" * 20),
                    cloud_scan(setup.event_id, "A" * 20, reason=Reason.ALREADY_ADMITTED),
                ]
            )
            answer = http.post(
                "/api/v1/venue/scans", content=encode(batch), headers=setup.venue_headers
            )
            assert answer.status_code == 200, answer.text

            code = issue_pairing_code(store, "North", 900, int(time.time()))
            paired = httpx.post(
                f"{venue.url}/api/v1/pair",
                json={"v": 1, "code": code, "device_name": "North 1"},
                timeout=10,
            )
            assert paired.status_code == 200, paired.text
            gate = decode(paired.content, PairResponse)
            gate_batch = ScanBatch(scans=[venue_scan(gate), venue_scan(gate, Reason.REVOKED)])
            answer = httpx.post(
                f"{venue.url}/api/v1/scans",
                content=encode(gate_batch),
                headers={"Authorization": f"Bearer {gate.device_token}"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text

            names = exposed_names(http.get("/metrics").text)
            names |= exposed_names(httpx.get(f"{venue.url}/metrics", timeout=10).text)
    finally:
        store.close()
    yield names


def test_the_parser_finds_metric_names_in_queries() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, path) (rate(bilten_cloud_request_duration_seconds"
        '_bucket{path!="/bilten_nothing"}[5m]))) / up{job="bilten-cloud"}'
    )
    assert metric_names(expr) == {"bilten_cloud_request_duration_seconds_bucket"}


@pytest.mark.parametrize(("where", "expr"), sorted(_queries().items()))
def test_every_queried_metric_is_exposed(scraped: set[str], where: str, expr: str) -> None:
    names = metric_names(expr)
    # A query that reads none of our metrics reads Prometheus's own (up) and nothing else.
    assert names or set(_NAME.findall(_STRING.sub("", expr))) & FROM_PROMETHEUS, where

    missing = names - scraped

    assert not missing, f"{where} asks for {sorted(missing)}, which no server exposes"
