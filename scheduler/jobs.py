"""The jobs, what triggers them, and their misfire policy.

Every job is one function of (session, settings, now) that does what is due *now* and is idempotent;
APScheduler only decides when to call it. Tests call the same functions with a moved clock.

Misfire policy (a run is "missed" when no scheduler instance was up at its time):

=================  ======================  ==================  ========  ================================
job                trigger                 misfire_grace_time  coalesce  why
=================  ======================  ==================  ========  ================================
callbacks          every SCHEDULER_TICK_S  None (any delay)    yes       catching up is always right;
                                                                         one run does all that is due
shift-reminders    every 5 minutes         None                yes       the job looks 15 min back, so a
                                                                         short outage loses nothing
coverage-gaps      daily GAP_ALERT_TIME    6 hours             yes       a morning alert at 13:00 still
                                                                         helps; at 23:00 wait for tomorrow
weekly-digest      DIGEST_WEEKDAY 08:00    24 hours            yes       keyed by week: sent once, late
                                                                         rather than never
retention          daily RETENTION_TIME    None                yes       forgetting late is still due
report-summaries   daily 02:30             6 hours             yes       fills the report summary tables
                                                                         before the day's first report;
                                                                         later, the first report does it
reconcile-calls    every 5 minutes         None                yes       closes calls left open past
                                                                         CALL_RECONCILE_MINUTES; a late
                                                                         run closes the same calls
urgent-slots       every minute            None                yes       publishes a fortnight of slots
                                                                         and releases those past their
                                                                         cut-off: late is still right
=================  ======================  ==================  ========  ================================

``coalesce``: after an outage, all the missed runs of a job become one run. ``max_instances=1``: a
slow run is never overlapped by the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from sqlalchemy.orm import Session

from callbacks import operations as callback_operations
from calllog import conversation
from core import clock, db
from core.config import Settings
from notify.outbox import deliver_due
from notify.providers import current_notifier
from scheduler.digest import queue_weekly_digest
from scheduler.models import SchedulerRun
from scheduler.reminders import queue_coverage_gap_alerts, queue_shift_reminders
from scheduler.retention import apply_retention

log = logging.getLogger(__name__)

# Interval triggers count from a fixed instant, so the same settings give the same trigger in every
# process (a changed trigger would reschedule the job and lose a pending misfire).
INTERVAL_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
REMINDER_INTERVAL_MINUTES = 5
RECONCILE_INTERVAL_MINUTES = 5
# Local time of the nightly summaries: after midnight's day is over, before the retention job (03:30 by
# default) and long before managers open their reports.
REPORT_SUMMARIES_TIME = time(2, 30)
# Urgent slots are released at their cut-off to within this.
URGENT_SLOTS_INTERVAL_MINUTES = 1


def _deliver(session: Session, settings: Settings, now: datetime) -> str:
    report = deliver_due(session, current_notifier(), settings.public_base_url, now)
    return f"sent {len(report.sent)}, retrying {len(report.retrying)}, failed {len(report.failed)}"


def callbacks_tick(session: Session, settings: Settings, now: datetime) -> str:
    """Announce new callback requests, tell seniors coming on duty, alert heads before deadlines, tell
    seniors of missed calls (if enabled), ask seniors what came of their ended conversations; then send
    whatever is due."""
    announced = callback_operations.announce_new_requests(session, settings, now)
    told = callback_operations.tell_seniors_on_duty(session, settings, now)
    escalated = callback_operations.escalate_due(session, settings, now)
    missed = callback_operations.queue_missed_call_notices(session, settings, now)
    asked = conversation.ask(session, settings, now)
    session.commit()
    counts = f"announced {len(announced)}, told {told}, escalated {len(escalated)}, missed-call notices {missed}, outcomes asked {asked}"
    return counts + "; " + _deliver(session, settings, now)


def shift_reminders(session: Session, settings: Settings, now: datetime) -> str:
    queued = queue_shift_reminders(session, settings, now)
    session.commit()
    return f"{queued} reminder(s); " + _deliver(session, settings, now)


def coverage_gaps(session: Session, settings: Settings, now: datetime) -> str:
    queued = queue_coverage_gap_alerts(session, settings, now)
    session.commit()
    return f"{queued} gap alert(s); " + _deliver(session, settings, now)


def weekly_digest(session: Session, settings: Settings, now: datetime) -> str:
    queued = queue_weekly_digest(session, settings, now)
    session.commit()
    return ("digest queued; " if queued else "no digest to queue; ") + _deliver(session, settings, now)


def retention(session: Session, settings: Settings, now: datetime) -> str:
    report = apply_retention(session, settings, now)
    return str(report) + "; " + _deliver(session, settings, now)


def report_summaries(session: Session, settings: Settings, now: datetime) -> str:
    """Summarise the sealed days of the call log (``flask report summarise`` for every day and zone), so
    that the first report of the day does not summarise a year inside its request. Idempotent."""
    from reports.summaries import summarise_sealed

    done = summarise_sealed(session, now)
    if not done:
        return "no call to summarise"
    return ", ".join(f"{count} day(s) summarised in {zone}" for zone, count in done.items())


def reconcile_calls(session: Session, settings: Settings, now: datetime) -> str:
    """Close the calls whose final status never arrived, from Twilio's Call resource when it can be asked."""
    from scheduler.reconcile import reconcile_open_calls

    return str(reconcile_open_calls(session, settings, current_notifier(), now))


