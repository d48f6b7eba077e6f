"""Reading submitted HTML forms: every value is text, possibly missing or repeated."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

# A handler's ``data: FormData``: the urlencoded form as a dict of field name to value(s).
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

MAX_FIELD_CHARS = 2000


def text(form: dict[str, Any], name: str) -> str:
    """The field's value, stripped; "" when missing. A repeated field counts once (the last),
    and overlong input is cut, so no field can make a page echo megabytes back."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()[:MAX_FIELD_CHARS]


def raw(form: dict[str, Any], name: str) -> str:
    """Like :func:`text` but unstripped: passwords keep their spaces."""
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)[:MAX_FIELD_CHARS]


def whole_number(value: str) -> int | None:
    """A non-negative whole number written in ASCII digits, else None."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    return int(value)


def sentence(detail: str) -> str:
    """An error's detail as a sentence for a page: capitalised, with its full stop."""
    text_ = detail.strip()
    if not text_:
        return "That did not work."
    text_ = text_[0].upper() + text_[1:]
    return text_ if text_.endswith((".", "!", "?")) else text_ + "."
