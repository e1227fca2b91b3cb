"""schemathesis (pinned in requirements.txt) against ``/api/openapi.json``, in process on the Flask app.

For a read-only token and a department token, a bounded number of generated requests per documented
operation, valid and invalid: never a server error, every answer as documented (status code, content
type, body schema), and no write accepted that the access rules refuse — nothing at all for the
read-only token, and for the Neurosciences token only changes to Neurosciences' rota that give duty to
its own members.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance
from sqlalchemy import select

from accounts.models import DepartmentStaff
from rota.models import Specialty, SwapRequest

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SENIOR_FIELDS = ("senior_id", "replacing_senior_id", "requester_id", "counterpart_id")


def _members(session, department_id: int) -> set[int]:
    return set(session.scalars(select(DepartmentStaff.senior_id).where(DepartmentStaff.department_id == department_id)))


def _refused_write_accepted(session, world, kind: str, case, response) -> str | None:
    """Why this answer accepted a write the rules refuse, or None."""
    if case.method.upper() == "GET" or response.status_code >= 300:
        return None
    if kind == "reader":
        return "a read-only token changed something"
    body = response.json()
    if case.query and str(case.query.get("dry_run")).lower() == "true" and response.status_code == 200:
        return None  # a dry run: a Preview, nothing saved (tests/api/test_dry_run.py checks that)
    specialty = body.get("specialty")
    if specialty is None and "/swaps/" in case.path:  # an action on a swap answers with the swap
        specialty = body.get("specialty")
    if specialty is not None:
        found = session.scalar(select(Specialty).where(Specialty.code == specialty))
        if found is None or found.department_id != world.dept_id:
            return f"the Neurosciences token changed {specialty}"
    members = _members(session, world.dept_id)
    given = [body.get(name) for name in SENIOR_FIELDS if body.get(name) is not None] + list(body.get("members") or [])
    if case.path == "/api/leave":
        if body["senior_id"] not in members:
            return "leave for a senior who is not a member"
        return None
    if "/swaps/" in case.path:
        swap = session.get(SwapRequest, body["id"])
        return (
            None
            if swap is not None and session.get(Specialty, swap.specialty_id).department_id == world.dept_id
            else "swap of another department"
        )
    outsiders = [s for s in given if s not in members and not (case.path == "/api/overrides" and s == body.get("replaced_senior_id"))]
    return f"duty given to non-members {outsiders}" if outsiders else None


def _check(case, kind: str, world, session) -> None:
    secret = world.reader if kind == "reader" else world.writer
    response = case.call(headers={"Authorization": f"Bearer {secret}"})
    case.validate_response(response, checks=CHECKS)
    session.rollback()
    problem = _refused_write_accepted(session, world, kind, case, response)
    assert problem is None, (problem, case.method, case.path, response.status_code, response.text[:500])


BOUNDED = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, phases=[Phase.generate])


def _walk(app, world, session, kind: str) -> None:
    """Every documented operation, valid then invalid requests, a few of each."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @BOUNDED
            def run(case) -> None:
                _check(case, kind, world, session)

            run()


def test_with_a_read_only_token_the_api_answers_as_documented_and_changes_nothing(app, world, session):
    _walk(app, world, session, "reader")


def test_with_a_department_token_the_api_answers_as_documented_and_changes_only_its_own(app, world, session):
    _walk(app, world, session, "writer")