def urgent_slots(session: Session, settings: Settings, now: datetime) -> str:
    """Publish the urgent slots of the next fortnight; release to the secretariat those nobody booked
    by their cut-off (:mod:`slots.operations`); then send what is due."""
    from core.actor import Actor
    from slots import operations as slot_operations

    actor = Actor.scheduler("urgent-slots")
    published = slot_operations.publish_slots(session, actor, now)
    released = slot_operations.release_due(session, actor, now)
    session.commit()
    return f"{published} urgent slot(s) published, {len(released)} released; " + _deliver(session, settings, now)


JOBS: dict[str, Callable[[Session, Settings, datetime], str]] = {
    "callbacks": callbacks_tick,
    "shift-reminders": shift_reminders,
    "coverage-gaps": coverage_gaps,
    "weekly-digest": weekly_digest,
    "retention": retention,
    "report-summaries": report_summaries,
    "reconcile-calls": reconcile_calls,
    "urgent-slots": urgent_slots,
}


def run_job(job_id: str) -> str:
    """What APScheduler calls (by the textual reference ``scheduler.jobs:run_job``), inside an application
    context: run one job, note the run, and never let a failure escape (it is logged and noted)."""
    session = db.session()
    settings: Settings = current_app.config["SETTINGS"]
    holder = current_app.extensions.get("recours.scheduler.holder", "cli")
    started_at = clock.now()
    try:
        detail = JOBS[job_id](session, settings, clock.now())
        outcome = "ok"
    except Exception as exc:  # logged below: one failed run must not stop the scheduler; the next run retries
        session.rollback()
        log.exception("job %s failed", job_id)
        detail, outcome = f"{type(exc).__name__}: {exc}", "error"
    # Noted once it is over: one write per run, and the log shows only runs that finished.
    finished_at = clock.now()
    session.add(
        SchedulerRun(job_id=job_id, holder=holder, started_at=started_at, finished_at=finished_at, outcome=outcome, detail=detail[:2000])
    )
    session.commit()
    log.log(logging.INFO if outcome == "ok" else logging.ERROR, "job %s: %s", job_id, detail)
    return outcome


@dataclass(frozen=True)
class JobSpec:
    id: str
    trigger: BaseTrigger
    misfire_grace_time: int | None
    coalesce: bool = True
    func: str = "scheduler.jobs:run_job"
    args: tuple = field(default=())

    def __post_init__(self) -> None:
        if not self.args:
            object.__setattr__(self, "args", (self.id,))


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs as configured (see the table above)."""
    policy = settings.scheduler
    zone = ZoneInfo(policy.timezone)
    return [
        JobSpec(
            "callbacks", IntervalTrigger(seconds=policy.tick_seconds, start_date=INTERVAL_ANCHOR, timezone=UTC), misfire_grace_time=None
        ),
        JobSpec(
            "shift-reminders",
            IntervalTrigger(minutes=REMINDER_INTERVAL_MINUTES, start_date=INTERVAL_ANCHOR, timezone=UTC),
            misfire_grace_time=None,
        ),
        JobSpec(
            "coverage-gaps",
            CronTrigger(hour=policy.gap_alert_time.hour, minute=policy.gap_alert_time.minute, timezone=zone),
            misfire_grace_time=6 * 3600,
        ),
        JobSpec(
            "weekly-digest",
            CronTrigger(day_of_week=policy.digest_weekday, hour=policy.digest_time.hour, minute=policy.digest_time.minute, timezone=zone),
            misfire_grace_time=24 * 3600,
        ),
        JobSpec(
            "retention",
            CronTrigger(hour=policy.retention_time.hour, minute=policy.retention_time.minute, timezone=zone),
            misfire_grace_time=None,
        ),
        JobSpec(
            "report-summaries",
            CronTrigger(hour=REPORT_SUMMARIES_TIME.hour, minute=REPORT_SUMMARIES_TIME.minute, timezone=zone),
            misfire_grace_time=6 * 3600,
        ),
        JobSpec(
            "reconcile-calls",
            IntervalTrigger(minutes=RECONCILE_INTERVAL_MINUTES, start_date=INTERVAL_ANCHOR, timezone=UTC),
            misfire_grace_time=None,
        ),
        JobSpec(
            "urgent-slots",
            IntervalTrigger(minutes=URGENT_SLOTS_INTERVAL_MINUTES, start_date=INTERVAL_ANCHOR, timezone=UTC),
            misfire_grace_time=None,
        ),
    ]
