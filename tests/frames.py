"""Camera frames of real ticket codes as a door camera sees them, made up deterministically.

Each frame is a 1280x720 BGR image of one signed ticket QR (or of no QR at all), posed in 3D
and spoiled the ways codes at a door are: phones in dark mode (light modules on black), faded
or low-contrast prints, sensor noise, focus and motion blur, tilt, any rotation, crumpled
paper, glare, a code held far away, heavy JPEG compression, and several of these at once.
The same seed always gives the same frames, so a decoder's success rate on a set is a fair
number to compare between versions, and a failing frame can be rebuilt to look at.

Both the tests and ``benchmarks/scan_pipeline.py`` import this module; it needs numpy, OpenCV,
segno and the ticket signer, nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.qr import make_qr
from shared.token import TICKET_ID_BYTES, TicketClaims, sign_ticket

Image = npt.NDArray[Any]

WIDTH, HEIGHT = 1280, 720
QUIET_ZONE = 4  # modules of blank margin around every printed or shown code
_CANON_MODULE = 8  # pixels per module before the code is posed in the scene
_FOCAL = 1100.0  # pixels: a typical 1280x720 webcam's field of view, about 60 degrees wide

# One key for every generated frame: the frames are pictures of tickets, not part of any
# venue's manifest, so a fixed key keeps them reproducible across runs and machines.
FRAME_KEY_ID = 9001
FRAME_EVENT_ID = 9001
FRAME_PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"bilten generated door frames").digest()
)

CATEGORIES = (
    "clean",
    "dark_mode",
    "faded",
    "noise",
    "blur",
    "motion_blur",
    "tilt",
    "rotation",
    "crumple",
    "glare",
    "small",
    "jpeg",
    "combined",
)
NEGATIVE_KINDS = ("clutter", "linear_barcode", "data_matrix", "qr_lookalike", "blank")


@dataclass(frozen=True, slots=True)
class DoorFrame:
    """One generated frame and the ticket text it shows (``None`` when it shows no QR)."""

    category: str
    seed: int
    image: Image = field(repr=False)
    expected: str | None


def ticket_token(rng: np.random.Generator) -> str:
    """A real signed ticket token, the same for the same generator state."""
    claims = TicketClaims(
        key_id=FRAME_KEY_ID,
        event_id=FRAME_EVENT_ID,
        ticket_id=rng.bytes(TICKET_ID_BYTES),
        type_id=int(rng.integers(1, 9)),
        issued_at=1_750_000_000 + int(rng.integers(0, 10_000_000)),
    )
    return sign_ticket(claims, FRAME_PRIVATE_KEY)


TokenMaker = Callable[[np.random.Generator], str]


def degraded_frames(
    count: int,
    seed: int = 0,
    categories: Sequence[str] = CATEGORIES,
    token: TokenMaker = ticket_token,
) -> list[DoorFrame]:
    """``count`` frames cycling through ``categories``, each with its own derived seed."""
    return [
        door_frame(categories[i % len(categories)], _derive(seed, i), token) for i in range(count)
    ]


def negative_frames(count: int, seed: int = 0) -> list[DoorFrame]:
    """Frames with no QR code in them: clutter, other barcode kinds, QR-like patterns."""
    frames = []
    for i in range(count):
        kind = NEGATIVE_KINDS[i % len(NEGATIVE_KINDS)]
        frame_seed = _derive(seed + 7919, i)
        rng = np.random.default_rng(frame_seed)
        frames.append(DoorFrame(kind, frame_seed, _NEGATIVES[kind](rng), None))
    return frames


def door_frame(category: str, seed: int, token: TokenMaker = ticket_token) -> DoorFrame:
    """Rebuild the one frame of ``category`` and ``seed``."""
    if category not in _RECIPES:
        raise ValueError(f"unknown frame category {category!r}")
    rng = np.random.default_rng(seed)
    text = token(rng)
    recipe = _RECIPES[category](rng)
    return DoorFrame(category, seed, render(text, recipe, rng), text)


def _derive(seed: int, index: int) -> int:
    digest = hashlib.sha256(f"{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


# -- recipes: what happens to the code between the printer (or phone) and the camera --------


@dataclass(slots=True)
class Recipe:
    """The physical story of one frame. Sizes are in modules, so they scale with the code."""

    module_px: float = 5.0  # size of one module in the camera frame
    roll: float = 0.0  # degrees, in the image plane
    tilt: float = 0.0  # degrees away from facing the camera
    dark_mode: bool = False  # a phone showing light modules on black
    ink: int = 25  # grey level of dark modules on paper
    paper: int = 235  # grey level of the paper
    shading: float = 0.1  # uneven light across the scene, as a fraction of brightness
    crumple: float = 0.0  # peak displacement of the paper surface, in modules
    glare: float = 0.0  # radius of a saturated reflection, as a fraction of the code's width
    blur: float = 0.0  # gaussian focus blur sigma, in modules
    motion: float = 0.0  # motion blur length, in modules
    noise: float = 3.0  # sensor noise sigma, in grey levels
    jpeg: int = 0  # JPEG quality the frame went through (0: none)


def _base(rng: np.random.Generator) -> Recipe:
    """An ordinary hold: code a comfortable size, held roughly upright and square on."""
    return Recipe(
        module_px=float(rng.uniform(3.5, 7.0)),
        roll=float(rng.uniform(-20, 20)),
        tilt=float(rng.uniform(0, 12)),
        ink=int(rng.integers(10, 50)),
        paper=int(rng.integers(200, 250)),
        shading=float(rng.uniform(0.0, 0.2)),
        blur=float(rng.uniform(0.05, 0.15)),
        noise=float(rng.uniform(1.5, 5.0)),
    )


def _clean(rng: np.random.Generator) -> Recipe:
    return _base(rng)


def _dark_mode(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.dark_mode = True
    recipe.paper = int(rng.integers(0, 35))  # the black screen
    recipe.ink = int(rng.integers(170, 245))  # the lit modules
    return recipe


def _faded(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.paper = int(rng.integers(150, 215))
    recipe.ink = recipe.paper - int(rng.integers(35, 70))
    recipe.shading = float(rng.uniform(0.15, 0.35))
    return recipe


def _noise(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.noise = float(rng.uniform(12, 30))
    return recipe


def _blur(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.blur = float(rng.uniform(0.25, 0.45))
    return recipe


def _motion_blur(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.motion = float(rng.uniform(0.5, 1.1))
    return recipe


def _tilt(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.tilt = float(rng.uniform(15, 35))
    return recipe


def _rotation(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.roll = float(rng.uniform(0, 360))
    return recipe


def _crumple(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.crumple = float(rng.uniform(0.15, 0.4))
    recipe.shading = float(rng.uniform(0.1, 0.25))
    return recipe


def _glare(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.glare = float(rng.uniform(0.06, 0.14))
    return recipe


def _small(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.module_px = float(rng.uniform(2.2, 3.0))
    recipe.blur = float(rng.uniform(0.05, 0.12))
    return recipe


def _jpeg(rng: np.random.Generator) -> Recipe:
    recipe = _base(rng)
    recipe.jpeg = int(rng.integers(12, 30))
    return recipe


def _combined(rng: np.random.Generator) -> Recipe:
    """Two or three troubles at once, each a little milder than on its own."""
    recipe = _base(rng)
    troubles = rng.choice(len(_MILD), size=int(rng.integers(2, 4)), replace=False)
    for index in sorted(troubles):
        _MILD[index](recipe, rng)
    return recipe


def _mild_dark(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.dark_mode, recipe.paper, recipe.ink = True, int(rng.integers(0, 35)), 200


def _mild_faded(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.paper = int(rng.integers(160, 215))
    recipe.ink = recipe.paper - int(rng.integers(50, 80))


def _mild_noise(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.noise = float(rng.uniform(8, 18))


def _mild_blur(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.blur = float(rng.uniform(0.18, 0.3))


def _mild_tilt(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.tilt = float(rng.uniform(12, 28))


def _mild_rotation(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.roll = float(rng.uniform(0, 360))


def _mild_crumple(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.crumple = float(rng.uniform(0.1, 0.3))


def _mild_glare(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.glare = float(rng.uniform(0.05, 0.1))


def _mild_jpeg(recipe: Recipe, rng: np.random.Generator) -> None:
    recipe.jpeg = int(rng.integers(20, 40))


_MILD = (
    _mild_dark,
    _mild_faded,
    _mild_noise,
    _mild_blur,
    _mild_tilt,
    _mild_rotation,
    _mild_crumple,
    _mild_glare,
    _mild_jpeg,
)

_RECIPES: dict[str, Callable[[np.random.Generator], Recipe]] = {
    "clean": _clean,
    "dark_mode": _dark_mode,
    "faded": _faded,
    "noise": _noise,
    "blur": _blur,
    "motion_blur": _motion_blur,
    "tilt": _tilt,
    "rotation": _rotation,
    "crumple": _crumple,
    "glare": _glare,
    "small": _small,
    "jpeg": _jpeg,
    "combined": _combined,
}


# -- rendering ------------------------------------------------------------------------------


def render(text: str, recipe: Recipe, rng: np.random.Generator) -> Image:
    """The camera frame: the code on its carrier, posed in a cluttered scene, then the
    lighting and the camera's own faults applied in the order light meets them."""
    carrier, code_box = _carrier(text, recipe, rng)
    frame = _scene(rng)
    frame, code_corners = _pose(carrier, code_box, frame, recipe, rng)
    if recipe.glare:
        frame = _add_glare(frame, code_corners, recipe.glare, rng)
    frame = _apply_shading(frame, recipe.shading, rng)
    frame = _camera_blur(frame, recipe, rng)
    frame = _add_noise(frame, recipe.noise, rng)
    if recipe.jpeg:
        frame = _jpeg_roundtrip(frame, recipe.jpeg)
    return frame


