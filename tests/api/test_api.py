"""What the API does beyond its shape: scopes, the rota's refusals, the hunt list, unknown routes."""

from __future__ import annotations

from sqlalchemy import func, select

from audit.models import AuditEntry
from rota.models import DutySlot


def test_the_hunt_list_names_who_and_why(client, world):
    answer = client.get("/api/on-duty?specialty=NEURO&at=2026-03-10T09:00:00Z", headers=world.auth(world.reader)).get_json()
    assert [(e["senior_id"], e["layer"]) for e in answer["hunt_list"]] == [(world.bob, "primary")]
    assert answer["hunt_list"][0]["reason"] == 'rotation "Jour"'
    night = client.get("/api/on-duty?specialty=NEURO&at=2026-03-10T20:00:00Z", headers=world.auth()).get_json()
    assert night["hunt_list"] == []
    gaps = client.get("/api/coverage?specialty=NEURO&from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z", headers=world.auth()).get_json()
    assert len(gaps["gaps"]) == 2 and gaps["specialties"] == ["NEURO"]


def test_writes_go_through_the_rota_rules_and_name_the_field(client, session, world):
    shift = {"specialty": "NEURO", "senior_id": world.carol, "starts_at": "2026-03-14T20:00:00Z", "ends_at": "2026-03-14T08:00:00Z"}
    refused = client.post("/api/shifts", json=shift, headers=world.auth())
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0] | {"message": ""} == {
        "field": "ends_at",
        "in": "body",
        "code": "rota.period_order",
        "params": {},
        "message": "",
    }
    too_long = client.post("/api/shifts", json={**shift, "ends_at": "2026-03-24T20:00:00Z"}, headers=world.auth())
    assert too_long.status_code == 422 and too_long.get_json()["errors"][0]["field"] == "ends_at"
    naive = client.post("/api/shifts", json={**shift, "starts_at": "2026-03-14T08:00:00"}, headers=world.auth())
    assert naive.get_json()["errors"] == [{"field": "starts_at", "in": "body", "message": naive.get_json()["errors"][0]["message"]}]
    assert "offset" in naive.get_json()["errors"][0]["message"]
    override = {"specialty": "NEURO", "replaced_senior_id": world.bob, "replacing_senior_id": world.bob}
    same = client.post(
        "/api/overrides", json={**override, "starts_at": "2026-03-11T07:30:00Z", "ends_at": "2026-03-11T17:30:00Z"}, headers=world.auth()
    )
    assert same.status_code == 422 and same.get_json()["errors"][0]["field"] == "replacing_senior_id"
    assert session.scalar(select(func.count()).select_from(DutySlot)) == 0


def test_an_unknown_rotation_member_is_named_by_field_code_and_id(client, world):
    rotation = {"specialty": "NEURO", "name": "Nuit", "weekdays": "1234567", "start": "18:30", "end": "08:30"}
    rotation |= {"members": [world.alice, 987654], "anchor": "2026-01-05", "valid_from": "2026-01-01T00:00:00Z"}
    refused = client.post("/api/rotations", json=rotation, headers=world.auth())
    assert refused.status_code == 422
    (error,) = refused.get_json()["errors"]
    assert (error["field"], error["code"], error["params"]) == ("members", "rota.unknown_senior", {"senior_id": 987654})
    assert error["message"] == "There is no senior #987654."


def test_scope_write_only_in_the_tokens_departments(client, world):
    shift = {"specialty": "CARDIO", "senior_id": world.carol, "starts_at": "2026-03-14T08:00:00Z", "ends_at": "2026-03-14T20:00:00Z"}
    assert client.post("/api/shifts", json=shift, headers=world.auth()).status_code == 403
    assert client.post("/api/shifts", json=shift, headers=world.auth(world.other)).status_code == 201
    # Alice takes turns in a Neurosciences rotation: the Cardiologie token cannot put her on leave.
    leave = {"senior_id": world.alice, "starts_at": "2026-04-01T00:00:00Z", "ends_at": "2026-04-02T00:00:00Z"}
    assert client.post("/api/leave", json=leave, headers=world.auth(world.other)).status_code == 403
    assert client.post("/api/leave", json=leave, headers=world.auth()).status_code == 201
    assert client.get("/api/shifts?specialty=CARDIO", headers=world.auth(world.reader)).get_json()[0]["senior_id"] == world.carol


