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
from core.words import Words, in_language
from notify.models import PROBLEM_STATUSES, Channel, OutboundMessage
from notify.outbox import enqueue
from reports.definitions import OUTCOME_LABELS
from rota.coverage import coverage
from rota.models import Specialty

# In the order of the digest; the labels are the reports' (reports/definitions.py), one word for one outcome.
DIGEST_OUTCOMES = (
    CallOutcome.CONNECTED,
    CallOutcome.DEFERRED,
    CallOutcome.CALLBACK_REQUESTED,
    CallOutcome.SWITCHBOARD,
    CallOutcome.NOBODY_ON_DUTY,
    CallOutcome.ABANDONED_IN_MENU,
    CallOutcome.ABANDONED_WHILE_HUNTING,
    CallOutcome.FAILED,
    CallOutcome.UNKNOWN,
)


def last_week(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The seven whole local days before today: [Monday 00:00, Monday 00:00) when run on a Monday."""
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = datetime(today.year, today.month, today.day, tzinfo=zone)
    start_day = (end - timedelta(days=7)).date()
    return datetime(start_day.year, start_day.month, start_day.day, tzinfo=zone), end


def _minutes(words: Words, delta: timedelta) -> str:
    return words._("{minutes} min", minutes=words.number(round(delta.total_seconds() / 60)))


def build_digest(
    session: Session, start: datetime, end: datetime, now: datetime, gap_days: int, zone: ZoneInfo, language: str = "fr"
) -> tuple[str, str]:
    """(subject, body) for the calls of ``[start, end)``, in ``language``."""
    words = in_language(language)
    _ = words._
    names = dict(session.execute(select(Specialty.id, Specialty.name_en if words.language == "en" else Specialty.name_fr)).all())
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

    first_day, last_day = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()
    period = {"first": words.day(first_day, "d MMMM y"), "last": words.day(last_day, "d MMMM y")}
    lines = [_("Recours, week of {first} to {last}", **period), ""]
    lines.append(_("Calls: {count}", count=words.number(len(calls))))
    for outcome in DIGEST_OUTCOMES:
        if outcomes.get(outcome):
            lines.append("  " + _("{label}: {count}", label=_(OUTCOME_LABELS[outcome.value]), count=words.number(outcomes[outcome])))
    if per_specialty:
        lines += ["", _("By specialty:")]
        no_specialty = _("no specialty")
        for specialty_id, counts in sorted(per_specialty.items(), key=lambda item: names.get(item[0], "~") if item[0] else "~"):
            total = sum(counts.values())
            name = names.get(specialty_id, no_specialty) if specialty_id is not None else no_specialty
            connected, callbacks = counts[CallOutcome.CONNECTED], counts[CallOutcome.CALLBACK_REQUESTED]
            figures = ", ".join(
                [
                    words.ngettext("{count} call", "{count} calls", total),
                    words.ngettext("{count} connected", "{count} connected", connected),
                    words.ngettext("{count} callback requested", "{count} callbacks requested", callbacks),
                ]
            )
            lines.append("  " + _("{label}: {count}", label=name, count=figures))
    lines += [
        "",
        _(
            "Callbacks requested: {requested}, done: {done} (in time: {in_time}), still open: {open}",
            requested=words.number(len(requests)),
            done=words.number(len(done)),
            in_time=words.number(len(in_time)),
            open=words.number(len(still_open)),
        ),
    ]
    if done:
        median = statistics.median([r.done_at - r.requested_at for r in done])  # type: ignore[operator]
        lines.append("  " + _("median time to callback: {time}", time=_minutes(words, median)))
    lines.append(_("Callbacks overdue now: {count}  (flask callbacks list --overdue)", count=words.number(overdue_now or 0)))
    lines.append(_("Messages not delivered this week: {count}  (flask notifications failed)", count=words.number(failed_messages or 0)))
    lines += ["", _("Rota gaps in the next {days} days: {count}", days=gap_days, count=words.number(len(gaps)))]
    gap_count = Counter(g.specialty_id for g in gaps)
    for specialty_id, count in sorted(gap_count.items(), key=lambda item: names.get(item[0], "")):
        first = min(g.starts_at for g in gaps if g.specialty_id == specialty_id)
        when = words.instant(first, zone, "EEEE d MMMM, HH:mm")
        lines.append("  " + _("{label}: {count}, the first on {when}", label=names.get(specialty_id, specialty_id), count=count, when=when))
    subject = _("Recours: week of {first}", **period)
    return subject, "\n".join(lines) + "\n"


def queue_weekly_digest(session: Session, settings: Settings, now: datetime) -> bool:
    """Queue last week's digest once (keyed by the week); nothing when DIGEST_RECIPIENTS is empty."""
    recipients = settings.scheduler.digest_recipients
    if not recipients:
        return False
    zone = ZoneInfo(settings.scheduler.timezone)
    start, end = last_week(now, zone)
    subject, body = build_digest(session, start, end, now, settings.scheduler.gap_alert_days, zone, settings.web.default_language)
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
