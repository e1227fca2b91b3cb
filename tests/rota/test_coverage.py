"""Coverage over a period: gaps (nobody primary) and conflicts, per specialty."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.actor import SYSTEM
from rota import operations as ops
from rota.coverage import coverage, duty_timeline
from rota.models import Layer
from tests.rota.builders import ANCHOR_MONDAY, DAY, NIGHT, department, paris, senior, specialty

VALID_FROM = paris(2025, 1, 1)


def full_plan(session, spec_id, team, holidays=True):
    ops.add_rotation(
        session,
        SYSTEM,
        spec_id,
        "Jour",
        "primary",
        weekdays="12345",
        start=DAY,
        end=NIGHT,
        members=team,
        turn_days=7,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    ops.add_rotation(
        session,
        SYSTEM,
        spec_id,
        "Nuit",
        "primary",
        weekdays="12345",
        start=NIGHT,
        end=DAY,
        members=team,
        turn_days=1,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    ops.add_rotation(
        session,
        SYSTEM,
        spec_id,
        "Week-end",
        "primary",
        weekdays="67",
        start=DAY,
        end=DAY,
        members=team,
        turn_days=7,
        anchor=date(2026, 1, 3),
        valid_from=VALID_FROM,
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (paris(2026, 3, 20), paris(2026, 4, 10)),  # spring forward, Easter Monday
        (paris(2026, 10, 15), paris(2026, 11, 15)),  # fall back, All Saints, Armistice
        (paris(2026, 12, 20), paris(2027, 1, 10)),  # Christmas, year end
        (paris(2028, 2, 20), paris(2028, 3, 5)),  # 29 February
    ],
    ids=["spring", "autumn", "year-end", "leap-day"],
)
def test_a_full_plan_has_no_gap_and_no_double_primary(session, start, end):
    dept = department(session, public_holidays="FR")
    team = [senior(session, f"Dr {i}").id for i in range(4)]
    spec = specialty(session, dept, "neuro")
    full_plan(session, spec.id, team)
    session.commit()
    report = coverage(session, start, end)
    assert report.gaps == [] and report.conflicts == []
    periods = duty_timeline(session, start, end)[spec.id]
    assert all(len(p.decision.layer(Layer.PRIMARY)) == 1 for p in periods)


def test_weekday_only_duty_leaves_the_weekend_uncovered(session):
    dept = department(session)
    team = [senior(session, f"Dr {i}").id for i in range(2)]
    spec = specialty(session, dept, "neuro")
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Jour",
        "primary",
        weekdays="1-5",
        start=DAY,
        end=NIGHT,
        members=team,
        turn_days=7,
        anchor=ANCHOR_MONDAY,
        valid_from=VALID_FROM,
    )
    session.commit()
    report = coverage(session, paris(2026, 3, 27, 12), paris(2026, 3, 30, 12))
    assert [(g.starts_at, g.ends_at) for g in report.gaps] == [(paris(2026, 3, 27, 18, 30), paris(2026, 3, 30, 8, 30))]
    assert report.gaps[0].ends_at - report.gaps[0].starts_at == timedelta(hours=61)  # 62 h of wall clock, 1 h skipped


def test_leave_with_the_gap_policy_shows_a_gap_and_a_conflict(session):
    dept = department(session, public_holidays="FR")
    team = [senior(session, f"Dr {i}").id for i in range(3)]
    spec = specialty(session, dept, "neuro")
    full_plan(session, spec.id, team)
    ops.update_department(session, SYSTEM, dept.id, leave_policy="gap")
    day_senior = duty_timeline(session, paris(2026, 2, 4, 10), paris(2026, 2, 4, 11))[spec.id][0].decision.places[0].senior_id
    ops.add_leave(session, SYSTEM, day_senior, paris(2026, 2, 4, 9), paris(2026, 2, 4, 15))
    session.commit()
    report = coverage(session, paris(2026, 2, 4), paris(2026, 2, 5))
    assert [(g.starts_at, g.ends_at) for g in report.gaps] == [(paris(2026, 2, 4, 9), paris(2026, 2, 4, 15))]
    [conflict] = report.conflicts
    assert (conflict.kind, conflict.senior_id, conflict.starts_at, conflict.ends_at) == (
        "on_leave",
        day_senior,
        paris(2026, 2, 4, 9),
        paris(2026, 2, 4, 15),
    )
    assert "nobody stands in" in conflict.detail


def test_a_shift_for_a_senior_on_leave_is_a_conflict(session):
    dept = department(session)
    a = senior(session, "Dr A")
    spec = specialty(session, dept, "neuro")
    shift = ops.add_shift(session, SYSTEM, spec.id, a.id, "primary", paris(2026, 2, 4, 8, 30), paris(2026, 2, 4, 18, 30))
    ops.add_leave(session, SYSTEM, a.id, paris(2026, 2, 4), paris(2026, 2, 5))
    session.commit()
    report = coverage(session, paris(2026, 2, 4), paris(2026, 2, 5))
    assert [(c.kind, c.detail) for c in report.conflicts] == [("on_leave", f"single shift #{shift.id}, void")]
    assert [(g.starts_at, g.ends_at) for g in report.gaps] == [(paris(2026, 2, 4), paris(2026, 2, 5))]


def test_a_senior_on_two_specialties_at_once(session):
    dept = department(session)
    a, b = senior(session, "Dr A"), senior(session, "Dr B")
    neuro, stroke = specialty(session, dept, "neuro"), specialty(session, dept, "stroke")
    ops.add_shift(session, SYSTEM, neuro.id, a.id, "primary", paris(2026, 2, 4, 8), paris(2026, 2, 4, 20))
    ops.add_shift(session, SYSTEM, stroke.id, a.id, "backup", paris(2026, 2, 4, 18), paris(2026, 2, 5, 8))
    ops.add_shift(session, SYSTEM, stroke.id, b.id, "primary", paris(2026, 2, 4, 8), paris(2026, 2, 5, 8))
    session.commit()
    report = coverage(session, paris(2026, 2, 4, 8), paris(2026, 2, 5, 8))
    pairs = {(c.specialty_id, c.other_specialty_id, c.starts_at, c.ends_at) for c in report.conflicts if c.kind == "two_specialties"}
    assert pairs == {
        (neuro.id, stroke.id, paris(2026, 2, 4, 18), paris(2026, 2, 4, 20)),
        (stroke.id, neuro.id, paris(2026, 2, 4, 18), paris(2026, 2, 4, 20)),
    }
    # Asking about one specialty still finds the other side of the conflict.
    only_neuro = coverage(session, paris(2026, 2, 4, 8), paris(2026, 2, 5, 8), [neuro.id])
    assert only_neuro.specialty_ids == [neuro.id]
    assert [(c.kind, c.other_specialty_id) for c in only_neuro.conflicts] == [("two_specialties", stroke.id)]


def test_nobody_at_all_is_one_gap(session):
    dept = department(session)
    spec = specialty(session, dept, "neuro")
    session.commit()
    report = coverage(session, paris(2026, 2, 1), paris(2026, 2, 8))
    assert [(g.specialty_id, g.starts_at, g.ends_at) for g in report.gaps] == [(spec.id, paris(2026, 2, 1), paris(2026, 2, 8))]
