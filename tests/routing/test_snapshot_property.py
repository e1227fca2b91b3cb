"""The routing snapshot says what the database says, at every instant: generated rotations, shifts,
overrides, swaps' overrides, leave and last resorts around DST changes, year ends and holidays (the
worlds of the on-duty property test); then a rota edit made a moment ago."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from core import clock
from ivr.menu import HotlineMenu
from rota.models import DutyOverride, Leave
from rota.queries import on_duty_hunt_list
from routing.snapshot import Routing, build_snapshot, keeper_of
from tests.rota.test_on_duty_property import PERIOD, PROPERTY, sample_instants, store, worlds


def _instants(snapshot, specialty_id, w, ref):
    start, end = snapshot.starts_at, snapshot.ends_at
    edges = [s.starts_at for s in snapshot.segments[specialty_id]]
    picked = [at for at in sample_instants(w, ref) if start <= at < end]
    # Every handover the snapshot knows, and the second before it (where an entry must have expired).
    picked += edges + [e - timedelta(seconds=1) for e in edges if e - timedelta(seconds=1) >= start]
    return sorted(set(picked))


def _same(session, snapshot, specialty_id, at):
    expected = on_duty_hunt_list(session, specialty_id, at)
    got = snapshot.hunt_list(specialty_id, at)
    assert got is not None, f"the snapshot does not cover {at.isoformat()}"
    assert list(got) == expected, f"at {at.isoformat()}"


@PROPERTY
@given(w=worlds())
def test_the_snapshot_hunt_list_is_the_databases_at_every_instant(session, w):
    specialty_id, ref = store(session, w)
    snapshot = build_snapshot(session, w["start"], hours=int(PERIOD / timedelta(hours=1)))
    session.commit()
    assert snapshot.segments[specialty_id][0].starts_at == snapshot.starts_at
    assert snapshot.segments[specialty_id][-1].ends_at == snapshot.ends_at
    for at in _instants(snapshot, specialty_id, w, ref):
        _same(session, snapshot, specialty_id, at)


edits = st.sampled_from(["leave", "override", "delete-override", "delete-leave"])


@PROPERTY
@given(w=worlds(), edit=edits, offset=st.integers(0, 4 * 36), length=st.integers(1, 4 * 24))
def test_a_rota_edit_a_moment_ago_is_what_the_next_call_rings(app, session, w, edit, offset, length):
    """Right after a rota change committed by this process the call asks the database (the snapshot is
    being rebuilt); once rebuilt, the snapshot answers the same at every instant."""
    with clock.use_clock(lambda: w["start"]):  # the keeper's thread lives at the same instant
        _edit_a_moment_ago(app, session, w, edit, offset, length)


def _edit_a_moment_ago(app, session, w, edit, offset, length):
    specialty_id, ref = store(session, w)
    keeper = keeper_of(app)
    now = w["start"]
    before = keeper.refresh(now)
    assert before is not None and keeper.for_call(now) == (before, True)
    starts = now + timedelta(minutes=15 * offset)
    ends = starts + timedelta(minutes=15 * length)
    people = sorted({e.senior_id for seg in before.segments[specialty_id] for e in seg.hunt}) or [None]
    if edit == "leave" and people[0] is not None:
        session.add(Leave(senior_id=people[0], starts_at=starts, ends_at=ends))
    elif edit == "override" and len(people) > 1:
        session.add(
            DutyOverride(
                specialty_id=specialty_id, replaced_senior_id=people[0], replacing_senior_id=people[-1], starts_at=starts, ends_at=ends
            )
        )
    elif edit == "delete-override":
        for row in session.query(DutyOverride).all():
            session.delete(row)
    elif edit == "delete-leave":
        for row in session.query(Leave).all():
            session.delete(row)
    session.commit()
    # Not fresh: this process committed a change and the thread has not rebuilt yet (the call asks the
    # database); fresh: the thread was quicker, or the edit changed nothing. Either way, the same answers.
    held, fresh = keeper.for_call(now)
    routing = Routing(held, lambda: session, HotlineMenu(), fresh=fresh)
    for at in _instants(before, specialty_id, w, ref):
        assert list(routing.hunt_list(specialty_id, at)) == on_duty_hunt_list(session, specialty_id, at), f"at {at.isoformat()}"
    after = keeper.refresh(now)
    assert after is not None and keeper.for_call(now) == (after, True)
    for at in _instants(after, specialty_id, w, ref):
        _same(session, after, specialty_id, at)
