"""Forgetting on time: recordings after RETENTION_RECORDING_MONTHS (6 by default: they hold patient
talk, CNIL), call logs after RETENTION_CALL_LOG_MONTHS (12).

- A recording past its retention is forgotten at once in our database and its deletion at Twilio is
  queued in the outbox (retried, and listed by ``flask notifications failed`` if Twilio keeps refusing).
- A call past its retention is anonymised (RETENTION_MODE=anonymise: the statistics stay — instant,
  specialty, outcome, durations — but no number, no GP, no senior) or deleted with everything attached.
- What Recours sent (the outbox) and the raw status callbacks go after the call-log retention too.

Works in batches, each committed, so a long backlog never holds a long transaction; running it twice
changes nothing the second time.

(This writes the call log outside :mod:`calllog.operations`; when that module's owner wants it, these
functions move there unchanged.)
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from callbacks.models import CallbackCall
from calllog import operations as calllog_operations
from calllog.models import CallbackRequest
from core.config import Settings
from notify.models import Channel, OutboundMessage
from notify.outbox import enqueue
from scheduler.models import SchedulerRun

log = logging.getLogger(__name__)

BATCH = 500
SCHEDULER_RUN_RETENTION = timedelta(days=14)  # the callbacks job alone runs 4,320 times a day


def months_before(at: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    years, month_index = divmod(at.month - 1 - months, 12)
    year, month = at.year + years, month_index + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


@dataclass
class RetentionReport:
    recordings: int = 0
    calls: int = 0
    status_events: int = 0
    messages: int = 0

    def __str__(self) -> str:
        return f"{self.recordings} recording(s), {self.calls} call(s), {self.status_events} status event(s), {self.messages} message(s)"


def forget_recordings(session: Session, settings: Settings, cutoff: datetime, now: datetime) -> int:
    count = 0
    while True:
        batch = session.scalars(
            select(CallbackRequest)
            .where(
                CallbackRequest.requested_at < cutoff,
                (CallbackRequest.recording_url.is_not(None)) | (CallbackRequest.recording_sid.is_not(None)),
            )
            .limit(BATCH)
        ).all()
        if not batch:
            return count
        for request in batch:
            if request.recording_sid:
                enqueue(
                    session,
                    dedup_key=f"recording-delete:{request.recording_sid}",
                    channel=Channel.RECORDING_DELETE,
                    purpose="recording_retention",
                    recipient=request.recording_sid,
                    now=now,
                    max_attempts=settings.notify.max_attempts,
                )
            calllog_operations.forget_recording(request, now)
        session.commit()
        count += len(batch)


def forget_calls(session: Session, cutoff: datetime, mode: str) -> int:
    count = 0
    anonymise = mode == "anonymise"
    while ids := calllog_operations.calls_started_before(session, cutoff, skip_anonymised=anonymise, limit=BATCH):
        requests = select(CallbackRequest.id).where(CallbackRequest.call_id.in_(ids))
        # What was sent about these requests names the GP: it goes in both modes.
        session.execute(delete(OutboundMessage).where(OutboundMessage.callback_request_id.in_(requests)))
        if anonymise:
            session.execute(
                update(CallbackCall)
                .where(CallbackCall.callback_request_id.in_(requests))
                .values(senior_id=None, senior_number="", sid=None, gp_sid=None)
            )
            calllog_operations.anonymise_calls(session, ids)
        else:
            # Callback calls follow their request by ON DELETE CASCADE.
            calllog_operations.delete_calls(session, ids)
        session.commit()
        count += len(ids)
    return count


def apply_retention(session: Session, settings: Settings, now: datetime) -> RetentionReport:
    policy = settings.scheduler
    report = RetentionReport()
    report.recordings = forget_recordings(session, settings, months_before(now, policy.retention_recording_months), now)
    log_cutoff = months_before(now, policy.retention_call_log_months)
    report.calls = forget_calls(session, log_cutoff, policy.retention_mode)
    report.status_events = calllog_operations.forget_status_events(session, log_cutoff)
    report.messages = session.execute(delete(OutboundMessage).where(OutboundMessage.created_at < log_cutoff)).rowcount
    session.execute(delete(SchedulerRun).where(SchedulerRun.started_at < now - SCHEDULER_RUN_RETENTION))
    session.commit()
    if report.recordings or report.calls:
        log.info("retention: %s", report)
    return report
