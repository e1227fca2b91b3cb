"""Every route of /api/openapi.json is called: good requests answer as documented (status and schema),
bad ones get a problem document naming the field at fault — never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from api.openapi import PATHS, document
from core.actor import SYSTEM
from rota import operations
from tests.conftest import FIXED_NOW
from tests.rota.builders import utc

PROBLEM = "application/problem+json"
Example = Callable[[Any, Any], tuple[str, dict[str, Any] | None]]


def _swap(world, session) -> int:
    # Bob holds the day turn of the week of 9 March (turn 9 from the anchor Monday, members alternate).
    swap = operations.request_swap(
        session, SYSTEM, world.neuro_id, world.bob, world.alice, utc(2026, 3, 10, 8), utc(2026, 3, 10, 12), at=FIXED_NOW
    )
    session.commit()
    return swap.id


# One request per documented operation that must succeed with the writer token.
GOOD: dict[tuple[str, str], Example] = {
    ("get", "/api/departments"): lambda w, s: ("/api/departments", None),
    ("get", "/api/specialties"): lambda w, s: ("/api/specialties", None),
    ("get", "/api/seniors"): lambda w, s: ("/api/seniors", None),
    ("get", "/api/rotations"): lambda w, s: ("/api/rotations?specialty=NEURO", None),
    ("post", "/api/rotations"): lambda w, s: (
        "/api/rotations",
        {
            "specialty": "NEURO",
            "name": "Nuit",
            "layer": "primary",
            "weekdays": "1234567",
            "start": "18:30",
            "end": "08:30",
            "members": [w.carol, w.alice],
            "turn_days": 1,
            "anchor": "2026-01-05",
            "valid_from": "2026-01-01T00:00:00Z",
        },
    ),
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
    ("post", "/api/swaps/{swap_id}/{action}"): lambda w, s: (f"/api/swaps/{_swap(w, s)}/accept", {"senior_id": w.alice}),
    ("get", "/api/on-duty"): lambda w, s: ("/api/on-duty?specialty=NEURO&at=2026-03-10T09:00:00Z", None),
    ("get", "/api/coverage"): lambda w, s: ("/api/coverage?specialty=NEURO&from=2026-03-09T00:00:00Z&to=2026-03-16T00:00:00Z", None),
    ("get", "/api/openapi.json"): lambda w, s: ("/api/openapi.json", None),
}
OPERATIONS = [(method, path) for path, item in PATHS.items() for method in item]


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
    documented = {(m, p.replace("{swap_id}", "<int:swap_id>").replace("{action}", "<action>")) for m, p in OPERATIONS}
    assert {rule for rule in api_rules if not rule[1].startswith("/api/reports/")} == documented
    Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_good_requests_answer_as_documented(client, session, world, method, path):
    doc = document()
    url, body = GOOD[(method, path)](world, session)
    response = _call(client, method, url, body, world.auth())
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    _validate(doc, doc["paths"][path][method], response)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op[1] != "/api/openapi.json"], ids=lambda v: str(v))
def test_bad_input_gets_a_documented_problem_never_a_500(client, session, world, method, path):
    doc = document()
    operation = doc["paths"][path][method]
    url, body = GOOD[(method, path)](world, session)

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
    if method != "post":
        return
    problem(client.post(url, data="{}", content_type="text/plain", headers=world.auth()))
    problem(client.post(url, data="{not json", content_type="application/json", headers=world.auth()))
    problem(client.post(url, json=[1, 2], headers=world.auth()), "", "body")
    schema = doc["components"]["schemas"][operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    empty = client.post(url, json={}, headers=world.auth())
    problem(empty)
    assert {e["field"] for e in empty.get_json()["errors"]} == set(schema["required"])
    for name in schema["properties"]:
        problem(client.post(url, json={**body, name: {"wrong": True}}, headers=world.auth()), name, "body")
    problem(client.post(url, json={**body, "surprise": 1}, headers=world.auth()), "surprise", "body")
    for token in (world.reader, world.other):
        response = client.post(url, json=body, headers=world.auth(token))
        assert response.status_code == 403
        problem(response)


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