def module_matrix(text: str) -> npt.NDArray[np.bool_]:
    """The code's modules with their quiet zone; True is a dark (printed) module."""
    rows = make_qr(text).matrix_iter(scale=1, border=QUIET_ZONE)
    return np.array([[bool(cell) for cell in row] for row in rows], dtype=bool)


def _carrier(
    text: str, recipe: Recipe, rng: np.random.Generator
) -> tuple[Image, tuple[float, float, float, float]]:
    """The paper or phone screen carrying the code, drawn flat, and where the code sits on it
    (x0, y0, x1, y1 of the symbol including its quiet zone)."""
    modules = module_matrix(text)
    code = np.where(modules, recipe.ink, recipe.paper).astype(np.uint8)
    code = cv2.resize(
        code,
        None,
        fx=_CANON_MODULE,
        fy=_CANON_MODULE,
        interpolation=cv2.INTER_NEAREST,
    )
    side = code.shape[0]
    margin = int(side * rng.uniform(0.08, 0.3))
    height, width = side + 2 * margin, side + 2 * margin
    extra_below = int(side * rng.uniform(0.0, 0.6))  # ticket text or the phone's lower half
    carrier = np.full((height + extra_below, width), recipe.paper, dtype=np.uint8)
    carrier[margin : margin + side, margin : margin + side] = code
    if not recipe.dark_mode:
        _print_lines(carrier, margin + side, recipe, rng)
    if recipe.crumple:
        carrier = _crumpled(carrier, recipe.crumple * _CANON_MODULE, rng)
    tint = rng.uniform(0.9, 1.05, size=3)
    coloured = np.clip(carrier[..., None] * tint, 0, 255).astype(np.uint8)
    return coloured, (margin, margin, margin + side, margin + side)


