"""``?dry_run=true``: the API answers what a change would do to coverage (rota.preview, the very operation
in a savepoint, rolled back) and keeps nothing — no row, no audit entry; a refusal is the one saving would
give, and the token's rights are checked first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from audit.models import AuditEntry
from rota.models import DutySlot, Layer, Leave
from rota.queries import on_duty

WEDNESDAY_DAY = ("2026-03-11T07:30:00Z", "2026-03-11T17:30:00Z")  # 08:30-18:30 in Paris: a rotation day


def _counts(session) -> tuple[int, int, int]:
    session.rollback()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (DutySlot, Leave, AuditEntry))


def test_a_dry_run_answers_the_effect_and_keeps_nothing(client, session, world):
    at = datetime(2026, 3, 11, 12, tzinfo=UTC)
    primary = on_duty(session, world.neuro_id, at).decision.layer(Layer.PRIMARY)[0].senior_id
    other = world.bob if primary == world.alice else world.alice
    before = _counts(session)
    leave = {"senior_id": primary, "starts_at": WEDNESDAY_DAY[0], "ends_at": WEDNESDAY_DAY[1], "reason": "congrès"}
    answer = client.post("/api/leave?dry_run=true", json=leave, headers=world.auth())
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    # The next in the turn stands in (the department skips a senior on leave): nobody is lost.
    assert found["changes"] == [
        {
            "specialty": "NEURO",
            "layer": "primary",
            "starts_at": WEDNESDAY_DAY[0],
            "ends_at": WEDNESDAY_DAY[1],
            "before": [primary],
            "after": [other],
            "lost": False,
        }
    ]
    # Still scheduled while on leave (the rota names them), said as information: harmless, someone stands in.
    assert [(c["kind"], c["senior_id"]) for c in found["new_conflicts"]] == [("on_leave", primary)]
    assert found["harmful"] is False and len(found["version"]) == 32
    shift = {"specialty": "NEURO", "senior_id": world.carol, "layer": "backup"}
    shift |= {"starts_at": "2026-03-11T09:00:00Z", "ends_at": "2026-03-11T11:00:00Z"}
    backup = client.post("/api/shifts?dry_run=true", json=shift, headers=world.auth()).get_json()
    assert [(c["layer"], c["before"], c["after"]) for c in backup["changes"]] == [("backup", [], [world.carol])]
    assert _counts(session) == before  # no leave, no shift, no audit entry
    # Without dry_run the same request saves, as always.
    assert client.post("/api/shifts", json=shift, headers=world.auth()).status_code == 201
    saved = session.scalars(select(DutySlot)).one()
    # Moving it to the afternoon: the morning loses the backup it had.
    afternoon = {"starts_at": "2026-03-11T13:00:00Z", "ends_at": "2026-03-11T15:00:00Z"}
    moved = client.patch(f"/api/shifts/{saved.id}?dry_run=true", json=afternoon, headers=world.auth()).get_json()
    assert [(c["starts_at"], c["lost"]) for c in moved["changes"] if c["before"] == [world.carol]] == [("2026-03-11T09:00:00Z", True)]
    assert moved["harmful"] is True
    session.rollback()
    assert session.get(DutySlot, saved.id).starts_at == datetime(2026, 3, 11, 9, tzinfo=UTC)


def test_a_dry_run_is_refused_as_saving_would_be(client, session, world):
    before = _counts(session)
    backwards = {"specialty": "NEURO", "senior_id": world.carol, "layer": "backup"}
    backwards |= {"starts_at": "2026-03-11T11:00:00Z", "ends_at": "2026-03-11T09:00:00Z"}
    refused = client.post("/api/shifts?dry_run=true", json=backwards, headers=world.auth())
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "rota.period_order"
    leave = {"senior_id": world.alice, "starts_at": WEDNESDAY_DAY[0], "ends_at": WEDNESDAY_DAY[1], "reason": ""}
    assert client.post("/api/leave?dry_run=true", json=leave, headers=world.auth(world.reader)).status_code == 403
    assert _counts(session) == before
