"""Three months of calls for the demo, written the way real calls are: the hunt list read from the rota at
the call's instant (:func:`rota.queries.on_duty_hunt_list`), every step through the call log's one writer
(:mod:`calllog.operations`: the IVR's events, Twilio's status reports of each leg), every callback request
through :mod:`callbacks.operations` (announced with its code and deadline, taken, called back through
Recours or closed by hand, some late, the last ones still open).

The story has patterns for the reports to show: GPs call mostly in the morning and the afternoon, seldom
at night; two seniors let the phone ring more than the others (one of them mostly at night); the handover
hours and lunch time miss more; a few GPs give up in the menu. Random but seeded: the same demo each time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks import operations as callbacks
from calllog import events as ev
from calllog import operations as calllog
from calllog.models import AttemptResult
from calllog.operations import StatusReport
from core.actor import SYSTEM
from core.config import Settings
from directory.models import GpPhone
from rota.models import Specialty
from rota.queries import HuntEntry, on_duty_hunt_list

PARIS = ZoneInfo("Europe/Paris")
# GPs' calls by local hour (relative weights): consultations in the morning and the afternoon.
HOURLY = [1, 0, 0, 0, 0, 0, 1, 3, 9, 14, 15, 13, 8, 6, 11, 13, 12, 10, 7, 4, 3, 2, 1, 1]
CALLS_PER_DAY = {"neurology": (4, 2), "cardiology": (2, 1), "paediatrics": (1.5, 1), "geriatrics": (1, 0.5)}  # weekday, weekend
# How often a senior lets the phone ring out (day, night), and the two who do it more (one mostly at
# night); a head, rung last, is often in a consultation or the operating theatre.
USUAL_MISS = (0.15, 0.22)
LIKELY_TO_MISS = {"Dr Nathan Moreau": (0.45, 0.45), "Dr Louis Durand": (0.15, 0.55)}
HEAD_MISS = 0.7
BUSY_HOURS = {12: 0.15, 13: 0.15, 18: 0.2, 19: 0.12, 8: 0.12}  # lunch and the handovers: more misses
RING_TIMEOUT = 20  # seconds a senior's phone rings before the next one is tried


@dataclass
class Story:
    """What was written, for the command to print."""

    calls: int = 0
    connected: int = 0
    callbacks_done: int = 0
    callbacks_late: int = 0
    callbacks_open: int = 0
    _sids: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    def sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._sids):032x}"


def _night(at: datetime) -> bool:
    hour = at.astimezone(PARIS).hour
    return hour >= 19 or hour < 8


def _misses(rng: random.Random, entry: HuntEntry, at: datetime) -> bool:
    if entry.layer == "last_resort":
        return rng.random() < HEAD_MISS
    day, night = LIKELY_TO_MISS.get(entry.name, USUAL_MISS)
    chance = (night if _night(at) else day) + BUSY_HOURS.get(at.astimezone(PARIS).hour, 0.0)
    return rng.random() < chance


def _instants(rng: random.Random, day: date, count: int) -> list[datetime]:
    hours = rng.choices(range(24), weights=HOURLY, k=count)
    return sorted(
        datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), PARIS).astimezone(ZoneInfo("UTC")) for hour in hours
    )


class _Hunts:
    """The hunt list of a specialty at an instant, read once per half hour (the demo's rotas change at
    08:30 and 18:30, so every instant of a half hour has the same list)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[int, datetime], list[HuntEntry]] = {}

    def at(self, specialty_id: int, instant: datetime) -> list[HuntEntry]:
        slot = instant.replace(minute=instant.minute - instant.minute % 30, second=0, microsecond=0)
        key = (specialty_id, slot)
        if key not in self.known:
            self.known[key] = on_duty_hunt_list(self.session, specialty_id, slot)
        return self.known[key]


def _status(session: Session, sid: str, status: str, at: datetime, sequence: int, parent: str | None = None, rank: int | None = None):
    calllog.record_status(session, StatusReport(sid, status, at, sequence, parent, rank), at + timedelta(milliseconds=400))


