"""Property tests: generated rotations, shifts, overrides and leave, stored in the database; at every
sampled instant the hotline's answer matches the slow reference of tests/rota/reference.py, and the
coverage sweep agrees with the hotline.

Periods are drawn around the awkward days: both DST changes (Europe/Paris, New York, Lord Howe's
half-hour change), year ends, 29 February, French public holidays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rota.coverage import coverage, duty_timeline
from rota.models import DepartmentHead, DutyOverride, DutySlot, Layer, Leave, LeavePolicy, Rotation, RotationMember
from rota.queries import hunt_list, on_duty
from tests.rota.builders import department, empty_database, senior, specialty
from tests.rota.reference import RefInterval, RefRotation, RefWorld, ref_instant

# For each zone, the days around which a period is drawn: its DST changes first (drawn most often).
AWKWARD_DAYS = {
    "Europe/Paris": [
        date(2026, 3, 29),  # spring forward: 02:00 → 03:00
        date(2026, 10, 25),  # fall back: 03:00 → 02:00
        date(2027, 3, 28),
        date(2027, 10, 31),
        date(2026, 12, 31),  # year end
        date(2028, 2, 29),  # leap day
        date(2026, 5, 14),  # Ascension, a Thursday
        date(2026, 4, 6),  # Easter Monday
    ],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],  # half-hour changes
    "Asia/Kolkata": [date(2027, 12, 31)],  # no DST at all
}
ZONES = ["Europe/Paris"] * 4 + ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
PERIOD = timedelta(days=3)

walls = st.one_of(
    st.sampled_from([time(2, 0), time(2, 15), time(2, 30), time(3, 0), time(1, 30), time(8, 30), time(18, 30), time(0, 0)]),
    st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15)),
)


@st.composite
def worlds(draw):
    zone = draw(st.sampled_from(ZONES))
    days = AWKWARD_DAYS[zone]
    day = draw(st.one_of(st.sampled_from(days[:2]), st.sampled_from(days)))
    start = datetime.combine(day, time(0, 0), UTC) - timedelta(days=1) - timedelta(hours=draw(st.integers(0, 23)))
    n_seniors = draw(st.integers(2, 6))
    seniors = st.integers(0, n_seniors - 1)

    def instant_in_period():
        return st.integers(-12 * 4, int(PERIOD / timedelta(minutes=15)) + 12 * 4).map(lambda q: start + timedelta(minutes=15 * q))

    rotations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "layer": st.sampled_from(["primary", "primary", "backup"]),
                    "weekdays": st.sets(st.integers(1, 7), min_size=1),
                    "start": walls,
                    "end": walls,
                    "turn_days": st.sampled_from([1, 1, 2, 3, 7, 14]),
                    "handoff": walls,
                    "anchor_offset": st.integers(-40, 10),
                    "members": st.lists(seniors, min_size=0, max_size=4),
                    "valid_from": st.one_of(st.none(), instant_in_period()),
                    "valid_until": st.one_of(st.none(), instant_in_period()),
                }
            ),
            max_size=4,
        )
    )
    interval = st.tuples(instant_in_period(), st.integers(1, 4 * 48).map(lambda q: timedelta(minutes=15 * q)))
    shifts = draw(st.lists(st.tuples(seniors, st.sampled_from(["primary", "backup"]), interval), max_size=4))
    overrides = draw(st.lists(st.tuples(seniors, seniors, interval).filter(lambda o: o[0] != o[1]), max_size=3))
    leave = draw(st.lists(st.tuples(seniors, interval), max_size=4))
    return {
        "start": start,
        "day": day,
        "zone": zone,
        "holidays": draw(st.sampled_from([None, "FR"])),
        "policy": draw(st.sampled_from(["skip", "gap"])),
        "n_seniors": n_seniors,
        "inactive": draw(st.sets(seniors, max_size=1)),
        "rotations": rotations,
        "shifts": shifts,
        "overrides": overrides,
        "leave": leave,
        "last_resort": draw(st.one_of(st.none(), seniors)),
        "heads": draw(st.lists(seniors, max_size=2, unique=True)),
        "samples": draw(st.lists(instant_in_period(), min_size=5, max_size=5)),
        "jitter": draw(st.sampled_from([timedelta(0), timedelta(seconds=-1), timedelta(minutes=7)])),
    }


def store(session, w) -> tuple[int, RefWorld]:
    """Write the generated world through the models; return the specialty and the same world for the reference."""
    empty_database(session)
    zone = ZoneInfo(w["zone"])
    dept = department(session, timezone=w["zone"], public_holidays=w["holidays"], leave_policy=LeavePolicy(w["policy"]))
    people = [senior(session, f"Dr {i}", active=i not in w["inactive"]).id for i in range(w["n_seniors"])]
    spec = specialty(session, dept, "spec", last_resort_senior_id=people[w["last_resort"]] if w["last_resort"] is not None else None)
    for position, head in enumerate(w["heads"]):
        session.add(DepartmentHead(department_id=dept.id, senior_id=people[head], position=position))
    ref = RefWorld(zone, w["holidays"], w["policy"], inactive={people[i] for i in w["inactive"]})
    ref.last_resort = spec.last_resort_senior_id
    ref.heads = [people[h] for h in w["heads"]]
    far_past = datetime(2000, 1, 1, tzinfo=UTC)
    for i, r in enumerate(w["rotations"]):
        valid_from = r["valid_from"] or far_past
        valid_until = r["valid_until"]
        if valid_until is not None and valid_until <= valid_from:
            valid_until = None
        members = [people[m] for m in r["members"]]
        anchor = w["start"].date() + timedelta(days=r["anchor_offset"])
        row = Rotation(
            specialty_id=spec.id,
            name=f"R{i}",
            layer=Layer(r["layer"]),
            weekdays="".join(str(d) for d in sorted(r["weekdays"])),
            start_time=r["start"],
            end_time=r["end"],
            turn_days=r["turn_days"],
            handoff_time=r["handoff"],
            anchor_date=anchor,
            valid_from=valid_from,
            valid_until=valid_until,
            members=[RotationMember(position=p, senior_id=m) for p, m in enumerate(members)],
        )
        session.add(row)
        session.flush()
        ref.rotations.append(
            RefRotation(
                row.id,
                row.name,
                r["layer"],
                set(r["weekdays"]),
                r["start"],
                r["end"],
                r["turn_days"],
                r["handoff"],
                anchor,
                members,
                valid_from,
                valid_until,
            )
        )
    for who, layer, (s, length) in w["shifts"]:
        row = DutySlot(specialty_id=spec.id, senior_id=people[who], layer=Layer(layer), starts_at=s, ends_at=s + length)
        session.add(row)
        session.flush()
        ref.shifts.append(RefInterval(row.id, s, s + length, senior=people[who], layer=layer))
    for replaced, replacing, (s, length) in w["overrides"]:
        row = DutyOverride(
            specialty_id=spec.id,
            replaced_senior_id=people[replaced],
            replacing_senior_id=people[replacing],
            starts_at=s,
            ends_at=s + length,
        )
        session.add(row)
        session.flush()
        ref.overrides.append(RefInterval(row.id, s, s + length, replaced=people[replaced], replacing=people[replacing]))
    for who, (s, length) in w["leave"]:
        row = Leave(senior_id=people[who], starts_at=s, ends_at=s + length)
        session.add(row)
        session.flush()
        ref.leave.append(RefInterval(row.id, s, s + length, senior=people[who]))
    session.commit()
    return spec.id, ref


def sample_instants(w, ref: RefWorld) -> list[datetime]:
    """Random instants, plus every edge where something changes — handovers are where bugs live."""
    edges: set[datetime] = set()
    for interval in ref.shifts + ref.overrides + ref.leave:
        edges.update((interval.start, interval.end))
    local_start = w["start"].astimezone(ref.zone).date()
    for rot in ref.rotations:
        for back in range(-1, PERIOD.days + 1):
            day = local_start + timedelta(days=back)
            edges.update(
                (ref_instant(day, rot.start, ref.zone), ref_instant(day, rot.end, ref.zone), ref_instant(day, rot.handoff, ref.zone))
            )
    lo, hi = w["start"] - timedelta(hours=12), w["start"] + PERIOD + timedelta(hours=12)
    # Every edge on the awkward day itself is checked; elsewhere a sample of them.
    near = datetime.combine(w["day"], time(0, 0), UTC)
    must = sorted(e for e in edges if near - timedelta(hours=14) <= e < near + timedelta(hours=38))
    rest = sorted(e for e in edges if lo <= e < hi and e not in must)
    picked = must + rest[:: max(1, len(rest) // 6)]
    instants = [s + w["jitter"] for s in w["samples"]] + picked + [p - timedelta(seconds=1) for p in picked[::3]]
    return sorted(set(instants))


def _places(answer) -> list[tuple]:
    return [
        (p.senior_id, p.layer.value, p.source, p.source_id, p.override.override_id if p.override else None, p.stood_in_for)
        for p in answer.decision.places
    ]


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(w=worlds())
def test_on_duty_matches_the_reference_at_every_sampled_instant(session, w):
    specialty_id, ref = store(session, w)
    for at in sample_instants(w, ref):
        answer = on_duty(session, specialty_id, at)
        assert _places(answer) == ref.places(at), f"at {at.isoformat()}"
        hunt = hunt_list(answer)
        assert [(e.senior_id, e.layer) for e in hunt] == ref.hunt(at), f"at {at.isoformat()}"
        away = ref.unavailable(at)
        assert not any(e.senior_id in away for e in hunt), "a senior on leave is in the hunt list"


@settings(PROPERTY, max_examples=25)
@given(w=worlds())
def test_the_coverage_sweep_agrees_with_the_hotline(session, w):
    specialty_id, ref = store(session, w)
    start, end = w["start"], w["start"] + PERIOD
    periods = duty_timeline(session, start, end, [specialty_id])[specialty_id]
    assert periods[0].starts_at == start and periods[-1].ends_at == end
    assert all(a.ends_at == b.starts_at for a, b in pairwise(periods)), "the timeline has holes or overlaps"
    gaps = coverage(session, start, end, [specialty_id]).gaps_of(specialty_id)
    for at in sample_instants(w, ref):
        if not start <= at < end:
            continue
        period = next(p for p in periods if p.starts_at <= at < p.ends_at)
        assert _places(on_duty(session, specialty_id, at)) == [
            (p.senior_id, p.layer.value, p.source, p.source_id, p.override.override_id if p.override else None, p.stood_in_for)
            for p in period.decision.places
        ], f"at {at.isoformat()}"
        in_gap = any(g.starts_at <= at < g.ends_at for g in gaps)
        assert in_gap == (not any(place[1] == "primary" for place in ref.places(at))), f"gap report wrong at {at.isoformat()}"


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_the_reference_itself_knows_the_paris_changes(day):
    zone = ZoneInfo("Europe/Paris")
    if day.month == 3:
        assert ref_instant(day, time(2, 30), zone) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    else:
        assert ref_instant(day, time(2, 30), zone) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
