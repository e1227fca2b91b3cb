"""Swaps: asked, accepted, approved (or not needed), and then acting as overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

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
    ops.configure_department(session, dept, heads=[head.id])
    ops.add_rotation(
        session,
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


def primary(session, team, at):
    return on_duty_hunt_list(session, team["spec"], at)[0]


def test_an_approved_exchange_swaps_the_two_weeks(session, team):
    swap = ops.request_swap(
        session, team["spec"], team["A"], team["B"], *WEEK_A, return_starts_at=WEEK_B[0], return_ends_at=WEEK_B[1], at=NOW
    )
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]  # nothing yet
    ops.accept_swap(session, swap, team["B"], NOW)
    assert swap.status is SwapStatus.ACCEPTED
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]  # waits for the head
    ops.approve_swap(session, swap, team["head"], NOW)
    session.commit()
    assert swap.status is SwapStatus.APPROVED and len(swap.overrides) == 2
    entry = primary(session, team, WEEK_A[0] + timedelta(days=1))
    assert entry.senior_id == team["B"] and entry.reason == f'swap #{swap.id}: replaces Dr A (rotation "Semaine")'
    assert primary(session, team, WEEK_B[0] + timedelta(days=1)).senior_id == team["A"]
    # Half-open at both ends of the swap.
    assert primary(session, team, WEEK_A[0] - timedelta(seconds=1)).senior_id == team["B"]  # B's week before (rotation)
    assert primary(session, team, WEEK_B[1]).senior_id == team["A"]  # A's next week (rotation)


def test_without_approval_a_swap_is_in_force_once_accepted(session, team):
    ops.configure_department(session, team["dept"], swaps_need_approval=False)
    swap = ops.request_swap(session, team["spec"], team["A"], team["B"], WEEK_A[0], WEEK_A[0] + timedelta(days=1), at=NOW)
    ops.accept_swap(session, swap, team["B"], NOW)
    session.commit()
    assert swap.status is SwapStatus.APPROVED and swap.decided_by_id is None
    assert primary(session, team, WEEK_A[0] + timedelta(hours=1)).senior_id == team["B"]
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]


def test_the_wrong_people_cannot_move_a_swap_on(session, team):
    swap = ops.request_swap(session, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    with pytest.raises(RotaError, match="only the senior asked"):
        ops.accept_swap(session, swap, team["A"], NOW)
    ops.accept_swap(session, swap, team["B"], NOW)
    with pytest.raises(RotaError, match="only a head"):
        ops.approve_swap(session, swap, team["B"], NOW)
    ops.reject_swap(session, swap, team["head"], NOW)
    with pytest.raises(RotaError, match="is rejected"):
        ops.approve_swap(session, swap, team["head"], NOW)
    assert session.query(DutyOverride).count() == 0


def test_declined_and_cancelled_swaps_change_nothing(session, team):
    declined = ops.request_swap(session, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    ops.decline_swap(session, declined, team["B"], NOW)
    cancelled = ops.request_swap(session, team["spec"], team["A"], team["B"], *WEEK_A, at=NOW)
    ops.cancel_swap(session, cancelled, team["A"], NOW)
    session.commit()
    assert (declined.status, cancelled.status) == (SwapStatus.DECLINED, SwapStatus.CANCELLED)
    assert primary(session, team, WEEK_A[0] + timedelta(days=1)).senior_id == team["A"]


def test_one_can_only_give_away_duty_one_has(session, team):
    with pytest.raises(RotaError, match="Dr B is not on duty"):
        ops.request_swap(session, team["spec"], team["B"], team["A"], *WEEK_A, at=NOW)
    with pytest.raises(RotaError, match="Dr A is not on duty for this specialty in the interval offered"):
        ops.request_swap(session, team["spec"], team["B"], team["A"], *WEEK_B, return_starts_at=WEEK_B[0], return_ends_at=WEEK_B[1], at=NOW)
    with pytest.raises(RotaError, match="two different seniors"):
        ops.request_swap(session, team["spec"], team["A"], team["A"], *WEEK_A, at=NOW)
    with pytest.raises(RotaError, match="end after it starts"):
        ops.request_swap(session, team["spec"], team["A"], team["B"], WEEK_A[1], WEEK_A[0], at=NOW)


def test_operations_refuse_bad_input_in_words(session, team):
    with pytest.raises(RotaError, match="at most 8 days"):
        ops.add_shift(session, team["spec"], team["A"], "primary", WEEK_A[0], WEEK_A[0] + timedelta(days=9))
    with pytest.raises(RotaError, match="unknown time zone"):
        ops.configure_department(session, team["dept"], timezone="Europe/Pariss")
    with pytest.raises(RotaError, match="public holiday calendar"):
        ops.configure_department(session, team["dept"], public_holidays="XX")
    with pytest.raises(RotaError, match="weekday"):
        ops.add_rotation(
            session, team["spec"], "x", "primary", weekdays="9", start=DAY, end=DAY, members=[], anchor=date(2026, 1, 1), valid_from=NOW
        )
    with pytest.raises(RotaError, match="cannot replace themselves"):
        ops.add_override(session, team["spec"], team["A"], team["A"], *WEEK_A)