def _one_call(
    session: Session,
    settings: Settings,
    rng: random.Random,
    story: Story,
    specialty: Specialty,
    hunt: list[HuntEntry],
    caller: str,
    at: datetime,
    now: datetime,
    *,
    everyone_misses: bool = False,
    fate: str | None = None,
) -> None:
    """One call from ``at``; ``everyone_misses`` and ``fate`` ("open", "taken", "late") write the day's
    requests the board shows at once."""
    sid = story.sid("CA")
    call = calllog.open_call(session, sid, caller, settings.hotline_number, at)
    story.calls += 1
    t = at + timedelta(seconds=rng.uniform(5, 11))  # the menu, a key or a word
    if rng.random() < 0.03 and not everyone_misses:
        calllog.apply(session, call, [ev.CallFinished()], t)
        return
    calllog.apply(session, call, [ev.SpecialtyChosen(specialty.id, tuple(hunt))], t)
    connected = False
    for rank, entry in enumerate(hunt):
        calllog.apply(session, call, [ev.AttemptDialled(rank, entry)], t)
        leg = story.sid("CA")
        ring = t + timedelta(seconds=rng.uniform(0.8, 2.5))
        # Of Twilio's reports, the demo writes each leg's "ringing" (the time to first ring comes from it);
        # the IVR's own events settle the rest, as they do when a report is late or lost.
        _status(session, leg, "ringing", ring, 1, sid, rank)
        if not everyone_misses and not _misses(rng, entry, at):
            answered = ring + timedelta(seconds=rng.uniform(3, 14) + (6 if _night(at) else 0))
            accepted = answered + timedelta(seconds=rng.uniform(4, 7))  # the whisper, then 1
            calllog.apply(session, call, [ev.AttemptAnswered(rank)], answered)
            calllog.apply(session, call, [ev.AttemptAccepted(rank)], accepted)
            end = accepted + timedelta(seconds=rng.uniform(90, 480))
            calllog.apply(session, call, [ev.AttemptEnded(rank, AttemptResult.ACCEPTED), ev.CallFinished()], end)
            story.connected += 1
            connected = True
            break
        how = rng.choices(["no-answer", "busy", "voicemail"], weights=[70, 15, 15])[0]
        if how == "voicemail":  # answered by a machine: no key, the hunt goes on
            picked = ring + timedelta(seconds=rng.uniform(8, 15))
            calllog.apply(session, call, [ev.AttemptAnswered(rank)], picked)
            t = picked + timedelta(seconds=10)
            calllog.apply(session, call, [ev.AttemptEnded(rank, AttemptResult.NOT_ACCEPTED)], t)
        else:
            t = ring + timedelta(seconds=1 if how == "busy" else RING_TIMEOUT)
            result = AttemptResult.BUSY if how == "busy" else AttemptResult.NO_ANSWER
            calllog.apply(session, call, [ev.AttemptEnded(rank, result)], t)
    if connected:
        return
    if rng.random() < 0.15 and not everyone_misses:  # the GP gives up while the hunt goes on
        calllog.apply(session, call, [ev.CallFinished()], t)
        return
    seconds = rng.randint(8, 40)
    end = t + timedelta(seconds=seconds + 8)
    calllog.apply(session, call, [ev.CallbackRequested()], t + timedelta(seconds=6))
    calllog.apply(session, call, [ev.RecordingReceived(None, story.sid("RE"), seconds), ev.CallFinished()], end)
    _callback(session, settings, rng, story, hunt, end, now, fate)


def _callback(
    session: Session,
    settings: Settings,
    rng: random.Random,
    story: Story,
    hunt: list[HuntEntry],
    end: datetime,
    now: datetime,
    fate: str | None,
) -> None:
    """The request's life: announced, taken by a senior on duty, called back through Recours (most
    within the deadline, some late, a few closed by hand); the ones of the last hours are still open."""
    announced = end + timedelta(seconds=30)
    for request in callbacks.announce_new_requests(session, settings, announced):
        assert request.deadline_at is not None
        deadline = request.deadline_at - request.requested_at
        late = fate == "late" or (fate is None and rng.random() < 0.2)
        after = deadline * rng.uniform(1.1, 3.0) if late else deadline * rng.uniform(0.15, 0.9)
        done_at = request.requested_at + after
        on_duty = [e for e in hunt if e.layer != "last_resort"] or hunt
        senior = rng.choice(on_duty)
        if done_at > now or fate in ("open", "taken"):
            if fate != "open" and request.requested_at + deadline * 0.3 < now:
                callbacks.acknowledge(session, request, senior.senior_id, request.requested_at + deadline * 0.3)
            story.callbacks_open += 1
            continue
        taken = request.requested_at + after * rng.uniform(0.1, 0.5)
        callbacks.acknowledge(session, request, senior.senior_id, taken)
        if rng.random() < 0.12:  # reached the GP from their own phone, closed by hand
            callbacks.mark_done(session, SYSTEM, request.id, done_at)
        else:
            placed = callbacks.request_callback_call(
                session, settings, request, senior.senior_id, senior.number, done_at - timedelta(seconds=40)
            )
            callbacks.mark_called_back(session, placed, done_at)
        story.callbacks_done += 1
        story.callbacks_late += int(late)


def seed_calls(session: Session, settings: Settings, now: datetime, *, days: int = 91, seed: int = 12) -> Story:
    """Calls from ``days`` days before ``now`` (local midnight) up to ``now``. The caller commits."""
    rng = random.Random(seed)
    story = Story()
    hunts = _Hunts(session)
    specialties = {s.code: s for s in session.scalars(select(Specialty))}
    gp_numbers = list(session.scalars(select(GpPhone.e164).order_by(GpPhone.e164)))
    # Known GPs mostly; sometimes a mobile the directory does not know, or a hidden number.
    strangers = [f"+3319900{300 + i:04d}" for i in range(12)]
    today = now.astimezone(PARIS).date()
    for offset in range(days, -1, -1):
        day = today - timedelta(days=offset)
        weekend = day.weekday() >= 5
        for code, (weekday_calls, weekend_calls) in CALLS_PER_DAY.items():
            specialty = specialties.get(code)
            if specialty is None:
                continue
            mean = weekend_calls if weekend else weekday_calls
            count = max(0, round(rng.gauss(mean, mean / 3)))
            for at in _instants(rng, day, count):
                if at >= now - timedelta(minutes=15):  # no call still going on: the board starts quiet
                    continue
                roll = rng.random()
                caller = rng.choice(gp_numbers) if roll < 0.8 else rng.choice(strangers) if roll < 0.95 else "anonymous"
                _one_call(session, settings, rng, story, specialty, hunts.at(specialty.id, at), caller, at, now)
        session.flush()
    # Today's requests, whatever the dice said: one called back late this morning, one taken but now
    # overdue, one left a quarter of an hour ago.
    neurology = specialties.get("neurology")
    if neurology is not None:
        for minutes, fate in ((300, "late"), (130, "taken"), (16, "open")):
            at = now - timedelta(minutes=minutes)
            if at.astimezone(PARIS).date() == today:
                caller = rng.choice(gp_numbers)
                _one_call(
                    session, settings, rng, story, neurology, hunts.at(neurology.id, at), caller, at, now, everyone_misses=True, fate=fate
                )
    return story
