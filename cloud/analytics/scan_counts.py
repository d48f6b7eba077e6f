"""SQL pieces the scan reports share: which scans admitted, let out or refused someone."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, not_

from cloud.scans.models import Scan
from shared.reasons import Reason

ADMITTED = Reason.ADMITTED.value
EXITED = Reason.EXITED.value


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet ``condition`` (0 for none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def is_admission() -> ColumnElement[bool]:
    return Scan.reason == ADMITTED


def is_exit() -> ColumnElement[bool]:
    return Scan.reason == EXITED


def is_refusal() -> ColumnElement[bool]:
    """Every scan that moved nobody: refused, or needing a look and not overruled."""
    return not_(Scan.reason.in_((ADMITTED, EXITED)))


def is_manual_admission() -> ColumnElement[bool]:
    return and_(Scan.reason == ADMITTED, Scan.manual.is_(True))
