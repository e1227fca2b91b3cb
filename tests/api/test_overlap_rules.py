"""The rota's overlap rules (rota.rules) answer the same through the API as `flask rota import` does:
a second shift on top of a senior's own is refused by both, a second primary and a shift in 2020 must be
confirmed, and the same leave twice is refused."""

from __future__ import annotations

from sqlalchemy import func, select

from rota.models import DutySlot, Leave


def _count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_two_overlapping_shifts_of_one_senior_are_refused_by_the_api_as_by_the_import(client, runner, session, world, tmp_path):
    first = {"specialty": "NEURO", "senior_id": world.carol, "layer": "backup"}
    first |= {"starts_at": "2026-03-14T08:00:00Z", "ends_at": "2026-03-14T20:00:00Z"}
    created = client.post("/api/shifts", json=first, headers=world.auth())
    assert created.status_code == 201
    on_top = client.post(
        "/api/shifts", json={**first, "starts_at": "2026-03-14T12:00:00Z", "ends_at": "2026-03-15T00:00:00Z"}, headers=world.auth()
    )
    assert on_top.status_code == 409
    (error,) = on_top.get_json()["errors"]
    assert (error["code"], error["field"]) == ("rota.shift_overlap", "starts_at")
    assert error["params"] == {
        "name": "Carol Petit",
        "shift_id": created.get_json()["id"],
        "starts_at": "2026-03-14T08:00:00Z",
        "ends_at": "2026-03-14T20:00:00Z",
    }
    assert "Carol Petit already has a single shift here from 2026-03-14 08:00 UTC to 2026-03-14 20:00 UTC" in error["message"]
    # Confirming does not help: this one is refused outright.
    assert (
        client.post("/api/shifts?confirm=true", json={**first, "starts_at": "2026-03-14T12:00:00Z"}, headers=world.auth()).status_code
        == 409
    )
    # Moving the existing one onto a clash is refused the same way.
    second = client.post(
        "/api/shifts", json={**first, "starts_at": "2026-03-15T08:00:00Z", "ends_at": "2026-03-15T20:00:00Z"}, headers=world.auth()
    )
    moved = client.patch(f"/api/shifts/{second.get_json()['id']}", json={"starts_at": "2026-03-14T19:00:00Z"}, headers=world.auth())
    assert moved.status_code == 409 and moved.get_json()["errors"][0]["code"] == "rota.shift_overlap"
    assert _count(session, DutySlot) == 2

    path = tmp_path / "rota.csv"
    path.write_text("date,start,end,senior,specialty,layer\n14/03/2026,13:00,23:00,Carol Petit,NEURO,backup\n", encoding="utf-8")
    imported = runner.invoke(args=["rota", "import", str(path)])
    assert imported.exit_code != 0
    assert f"line 2: overlaps single shift #{created.get_json()['id']} of Carol Petit" in imported.stderr
    assert _count(session, DutySlot) == 2


def test_a_second_primary_must_be_confirmed(client, runner, session, world, tmp_path):
    first = {"specialty": "NEURO", "senior_id": world.carol, "layer": "primary"}
    first |= {"starts_at": "2026-03-14T08:00:00Z", "ends_at": "2026-03-14T20:00:00Z"}
    assert client.post("/api/shifts", json=first, headers=world.auth()).status_code == 201
    second = {**first, "senior_id": world.alice, "starts_at": "2026-03-14T10:00:00Z"}
    refused = client.post("/api/shifts", json=second, headers=world.auth())
    assert refused.status_code == 409
    (error,) = refused.get_json()["errors"]
    assert (error["code"], error["field"], error["params"]["name"]) == ("rota.second_primary", "layer", "Carol Petit")
    # As a backup it is what was meant: accepted.
    assert client.post("/api/shifts", json={**second, "layer": "backup"}, headers=world.auth()).status_code == 201
    assert client.post("/api/shifts?confirm=true", json={**second, "senior_id": world.bob}, headers=world.auth()).status_code == 201
    assert _count(session, DutySlot) == 3
    # The import is IT's: it warns and writes.
    # 08:00-10:00 in Paris: over Carol's primary (from 08:00 UTC), before Alice's backup and Bob's primary.
    path = tmp_path / "rota.csv"
    path.write_text("date,start,end,senior,specialty\n14/03/2026,08:00,10:00,Alice Martin,NEURO\n", encoding="utf-8")
    imported = runner.invoke(args=["rota", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "line 2: Carol Petit is already primary then (single shift #" in imported.stderr
    assert "Bob Durand" not in imported.stderr
    assert _count(session, DutySlot) == 4


def test_a_shift_in_2020_must_be_confirmed(client, runner, session, world, tmp_path):
    old = {"specialty": "NEURO", "senior_id": world.carol, "layer": "backup"}
    old |= {"starts_at": "2020-03-14T08:00:00Z", "ends_at": "2020-03-14T20:00:00Z"}
    refused = client.post("/api/shifts", json=old, headers=world.auth())
    assert refused.status_code == 422
    (error,) = refused.get_json()["errors"]
    assert (error["code"], error["field"], error["params"]) == ("rota.long_past", "starts_at", {"days": 31})
    assert "check the year" in error["message"]
    assert _count(session, DutySlot) == 0
    assert client.post("/api/shifts?confirm=true", json=old, headers=world.auth()).status_code == 201
    path = tmp_path / "rota.csv"
    path.write_text("date,start,end,senior,specialty,layer\n15/03/2020,08:00,20:00,Carol Petit,NEURO,backup\n", encoding="utf-8")
    imported = runner.invoke(args=["rota", "import", str(path)])
    assert imported.exit_code == 0 and "line 2: the shift ended more than 31 days ago" in imported.stderr


def test_the_same_leave_twice_is_refused(client, session, world):
    leave = {"senior_id": world.alice, "starts_at": "2026-04-01T00:00:00Z", "ends_at": "2026-04-08T00:00:00Z", "reason": "congés"}
    first = client.post("/api/leave", json=leave, headers=world.auth())
    assert first.status_code == 201
    for again in (leave, {**leave, "starts_at": "2026-04-05T00:00:00Z", "ends_at": "2026-04-10T00:00:00Z"}):
        refused = client.post("/api/leave?confirm=true", json=again, headers=world.auth())
        assert refused.status_code == 409
        (error,) = refused.get_json()["errors"]
        assert (error["code"], error["field"], error["params"]["leave_id"]) == ("rota.leave_overlap", "starts_at", first.get_json()["id"])
    # Leave that only touches the first one (half-open intervals) is another leave.
    after = {**leave, "starts_at": "2026-04-08T00:00:00Z", "ends_at": "2026-04-09T00:00:00Z"}
    assert client.post("/api/leave", json=after, headers=world.auth()).status_code == 201
    assert _count(session, Leave) == 2
