"""Uploaded pictures: only JPEG, PNG and WebP, recognised from the bytes (never from a name
or a header the client sends), decoded with a pixel budget so a small file cannot unpack into
gigabytes, and re-encoded, so nothing but the pixels (and the colour profile they need)
survives: no EXIF camera data or GPS position, no comments, no trailing payloads."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from cloud.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# 40 megapixels: any camera's photo fits, a decompression bomb does not.
MAX_PIXELS = 40_000_000
LARGE_SIDE = 1600
THUMBNAIL_SIDE = 400
# The sizes browsers choose from (srcset): a phone's card, a tablet, a wide screen.
RENDITION_SIDES = (400, 800, 1600)

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 85, "method": 4},
}


class ImageRejected(InvalidInput):
    """The upload is not a picture we accept."""


@dataclass(frozen=True, slots=True)
class Resized:
    """One size of a picture, encoded."""

    width: int
    height: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Renditions:
    """A picture ready to store: fits in LARGE_SIDE, a THUMBNAIL_SIDE thumbnail, and every
    size of RENDITION_SIDES the picture is larger than (plus its own, when smaller than
    the largest), smallest first, for browsers to pick from."""

    content_type: str
    image: bytes
    thumbnail: bytes
    sizes: tuple[Resized, ...] = ()


def prepare_image(data: bytes) -> Renditions:
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(f"images may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        # Only these decoders are tried, so any other format is refused before decoding.
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as source:
            fmt = source.format or ""
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise ImageRejected(
                    f"the image is {width}x{height} pixels; at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted"
                )
            source.load()
            picture = _clean(source, fmt)
    except Image.DecompressionBombError as exc:
        raise ImageRejected("the image unpacks to too many pixels") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("only JPEG, PNG and WebP images are accepted") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated or corrupt data behind a valid header.
        raise ImageRejected("the image is damaged and cannot be read") from exc
    icc = picture.info.get("icc_profile")
    large = _fit(picture, LARGE_SIDE)
    thumbnail = _fit(large, THUMBNAIL_SIDE)
    image = _encode(large, fmt, icc)
    return Renditions(
        _FORMATS[fmt], image, _encode(thumbnail, fmt, icc), _sizes(large, fmt, icc, image)
    )


def _sizes(large: Image.Image, fmt: str, icc: bytes | None, encoded: bytes) -> tuple[Resized, ...]:
    """The smaller sizes of ``large`` (the longest side RENDITION_SIDES), then ``large``."""
    longest = max(large.size)
    out = []
    for side in RENDITION_SIDES:
        if side >= longest:
            break
        smaller = _fit(large, side)
        out.append(Resized(smaller.width, smaller.height, _encode(smaller, fmt, icc)))
    out.append(Resized(large.width, large.height, encoded))
    return tuple(out)


def _clean(source: Image.Image, fmt: str) -> Image.Image:
    """The pixels upright (EXIF orientation applied, since EXIF is dropped) in a mode the
    format saves, with transparency kept where the format has it."""
    upright = ImageOps.exif_transpose(source)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if has_alpha and fmt != "JPEG":
        mode = "RGBA"
    elif upright.mode == "L":
        mode = "L"
    else:
        mode = "RGB"
    icc = upright.info.get("icc_profile")
    converted = upright.convert(mode) if upright.mode != mode else upright.copy()
    # Everything the decoder read beside the pixels goes, except the colour profile.
    converted.info = {"icc_profile": icc} if icc else {}
    return converted


def _fit(picture: Image.Image, side: int) -> Image.Image:
    copy = picture.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _encode(picture: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    options = dict(_SAVE_OPTIONS[fmt])
    if icc:
        options["icc_profile"] = icc
    picture.info = {}
    picture.save(out, format=fmt, **options)
    return out.getvalue()
