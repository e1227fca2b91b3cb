"""The weekly digest e-mailed to the hotline's managers: last week's calls and callbacks, and the
coverage gaps ahead. Figures only: no GP, no patient."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calllog.models import Call, CallbackRequest, CallbackStatus, CallOutcome
from core.config import Settings
from notify.models import PROBLEM_STATUSES, Channel, OutboundMessage
from notify.outbox import enqueue
from rota.coverage import coverage
from rota.models import Specialty

OUTCOME_LABELS = {
    CallOutcome.CONNECTED: "connectés",
    CallOutcome.CALLBACK_REQUESTED: "rappel demandé",
    CallOutcome.SWITCHBOARD: "standard",
    CallOutcome.NOBODY_ON_DUTY: "personne de garde",
    CallOutcome.ABANDONED_IN_MENU: "raccroché au menu",
    CallOutcome.ABANDONED_WHILE_HUNTING: "raccroché pendant la recherche",
    CallOutcome.FAILED: "incident",
}


def last_week(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The seven whole local days before today: [Monday 00:00, Monday 00:00) when run on a Monday."""
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = datetime(today.year, today.month, today.day, tzinfo=zone)
    start_day = (end - timedelta(days=7)).date()
    return datetime(start_day.year, start_day.month, start_day.day, tzinfo=zone), end


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f} min"


def build_digest(session: Session, start: datetime, end: datetime, now: datetime, gap_days: int, zone: ZoneInfo) -> tuple[str, str]:
    """(subject, body) for the calls of ``[start, end)``."""
    names = dict(session.execute(select(Specialty.id, Specialty.name_fr)).all())
    calls = session.execute(select(Call.specialty_id, Call.outcome).where(Call.started_at >= start, Call.started_at < end)).all()
    outcomes = Counter(outcome for _, outcome in calls)
    per_specialty: dict[int | None, Counter] = defaultdict(Counter)
    for specialty_id, outcome in calls:
        per_specialty[specialty_id][outcome] += 1
    requests = session.scalars(
        select(CallbackRequest).where(CallbackRequest.requested_at >= start, CallbackRequest.requested_at < end)
    ).all()
    done = [r for r in requests if r.status is CallbackStatus.DONE and r.done_at is not None]
    in_time = [r for r in done if r.deadline_at is None or r.done_at <= r.deadline_at]  # type: ignore[operator]
    still_open = [r for r in requests if r.status is CallbackStatus.OPEN]
    overdue_now = session.scalar(
        select(func.count())
        .select_from(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.OPEN, CallbackRequest.deadline_at < now)
    )
    failed_messages = session.scalar(
        select(func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.status.in_(PROBLEM_STATUSES), OutboundMessage.created_at >= start, OutboundMessage.created_at < end)
    )
    gaps = coverage(session, now, now + timedelta(days=gap_days)).gaps

    first_day, last_day = start.astimezone(zone), (end - timedelta(seconds=1)).astimezone(zone)
    lines = [f"Recours, semaine du {first_day:%d/%m/%Y} au {last_day:%d/%m/%Y}", ""]
    lines.append(f"Appels : {len(calls)}")
    for outcome, label in OUTCOME_LABELS.items():
        if outcomes.get(outcome):
            lines.append(f"  {label} : {outcomes[outcome]}")
    if per_specialty:
        lines += ["", "Par spécialité :"]
        for specialty_id, counts in sorted(per_specialty.items(), key=lambda item: names.get(item[0], "~") if item[0] else "~"):
            total = sum(counts.values())
            name = names.get(specialty_id, "sans spécialité") if specialty_id is not None else "sans spécialité"
            connected, callbacks = counts[CallOutcome.CONNECTED], counts[CallOutcome.CALLBACK_REQUESTED]
            lines.append(f"  {name} : {total} appels, {connected} connectés, {callbacks} rappels demandés")
    lines += [
        "",
        f"Rappels demandés : {len(requests)}, faits : {len(done)} (dans le délai : {len(in_time)}), encore ouverts : {len(still_open)}",
    ]
    if done:
        lines.append(f"  délai médian de rappel : {_minutes(statistics.median([r.done_at - r.requested_at for r in done]))}")  # type: ignore[operator]
    lines.append(f"Rappels en retard à cette heure : {overdue_now}  (flask callbacks list --overdue)")
    lines.append(f"Messages non délivrés dans la semaine : {failed_messages}  (flask notifications failed)")
    lines += ["", f"Trous de garde dans les {gap_days} prochains jours : {len(gaps)}"]
    gap_count = Counter(g.specialty_id for g in gaps)
    for specialty_id, count in sorted(gap_count.items(), key=lambda item: names.get(item[0], "")):
        first = min(g.starts_at for g in gaps if g.specialty_id == specialty_id)
        lines.append(f"  {names.get(specialty_id, specialty_id)} : {count}, le premier le {first.astimezone(zone):%d/%m à %H:%M}")
    subject = f"Recours : semaine du {first_day:%d/%m/%Y}"
    return subject, "\n".join(lines) + "\n"


def queue_weekly_digest(session: Session, settings: Settings, now: datetime) -> bool:
    """Queue last week's digest once (keyed by the week); nothing when DIGEST_RECIPIENTS is empty."""
    recipients = settings.scheduler.digest_recipients
    if not recipients:
        return False
    zone = ZoneInfo(settings.scheduler.timezone)
    start, end = last_week(now, zone)
    subject, body = build_digest(session, start, end, now, settings.scheduler.gap_alert_days, zone)
    return enqueue(
        session,
        dedup_key=f"digest:{start.date().isoformat()}",
        channel=Channel.EMAIL,
        purpose="weekly_digest",
        recipient=",".join(recipients),
        subject=subject,
        body=body,
        now=now,
        max_attempts=settings.notify.max_attempts,
    )
