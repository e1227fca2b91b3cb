"""Swaps: asked, accepted, approved (or not needed), and then acting as overrides."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from core.actor import SYSTEM
from rota import operations as ops
from rota.models import DutyOverride, SwapStatus
from rota.operations import RotaError
from rota.queries import on_duty_hunt_list
from tests.rota.builders import DAY, department, paris, senior, specialty

NOW = paris(2026, 1, 20, 10)
WEEK_A = (paris(2026, 2, 2, 8, 30), paris(2026, 2, 9, 8, 30))  # A's week
WEEK_B = (paris(2026, 2, 9, 8, 30), paris(2026, 2, 16, 8, 30))  # B's week


@pytest.fixture
def team(session):
    dept = department(session)
    a, b, head = senior(session, "Dr A"), senior(session, "Dr B"), senior(session, "Pr Head")
    spec = specialty(session, dept, "neuro")
    ops.update_department(session, SYSTEM, dept.id, heads=[head.id])
    ops.add_rotation(
        session,
        SYSTEM,
        spec.id,
        "Semaine",
        "primary",
        weekdays="1-7",
        start=DAY,
        end=DAY,
        members=[a.id, b.id],
        turn_days=7,
        anchor=date(2026, 2, 2),
        valid_from=paris(2025, 1, 1),
    )
    session.commit()
    return {"dept": dept, "spec": spec.id, "A": a.id, "B": b.id, "head": head.id}


@contextmanager
def refused(code: str):
    """The operation refuses with ``code``: the test reads the code, never the words."""
    with pytest.raises(RotaError) as caught:
        yield
    assert caught.value.code == code, caught.value.code


def primary(session, team, at):
    return on_duty_hunt_list(session, team["spec"], at)[0]


def test_an_approved_exchange_swaps_the_two_weeks(session, team):
    swap = ops.request_swap(
        session, SYSTEM, team["spec"], team["A"], team["B"], *WEEK_A, return_starts_at=WEEK_B[0], return_ends_at=WEEK_B[1], at=NOW
    )
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]  # nothing yet
    ops.accept_swap(session, SYSTEM, swap.id, team["B"], NOW)
    assert swap.status is SwapStatus.ACCEPTED
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]  # waits for the head
    ops.approve_swap(session, SYSTEM, swap.id, team["head"], NOW)
    session.commit()
    assert swap.status is SwapStatus.APPROVED and len(swap.overrides) == 2
    entry = primary(session, team, WEEK_A[0] + timedelta(days=1))
    assert entry.senior_id == team["B"] and entry.reason == f'swap #{swap.id}: replaces Dr A (rotation "Semaine")'
    assert primary(session, team, WEEK_B[0] + timedelta(days=1)).senior_id == team["A"]
    # Half-open at both ends of the swap.
    assert primary(session, team, WEEK_A[0] - timedelta(seconds=1)).senior_id == team["B"]  # B's week before (rotation)
    assert primary(session, team, WEEK_B[1]).senior_id == team["A"]  # A's next week (rotation)


def test_without_approval_a_swap_is_in_force_once_accepted(session, team):
    ops.update_department(session, SYSTEM, team["dept"].id, swaps_need_approval=False)
    swap = ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["B"], WEEK_A[0], WEEK_A[0] + timedelta(days=1), at=NOW)
    ops.accept_swap(session, SYSTEM, swap.id, team["B"], NOW)
    session.commit()
    assert swap.status is SwapStatus.APPROVED and swap.decided_by_id is None
    assert primary(session, team, WEEK_A[0] + timedelta(hours=1)).senior_id == team["B"]
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]


def test_the_wrong_people_cannot_move_a_swap_on(session, team):
    swap = ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    with refused("rota.swap_not_counterpart"):
        ops.accept_swap(session, SYSTEM, swap.id, team["A"], NOW)
    ops.accept_swap(session, SYSTEM, swap.id, team["B"], NOW)
    with refused("rota.swap_not_head"):
        ops.approve_swap(session, SYSTEM, swap.id, team["B"], NOW)
    ops.reject_swap(session, SYSTEM, swap.id, team["head"], NOW)
    with refused("rota.swap_status"):
        ops.approve_swap(session, SYSTEM, swap.id, team["head"], NOW)
    assert session.query(DutyOverride).count() == 0


def test_declined_and_cancelled_swaps_change_nothing(session, team):
    declined = ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    ops.decline_swap(session, SYSTEM, declined.id, team["B"], NOW)
    cancelled = ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    ops.cancel_swap(session, SYSTEM, cancelled.id, team["A"], NOW)
    session.commit()
    assert (declined.status, cancelled.status) == (SwapStatus.DECLINED, SwapStatus.CANCELLED)
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]


def test_one_can_only_give_away_duty_one_has(session, team):
    with refused("rota.not_on_duty"):
        ops.request_swap(session, SYSTEM, team["spec"], team["B"], team["A"], *WEEK_A, at=NOW)
    with refused("rota.return_not_on_duty"):
        ops.request_swap(
            session, SYSTEM, team["spec"], team["B"], team["A"], *WEEK_B, return_starts_at=WEEK_B[0], return_ends_at=WEEK_B[1], at=NOW
        )
    with refused("rota.swap_same_senior"):
        ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["A"], *WEEK_A, at=NOW)
    with refused("rota.period_order"):
        ops.request_swap(session, SYSTEM, team["spec"], team["A"], team["B"], WEEK_A[1], WEEK_A[0], at=NOW)


def test_operations_refuse_bad_input_in_words(session, team):
    with refused("rota.shift_too_long"):
        ops.add_shift(session, SYSTEM, team["spec"], team["A"], "primary", WEEK_A[0], WEEK_A[0] + timedelta(days=9))
    with refused("rota.timezone"):
        ops.update_department(session, SYSTEM, team["dept"].id, timezone="Europe/Pariss")
    with refused("rota.holiday_calendar"):
        ops.update_department(session, SYSTEM, team["dept"].id, public_holidays="XX")
    with refused("rota.weekdays"):
        ops.add_rotation(
            session,
            SYSTEM,
            team["spec"],
            "x",
            "primary",
            weekdays="9",
            start=DAY,
            end=DAY,
            members=[],
            anchor=date(2026, 1, 1),
            valid_from=NOW,
        )
    with refused("rota.self_replacement"):
        ops.add_override(session, SYSTEM, team["spec"], team["A"], team["A"], *WEEK_A)
