"""Every route of /api/openapi.json is called: good requests answer as documented (status and schema),
bad ones get a problem document naming the field at fault — never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from api.openapi import document, paths
from core.actor import SYSTEM
from rota import operations
from tests.conftest import FIXED_NOW
from tests.rota.builders import utc

PROBLEM = "application/problem+json"
Example = Callable[[Any, Any], tuple[str, dict[str, Any] | None]]


def _swap(world, session, *, accepted: bool = False) -> int:
    # Bob holds the day turn of the week of 9 March (turn 9 from the anchor Monday, members alternate).
    swap = operations.request_swap(
        session, SYSTEM, world.neuro_id, world.bob, world.alice, utc(2026, 3, 10, 8), utc(2026, 3, 10, 12), at=FIXED_NOW
    )
    if accepted:
        operations.update_department(session, SYSTEM, world.dept_id, heads=[world.carol])
        operations.accept_swap(session, SYSTEM, swap.id, world.alice)
    session.commit()
    return swap.id


def _shift(world, session) -> int:
    shift = operations.add_shift(session, SYSTEM, world.neuro_id, world.carol, "backup", utc(2026, 3, 14, 8), utc(2026, 3, 14, 20))
    session.commit()
    return shift.id


ROTATION = {
    "specialty": "NEURO",
    "name": "Nuit",
    "layer": "primary",
    "weekdays": "1234567",
    "start": "18:30",
    "end": "08:30",
    "members": [],
    "turn_days": 1,
    "anchor": "2026-01-05",
    "valid_from": "2026-01-01T00:00:00Z",
}
SPECIALTY = {"code": "EPILEPSY", "name_fr": "épileptologie", "name_en": "epileptology", "menu_digit": "7", "speech_keywords": "épilepsie"}

# One request per documented operation that must succeed: (url, body) with the writer token, or
# (url, body, token) when another one is needed (creating a department takes a token of every department).
GOOD: dict[tuple[str, str], Example] = {
    ("get", "/api/departments"): lambda w, s: ("/api/departments", None),
    ("post", "/api/departments"): lambda w, s: (
        "/api/departments",
        {"name": "Pédiatrie", "timezone": "Europe/Paris", "public_holidays": "FR", "heads": [w.carol]},
        w.admin,
    ),
    ("patch", "/api/departments/{department_id}"): lambda w, s: (
        f"/api/departments/{w.dept_id}",
        {"timezone": "America/Martinique", "public_holidays": "FR", "leave_policy": "gap", "heads": [w.alice]},
        w.admin,
    ),
    ("get", "/api/specialties"): lambda w, s: ("/api/specialties", None),
    ("post", "/api/specialties"): lambda w, s: ("/api/specialties", {**SPECIALTY, "department_id": w.dept_id}),
    ("patch", "/api/specialties/{specialty_id}"): lambda w, s: (
        f"/api/specialties/{w.neuro_id}",
        {"menu_digit": "3", "direct_number": "01 99 00 00 55", "last_resort_senior_id": w.alice},
    ),
    ("get", "/api/seniors"): lambda w, s: ("/api/seniors", None),
    ("post", "/api/seniors"): lambda w, s: (
        "/api/seniors",
        {"full_name": "Dr Zoé Blanc", "phones": ["06 12 34 56 78"], "staff_of": [w.dept_id]},
    ),
    ("patch", "/api/seniors/{senior_id}"): lambda w, s: (f"/api/seniors/{w.alice}", {"phones": ["+33612345679", "01 99 00 00 77"]}),
    ("get", "/api/rotations"): lambda w, s: ("/api/rotations?specialty=NEURO", None),
    ("post", "/api/rotations"): lambda w, s: ("/api/rotations", {**ROTATION, "members": [w.carol, w.alice]}),
    ("patch", "/api/rotations/{rotation_id}"): lambda w, s: (
        f"/api/rotations/{w.rotation_id}",
        {"name": "Jour (semaine)", "turn_days": 14},
    ),
    ("delete", "/api/rotations/{rotation_id}"): lambda w, s: (f"/api/rotations/{w.rotation_id}", None),
    ("get", "/api/shifts"): lambda w, s: ("/api/shifts?specialty=NEURO&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00%2B02:00", None),
    ("post", "/api/shifts"): lambda w, s: (
        "/api/shifts",
        {
            "specialty": "NEURO",
            "senior_id": w.carol,
            "layer": "backup",
            "starts_at": "2026-03-14T08:00:00Z",
            "ends_at": "2026-03-14T20:00:00Z",
        },
    ),
    ("patch", "/api/shifts/{shift_id}"): lambda w, s: (f"/api/shifts/{_shift(w, s)}", {"ends_at": "2026-03-14T18:00:00+01:00"}),
    ("delete", "/api/shifts/{shift_id}"): lambda w, s: (f"/api/shifts/{_shift(w, s)}", None),
    ("get", "/api/overrides"): lambda w, s: ("/api/overrides?from=2026-03-01T00:00:00Z", None),
    ("post", "/api/overrides"): lambda w, s: (
        "/api/overrides",
        {
            "specialty": "NEURO",
            "replaced_senior_id": w.bob,
            "replacing_senior_id": w.carol,
            "starts_at": "2026-03-11T07:30:00Z",
            "ends_at": "2026-03-11T17:30:00Z",
            "note": "congrès",
        },
    ),
    ("get", "/api/leave"): lambda w, s: (f"/api/leave?senior={w.alice}", None),
    ("post", "/api/leave"): lambda w, s: (
        "/api/leave",
        {"senior_id": w.alice, "starts_at": "2026-04-01T00:00:00+02:00", "ends_at": "2026-04-08T00:00:00+02:00", "reason": "vacances"},
    ),
    ("get", "/api/swaps"): lambda w, s: ("/api/swaps?status=requested", None),
    ("post", "/api/swaps"): lambda w, s: (
        "/api/swaps",
        {
            "specialty": "NEURO",
            "requester_id": w.bob,
            "counterpart_id": w.alice,
            "starts_at": "2026-03-10T08:00:00Z",
            "ends_at": "2026-03-10T12:00:00Z",
        },
    ),
    ("post", "/api/swaps/{swap_id}/accept"): lambda w, s: (f"/api/swaps/{_swap(w, s)}/accept", {"senior_id": w.alice}),
    ("post", "/api/swaps/{swap_id}/decline"): lambda w, s: (f"/api/swaps/{_swap(w, s)}/decline", {"senior_id": w.alice}),
    ("post", "/api/swaps/{swap_id}/cancel"): lambda w, s: (f"/api/swaps/{_swap(w, s)}/cancel", {"senior_id": w.bob}),
    ("post", "/api/swaps/{swap_id}/approve"): lambda w, s: (f"/api/swaps/{_swap(w, s, accepted=True)}/approve", {"senior_id": w.carol}),
    ("post", "/api/swaps/{swap_id}/reject"): lambda w, s: (f"/api/swaps/{_swap(w, s, accepted=True)}/reject", {"senior_id": w.carol}),
    ("get", "/api/on-duty"): lambda w, s: ("/api/on-duty?specialty=NEURO&at=2026-03-10T09:00:00Z", None),
    ("get", "/api/coverage"): lambda w, s: ("/api/coverage?specialty=NEURO&from=2026-03-09T00:00:00Z&to=2026-03-16T00:00:00Z", None),
    ("get", "/api/openapi.json"): lambda w, s: ("/api/openapi.json", None),
}
OPERATIONS = [(method, path) for path, item in paths().items() for method in item]


def _good(world, session, method: str, path: str) -> tuple[str, Any, str]:
    url, body, *token = GOOD[(method, path)](world, session)
    return url, body, token[0] if token else world.writer


def _validate(doc: dict[str, Any], operation: dict[str, Any], response) -> None:
    documented = operation["responses"]
    assert str(response.status_code) in documented, (response.status_code, response.get_data(as_text=True))
    content = documented[str(response.status_code)].get("content")
    if not content:
        return
    assert response.mimetype in content, (response.mimetype, list(content))
    schema = {**content[response.mimetype]["schema"], "components": doc["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(response.get_json(force=True))


def _call(client, method: str, url: str, body, headers: dict[str, str]):
    return client.open(url, method=method.upper(), json=body, headers=headers)


def test_the_document_is_openapi_3_1_and_every_operation_has_an_example(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert set(OPERATIONS) == set(GOOD), "a documented route without an example in GOOD (or the reverse)"
    api_rules = {
        (m.lower(), r.rule)
        for r in client.application.url_map.iter_rules()
        if r.rule.startswith("/api/")
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(m, re.sub(r"\{(\w+_id)\}", r"<int:\1>", p)) for m, p in OPERATIONS}
    assert {rule for rule in api_rules if not rule[1].startswith("/api/reports/")} == documented
    Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_good_requests_answer_as_documented(client, session, world, method, path):
    doc = document()
    url, body, token = _good(world, session, method, path)
    response = _call(client, method, url, body, world.auth(token))
    assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
    _validate(doc, doc["paths"][path][method], response)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op[1] != "/api/openapi.json"], ids=lambda v: str(v))
def test_bad_input_gets_a_documented_problem_never_a_500(client, session, world, method, path):
    doc = document()
    operation = doc["paths"][path][method]
    url, body, token = _good(world, session, method, path)

    def problem(response, field: str | None = None, location: str | None = None):
        assert response.status_code != 500
        assert response.mimetype == PROBLEM, (response.status_code, response.get_data(as_text=True))
        _validate(doc, operation, response)
        if field is not None:
            assert {(e["field"], e["in"]) for e in response.get_json()["errors"]} >= {(field, location)}, response.get_json()

    for headers in ({}, {"Authorization": "Bearer rcs_nope"}, {"Authorization": "Basic abc"}, world.auth(world.revoked)):
        response = _call(client, method, url, body, headers)
        assert response.status_code == 401
        problem(response)
    base = url.split("?")[0]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            problem(
                client.open(f"{base}?{parameter['name']}=%25bad%25", method=method.upper(), headers=world.auth()),
                parameter["name"],
                "query",
            )
    if method not in ("post", "patch", "delete"):
        return
    for other in (world.reader, world.other):  # read-only, or another department's token
        response = client.open(url, method=method.upper(), json=body, headers=world.auth(other))
        assert response.status_code == 403
        problem(response)
    if "requestBody" not in operation:
        return

    def send(**request):
        return client.open(url, method=method.upper(), headers=world.auth(token), **request)

    problem(send(data="{}", content_type="text/plain"))
    problem(send(data="{not json", content_type="application/json"))
    problem(send(json=[1, 2]), "", "body")
    schema = doc["components"]["schemas"][operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    if schema.get("required"):
        empty = send(json={})
        problem(empty)
        assert {e["field"] for e in empty.get_json()["errors"]} == set(schema["required"])
    for name in schema["properties"]:
        problem(send(json={**body, name: {"wrong": True}}), name, "body")
    problem(send(json={**body, "surprise": 1}), "surprise", "body")


@pytest.mark.parametrize("path", [p for p in document()["paths"] if p.startswith("/api/reports/")])
def test_merged_report_routes_answer_as_documented(client, world, path):
    """The call reports take an API token (read-only included) or a web sign-in, and answer as documented."""
    doc = document()
    operation = doc["paths"][path]["get"]
    assert operation["security"] == [{"bearer": []}, {"webSession": []}]
    for token in (world.reader, world.writer):
        response = client.get(f"{path}?from=2026-03-01&to=2026-03-10", headers=world.auth(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        _validate(doc, operation, response)
    for headers in ({}, {"Authorization": "Bearer rcs_nope"}, {"Authorization": "Basic abc"}, world.auth(world.revoked)):
        response = client.get(path, headers=headers)
        assert response.status_code == 401 and response.mimetype == PROBLEM
        _validate(doc, operation, response)
    response = client.get(f"{path}?from=%25bad%25", headers=world.auth(world.reader))
    assert response.status_code == 400 and response.mimetype == PROBLEM
    _validate(doc, operation, response)
