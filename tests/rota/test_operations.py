"""What ``rota.operations`` promises every caller: one validator per thing, the audit entry written by
the operation itself, and a stale change refused rather than silently overwritten."""

from __future__ import annotations

from datetime import UTC, date, time

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from core.actor import SYSTEM, Actor, ActorKind
from core.concurrency import fingerprint
from core.errors import OperationError
from rota import operations as ops
from rota.operations import RotaError
from tests.rota.builders import DAY, department, paris, senior, specialty

IT = Actor(ActorKind.CLI, "flask test (it)")


@pytest.fixture
def ward(session):
    dept = department(session)
    spec = specialty(session, dept, "neuro")
    a, b = senior(session, "Dr A"), senior(session, "Dr B")
    rotation = ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Jour",
        "primary",
        weekdays="12345",
        start=DAY,
        end=time(18, 30),
        members=[a.id],
        anchor=date(2026, 1, 5),
        valid_from=paris(2026, 1, 1),
    )
    session.commit()
    return {"dept": dept.id, "spec": spec.id, "A": a.id, "B": b.id, "rotation": rotation.id}


def _rotation(ward, **changes):
    fields = {
        "name": "Jour",
        "layer": "primary",
        "weekdays": "12345",
        "start": DAY,
        "end": time(18, 30),
        "members": [ward["A"]],
        "turn_days": 7,
        "handoff": None,
        "anchor": date(2026, 1, 5),
        "valid_from": paris(2026, 1, 1),
        "valid_until": None,
    }
    return fields | changes


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"name": " "}, "rota.rotation_name", "name"),
        ({"weekdays": "8"}, "rota.weekdays", "weekdays"),
        ({"turn_days": 0}, "rota.turn_days", "turn_days"),
        ({"start": time(8, 30, tzinfo=UTC)}, "rota.wall_clock", "start"),  # the check update_rotation used to drop
        ({"valid_until": paris(2025, 12, 31)}, "rota.valid_until_order", "valid_until"),
        ({"members": [987654]}, "rota.unknown_senior", "members"),
        ({"layer": "tertiary"}, "rota.layer", "layer"),
    ],
)
def test_adding_and_changing_a_rotation_share_one_validator(session, ward, changes, code, field):
    fields = _rotation(ward, **changes)
    with pytest.raises(RotaError) as adding:
        ops.add_rotation(session, SYSTEM, ward["spec"], fields.pop("name"), fields.pop("layer"), **fields)
    with pytest.raises(RotaError) as changing:
        ops.update_rotation(session, SYSTEM, ward["rotation"], **_rotation(ward, **changes))
    assert (adding.value.code, adding.value.field) == (changing.value.code, changing.value.field) == (code, field)


def test_an_operation_audits_itself_with_its_actor(session, ward):
    before = ops.rotation_values(session.get(ops.Rotation, ward["rotation"]))
    ops.update_rotation(session, IT, ward["rotation"], **_rotation(ward, members=[ward["A"], ward["B"]]))
    session.commit()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "rotation.update")).one()
    assert (entry.actor_kind, entry.actor, entry.department_ids) == ("cli", "flask test (it)", [ward["dept"]])
    assert entry.before == before and entry.after["members"] == [ward["A"], ward["B"]]


def test_a_change_read_before_someone_elses_is_refused(session, ward):
    seen = fingerprint(ops.rotation_values(session.get(ops.Rotation, ward["rotation"])))
    ops.update_rotation(session, SYSTEM, ward["rotation"], expected=seen, **_rotation(ward, name="Jour (A)"))
    session.commit()
    with pytest.raises(OperationError) as stale:
        ops.update_rotation(session, SYSTEM, ward["rotation"], expected=seen, **_rotation(ward, name="Jour (B)"))
    assert stale.value.code == "core.changed" and stale.value.kind == "conflict"
    session.rollback()
    ops.remove_rotation(session, SYSTEM, ward["rotation"])
    session.commit()
    with pytest.raises(OperationError) as gone:
        ops.remove_rotation(session, SYSTEM, ward["rotation"], expected=seen)
    assert gone.value.code == "core.deleted"
    with pytest.raises(RotaError) as unknown:
        ops.remove_rotation(session, SYSTEM, ward["rotation"])
    assert (unknown.value.code, unknown.value.params) == ("rota.unknown_rotation", {"rotation_id": ward["rotation"]})
