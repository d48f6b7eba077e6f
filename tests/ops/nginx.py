"""The repository's nginx configuration, run by Debian's nginx on loopback: the site
template filled in the way the nginx image fills it in, inside a minimal nginx.conf that
keeps every file nginx writes in the test's folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support import free_port, need

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "packaging" / "cloud" / "nginx" / "bilten.conf.template"
# Only BILTEN_ variables are filled in, as NGINX_ENVSUBST_FILTER=BILTEN_ does in the image.
_PLACEHOLDER = re.compile(r"\$\{(BILTEN_[A-Z0-9_]+)\}")


def render(template: str, values: Mapping[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(fill, template)


def nginx_binary() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    need(path is not None, "nginx (Debian package nginx-light)")
    assert path is not None
    return path


class Nginx:
    """nginx in front of ``upstreams`` (host:port), listening on a free loopback port."""

    def __init__(self, folder: Path, upstreams: tuple[str, str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.access_log = folder / "access.log"
        folder.mkdir(parents=True, exist_ok=True)
        site = render(
            TEMPLATE.read_text(),
            {
                "BILTEN_API_1": upstreams[0],
                "BILTEN_API_2": upstreams[1],
                "BILTEN_LISTEN": f"127.0.0.1:{self.port}",
                "BILTEN_ACCESS_LOG": str(self.access_log),
            },
        )
        (folder / "bilten.conf").write_text(site)
        temp = folder / "temp"
        temp.mkdir(exist_ok=True)
        # As root, workers would otherwise run as nobody, who cannot enter the test's folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\n"
            f"pid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  client_body_temp_path {temp / 'body'};\n"
            f"  proxy_temp_path {temp / 'proxy'};\n"
            f"  fastcgi_temp_path {temp / 'fastcgi'};\n"
            f"  uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"  scgi_temp_path {temp / 'scgi'};\n"
            f"  include {folder / 'bilten.conf'};\n"
            "}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *extra: str) -> list[str]:
        return [nginx_binary(), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                *extra]  # fmt: skip

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t``: the configuration as nginx reads it."""
        return subprocess.run(
            self.command("-t"), capture_output=True, text=True, timeout=60, check=False
        )

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            self.command("-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {self.error_log()}")
            try:
                httpx.get(f"{self.url}/metrics", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("nginx did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""