def _print_lines(carrier: Image, top: int, recipe: Recipe, rng: np.random.Generator) -> None:
    """Ticket text under the code, so the carrier is not a bare square."""
    for line in range(int(rng.integers(0, 4))):
        y = top + 20 + line * 28
        if y + 10 >= carrier.shape[0]:
            return
        words = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ 0123456789"), size=18))
        cv2.putText(
            carrier, words, (12, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, recipe.ink, 2, cv2.LINE_AA
        )


def _crumpled(carrier: Image, amplitude: float, rng: np.random.Generator) -> Image:
    """Paper that was folded in a pocket: a smooth random warp plus the shading of its creases."""
    height, width = carrier.shape
    grid = int(rng.integers(3, 6))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx = _smooth_field(rng, grid, width, height) * amplitude
    dy = _smooth_field(rng, grid, width, height) * amplitude
    warped = cv2.remap(carrier, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = 1.0 + 0.12 * _smooth_field(rng, grid + 2, width, height)
    return np.clip(warped * shade, 0, 255).astype(np.uint8)


def _smooth_field(rng: np.random.Generator, grid: int, width: int, height: int) -> Image:
    """A smooth random field in [-1, 1] over the whole image."""
    coarse = rng.uniform(-1, 1, size=(grid, grid)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def _scene(rng: np.random.Generator) -> Image:
    """What is behind the ticket: a lit room out of focus, with some hard-edged clutter."""
    coarse = rng.integers(30, 200, size=(4, 6, 3)).astype(np.uint8)
    frame = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 9))):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        x0, y0 = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        x1, y1 = x0 + int(rng.integers(20, 400)), y0 + int(rng.integers(20, 300))
        if rng.random() < 0.5:
            cv2.rectangle(frame, (x0, y0), (x1, y1), colour, -1)
        else:
            cv2.line(frame, (x0, y0), (x1, y1), colour, int(rng.integers(1, 12)))
    for _ in range(int(rng.integers(0, 3))):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        x0, y0 = int(rng.integers(0, WIDTH - 200)), int(rng.integers(30, HEIGHT))
        cv2.putText(frame, "EXIT  GATE 3", (x0, y0), cv2.FONT_HERSHEY_DUPLEX, 1.2, colour, 2)
    return frame


