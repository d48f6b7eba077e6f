"""Every picture is kept in the sizes browsers pick from (srcset), each under its content's
fingerprint with a year-long immutable cache; the organizer's upload form judges a file by
its bytes, never by its name or the type the browser claims."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Organizer
from tests.cloud.web.conftest import Visitor

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def settings(settings: CloudSettings) -> CloudSettings:
    # The pages' forms over the plain-http test client need a cookie that is not Secure.
    return dataclasses.replace(settings, cookie_secure=False)


def picture(width: int, height: int, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def upload(client: TestClient[Any], org: Organizer, event_id: int, body: bytes) -> Any:
    answer = client.put(
        f"/api/v1/events/{event_id}/image",
        content=body,
        headers={**org.headers, "Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_large_picture_is_kept_in_three_sizes_each_fingerprinted_and_cached_forever(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()

    event = upload(client, setup.organizer, setup.event_id, picture(3000, 1500, "JPEG"))

    sizes = event["image_sizes"]
    assert [size["width"] for size in sizes] == [400, 800, 1600]
    assert sizes[-1]["url"] == event["image_url"]
    for size in sizes:
        served = client.get(size["url"])
        assert served.status_code == 200
        assert served.headers["cache-control"] == IMMUTABLE
        assert served.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(served.content)).width == size["width"]
        name = size["url"].rsplit("/", 1)[1]
        assert name == hashlib.sha256(served.content).hexdigest()[:32] + ".jpg"
    shop = client.get(f"/api/v1/shop/events/{setup.event_id}").json()
    assert shop["image_sizes"] == sizes
    page = client.get(f"/events/{setup.event_id}").text
    srcset = re.search(r'srcset="([^"]+)"', page)
    assert srcset is not None
    assert srcset.group(1) == ", ".join(f"{s['url']} {s['width']}w" for s in sizes)


def test_a_small_picture_is_kept_in_its_own_size_only(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()

    event = upload(client, setup.organizer, setup.event_id, picture(300, 200, "PNG"))

    assert [(s["width"], s["url"]) for s in event["image_sizes"]] == [(300, event["image_url"])]


def _organizer_page(api: Api, client: TestClient[Any], org: Organizer) -> Visitor:
    email = client.get("/api/v1/auth/me", headers=org.headers).json()["email"]
    visitor = Visitor(client)
    answer = visitor.submit(
        "/account/login", "/account/login", {"email": email, "password": "correct horse"}
    )
    assert answer.status_code == 303
    return visitor


def test_the_upload_form_goes_by_the_bytes_not_the_name_or_claimed_type(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    [org] = client.get("/api/v1/orgs", headers=setup.organizer.headers).json()
    visitor = _organizer_page(api, client, setup.organizer)
    page = f"/organizer/orgs/{org['org_id']}/events/{setup.event_id}"
    token = visitor.csrf(visitor.get(page))
    media = settings.data_dir / "media"

    html = visitor.client.post(
        f"{page}/image",
        data={"_csrf_token": token},
        files={"image": ("poster.png", b"<html><script>alert(1)</script></html>", "image/png")},
        follow_redirects=False,
    )
    stored_after_html = sorted(media.glob("*")) if media.exists() else []
    png = visitor.client.post(
        f"{page}/image",
        data={"_csrf_token": token},
        files={"image": ("photo.jpg", picture(640, 480, "PNG"), "image/jpeg")},
        follow_redirects=False,
    )

    assert html.status_code == 400
    assert "only JPEG, PNG and WebP images are accepted" in html.text
    assert stored_after_html == []
    assert png.status_code == 303
    event = client.get(f"/api/v1/events/{setup.event_id}", headers=setup.organizer.headers)
    url = event.json()["image_url"]
    assert url.endswith(".png")
    assert client.get(url).headers["content-type"] == "image/png"
