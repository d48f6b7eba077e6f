"""Organizers upload an event picture; buyers' browsers fetch it, cached forever. Anything
that is not a real JPEG, PNG or WebP, or that would unpack into too many pixels, is refused
and changes nothing."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from cloud.media.images import MAX_UPLOAD_BYTES
from tests.cloud.conftest import Api, Organizer


@pytest.fixture
def event(api: Api) -> tuple[Organizer, int]:
    org = api.signup()
    venue_id, _ = api.venue(org)
    return org, api.event(org, venue_id)["event_id"]


def _jpeg_with_camera_data(width: int, height: int) -> bytes:
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0110] = "Model X"  # Model
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif.tobytes(), comment=b"secret note")
    return out.getvalue()


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 255, 100)).save(out, format="PNG")
    return out.getvalue()


def _upload(client: TestClient[Any], org: Organizer, event_id: int, body: bytes) -> Any:
    return client.put(
        f"/api/v1/events/{event_id}/image",
        content=body,
        headers={**org.headers, "Content-Type": "application/octet-stream"},
    )


def _fetch(client: TestClient[Any], url: str) -> Any:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r


def test_a_jpeg_is_resized_stripped_of_camera_data_and_cached_forever(
    client: TestClient[Any], event: tuple[Organizer, int]
) -> None:
    org, event_id = event

    r = _upload(client, org, event_id, _jpeg_with_camera_data(3000, 1500))

    assert r.status_code == 200, r.text
    body = r.json()
    image = _fetch(client, body["image_url"])
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "public, max-age=31536000, immutable"
    served = Image.open(io.BytesIO(image.content))
    assert (served.format, served.size) == ("JPEG", (1600, 800))
    assert len(served.getexif()) == 0
    assert b"SpyCam" not in image.content and b"secret note" not in image.content
    thumbnail = Image.open(io.BytesIO(_fetch(client, body["thumbnail_url"]).content))
    assert thumbnail.size == (400, 200)
    # Buyers see it on the event's page too.
    page = client.get(f"/api/v1/shop/events/{event_id}").json()
    assert page["image_url"] == body["image_url"]


def test_a_png_keeps_its_transparency_and_the_same_picture_keeps_its_name(
    client: TestClient[Any], event: tuple[Organizer, int]
) -> None:
    org, event_id = event
    data = _png(300, 200)

    first = _upload(client, org, event_id, data).json()
    again = _upload(client, org, event_id, data).json()

    assert first["image_url"] == again["image_url"]
    assert first["image_url"].endswith(".png")
    served = Image.open(io.BytesIO(_fetch(client, first["image_url"]).content))
    assert (served.format, served.mode, served.size) == ("PNG", "RGBA", (300, 200))
    assert served.getpixel((10, 10)) == (0, 128, 255, 100)


def test_a_webp_is_accepted(client: TestClient[Any], event: tuple[Organizer, int]) -> None:
    org, event_id = event
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "green").save(out, format="WEBP")

    r = _upload(client, org, event_id, out.getvalue())

    assert r.status_code == 200, r.text
    assert _fetch(client, r.json()["image_url"]).headers["content-type"] == "image/webp"


def _decompression_bomb() -> bytes:
    """A valid PNG header claiming 60000x60000 pixels, a few hundred bytes long."""
    real = _png(8, 8)
    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return real[:8] + patched + real[8 + 25 :]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"\x89PNG\r\n\x1a\nI am really a text file, honest.\n" * 10, 400, "JPEG, PNG and WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 400, "JPEG"),
        (_gif(), 400, "JPEG, PNG and WebP"),
        (_png(40, 40)[:60], 400, "damaged"),
        (_decompression_bomb(), 400, "pixels"),
        (b"", 400, "JPEG, PNG and WebP"),
    ],
    ids=["text-as-png", "svg", "gif", "truncated", "bomb", "empty"],
)
def test_anything_else_is_refused_and_changes_nothing(
    client: TestClient[Any], event: tuple[Organizer, int], body: bytes, status: int, says: str
) -> None:
    org, event_id = event

    r = _upload(client, org, event_id, body)

    assert r.status_code == status, r.text
    assert says in r.json()["detail"]
    assert client.get(f"/api/v1/events/{event_id}", headers=org.headers).json()["image_url"] is None


def test_an_upload_over_five_megabytes_is_refused(
    client: TestClient[Any], event: tuple[Organizer, int]
) -> None:
    org, event_id = event
    # Random bytes after a JPEG signature: big, whatever they decode to.
    oversize = b"\xff\xd8\xff\xe0" + bytes(MAX_UPLOAD_BYTES)

    r = _upload(client, org, event_id, oversize)

    assert r.status_code == 413
    assert client.get(f"/api/v1/events/{event_id}", headers=org.headers).json()["image_url"] is None


def test_only_the_organizer_uploads(
    api: Api, client: TestClient[Any], event: tuple[Organizer, int]
) -> None:
    _, event_id = event
    stranger = api.signup()

    assert _upload(client, stranger, event_id, _png(10, 10)).status_code == 404
    assert client.put(f"/api/v1/events/{event_id}/image", content=_png(10, 10)).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/media/0123456789abcdef0123456789abcdef.png",
        "/media/..%2Fcloud.db",
        "/media/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/media/cloud.db",
        "/media/.upload-x",
    ],
)
def test_unknown_media_and_paths_outside_the_store_are_not_found(
    client: TestClient[Any], path: str
) -> None:
    assert client.get(path).status_code == 404