def _pose(
    carrier: Image,
    code_box: tuple[float, float, float, float],
    frame: Image,
    recipe: Recipe,
    rng: np.random.Generator,
) -> tuple[Image, Image]:
    """Place the carrier in the frame under a pinhole camera, rolled and tilted in 3D.
    Returns the frame and the code's four corners in it."""
    x0, y0, x1, y1 = code_box
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    scale = recipe.module_px / _CANON_MODULE
    axis_angle = rng.uniform(0, 2 * np.pi)
    tilt_vector = np.radians(recipe.tilt) * np.array([np.cos(axis_angle), np.sin(axis_angle), 0])
    tilt_matrix, _ = cv2.Rodrigues(tilt_vector)
    roll = np.radians(recipe.roll)
    roll_matrix = np.array(
        [[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]]
    )
    rotation = tilt_matrix @ roll_matrix

    def project(points: Image) -> Image:
        flat = (points - centre) * scale
        space = np.c_[flat, np.zeros(len(flat))] @ rotation.T
        depth = _FOCAL + space[:, 2]
        return np.c_[_FOCAL * space[:, 0] / depth, _FOCAL * space[:, 1] / depth]

    h, w = carrier.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    code_corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)
    code_px = project(code_corners)
    lo, hi = code_px.min(axis=0), code_px.max(axis=0)
    # Anywhere in view, as long as the whole code is in the frame.
    offset = np.array(
        [rng.uniform(8 - lo[0], WIDTH - 8 - hi[0]), rng.uniform(8 - lo[1], HEIGHT - 8 - hi[1])]
    )
    target = project(corners) + offset
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target.astype(np.float32))

    # The camera integrates light over each pixel: smooth the carrier before shrinking it.
    if scale < 1:
        carrier = cv2.GaussianBlur(carrier, (0, 0), 0.45 / scale)
    warped = cv2.warpPerspective(carrier, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(
        np.full((h, w), 255, np.uint8), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR
    )
    alpha = (mask.astype(np.float32) / 255)[..., None]
    if recipe.dark_mode:
        frame = _phone_bezel(frame, target)
    blended = frame.astype(np.float32) * (1 - alpha) + warped.astype(np.float32) * alpha
    return blended.astype(np.uint8), code_px + offset


def _phone_bezel(frame: Image, screen: Image) -> Image:
    """The black edge of the phone around its screen."""
    centre = screen.mean(axis=0)
    outline = centre + (screen - centre) * 1.08
    cv2.fillConvexPoly(frame, outline.astype(np.int32), (12, 12, 12), cv2.LINE_AA)
    return frame


def _add_glare(frame: Image, code_corners: Image, size: float, rng: np.random.Generator) -> Image:
    """A lamp reflected in a glossy ticket or phone: a blown-out spot with a soft edge,
    somewhere over the code."""
    centre = code_corners.mean(axis=0)
    code_width = float(np.linalg.norm(code_corners[1] - code_corners[0]))
    radius = max(4.0, size * code_width)
    cx, cy = centre + rng.uniform(-0.3, 0.3, size=2) * code_width
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    distance = np.hypot((xs - cx) / radius, (ys - cy) / (radius * rng.uniform(0.6, 1.0)))
    spot = np.clip(1.6 - distance, 0, 1) ** 1.5
    lit = frame.astype(np.float32) + spot[..., None] * 255 * 1.3
    return np.clip(lit, 0, 255).astype(np.uint8)


def _apply_shading(frame: Image, strength: float, rng: np.random.Generator) -> Image:
    if not strength:
        return frame
    light = 1.0 + strength * _smooth_field(rng, 3, WIDTH, HEIGHT)
    return np.clip(frame * light[..., None], 0, 255).astype(np.uint8)


def _camera_blur(frame: Image, recipe: Recipe, rng: np.random.Generator) -> Image:
    sigma = recipe.blur * recipe.module_px
    if sigma > 0.2:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    length = recipe.motion * recipe.module_px
    if length >= 1.5:
        size = int(np.ceil(length)) | 1
        kernel = np.zeros((size, size), np.float32)
        kernel[size // 2, :] = 1.0 / size
        angle = rng.uniform(0, 180)
        rotate = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, 1.0)
        kernel = cv2.warpAffine(kernel, rotate, (size, size))
        kernel /= max(kernel.sum(), 1e-6)
        frame = cv2.filter2D(frame, -1, kernel)
    return frame


def _add_noise(frame: Image, sigma: float, rng: np.random.Generator) -> Image:
    """Sensor noise, independent per pixel and channel."""
    if sigma <= 0:
        return frame
    # OpenCV's generator is several times faster than numpy's for a whole frame; seeding it
    # from ``rng`` keeps the frame reproducible.
    noise = np.empty(frame.shape, np.float32)
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    cv2.randn(noise, 0.0, float(sigma))
    return cv2.add(frame.astype(np.float32), noise, dtype=cv2.CV_8U)


def _jpeg_roundtrip(frame: Image, quality: int) -> Image:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded


# -- frames without a ticket ----------------------------------------------------------------


def _negative_clutter(rng: np.random.Generator) -> Image:
    frame = _scene(rng)
    # Checkerboards and grids are what fool finder-pattern detectors.
    for _ in range(int(rng.integers(1, 4))):
        cells = int(rng.integers(4, 16))
        size = int(rng.integers(4, 20))
        board = (np.indices((cells, cells)).sum(axis=0) % 2 * 255).astype(np.uint8)
        board = cv2.resize(board, None, fx=size, fy=size, interpolation=cv2.INTER_NEAREST)
        _paste(frame, cv2.cvtColor(board, cv2.COLOR_GRAY2BGR), rng)
    return _add_noise(frame, float(rng.uniform(2, 8)), rng)


def _negative_barcode(rng: np.random.Generator, kind: str) -> Image:
    """Another symbology on a drink voucher or wristband: must not be taken for a ticket."""
    import zxingcpp

    frame = _scene(rng)
    if kind == "ean":
        digits = "".join(str(d) for d in rng.integers(0, 10, size=12))
        barcode = zxingcpp.create_barcode(digits, zxingcpp.BarcodeFormat.EAN13)
        scale = int(rng.integers(3, 5))
    else:
        content = "".join(rng.choice(list("ABCDEFGH0123456789"), size=30))
        barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.DataMatrix)
        scale = int(rng.integers(5, 9))
    picture = np.asarray(barcode.to_image(scale=scale, add_quiet_zones=True), dtype=np.uint8)
    if picture.ndim == 3:
        picture = picture[..., 0]
    _paste(frame, cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR), rng)
    return _add_noise(frame, 3.0, rng)


