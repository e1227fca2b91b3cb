"""override > leave > single shift > rotation, one example per rule, through the hotline's entry point."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.actor import SYSTEM
from rota import operations as ops
from rota.models import Layer, LeavePolicy
from rota.queries import on_duty_hunt_list
from tests.rota.builders import ANCHOR_MONDAY, DAY, NIGHT, department, paris, senior, specialty

VALID_FROM = paris(2025, 1, 1)
NOON = paris(2026, 2, 4, 12)  # a Wednesday in winter


@pytest.fixture
def ward(session):
    """Neurology: a weekly day rotation A → B → C, a backup rotation D, the head H as last resort."""
    dept = department(session)
    a, b, c, d, h, x = (senior(session, name) for name in ("Dr A", "Dr B", "Dr C", "Dr D", "Pr H", "Dr X"))
    spec = specialty(session, dept, "neurology", last_resort_senior_id=h.id)
    # Turns change on Mondays at 08:30; the week of Monday 2 February 2026 is A's.
    rotation = ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Jour",
        Layer.PRIMARY,
        weekdays="1234567",
        start=DAY,
        end=DAY,
        members=[a.id, b.id, c.id],
        turn_days=7,
        anchor=date(2026, 2, 2),
        valid_from=VALID_FROM,
    )
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Secours",
        Layer.BACKUP,
        weekdays="1234567",
        start=DAY,
        end=DAY,
        members=[d.id],
        turn_days=7,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    session.commit()
    return {"dept": dept, "spec": spec, "rotation": rotation, **{p.full_name.split()[-1]: p.id for p in (a, b, c, d, h, x)}}


def hunt(session, ward, at=NOON):
    return [(e.senior_id, e.layer) for e in on_duty_hunt_list(session, ward["spec"].id, at)]


def test_rotation_alone(session, ward):
    assert hunt(session, ward) == [(ward["A"], "primary"), (ward["D"], "backup"), (ward["H"], "last_resort")]
    entries = on_duty_hunt_list(session, ward["spec"].id, NOON)
    assert entries[0].reason == 'rotation "Jour"' and entries[2].reason == "last resort of the specialty"


def test_single_shift_beats_rotation(session, ward):
    ops.add_shift(session, SYSTEM, ward["spec"].id, ward["X"], "primary", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert hunt(session, ward)[:2] == [(ward["X"], "primary"), (ward["D"], "backup")]
    assert on_duty_hunt_list(session, ward["spec"].id, NOON)[0].reason.startswith("single shift #")


def test_a_backup_shift_leaves_the_primary_rotation_alone(session, ward):
    ops.add_shift(session, SYSTEM, ward["spec"].id, ward["X"], "backup", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert hunt(session, ward)[:2] == [(ward["A"], "primary"), (ward["X"], "backup")]


def test_leave_beats_single_shift_and_the_rotation_shows_through(session, ward):
    ops.add_shift(session, SYSTEM, ward["spec"].id, ward["X"], "primary", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    ops.add_leave(session, SYSTEM, ward["X"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert hunt(session, ward)[0] == (ward["A"], "primary")


def test_leave_skips_to_the_next_senior_in_turn_order(session, ward):
    ops.add_leave(session, SYSTEM, ward["A"], NOON - timedelta(days=1), NOON + timedelta(days=1), "congés")
    entries = on_duty_hunt_list(session, ward["spec"].id, NOON)
    assert (entries[0].senior_id, entries[0].layer) == (ward["B"], "primary")
    assert entries[0].reason == 'rotation "Jour": next in turn, Dr A on leave'
    ops.add_leave(session, SYSTEM, ward["B"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert hunt(session, ward)[0] == (ward["C"], "primary")


def test_leave_leaves_a_gap_when_the_department_says_so(session, ward):
    ops.update_department(session, SYSTEM, ward["dept"].id, leave_policy="gap")
    ops.add_leave(session, SYSTEM, ward["A"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert hunt(session, ward) == [(ward["D"], "backup"), (ward["H"], "last_resort")]


def test_override_beats_leave(session, ward):
    """A is on leave and the department named X to cover: X, not the next in turn (B)."""
    ops.add_leave(session, SYSTEM, ward["A"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    override = ops.add_override(
        session, SYSTEM, ward["spec"].id, ward["A"], ward["X"], NOON - timedelta(hours=2), NOON + timedelta(hours=2), "covers A"
    )
    entries = on_duty_hunt_list(session, ward["spec"].id, NOON)
    assert (entries[0].senior_id, entries[0].layer) == (ward["X"], "primary")
    assert entries[0].reason == f'override #{override.id}: replaces Dr A (rotation "Jour")'


def test_override_replaces_a_single_shift_too(session, ward):
    ops.add_shift(session, SYSTEM, ward["spec"].id, ward["B"], "primary", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    ops.add_override(session, SYSTEM, ward["spec"].id, ward["B"], ward["X"], NOON - timedelta(hours=2), NOON + timedelta(hours=2))
    assert hunt(session, ward)[0] == (ward["X"], "primary")


def test_nothing_rings_a_senior_on_leave_not_even_an_override(session, ward):
    ops.add_override(session, SYSTEM, ward["spec"].id, ward["A"], ward["X"], NOON - timedelta(hours=2), NOON + timedelta(hours=2))
    ops.add_leave(session, SYSTEM, ward["X"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert hunt(session, ward) == [(ward["D"], "backup"), (ward["H"], "last_resort")]


def test_the_newest_override_wins(session, ward):
    ops.add_override(session, SYSTEM, ward["spec"].id, ward["A"], ward["X"], NOON - timedelta(hours=2), NOON + timedelta(hours=2))
    ops.add_override(session, SYSTEM, ward["spec"].id, ward["A"], ward["C"], NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert hunt(session, ward)[0] == (ward["C"], "primary")


def test_an_override_elsewhere_in_time_changes_nothing(session, ward):
    ops.add_override(session, SYSTEM, ward["spec"].id, ward["A"], ward["X"], NOON + timedelta(hours=1), NOON + timedelta(hours=2))
    assert hunt(session, ward)[0] == (ward["A"], "primary")
    # Half-open: at its start the override holds, at its end it no longer does.
    assert hunt(session, ward, NOON + timedelta(hours=1))[0] == (ward["X"], "primary")
    assert hunt(session, ward, NOON + timedelta(hours=2))[0] == (ward["A"], "primary")


def test_an_inactive_senior_is_never_rung(session, ward):
    from rota.models import Senior

    session.get(Senior, ward["A"]).active = False
    session.commit()
    assert hunt(session, ward)[0] == (ward["B"], "primary")


def test_last_resort_falls_back_to_the_heads(session, ward):
    ops.update_department(session, SYSTEM, ward["dept"].id, heads=[ward["H"], ward["C"]])
    ward["spec"].last_resort_senior_id = None
    session.commit()
    entries = on_duty_hunt_list(session, ward["spec"].id, NOON)
    assert [(e.senior_id, e.layer) for e in entries][2:] == [(ward["H"], "last_resort"), (ward["C"], "last_resort")]
    assert entries[2].reason == "head of department (last resort)"
    ops.add_leave(session, SYSTEM, ward["H"], NOON - timedelta(days=1), NOON + timedelta(days=1))
    assert hunt(session, ward)[2:] == [(ward["C"], "last_resort")]


def test_at_the_handover_instant_exactly_one_senior_is_primary(session, ward):
    handover = paris(2026, 2, 9, 8, 30)  # Monday: A's week ends, B's begins
    assert hunt(session, ward, handover - timedelta(microseconds=1))[0] == (ward["A"], "primary")
    at_handover = hunt(session, ward, handover)
    assert [s for s, layer in at_handover if layer == "primary"] == [ward["B"]]


def test_day_and_night_hand_over_at_local_times_across_the_spring_change(session):
    dept = department(session, public_holidays="FR", leave_policy=LeavePolicy.SKIP)
    day_team = [senior(session, f"Dr Day {i}").id for i in range(2)]
    night_team = [senior(session, f"Dr Night {i}").id for i in range(2)]
    spec = specialty(session, dept, "cardio")
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Jour",
        "primary",
        weekdays="1234567",
        start=DAY,
        end=NIGHT,
        members=day_team,
        turn_days=1,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Nuit",
        "primary",
        weekdays="1234567",
        start=NIGHT,
        end=DAY,
        members=night_team,
        turn_days=1,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    session.commit()
    for at, team in [
        (paris(2026, 3, 29, 8, 30), day_team),
        (paris(2026, 3, 29, 18, 30), night_team),
        (paris(2026, 3, 30, 8, 30), day_team),
    ]:
        entries = on_duty_hunt_list(session, spec.id, at)
        assert len(entries) == 1 and entries[0].senior_id in team, at
    assert on_duty_hunt_list(session, spec.id, paris(2026, 3, 29, 8, 29))[0].senior_id in night_team


def test_an_unknown_specialty_has_nobody(session):
    assert on_duty_hunt_list(session, 999_999, NOON) == []


def test_naive_instants_are_refused(session, ward):
    with pytest.raises(ValueError, match="naive"):
        on_duty_hunt_list(session, ward["spec"].id, NOON.replace(tzinfo=None))


def test_existing_duty_slot_behaviour_is_kept(session, ward):
    """A senior with two places is rung once, at the first."""
    ops.add_shift(session, SYSTEM, ward["spec"].id, ward["D"], "primary", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert hunt(session, ward) == [(ward["D"], "primary"), (ward["H"], "last_resort")]
