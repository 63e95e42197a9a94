"""Schemathesis against the app's own OpenAPI document: every operation, stateless, as a school
director and as department staff. No answer may be a server error or break the document.

Bounded: EXAMPLES generated requests per operation, mode (valid and invalid data) and role, so
the run stays within a couple of minutes. Failures are collected rather than shrunk, so one run
lists every broken operation; the counts are printed (pytest -s shows them)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_meeting
from tracker.auth.services import create_api_token
from tracker.extensions import db

pytestmark = pytest.mark.postgres_only

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def fuzz(app, operation, mode, tokens: dict[str, str], failures: list[str]) -> int:
    """Run EXAMPLES generated requests of one operation as each role; returns how many."""
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        nonlocal sent
        for role, token in tokens.items():
            sent += 1
            where = f"{operation.method.upper()} {operation.path} ({mode.value}, {role})"
            try:
                # A fresh app context per request, as in production (its own DB session).
                with app.app_context():
                    response = case.call(headers={"Authorization": f"Bearer {token}"})
                case.validate_response(response, checks=CHECKS)
            except Exception as error:  # collected: one run reports every operation
                failures.append(f"{where}: {type(error).__name__} {str(error)[:400]}")

    run()
    return sent


def test_every_api_operation_answers_generated_requests_without_server_errors(app, world):
    make_meeting(world)  # something of their own to find
    tokens = {
        role: create_api_token(db.session, world.user(role), "fuzz")
        for role in ("director", "staff")
    }
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations, cases, failures = 0, 0, []
    for result in schema.get_all_operations():
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += fuzz(app, result.ok(), mode, tokens, failures)
    print(f"\nschemathesis: {operations} operations, {cases} cases, {len(failures)} failures")
    assert operations >= 36
    assert not failures, "\n".join(failures[:40])
