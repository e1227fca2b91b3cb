"""Previews: the coverage a change would change, computed by the very operation, then rolled back."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import func, select

from audit.models import AuditEntry
from core.actor import SYSTEM
from rota import operations as ops
from rota import preview as pv
from rota.models import DutyOverride, Layer
from tests.rota.builders import DAY, department, paris, senior, specialty

NOW = paris(2026, 1, 20, 10)
DAY_OF_A = (paris(2026, 2, 3, 8, 30), paris(2026, 2, 3, 18, 30))


def _team(session):
    """A and B take daytime turns as primaries; B is A's backup in A's week (a backup rotation)."""
    dept = department(session)
    a, b, c, head = senior(session, "Dr A"), senior(session, "Dr B"), senior(session, "Dr C"), senior(session, "Pr Head")
    spec = specialty(session, dept, "neuro")
    ops.update_department(session, SYSTEM, dept.id, heads=[head.id])
    common = {
        "weekdays": "1-7",
        "start": DAY,
        "end": time(18, 30),
        "turn_days": 7,
        "anchor": date(2026, 2, 2),
        "valid_from": paris(2025, 1, 1),
    }
    ops.add_rotation(session, SYSTEM, spec.id, "Jour", "primary", members=[a.id, b.id], **common)
    ops.add_rotation(session, SYSTEM, spec.id, "Secours", "backup", members=[b.id, c.id], **common)
    session.commit()
    return spec.id, a.id, b.id, c.id, head.id


def test_a_swap_with_the_slots_backup_previews_the_lost_backup_and_keeps_nothing(session):
    spec, a, b, _c, head = _team(session)
    swap = ops.request_swap(session, SYSTEM, spec, a, b, *DAY_OF_A, at=NOW)
    ops.accept_swap(session, SYSTEM, swap.id, b, NOW)
    session.commit()
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    start, end = pv.window(DAY_OF_A)
    found = pv.preview(session, lambda s: ops.approve_swap(s, SYSTEM, swap.id, head, NOW), [spec], start, end)
    assert [(c.layer, c.before, c.after, c.starts_at, c.ends_at) for c in found.changes] == [
        (Layer.PRIMARY, (a,), (b,), *DAY_OF_A),
        (Layer.BACKUP, (b,), (), *DAY_OF_A),
    ]
    assert found.lost_backup == [found.changes[1]] and found.lost_primary == [] and found.harmful
    # Nothing was kept: no override, the swap still waits, no audit entry.
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(DutyOverride)) == 0
    assert session.get(ops.SwapRequest, swap.id).status == ops.SwapStatus.ACCEPTED
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    # The version is the coverage it started from: the same until the rota changes.
    assert found.version == pv.state_version(session, [spec], start, end)
    ops.add_leave(session, SYSTEM, _c, DAY_OF_A[0] - timedelta(days=3), DAY_OF_A[0] - timedelta(days=2))
    assert found.version == pv.state_version(session, [spec], start, end)  # outside the window
    ops.add_shift(session, SYSTEM, spec, _c, "backup", DAY_OF_A[0], DAY_OF_A[0] + timedelta(hours=2))
    assert found.version != pv.state_version(session, [spec], start, end)


def test_leave_previews_the_gap_and_a_refused_change_previews_nothing(session):
    spec, a, _b, _c, _head = _team(session)
    start, end = pv.window(DAY_OF_A)
    # Leave for A: B, next in the turn order, stands in (skip policy); as B is also the backup, the backup
    # place goes to nobody: B is seated once, as primary.
    found = pv.preview(session, lambda s: ops.add_leave(s, SYSTEM, a, *DAY_OF_A), [spec], start, end)
    assert [(c.layer, c.removed, c.added) for c in found.changes] == [(Layer.PRIMARY, (a,), (_b,)), (Layer.BACKUP, (_b,), ())]
    try:
        pv.preview(session, lambda s: ops.add_leave(s, SYSTEM, a, DAY_OF_A[1], DAY_OF_A[0]), [spec], start, end)
    except ops.RotaError as exc:
        assert exc.code == "rota.period_order"
    else:
        raise AssertionError("a refused change has no preview")
