"""The query string of the organizer's list pages (search, filters, page number), read
strictly: a value the page never offers is a 400 with the reason, not a guess."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from cloud.analytics.search import MAX_QUERY
from cloud.errors import InvalidInput

PER_PAGE = 50
MAX_PAGE_NUMBER = 100_000


def text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if len(value) > MAX_QUERY:
        raise InvalidInput(f"{name} is too long (at most {MAX_QUERY} characters)")
    return value


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first when absent)."""
    value = params.get(name, "") or allowed[0]
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of: {', '.join(a or '(empty)' for a in allowed)}")
    return value


def number(params: Mapping[str, str], name: str, *, default: int | None, high: int) -> int | None:
    value = params.get(name, "")
    if not value:
        return default
    if not re.fullmatch(r"\d{1,9}", value) or not 1 <= int(value) <= high:
        raise InvalidInput(f"{name} must be a whole number from 1 to {high}")
    return int(value)


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page of ``per_page`` rows sits among ``total``; links keep the filters."""

    page: int
    per_page: int
    total: int
    filters: tuple[tuple[str, str], ...]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_row(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_row(self) -> int:
        return min(self.offset + self.per_page, self.total)

    def link(self, page: int) -> str:
        return "?" + urlencode([*self.filters, ("page", str(page))])

    @property
    def previous(self) -> str | None:
        return self.link(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.page + 1) if self.page < self.pages else None

    @property
    def query(self) -> str:
        """The filters alone, for an export of the same rows."""
        return urlencode(self.filters)


def page_number(params: Mapping[str, str]) -> int:
    found = number(params, "page", default=1, high=MAX_PAGE_NUMBER)
    return found or 1
