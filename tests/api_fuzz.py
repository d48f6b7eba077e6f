"""Schemathesis against a running server's OpenAPI document: every operation gets generated
requests (valid and invalid), and every answer must be no 5xx and, where the document
describes it, match the documented schema and content type.

Quick mode sends a few cases per operation; ``BILTEN_LONG=1`` sends many more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.support import quick_or_long

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class FuzzRun:
    operations: int = 0
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def fuzz(
    base_url: str,
    headers_for: Callable[[str], dict[str, str]],
    path_values: Callable[[str], dict[str, object]] | None = None,
    quick: int = 6,
    long: int = 150,
    skip: frozenset[str] = frozenset(),
) -> FuzzRun:
    """Fuzz every operation of the server at ``base_url``; ``headers_for(path)`` names the
    credentials each path is called with, ``path_values(path)`` real ids to use (so requests
    reach past "no such event") in half of the cases; ``skip`` names paths not to fuzz."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    run = FuzzRun()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in skip:
            continue
        run.operations += 1
        try:
            _fuzz_operation(operation, base_url, headers_for, path_values, quick, long, run)
        # A check's failure, or several at once (Hypothesis and schemathesis group them).
        except (AssertionError, BaseExceptionGroup) as failure:
            run.failures.append(
                f"{operation.method.upper()} {operation.path}: {str(failure)[:3000]}"
            )
    return run


def _fuzz_operation(
    operation: Any,
    base_url: str,
    headers_for: Callable[[str], dict[str, str]],
    path_values: Callable[[str], dict[str, object]] | None,
    quick: int,
    long: int,
    run: FuzzRun,
) -> None:
    path = operation.path

    @settings(
        max_examples=quick_or_long(quick, long),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real_ids=st.booleans())
    def check(case: schemathesis.Case, real_ids: bool) -> None:
        if real_ids and path_values is not None and case.path_parameters:
            case.path_parameters.update(
                {k: v for k, v in path_values(path).items() if k in case.path_parameters}
            )
        run.cases += 1
        response = case.call(base_url=base_url, headers=headers_for(path), timeout=30)
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)

    check()
