"""The picture field of the event forms."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

from cloud.media.images import MAX_UPLOAD_BYTES, ImageRejected, prepare_image
from cloud.web.organizer.forms import Form


def read_image(form: Form, data: dict[str, Any], name: str = "image") -> bytes | None:
    """The uploaded picture's bytes, None when none was chosen; a file that is not a
    picture we accept becomes an error beside the field, before anything is saved."""
    upload = data.get(name)
    if not isinstance(upload, UploadFile):
        return None
    # One byte past the limit is enough to know it is too large.
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if not content:
        return None
    try:
        # Checked here, so a bad file leaves the event as it was; the service checks again.
        prepare_image(content)
    except ImageRejected as exc:
        form.fail(name, f"Picture: {exc.detail}")
        return None
    return content
