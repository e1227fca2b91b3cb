"""Messages about the rota: a reminder to each senior coming on duty, and coverage gaps for the heads.

Both read the rota through :mod:`rota.coverage` (the same precedence rule the hotline applies at call
time) and enqueue under keys that make a re-run send nothing twice: one reminder per (specialty,
senior, start of duty), one gap alert per (department, head, local day).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks import messages
from callbacks.queries import zone_of
from core.config import Settings
from notify.models import Channel
from notify.outbox import enqueue
from rota.coverage import coverage, duty_timeline
from rota.models import DepartmentHead, Senior, SeniorPhone, Specialty
from rota.queries import specialty_name

# A reminder still goes out if the job runs this late after the duty started (a scheduler restart).
REMINDER_GRACE = timedelta(minutes=15)


def _numbers(session: Session, senior_ids: set[int]) -> dict[int, str]:
    """Each active senior's preferred number."""
    numbers: dict[int, str] = {}
    rows = session.execute(
        select(SeniorPhone.senior_id, SeniorPhone.e164)
        .join(Senior, Senior.id == SeniorPhone.senior_id)
        .where(SeniorPhone.senior_id.in_(senior_ids), Senior.active.is_(True))
        .order_by(SeniorPhone.senior_id, SeniorPhone.preference, SeniorPhone.id)
    )
    for senior_id, number in rows:
        numbers.setdefault(senior_id, number)
    return numbers


def duty_starts(session: Session, start: datetime, end: datetime) -> list[tuple[int, int, str, datetime]]:
    """(specialty_id, senior_id, layer, instant) for every duty that begins in ``[start, end]``: a senior
    holding a place who did not hold one in that specialty just before."""
    starts = []
    # A minute of history tells who was already on duty at ``start``.
    for specialty_id, periods in duty_timeline(session, start - timedelta(minutes=1), end + timedelta(seconds=1)).items():
        previous: set[int] = set()
        previous_end: datetime | None = None
        for period in periods:
            if previous_end != period.starts_at:
                previous = set()
            for place in period.decision.places:
                if place.senior_id not in previous and start <= period.starts_at <= end:
                    starts.append((specialty_id, place.senior_id, place.layer.value, period.starts_at))
            previous = {place.senior_id for place in period.decision.places}
            previous_end = period.ends_at
    return starts


def queue_shift_reminders(session: Session, settings: Settings, now: datetime) -> int:
    """SMS each senior whose duty starts within SHIFT_REMINDER_MINUTES (or started a moment ago)."""
    lead = timedelta(minutes=settings.callbacks.shift_reminder_minutes)
    if not lead:
        return 0
    starts = duty_starts(session, now - REMINDER_GRACE, now + lead)
    numbers = _numbers(session, {senior_id for _, senior_id, _, _ in starts})
    queued = 0
    for specialty_id, senior_id, layer, at in starts:
        number = numbers.get(senior_id)
        if number is None:
            continue
        language = messages.senior_language(session, senior_id, settings.web.default_language)
        starts_at = messages.day_hhmm(at, zone_of(session, specialty_id), language)
        body = messages.shift_reminder(specialty_name(session, specialty_id, language), layer, starts_at, language)
        queued += enqueue(
            session,
            dedup_key=f"reminder:{specialty_id}:{senior_id}:{at.isoformat()}",
            channel=Channel.SMS,
            purpose="shift_reminder",
            recipient=number,
            body=body,
            senior_id=senior_id,
            now=now,
            max_attempts=settings.notify.max_attempts,
            expires_at=at + REMINDER_GRACE,
        )
    return queued


def _heads_by_department(session: Session) -> dict[int, list[int]]:
    """Each department's heads, else the last-resort seniors of its specialties."""
    heads: dict[int, list[int]] = defaultdict(list)
    for department_id, senior_id in session.execute(
        select(DepartmentHead.department_id, DepartmentHead.senior_id).order_by(DepartmentHead.position)
    ):
        heads[department_id].append(senior_id)
    last_resorts: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Specialty.department_id, Specialty.last_resort_senior_id)
        .where(Specialty.last_resort_senior_id.is_not(None))
        .order_by(Specialty.id)
    )
    for department_id, senior_id in rows:
        if senior_id not in last_resorts[department_id]:
            last_resorts[department_id].append(senior_id)
    return {
        department_id: heads.get(department_id) or last_resorts.get(department_id, []) for department_id in set(heads) | set(last_resorts)
    }


def queue_coverage_gap_alerts(session: Session, settings: Settings, now: datetime) -> int:
    """Once a day: tell each department's heads how many stretches of the next GAP_ALERT_DAYS days have
    nobody on primary duty, and when the first one is."""
    days = settings.scheduler.gap_alert_days
    report = coverage(session, now, now + timedelta(days=days))
    if not report.gaps:
        return 0
    department_of = dict(session.execute(select(Specialty.id, Specialty.department_id)).all())
    gaps_by_department: dict[int, list] = defaultdict(list)
    for gap in report.gaps:
        gaps_by_department[department_of[gap.specialty_id]].append(gap)
    heads = _heads_by_department(session)
    numbers = _numbers(session, {h for ids in heads.values() for h in ids})
    today = now.astimezone(ZoneInfo(settings.scheduler.timezone)).date().isoformat()
    queued = 0
    for department_id, gaps in sorted(gaps_by_department.items()):
        gaps.sort(key=lambda g: g.starts_at)
        first = gaps[0]
        zone = zone_of(session, first.specialty_id)
        for head_id in heads.get(department_id, []):
            number = numbers.get(head_id)
            if number is None:
                continue
            language = messages.senior_language(session, head_id, settings.web.default_language)
            span = f"{messages.day_hhmm(first.starts_at, zone, language)} - {messages.day_hhmm(first.ends_at, zone, language)}"
            first_text = f"{specialty_name(session, first.specialty_id, language)} {span}"
            body = messages.coverage_gaps(len(gaps), days, first_text, language)
            queued += enqueue(
                session,
                dedup_key=f"gaps:{department_id}:{head_id}:{today}",
                channel=Channel.SMS,
                purpose="coverage_gaps",
                recipient=number,
                body=body,
                senior_id=head_id,
                now=now,
                max_attempts=settings.notify.max_attempts,
                expires_at=now + timedelta(hours=12),
            )
    return queued