def test_a_swap_in_the_wrong_state_is_a_conflict(client, world):
    body = {
        "specialty": "NEURO",
        "requester_id": world.bob,
        "counterpart_id": world.alice,
        "starts_at": "2026-03-10T08:00:00Z",
        "ends_at": "2026-03-10T12:00:00Z",
    }
    swap = client.post("/api/swaps", json=body, headers=world.auth()).get_json()
    assert client.post(f"/api/swaps/{swap['id']}/accept", json={"senior_id": world.bob}, headers=world.auth()).status_code == 422
    assert (
        client.post(f"/api/swaps/{swap['id']}/decline", json={"senior_id": world.alice}, headers=world.auth()).get_json()["status"]
        == "declined"
    )
    again = client.post(f"/api/swaps/{swap['id']}/accept", json={"senior_id": world.alice}, headers=world.auth())
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.get_json()["errors"][0]["code"] == "rota.swap_status"
    assert again.get_json()["errors"][0]["params"] == {"swap_id": swap["id"], "status": "declined", "expected": ["requested"]}
    not_on_duty = client.post("/api/swaps", json={**body, "requester_id": world.carol}, headers=world.auth())
    assert not_on_duty.status_code == 422 and not_on_duty.get_json()["errors"][0]["field"] == "starts_at"


def test_unknown_routes_and_methods_are_problems_too(client, world):
    missing = client.get("/api/nothing-here", headers=world.auth())
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = client.delete("/api/shifts", headers=world.auth())
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json" and "GET" in wrong.headers["Allow"]
    assert client.get("/no-such-page").mimetype != "application/problem+json"  # the rest of the app is untouched


def test_departments_specialties_and_seniors_are_written_with_the_pages_rules(client, session, world):
    # A department: only a token of every department creates one, as only an administrator does on the pages.
    department = {"name": "Pédiatrie", "timezone": "Europe/Paris", "public_holidays": "FR-57", "heads": [world.carol]}
    assert client.post("/api/departments", json=department, headers=world.auth()).status_code == 403
    created = client.post("/api/departments", json=department, headers=world.auth(world.admin))
    assert created.status_code == 201 and created.get_json()["heads"] == [world.carol]
    bad_zone = client.patch(
        f"/api/departments/{created.get_json()['id']}", json={"timezone": "Europe/Pariss"}, headers=world.auth(world.admin)
    )
    assert bad_zone.status_code == 422 and bad_zone.get_json()["errors"][0]["code"] == "rota.timezone"
    taken = client.post("/api/departments", json=department, headers=world.auth(world.admin))
    assert taken.status_code == 409 and taken.get_json()["errors"][0]["field"] == "name"

    # A specialty: in a department the token may change; a menu key already used is a conflict on that field.
    specialty = {"code": "EPI", "department_id": world.dept_id, "name_fr": "épileptologie", "name_en": "epileptology", "menu_digit": "4"}
    assert (
        client.post("/api/specialties", json={**specialty, "department_id": world.other_dept_id}, headers=world.auth()).status_code == 403
    )
    assert client.post("/api/specialties", json=specialty, headers=world.auth()).status_code == 201
    again = client.post("/api/specialties", json={**specialty, "code": "EPI2"}, headers=world.auth())
    assert again.status_code == 409
    assert (again.get_json()["errors"][0]["field"], again.get_json()["errors"][0]["code"]) == ("menu_digit", "rota.already_used")

    # A senior: on the staff of one of the token's departments; their numbers are checked by the operation.
    senior = {"full_name": "Dr Zoé Blanc", "phones": ["06 12 34 56 78"], "staff_of": [world.other_dept_id]}
    assert client.post("/api/seniors", json=senior, headers=world.auth()).status_code == 403
    wrong = client.post("/api/seniors", json={**senior, "phones": ["12"], "staff_of": [world.dept_id]}, headers=world.auth())
    assert wrong.status_code == 422 and (wrong.get_json()["errors"][0]["field"], wrong.get_json()["errors"][0]["code"]) == (
        "phones",
        "rota.phone",
    )
    zoe = client.post("/api/seniors", json={**senior, "staff_of": [world.dept_id]}, headers=world.auth()).get_json()
    assert client.patch(f"/api/seniors/{zoe['id']}", json={"active": False}, headers=world.auth(world.other)).status_code == 403
    assert client.patch(f"/api/seniors/{zoe['id']}", json={"active": False}, headers=world.auth()).get_json()["active"] is False

    entries = session.scalars(select(AuditEntry).where(AuditEntry.actor_kind == "token").order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["department.create", "specialty.create", "senior.create", "senior.update"]
    assert [e.actor.rsplit(" ", 1)[-1] for e in entries] == ["IT", "planning", "planning", "planning"]
    assert entries[2].after["phones"] == ["+33612345678"] and entries[2].department_ids == [world.dept_id]
