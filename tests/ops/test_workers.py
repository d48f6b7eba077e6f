"""``bilten cloud serve --workers N``: several API processes on one port. Each writes its own
log lines, and /metrics, answered by whichever process the scrape reaches, counts what all
of them served."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.ops.cloud_process import CloudProcess

pytestmark = pytest.mark.slow

REQUESTS = 40


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[CloudProcess]:
    process = CloudProcess(tmp_path / "cloud", env={}, workers=2).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.terminate()
        process.kill()


def test_every_worker_logs_its_requests_and_metrics_count_them_all(
    two_workers: CloudProcess,
) -> None:
    def get(_: int) -> str:
        answer = httpx.get(f"{two_workers.url}/health/live", timeout=30)
        assert answer.status_code == 200
        return answer.headers["x-request-id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = set(pool.map(get, range(REQUESTS)))
    scraped = [
        two_workers.metric(
            "bilten_cloud_requests_total",
            app_name="bilten_cloud",
            method="GET",
            path="/health/live",
            status_code="200",
        )
        for _ in range(6)
    ]

    # Whichever process answers the scrape, it counts the requests of both.
    assert scraped == [REQUESTS] * 6
    assert two_workers.wait_for_line(
        lambda _line: ids <= {line.get("request_id") for line in two_workers.log}, timeout=30
    )
    access = [line for line in two_workers.log if line.get("request_id") in ids]
    assert len(access) == REQUESTS
    # Served, and logged, by the worker processes, not by the one that started them.
    started = {
        line["pid"] for line in two_workers.log if "Started parent process" in line["message"]
    }
    assert started and not started & {line["pid"] for line in access}