def _negative_lookalike(rng: np.random.Generator) -> Image:
    """Three finder patterns around random modules: looks like a QR, holds no valid data."""
    side = 41
    modules = rng.random((side, side)) < 0.5
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for y, x in ((0, 0), (0, side - 7), (side - 7, 0)):
        modules[y : y + 7, x : x + 7] = finder
    padded = np.pad(modules, QUIET_ZONE)
    picture = np.where(padded, 20, 235).astype(np.uint8)
    picture = cv2.resize(picture, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    frame = _scene(rng)
    _paste(frame, cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR), rng)
    return _add_noise(frame, 3.0, rng)


def _negative_blank(rng: np.random.Generator) -> Image:
    """An empty doorway: smooth light, sensor noise, nothing held up."""
    coarse = rng.integers(20, 220, size=(3, 4, 3)).astype(np.uint8)
    frame = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return _add_noise(frame, float(rng.uniform(2, 10)), rng)


def _paste(frame: Image, picture: Image, rng: np.random.Generator) -> None:
    h, w = picture.shape[:2]
    h, w = min(h, HEIGHT), min(w, WIDTH)
    y = int(rng.integers(0, HEIGHT - h + 1))
    x = int(rng.integers(0, WIDTH - w + 1))
    frame[y : y + h, x : x + w] = picture[:h, :w]


_NEGATIVES: dict[str, Callable[[np.random.Generator], Image]] = {
    "clutter": _negative_clutter,
    "linear_barcode": lambda rng: _negative_barcode(rng, "ean"),
    "data_matrix": lambda rng: _negative_barcode(rng, "datamatrix"),
    "qr_lookalike": _negative_lookalike,
    "blank": _negative_blank,
}
